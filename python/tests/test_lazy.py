"""LazyFrame against Polars' lazy API on the same data: every operator and chains of them,
on random frames with nulls, empty and one-row frames; explain's contents (pushdown,
devices); strict mode raising on a device that is absent or cannot run an operator."""

import numpy as np
import polars as pl
import polars.testing as plt
import pytest

import weft
from weft import col

SIZES = [0, 1, 9, 2000]


def _frame(rng, n, null_rate=0.2):
    """k: int64 key (5 values), g: str key, v: float64, i: int64, b: bool; with nulls."""
    def nulls(values):
        mask = rng.random(n) < null_rate
        return [None if m else x for x, m in zip(values, mask)]

    return pl.DataFrame({
        "k": pl.Series(nulls(rng.integers(0, 5, n).tolist()), dtype=pl.Int64),
        "g": pl.Series(nulls([f"g{x}" for x in rng.integers(0, 4, n)]), dtype=pl.String),
        "v": pl.Series(nulls(np.round(rng.normal(size=n), 3).tolist()), dtype=pl.Float64),
        "i": pl.Series(nulls(rng.integers(-1000, 1000, n).tolist()), dtype=pl.Int64),
        "b": pl.Series(nulls((rng.random(n) < 0.5).tolist()), dtype=pl.Boolean),
    })


def _right(rng, n):
    n = min(n, 30)
    mask = rng.random(n) < 0.2
    return pl.DataFrame({
        "k": pl.Series([None if m else int(x) for x, m in zip(rng.integers(0, 5, n), mask)], dtype=pl.Int64),
        "w": pl.Series([f"w{x}" for x in rng.integers(0, 9, n)], dtype=pl.String),
        "v": pl.Series(np.round(rng.normal(size=n), 3).tolist(), dtype=pl.Float64),
    })


def _same(lf, plf):
    plt.assert_frame_equal(lf.collect().to_polars(), plf.collect())


@pytest.mark.parametrize("n", SIZES)
def test_filter_select_with_columns(rng, n):
    p = _frame(rng, n)
    lf, plf = weft.from_arrow(p).lazy(), p.lazy()
    _same(lf.filter(col("v") > 0.2), plf.filter(pl.col("v") > 0.2))
    _same(lf.filter(col("v") > -1, col("k") != 2), plf.filter(pl.col("v") > -1, pl.col("k") != 2))
    _same(lf.select("g", (col("i") * 3).alias("i3")), plf.select("g", (pl.col("i") * 3).alias("i3")))
    _same(lf.with_columns((col("k") + 1).alias("k"), col("g").is_null().alias("gn")),
          plf.with_columns((pl.col("k") + 1).alias("k"), pl.col("g").is_null().alias("gn")))


@pytest.mark.parametrize("n", SIZES)
def test_group_by_sort_unique_head(rng, n):
    p = _frame(rng, n)
    lf, plf = weft.from_arrow(p).lazy(), p.lazy()
    _same(lf.group_by("k", "g").agg(col("v").sum().alias("vs"), col("i").mean().alias("im"),
                                    col("v").count().alias("vn"), weft.len().alias("rows")),
          plf.group_by("k", "g", maintain_order=True).agg(
              pl.col("v").sum().alias("vs"), pl.col("i").mean().alias("im"),
              pl.col("v").count().alias("vn"), pl.len().alias("rows")))
    for nulls_last in (False, True):
        _same(lf.sort("k", "i", descending=[True, False], nulls_last=nulls_last),
              plf.sort("k", "i", descending=[True, False], nulls_last=nulls_last, maintain_order=True))
    _same(lf.sort("g"), plf.sort("g", maintain_order=True))
    _same(lf.unique(subset=["k", "b"]), plf.unique(subset=["k", "b"], keep="first", maintain_order=True))
    _same(lf.unique(), plf.unique(keep="first", maintain_order=True))
    _same(lf.head(3), plf.head(3))
    _same(lf.slice(-4, 2), plf.slice(-4, 2))
    _same(lf.slice(1), plf.slice(1))


