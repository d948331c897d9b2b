"""weft.read_csv / write_csv and DataFrame joins, checked against Polars on fresh random data
(nulls, NaN, empty strings, quotes and line breaks in text, empty and one-row tables)."""

import datetime

import numpy as np
import pytest

import weft

import polars as pl
import polars.testing as plt


from polars_view import from_polars, to_polars  # noqa: E402


TEXTS = ["plain", "a,b", 'say "hi"', "line\nbreak", "日本語 ß", "", " spaces ", '"', ",", "x" * 40]


def random_frame(rng, n, null_rate=0.1):
    def nulls(values):
        mask = rng.random(n) < null_rate
        return [None if m else v for v, m in zip(values, mask)]

    floats = rng.standard_normal(n) * 10.0 ** rng.integers(-5, 6, n)
    floats[rng.random(n) < 0.05] = np.nan
    floats[rng.random(n) < 0.02] = np.inf
    return pl.DataFrame(
        {
            "i": pl.Series(nulls(rng.integers(-(2**62), 2**62, n).tolist()), dtype=pl.Int64),
            "f": pl.Series(nulls(floats.tolist()), dtype=pl.Float64),
            "s": pl.Series(nulls([TEXTS[k] for k in rng.integers(0, len(TEXTS), n)]), dtype=pl.String),
            "b": pl.Series(nulls((rng.random(n) < 0.5).tolist()), dtype=pl.Boolean),
            "d": pl.Series(nulls([datetime.date(2000, 1, 1) + datetime.timedelta(days=int(k))
                                  for k in rng.integers(-20000, 20000, n)]), dtype=pl.Date),
            "t": pl.Series(nulls([datetime.datetime(2020, 1, 1) + datetime.timedelta(microseconds=int(k))
                                  for k in rng.integers(-(10**15), 10**15, n)]), dtype=pl.Datetime("us")),
        }
    )


# ---------------------------------------------------------------------------- CSV


@pytest.mark.parametrize("n", [0, 1, 7, 3000, 70001])
def test_read_csv_matches_polars(rng, tmp_path, n):
    frame = random_frame(rng, n)
    path = tmp_path / "in.csv"
    frame.write_csv(path)
    got = to_polars(weft.read_csv(path))
    want = pl.read_csv(path, try_parse_dates=True)
    if n == 0:  # header only: every column is text, as Polars
        assert got.schema == want.schema
        return
    plt.assert_frame_equal(got, want)
    plt.assert_frame_equal(got, frame)


def test_read_csv_options(tmp_path):
    path = tmp_path / "opts.csv"
    path.write_bytes(b"001;NA;x\r\n002;-;\"y;z\"\r\n003;4;\r\n")
    got = to_polars(weft.read_csv(path, separator=";", has_header=False, null_values=["NA", "-"],
                                  schema_overrides={"column_1": pl.String}))
    want = pl.read_csv(path, separator=";", has_header=False, null_values=["NA", "-"],
                       new_columns=["column_1", "column_2", "column_3"],
                       schema_overrides={"column_1": pl.String})
    plt.assert_frame_equal(got, want)
    assert got.columns == ["column_1", "column_2", "column_3"]
    assert got["column_1"].to_list() == ["001", "002", "003"]
    assert got["column_2"].to_list() == [None, None, 4]
    assert got["column_3"].to_list() == ["x", "y;z", None]


def test_read_csv_inference_and_overrides(tmp_path):
    path = tmp_path / "infer.csv"
    path.write_text("a,b,c,d\n1,1.5,true,2021-01-02\n2,inf,False,1999-12-31\n")
    df = weft.read_csv(path)
    got = to_polars(df)
    assert got.dtypes == [pl.Int64, pl.Float64, pl.Boolean, pl.Date]
    assert got["b"].to_list() == [1.5, float("inf")]
    got = to_polars(weft.read_csv(path, schema_overrides={"a": "int8", "b": np.float32, "d": str}))
    assert got.dtypes == [pl.Int8, pl.Float32, pl.Boolean, pl.String]


