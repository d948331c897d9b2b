"""DataFrame.describe (weft_table_describe in C) against Polars' DataFrame.describe() on the
same data: numbers of every type with nulls and NaN, bool, dates, timestamps, strings, empty
and one-row frames, frames without numeric columns, percentiles."""

import datetime
import math

import numpy as np
import pytest

import weft

pl = pytest.importorskip("polars")

NUMBER_TYPES = ["Int8", "Int16", "Int32", "Int64", "UInt8", "UInt16", "UInt32", "UInt64",
                "Float32", "Float64"]


def assert_same(got, want, rel=1e-12, f32=("float32", "f")):
    """weft's describe (as Polars) equals Polars': names, types, nulls, NaN, text exactly;
    floats exactly except mean and std (a relative `rel`; 2e-7 for the float32 columns named
    in `f32`, whose mean and std both round to float32, maybe one ulp apart)."""
    got = got.to_polars() if isinstance(got, weft.DataFrame) else got
    assert got.columns == want.columns
    assert got.schema == want.schema, (got.schema, want.schema)
    stats = want["statistic"].to_list()
    assert got["statistic"].to_list() == stats
    for name in want.columns[1:]:
        g, w = got[name].to_list(), want[name].to_list()
        for stat, a, b in zip(stats, g, w):
            where = f"{name} {stat}: weft {a!r}, polars {b!r}"
            if b is None or a is None:
                assert a is None and b is None, where
            elif isinstance(b, float):
                if math.isnan(b):
                    assert math.isnan(a), where
                elif stat in ("mean", "std"):
                    tol = 2e-7 if name in f32 else rel
                    assert a == pytest.approx(b, rel=tol, abs=1e-300), where
                else:
                    assert a == b, where
            else:
                assert a == b, where


def both(data, **kwargs):
    """(weft's describe, Polars' describe) of the same Polars DataFrame."""
    p = pl.DataFrame(data) if not isinstance(data, pl.DataFrame) else data
    return weft.DataFrame(p).describe(**kwargs), p.describe(**kwargs)


def random_numbers(rng, n, null_rate=0.2, nan_rate=0.02):
    cols = {}
    for t in NUMBER_TYPES:
        dtype = getattr(pl, t)
        if t.startswith("Float"):
            v = rng.normal(50.0, 20.0, n)
            v[rng.random(n) < nan_rate] = np.nan
        elif t.startswith("UInt"):
            bits = int(t[4:])
            v = rng.integers(0, 2 ** min(bits, 63), n, dtype=np.uint64)
            if bits == 64:
                v = v * 2 + 1  # some above 2^63
        else:
            bits = int(t[3:])
            v = rng.integers(-(2 ** (bits - 1)), 2 ** (bits - 1) - 1, n, dtype=np.int64)
            if t == "Int8":
                v = v % 5  # few distinct values
        s = pl.Series(t.lower(), v).cast(dtype)
        mask = pl.Series(rng.random(n) < null_rate)
        cols[t.lower()] = pl.select(pl.when(mask).then(None).otherwise(s)).to_series()
    return pl.DataFrame(cols)


@pytest.mark.parametrize("n", [1, 2, 3, 17, 1000, 2049, 70001])
def test_numbers_with_nulls_and_nan_match_polars(n):
    rng = np.random.default_rng(n)
    got, want = both(random_numbers(rng, n))
    assert_same(got, want, rel=1e-9)


def test_float32_rounds_like_polars():
    data = pl.DataFrame({"f": pl.Series([0.1, 0.2, 0.7, None], dtype=pl.Float32)})
    got, want = both(data)
    assert_same(got, want)
    g = dict(zip(want["statistic"], got.to_polars()["f"]))
    assert g["mean"] == np.float64(np.float32(g["mean"]))  # rounded to float32, as Polars


def test_nan_null_inf_and_single_values():
    data = {
        "nan_mix": [1.0, None, float("nan"), 4.0],
        "all_nan": [float("nan"), float("nan"), None, float("nan")],
        "all_null": pl.Series([None, None, None, None], dtype=pl.Float64),
        "one": [None, 7.5, None, None],
        "inf": [1.0, float("inf"), 2.0, None],
        "ints": [3, None, -2, 3],
    }
    got, want = both(data)
    assert_same(got, want)