@pytest.mark.parametrize("n", SIZES + [70_000])
def test_filter_group_by_fused(rng, n):
    """A filter under a group_by with few-valued keys runs as one pass (TPC-H Q1's shape);
    with a many-valued key it gives up at run time and runs the two operators. Both equal
    Polars (float sums to rounding: the fused pass adds in interleaved lanes)."""
    p = _frame(rng, n).with_columns(pl.Series("many", rng.integers(0, 5000, n), dtype=pl.Int64))
    lf, plf = weft.from_arrow(p).lazy(), p.lazy()
    for keys in (["g", "k"], ["b"], ["many"]):
        q = lf.filter(col("v") > -0.5).group_by(*keys).agg(
            col("v").sum().alias("vs"), col("v").mean().alias("vm"), (col("v") * (1 - col("i"))).sum().alias("e"),
            col("i").sum().alias("is"), col("i").min().alias("imin"), weft.len().alias("rows"))
        assert "filter + aggregate (fused)" in q.explain()
        want = plf.filter(pl.col("v") > -0.5).group_by(*keys, maintain_order=True).agg(
            pl.col("v").sum().alias("vs"), pl.col("v").mean().alias("vm"),
            (pl.col("v") * (1 - pl.col("i"))).sum().alias("e"), pl.col("i").sum().alias("is"),
            pl.col("i").min().alias("imin"), pl.len().alias("rows")).collect()
        plt.assert_frame_equal(q.collect().to_polars(), want, check_exact=False, rel_tol=1e-9)


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("how", ["inner", "left", "semi", "anti"])
def test_join(rng, n, how):
    p, r = _frame(rng, n), _right(rng, n + 1)
    lf, rf = weft.from_arrow(p).lazy(), weft.from_arrow(r).lazy()
    _same(lf.join(rf, on="k", how=how), p.lazy().join(r.lazy(), on="k", how=how, maintain_order="left"))


@pytest.mark.parametrize("n", SIZES)
def test_chain_every_optimization(rng, n):
    p, r = _frame(rng, n), _right(rng, n + 1)
    lf = (weft.from_arrow(p).lazy().with_columns((col("i") * 2).alias("i2"))
          .join(weft.from_arrow(r).lazy(), on="k").sort("g", "i2", descending=[False, True])
          .filter(col("v") > -1).filter(col("w") != "w3").filter(col("v") < col("v_right"))
          .select("k", "g", "i2", "w").head(40))
    plf = (p.lazy().with_columns((pl.col("i") * 2).alias("i2"))
           .join(r.lazy(), on="k", maintain_order="left").sort("g", "i2", descending=[False, True], maintain_order=True)
           .filter(pl.col("v") > -1).filter(pl.col("w") != "w3").filter(pl.col("v") < pl.col("v_right"))
           .select("k", "g", "i2", "w").head(40))
    _same(lf, plf)


def test_explain_shows_pushdown_and_devices(rng):
    p, r = _frame(rng, 1000), _right(rng, 30)
    lf = (weft.from_arrow(p).lazy().join(weft.from_arrow(r).lazy(), on="k")
          .filter(col("v") > 0).select("k", "w"))
    lines = lf.explain().splitlines()
    assert lines[0].startswith("SELECT"), lines
    assert lines[1].startswith("  JOIN inner on [k]"), lines
    assert lines[2].strip().startswith("FILTER"), lines  # below the join, on the left side
    assert "SCAN 1000 rows, 2 of 5 columns [k, v]" in lines[3], lines
    assert "SCAN 30 rows, 2 of 3 columns [k, w]" in lines[4], lines
    assert "cpu: auto, small input (1000 rows, devices evaluate from 100000)" in lines[2], lines
    assert "ran (last collect)" not in lf.explain()
    lf.collect()
    text = lf.explain()
    assert "ran (last collect):" in text
    assert "JOIN inner on [k]" in weft.last_report()
    assert lf.columns == ["k", "w"] and lf.schema == {"k": "int64", "w": "utf8"}


