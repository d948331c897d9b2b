"""Constant subexpressions (a cast literal, arithmetic on literals, a cast null) are computed
once per evaluation and spread over every chunk: checked against Polars over many chunks
(10,007 rows: chunks of 4,096 and a partial one), in select, with_columns and filter (eager
and lazy), where a parent converts the constant's lane in place every chunk."""

import datetime

import numpy as np
import polars as pl
import pytest

import weft
import weft.expr as expr

col, lit = expr.col, expr.lit
N = 10_007


@pytest.fixture(scope="module")
def frames():
    rng = np.random.default_rng(11)
    d = rng.integers(9000, 10000, N)
    v = rng.standard_normal(N)
    i = rng.integers(-50, 50, N)
    mask = rng.random(N) < 0.1
    frame = pl.DataFrame({
        "d": pl.Series(d, dtype=pl.Int32).cast(pl.Date),
        "v": pl.Series([None if m else x for x, m in zip(v.tolist(), mask)], dtype=pl.Float64),
        "i": i,
    })
    return frame, weft.from_arrow(frame.to_arrow())


def pairs():
    day = datetime.date(1995, 3, 15)
    days = (day - datetime.date(1970, 1, 1)).days
    return [
        (col("d") < lit(days).cast("date"), pl.col("d") < pl.lit(days).cast(pl.Date)),
        (col("d") >= lit(day), pl.col("d") >= pl.lit(day)),
        ((lit(1) - col("v")) * col("i"), (pl.lit(1) - pl.col("v")) * pl.col("i")),
        ((lit(2) * lit(3)).cast("float64") + col("v"), (pl.lit(2) * pl.lit(3)).cast(pl.Float64) + pl.col("v")),
        (col("i") * lit(3).cast("float32"), pl.col("i") * pl.lit(3).cast(pl.Float32)),
        (col("v").fill_null(lit(7).cast("float64") / lit(2)),
         pl.col("v").fill_null(pl.lit(7).cast(pl.Float64) / pl.lit(2))),
        (col("i") + lit(None).cast("int64"), pl.col("i") + pl.lit(None).cast(pl.Int64)),
        (lit(5) > lit(4).cast("int32"), pl.lit(5) > pl.lit(4).cast(pl.Int32)),
        # an int64 constant that its parent converts to float in place, every chunk
        ((lit(2) * lit(3)) + col("v"), (pl.lit(2) * pl.lit(3)) + pl.col("v")),
        (col("v") / (lit(10) - lit(4)), pl.col("v") / (pl.lit(10) - pl.lit(4))),
    ]


@pytest.mark.parametrize("k", range(10))
def test_constant_subexpression_matches_polars(frames, k):
    frame, df = frames
    ours, theirs = pairs()[k]
    got = df.with_columns(ours.alias("x")).to_polars()
    want = frame.with_columns(theirs.alias("x"))
    if want["x"].dtype == pl.Boolean and len(want["x"].drop_nulls()):
        assert got["x"].to_list() == want["x"].to_list()
        kept = df.filter(ours).to_polars()
        assert kept.to_dicts() == frame.filter(theirs).to_dicts()
        lazy = df.lazy().filter(ours).collect().to_polars()
        assert lazy.to_dicts() == frame.filter(theirs).to_dicts()
    else:
        a, b = got["x"].to_list(), want["x"].to_list()
        assert len(a) == len(b) == N
        assert all((x is None and y is None) or (x is not None and y is not None and abs(x - y) <= 1e-9 * max(1, abs(y)))
                   for x, y in zip(a, b))
