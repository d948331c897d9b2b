"""Aggregations in select (one row, as Polars) and the lazy plan's fused filter +
aggregation, against Polars on random frames with nulls and NaN: empty, one-row, sizes that
are not a multiple of the evaluator's chunk, predicates keeping every row or none. Float
sums and means add in another order when fused, so they compare to a tolerance; integer
sums, counts, len, min and max compare exactly."""

import os
import subprocess
import sys

import numpy as np
import polars as pl
import polars.testing as plt
import pytest

import weft
from weft import col
from weft.errors import InvalidArgumentError

SIZES = [0, 1, 9, 4097, 70001]


def _frame(rng, n, null_rate=0.2):
    def nulls(values):
        mask = rng.random(n) < null_rate
        return [None if m else x for x, m in zip(values, mask)]

    v = rng.normal(size=n)
    v[rng.random(n) < 0.05] = np.nan
    return pl.DataFrame({
        "v": pl.Series(nulls(v.tolist()), dtype=pl.Float64),
        "f": pl.Series(nulls(rng.normal(size=n).astype(np.float32).tolist()), dtype=pl.Float32),
        "i": pl.Series(nulls(rng.integers(-1000, 1000, n).tolist()), dtype=pl.Int64),
        "u": pl.Series(nulls(rng.integers(0, 200, n).tolist()), dtype=pl.UInt8),
        "b": pl.Series(nulls((rng.random(n) < 0.5).tolist()), dtype=pl.Boolean),
    })


def _aggs(c):
    """The same aggregations in weft (c = weft.col) or Polars (c = pl.col)."""
    length = weft.len() if c is col else pl.len()
    return [c("v").sum().alias("v_sum"), c("v").mean().alias("v_mean"),
            c("v").min().alias("v_min"), c("v").max().alias("v_max"),
            c("f").sum().alias("f_sum"), c("i").sum().alias("i_sum"),
            c("i").min().alias("i_min"), c("u").max().alias("u_max"),
            (c("i") * 2 + 1).mean().alias("i_expr"), c("b").sum().alias("b_sum"),
            c("v").count().alias("v_n"), length.alias("rows")]


def _close(w, p):
    w = w.to_polars()
    if "f_sum" in p.columns:
        # weft sums float32 in float64 and rounds once (agg.c), Polars adds in float32
        np.testing.assert_allclose(w["f_sum"].to_numpy(), p["f_sum"].to_numpy(), rtol=1e-5, atol=1e-3)
        w, p = w.drop("f_sum"), p.drop("f_sum")
    plt.assert_frame_equal(w, p, check_exact=False, rel_tol=1e-9, abs_tol=1e-9)


@pytest.mark.parametrize("n", SIZES)
def test_eager_select_aggregates(rng, n):
    p = _frame(rng, n)
    _close(weft.from_arrow(p).select(_aggs(col)), p.select(_aggs(pl.col)))
    plt.assert_frame_equal(weft.from_arrow(p).select(col("v").sum(), col("i").mean().alias("m")).to_polars(),
                           p.select(pl.col("v").sum(), pl.col("i").mean().alias("m")),
                           check_exact=False, rel_tol=1e-9)


PREDICATES = {
    "some": (lambda c: c("v") > 0.3),
    "all": (lambda c: c("i").is_null() | (c("i") > -5000)),
    "none": (lambda c: c("i") > 5000),
    "nulls": (lambda c: c("b")),  # null counts as false
    "two": (lambda c: (c("v") < 1.0) & (c("u") >= 50)),
}


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("pred", sorted(PREDICATES))
def test_lazy_filter_aggregate_fused(rng, n, pred):
    p = _frame(rng, n)
    make = PREDICATES[pred]
    lf = weft.from_arrow(p).lazy().filter(make(col)).select(_aggs(col))
    assert "filter + aggregate (fused)" in lf.explain()
    out = lf.collect()
    _close(out, p.lazy().filter(make(pl.col)).select(_aggs(pl.col)).collect())
    # the unfused path (filter built, then a group_by without keys): exact but for float sums
    eager = weft.from_arrow(p).filter(make(col)).group_by([]).agg(_aggs(col)).to_polars()
    got = out.to_polars()
    for name in got.columns:
        if name in ("v_sum", "v_mean", "f_sum", "i_expr"):
            np.testing.assert_allclose(got[name].to_numpy(), eager[name].to_numpy(), rtol=1e-12)
        else:
            plt.assert_series_equal(got[name], eager[name])
    # group_by([]) over a filter fuses the same way
    lg = weft.from_arrow(p).lazy().filter(make(col)).group_by([]).agg(_aggs(col))
    assert "filter + aggregate (fused)" in lg.explain()
    plt.assert_frame_equal(lg.collect().to_polars(), got)


def test_fused_report_and_fallback(rng):
    p = _frame(rng, 3000)
    lf = weft.from_arrow(p).lazy().filter(col("v") > 0).select(col("v").sum())
    text = lf.explain()
    assert text.splitlines()[0].startswith("filter + aggregate (fused)")
    assert "FILTER" not in text.upper().replace("FILTER + AGGREGATE", "")
    lf.collect()
    assert "rows kept" in weft.last_report()
    # n_unique (and a cast in an aggregated input) are not fused: filter, then group_by
    for agg in (col("i").n_unique(), col("i").cast("float64").sum()):
        lf = weft.from_arrow(p).lazy().filter(col("v") > 0).select(agg)
        assert "fused" not in lf.explain()
    plt.assert_frame_equal(
        weft.from_arrow(p).lazy().filter(col("v") > 0).select(col("i").n_unique()).collect().to_polars(),
        p.lazy().filter(pl.col("v") > 0).select(pl.col("i").n_unique().cast(pl.UInt32)).collect())


def test_aggregates_beside_columns_broadcast(rng):
    p = _frame(rng, 10)
    df = weft.from_arrow(p)
    want = p.select(pl.col("v").sum(), "i")
    plt.assert_frame_equal(df.select(col("v").sum(), "i").to_polars(), want, check_dtypes=False)
    want = p.select(pl.col("i") * 2, pl.col("v").mean())
    plt.assert_frame_equal(df.lazy().select((col("i") * 2), col("v").mean()).collect().to_polars(),
                           want, check_dtypes=False)


def test_fused_result_independent_of_threads(tmp_path):
    code = ("import numpy as np, weft\nfrom weft import col\n"
            "v = np.random.default_rng(5).random(1_000_003)\n"
            "o = weft.DataFrame({'v': v}).lazy().filter(col('v') > 0.25)"
            ".select(col('v').sum(), col('v').mean().alias('m')).collect().to_polars()\n"
            "print(o['v'][0].hex(), o['m'][0].hex())\n")
    outs = set()
    for threads in ("1", "2", "3"):
        env = dict(os.environ, WEFT_NUM_THREADS=threads)
        r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
        outs.add(r.stdout)
    assert len(outs) == 1, outs