def test_strict_raises_where_a_device_cannot_run(rng):
    # a utf8 min stays on the CPU (byte comparisons); sort and unique have device kernels
    # where the backend is present
    frame = weft.from_arrow(_frame(rng, 100)).lazy()
    lf = frame.group_by("k").agg(col("g").min().alias("gmin"))
    for device in ("cuda", "opencl"):
        present = any(d.id.startswith(device) for d in weft.devices())
        text = lf.explain(device=device)
        assert "GROUP_BY [k]" in text and "[fell back to cpu: " in text, text
        assert lf.collect(device=device).height > 0  # not strict: the CPU runs it
        assert "fails in strict mode" in lf.explain(device=device, strict=True)
        with pytest.raises(weft.WeftError) as err:
            lf.collect(device=device, strict=True)
        expected = weft.UnsupportedError if present else weft.BackendUnavailableError
        assert isinstance(err.value, expected), err.value
        assert "GROUP_BY [k]" in str(err.value)
        for other, line in ((frame.sort("k"), "SORT by [k] nulls first"), (frame.unique(["k"]), "UNIQUE [k]")):
            if present:
                text = other.explain(device=device, strict=True)
                assert f"{line}  [{device}:0: requested]" in text, text
                assert other.collect(device=device, strict=True).height > 0
            else:
                with pytest.raises(weft.BackendUnavailableError):
                    other.collect(device=device, strict=True)


def test_bad_input_names_the_argument(rng):
    lf = weft.from_arrow(_frame(rng, 5)).lazy()
    with pytest.raises(weft.NotFoundError, match="nope"):
        lf.filter(col("nope") > 1)
    with pytest.raises(weft.InvalidArgumentError, match="not bool"):
        lf.filter(col("v"))
    with pytest.raises(weft.WeftError, match="zz"):
        lf.sort("zz")
    with pytest.raises(weft.InvalidArgumentError, match="how"):
        lf.join(lf, on="k", how="outer")
    with pytest.raises(weft.InvalidArgumentError, match="head"):
        lf.head(-1)
    with pytest.raises(weft.InvalidArgumentError, match="agg"):
        lf.group_by("k").agg("v")


# ---------------------------------------------------------------------------- explain text


def _explain_frame():
    return weft.DataFrame({"k": np.arange(10) % 3, "v": np.linspace(0, 1, 10)})


def test_explain_prints_floats_shortest():
    text = _explain_frame().lazy().filter(col("v") > 0.1).select("k").explain()
    assert "(0.1)" in text and "0.10000000000000001" not in text, text
    assert "(0.3)" in str(col("v") * 0.3)
    assert str(weft.lit(1 / 3)) == repr(1 / 3)
    assert str(weft.lit(2.0)) == "2.0" and str(weft.lit(1e20)) == "1e+20"


def test_explain_says_a_device_reason_once():
    lf = (_explain_frame().lazy().filter(col("v") > 0.5).group_by("k")
          .agg(col("v").sum().alias("s")).sort("s"))
    lines = lf.explain(device="cpu").splitlines()
    assert lines[0].endswith("[cpu: requested]"), lines
    # the operators under it, on the same device for the same reason, name the device only
    assert all("requested" not in line for line in lines[1:]), lines
    assert lines[1].endswith("[cpu]"), lines


def test_explain_singular_counts():
    lf = _explain_frame().lazy().filter(col("v") > 0.5).group_by("k").agg(col("v").sum()).sort("k")
    lf.collect(device="cpu")
    text = lf.explain(device="cpu")
    for plural in ("1 keys", "1 partitions", "1 ranges", "1 rows", "1 columns"):
        assert plural not in text, text
    assert "1 key " in text or "1 range " in text, text


def test_explain_shows_the_last_collect_only_for_its_device():
    lf = _explain_frame().lazy().filter(col("v") > 0.5).select("k")
    lf.collect(device="cpu")
    assert "ran (last collect):" in lf.explain(device="cpu")
    other = lf.explain(device="opencl")
    assert "ran (last collect):" not in other, other
    assert 'the last collect ran with device "cpu"' in other, other
    assert "cpu:0 (" not in other  # nothing of the CPU run is mixed in


def test_last_report_says_one_in_the_singular():
    # every report line passes through one place (weft__report), so last_report reads as
    # explain does: "1 key", never "1 keys"
    import numpy as np

    df = weft.DataFrame({"k": np.arange(5), "v": np.arange(5.0)})
    df.sort("v")
    report = weft.last_report()
    assert "1 key" in report and "1 keys" not in report, report