def test_empty_frame():
    data = pl.DataFrame({
        "i": pl.Series([], dtype=pl.Int64), "f": pl.Series([], dtype=pl.Float32),
        "b": pl.Series([], dtype=pl.Boolean), "s": pl.Series([], dtype=pl.String),
        "d": pl.Series([], dtype=pl.Date), "t": pl.Series([], dtype=pl.Datetime("us")),
    })
    got, want = both(data)
    assert_same(got, want)


def test_one_row():
    data = {"i": [7], "f": [2.5], "b": [True], "s": ["x"], "d": [datetime.date(2024, 2, 29)],
            "t": [datetime.datetime(2024, 2, 29, 12, 0, 0, 5)]}
    got, want = both(data)
    assert_same(got, want)


def test_no_numeric_columns():
    data = {
        "s": ["b", "a", None, "é", "a longer string"],
        "d": [datetime.date(2020, 1, 1), datetime.date(2020, 1, 2), None,
              datetime.date(1960, 1, 5), datetime.date(2020, 1, 2)],
        "t": [datetime.datetime(2020, 1, 1, 0, 0, 0, 1), datetime.datetime(2020, 1, 1, 0, 0, 0, 2),
              None, datetime.datetime(2021, 3, 1, 5, 6, 7), datetime.datetime(1969, 12, 31, 23, 59)],
        "b": [True, False, None, True, None],
    }
    got, want = both(data)
    assert_same(got, want)
    assert got.schema == {"statistic": "utf8", "s": "utf8", "d": "utf8", "t": "utf8", "b": "float64"}


def test_dates_and_timestamps_random():
    rng = np.random.default_rng(7)
    n = 501
    days = rng.integers(-20000, 20000, n)
    micros = rng.integers(-(2**40), 2**40, n)  # sums stay exact in float64
    mask = rng.random(n) < 0.2
    data = {
        "d": [None if m else datetime.date(1970, 1, 1) + datetime.timedelta(days=int(k))
              for k, m in zip(days, mask)],
        "t": [None if m else datetime.datetime(1970, 1, 1) + datetime.timedelta(microseconds=int(k))
              for k, m in zip(micros, mask)],
    }
    got, want = both(data)
    assert_same(got, want)


def test_mixed_types_random():
    rng = np.random.default_rng(3)
    n = 3001
    words = ["", "a", "bb", "héllo", "zz top", "x" * 40]
    mask = rng.random(n) < 0.25
    data = random_numbers(rng, n).with_columns(
        pl.Series("s", [None if m else words[k] for k, m in zip(rng.integers(0, 6, n), mask)]),
        pl.Series("b", [None if m else bool(k) for k, m in zip(rng.integers(0, 2, n), mask[::-1])]),
    )
    got, want = both(data)
    assert_same(got, want, rel=1e-9)


@pytest.mark.parametrize("percentiles", [None, 0.1, [0.9, 0.1, 0.5], [0.0, 1.0, 0.333], []])
def test_percentiles_like_polars(percentiles):
    rng = np.random.default_rng(1)
    data = pl.DataFrame({"x": rng.normal(size=1001), "k": rng.integers(0, 9, 1001)})
    got, want = both(data, percentiles=percentiles)
    assert_same(got, want, rel=1e-9)


def test_sliced_frame_matches_polars():
    rng = np.random.default_rng(5)
    p = random_numbers(rng, 5000)
    w = weft.DataFrame(p).slice(13, 4001)
    assert_same(w.describe(), p.slice(13, 4001).describe(), rel=1e-9)


def test_errors():
    df = weft.DataFrame({"x": [1.0, 2.0]})
    with pytest.raises(weft.InvalidArgumentError, match=r"percentiles\[1\] = 1.5"):
        df.describe(percentiles=[0.5, 1.5])
    with pytest.raises(weft.InvalidArgumentError, match="percentiles"):
        df.describe(percentiles=["a"])
    with pytest.raises(weft.InvalidArgumentError, match='"statistic"'):
        weft.DataFrame({"statistic": [1]}).describe()


def test_no_columns_gives_the_statistic_column():
    # Polars raises TypeError here; weft gives the statistic names alone
    d = weft.DataFrame().describe()
    assert d.columns == ["statistic"]
    assert d["statistic"].to_list() == ["count", "null_count", "mean", "std", "min", "25%",
                                        "50%", "75%", "max"]