def test_read_csv_errors(tmp_path):
    with pytest.raises(weft.WeftIOError):
        weft.read_csv(tmp_path / "missing.csv")
    with pytest.raises(OSError):
        weft.read_csv(tmp_path / "missing.csv")
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n3\n")
    with pytest.raises(weft.CorruptError, match="line 3.*expected 2 fields"):
        weft.read_csv(bad)
    bad.write_text("a,b\n1,x\n2,y\nthree,z\n")
    with pytest.raises(weft.CorruptError, match=r'line 4, column "a".*"three".*override'):
        weft.read_csv(bad, infer_schema_length=2)
    # The suggested fix works.
    assert to_polars(weft.read_csv(bad, schema_overrides={"a": str}))["a"].to_list() == ["1", "2", "three"]
    with pytest.raises(weft.NotFoundError, match="nope"):
        weft.read_csv(bad, schema_overrides={"nope": int})
    with pytest.raises(weft.InvalidArgumentError):
        weft.read_csv(bad, schema_overrides={"a": "complex128"})
    with pytest.raises(weft.InvalidArgumentError):
        weft.read_csv(bad, separator=";;")


@pytest.mark.parametrize("n", [0, 1, 5000])
def test_write_csv_round_trip(rng, tmp_path, n):
    frame = random_frame(rng, n)
    df = from_polars(frame, tmp_path)
    out = tmp_path / "out.csv"
    df.write_csv(out)
    assert not [p for p in tmp_path.iterdir() if ".tmp." in p.name]  # the temporary is gone
    back = pl.read_csv(out, try_parse_dates=True, schema_overrides=frame.schema)
    plt.assert_frame_equal(back, frame)
    plt.assert_frame_equal(to_polars(weft.read_csv(out, schema_overrides=dict(frame.schema))), frame)


# ---------------------------------------------------------------------------- joins


def keyed(rng, n, key_range, names, null_rate=0.1, str_keys=False):
    def key():
        k = rng.integers(0, key_range, n)
        vals = [f"k{v}é" for v in k] if str_keys else k.tolist()
        return [None if m else v for v, m in zip(vals, rng.random(n) < null_rate)]

    cols = {name: key() for name in names}
    cols["v"] = rng.standard_normal(n).tolist()
    cols["s"] = [TEXTS[k] for k in rng.integers(0, len(TEXTS), n)]
    types = {c: pl.String if str_keys else pl.Int64 for c in names}
    types.update(v=pl.Float64, s=pl.String)
    return pl.DataFrame({c: pl.Series(v, dtype=types[c]) for c, v in cols.items()})


@pytest.mark.parametrize("how", ["inner", "left", "semi", "anti"])
@pytest.mark.parametrize("sizes", [(0, 5), (5, 0), (1, 1), (2000, 300), (40000, 5000)])
def test_join_matches_polars(rng, tmp_path, how, sizes):
    nl, nr = sizes
    left = keyed(rng, nl, 400, ["k"])
    right = keyed(rng, nr, 400, ["k"]).rename({"s": "t"})
    got = to_polars(from_polars(left, tmp_path, "l.csv").join(from_polars(right, tmp_path, "r.csv"),
                               on="k", how=how))
    want = left.join(right, on="k", how=how, maintain_order="left")
    plt.assert_frame_equal(got, want)


@pytest.mark.parametrize("how", ["inner", "left", "semi", "anti"])
def test_join_multi_key_strings(rng, tmp_path, how):
    left = keyed(rng, 3000, 12, ["a", "b"], str_keys=True)
    right = keyed(rng, 800, 12, ["x", "y"], str_keys=True)
    got = to_polars(from_polars(left, tmp_path, "l.csv").join(from_polars(right, tmp_path, "r.csv"),
                               left_on=["a", "b"], right_on=["x", "y"], how=how, suffix="_r"))
    want = left.join(right, left_on=["a", "b"], right_on=["x", "y"], how=how, suffix="_r",
                     maintain_order="left")
    plt.assert_frame_equal(got, want)


def test_join_errors_and_report(rng, tmp_path):
    left = from_polars(keyed(rng, 10, 5, ["k"]), tmp_path, "l.csv")
    right = from_polars(keyed(rng, 10, 5, ["k"], str_keys=True), tmp_path, "r.csv")
    with pytest.raises(weft.InvalidArgumentError, match='"k".*int64.*"k".*utf8'):
        left.join(right, on="k")
    with pytest.raises(weft.InvalidArgumentError, match="how"):
        left.join(left, on="k", how="outer")
    with pytest.raises(weft.InvalidArgumentError):
        left.join(left, left_on=["k"], right_on=["k", "v"])
    with pytest.raises(weft.InvalidArgumentError):
        left.join(left, on="k", left_on="k", right_on="k")
    with pytest.raises(weft.NotFoundError, match="nope"):
        left.join(left, on="nope")
    left.join(left, on="k")
    assert "join inner" in weft.last_report()
    assert weft.last_device() == "cpu:0"
