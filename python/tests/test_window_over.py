"""Window expressions, expr.over(keys), against Polars: per-group aggregates broadcast to the
group's rows in select / with_columns / filter, one or several keys, keys with nulls (a group
of their own), expression keys, every aggregation; eager and lazy; empty, one row, many
groups."""

import numpy as np
import polars as pl
import polars.testing as plt
import pytest

import weft
from weft import col


def _frame(rng, n, groups=5):
    v = rng.standard_normal(n)
    v[rng.random(n) < 0.1] = np.nan
    return pl.DataFrame({
        "g": pl.Series(rng.integers(0, groups, n), dtype=pl.Int64)
               .scatter(np.flatnonzero(rng.random(n) < 0.1), None),
        "h": pl.Series([("x", "y", None)[k] for k in rng.integers(0, 3, n)], dtype=pl.Utf8),
        "v": pl.Series(v).scatter(np.flatnonzero(rng.random(n) < 0.1), None),
        "i": pl.Series(rng.integers(-9, 9, n), dtype=pl.Int32)
               .scatter(np.flatnonzero(rng.random(n) < 0.1), None),
    })


def _check(p, fn, **kw):
    want = fn(p.lazy(), pl.col).collect()
    df = weft.from_arrow(p.to_arrow())
    plt.assert_frame_equal(fn(df, col).to_polars(), want, check_dtypes=False, **kw)
    plt.assert_frame_equal(fn(df.lazy(), col).collect().to_polars(), want, check_dtypes=False, **kw)


SIZES = [0, 1, 3, 1000, 5003]


@pytest.mark.parametrize("n", SIZES)
def test_over_one_key(n):
    p = _frame(np.random.default_rng(n), n)
    _check(p, lambda f, c: f.with_columns(
        c("v").mean().over("g").alias("m"), (c("v") / c("v").sum().over("g")).alias("share"),
        c("i").max().over("g").alias("mx"), c("i").min().over("g").alias("mn"),
        c("i").count().over("g").alias("cnt"), c("i").first().over("g").alias("fst"),
        c("i").last().over("g").alias("lst"), c("v").std().over("g").alias("sd"),
        c("i").n_unique().over("g").alias("nu")), rel_tol=1e-9)


@pytest.mark.parametrize("n", SIZES)
def test_over_several_and_null_keys(n):
    p = _frame(np.random.default_rng(50 + n), n)
    _check(p, lambda f, c: f.select(
        "g", "h", c("i").sum().over("g", "h").alias("s"), c("h").max().over("g").alias("hm"),
        (c("i") - c("i").mean().over(["h"])).alias("d"), c("i").sum().over(c("i") % 3).alias("m3"),
        (c("v").sum() - c("v").sum().over("g")).alias("rest")), rel_tol=1e-9)


@pytest.mark.parametrize("n", SIZES)
def test_over_in_filter(n):
    p = _frame(np.random.default_rng(90 + n), n)
    _check(p, lambda f, c: f.filter(c("i") == c("i").max().over("g")))
    _check(p, lambda f, c: f.filter(c("v") > c("v").mean().over("h")).filter(c("g") == 1))


def test_over_of_a_per_row_expression():
    p = _frame(np.random.default_rng(4), 2000)
    _check(p, lambda f, c: f.select((c("v") / c("v").sum()).over("g").alias("x"),
                                    c("i").over("g").alias("same")), rel_tol=1e-9)


def test_many_groups():
    p = _frame(np.random.default_rng(8), 30000, groups=20000)
    _check(p, lambda f, c: f.with_columns(c("v").mean().over("g").alias("m"),
                                          c("i").sum().over("g", "h").alias("s")), rel_tol=1e-9)
