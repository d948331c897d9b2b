"""Aggregations inside expressions against Polars: arithmetic on aggregates in agg() and in
select() (one row), aggregates broadcast beside per-row columns in select / with_columns /
filter, group_by and sort by expressions; eager and lazy, on random data with nulls and NaN,
empty frames, one row and many groups."""

import numpy as np
import polars as pl
import polars.testing as plt
import pytest

import weft
from weft import col
from weft.errors import InvalidArgumentError


def _frame(rng, n, groups=7):
    v = rng.standard_normal(n)
    v[rng.random(n) < 0.1] = np.nan
    g = rng.integers(0, groups, n)
    i = rng.integers(-50, 50, n)
    return pl.DataFrame({
        "g": pl.Series(g, dtype=pl.Int64).scatter(np.flatnonzero(rng.random(n) < 0.1), None),
        "v": pl.Series(v).scatter(np.flatnonzero(rng.random(n) < 0.1), None),
        "i": pl.Series(i, dtype=pl.Int32).scatter(np.flatnonzero(rng.random(n) < 0.1), None),
        "w": pl.Series(rng.random(n)),
    })


SIZES = [0, 1, 2, 1000, 4099]


def _both(p, fn):
    """fn(frame, col) for Polars and weft (eager and lazy), the weft results as Polars."""
    want = fn(p.lazy(), pl.col).collect()
    df = weft.from_arrow(p.to_arrow())
    eager = fn(df, col).to_polars()
    lazy = fn(df.lazy(), col).collect().to_polars()
    return want, eager, lazy


def _check(p, fn, **kw):
    want, eager, lazy = _both(p, fn)
    plt.assert_frame_equal(eager, want, check_dtypes=False, **kw)
    plt.assert_frame_equal(lazy, want, check_dtypes=False, **kw)


@pytest.mark.parametrize("n", SIZES)
def test_arithmetic_on_aggregates_in_agg(n):
    p = _frame(np.random.default_rng(n), n)
    _check(p, lambda f, c: f.group_by("g", maintain_order=True).agg(
        (c("v").sum() * 0.0001).alias("s"),
        (c("w").sum() / c("i").sum()).alias("r"),
        ((c("w") * c("i")).sum() / c("i").count()).alias("m"),
        c("i").max().alias("mx"),
        (c("i").max() - c("i").min()).alias("span"),
        pl.len() if c is pl.col else weft.len()), rel_tol=1e-9)


@pytest.mark.parametrize("n", SIZES)
def test_select_of_aggregates_gives_one_row(n):
    p = _frame(np.random.default_rng(10 + n), n)
    _check(p, lambda f, c: f.select(
        (c("w").sum() * 2).alias("s2"), (c("w").mean() + c("i").max()).alias("x"),
        c("i").count().alias("cnt"), (c("i").sum() / c("w").count()).alias("q")), rel_tol=1e-9)


@pytest.mark.parametrize("n", SIZES)
def test_aggregates_broadcast_beside_rows(n):
    p = _frame(np.random.default_rng(20 + n), n)
    _check(p, lambda f, c: f.select(c("i"), c("i").sum().alias("s"),
                                     (c("w") - c("w").mean()).alias("d")), rel_tol=1e-9)
    _check(p, lambda f, c: f.with_columns((c("w") - c("w").mean()).alias("d"),
                                          (c("i") * c("i").max()).alias("m")), rel_tol=1e-9)
    _check(p, lambda f, c: f.filter(c("w") == c("w").max()))
    _check(p, lambda f, c: f.filter(c("i") > c("i").mean()))
    _check(p, lambda f, c: f.filter((c("w") > 0.3) & (c("w") < c("w").mean())))


def test_filter_with_aggregate_is_not_pushed_down():
    p = _frame(np.random.default_rng(3), 3000)
    # a filter above must not move below the aggregate's filter (the mean sees every row)
    _check(p, lambda f, c: f.filter(c("w") < c("w").mean()).filter(c("g") == 1))
    _check(p, lambda f, c: f.filter(c("g") == 1).filter(c("w") < c("w").mean()))
    _check(p, lambda f, c: f.with_columns((c("w") - c("w").mean()).alias("d")).filter(c("g") == 2))


@pytest.mark.parametrize("n", SIZES)
def test_group_by_expressions(n):
    p = _frame(np.random.default_rng(30 + n), n)
    _check(p, lambda f, c: f.group_by((c("i") % 2).alias("odd"), maintain_order=True).agg(
        c("w").sum(), c("i").count().alias("k")), rel_tol=1e-9)
    # the key's name is a column the aggregation reads: the column's own values are summed
    _check(p, lambda f, c: f.group_by((c("g") * 2).alias("g2"), "g", maintain_order=True)
           .agg(c("i").sum()))
    _check(p, lambda f, c: f.group_by((c("i") > 0).alias("i"), maintain_order=True)
           .agg(c("w").max()))


def test_group_by_date_expression():
    import datetime
    rng = np.random.default_rng(12)
    days = rng.integers(0, 4000, 3000)
    d = pl.Series("d", [datetime.date(1992, 1, 1) + datetime.timedelta(days=int(k)) for k in days])
    p = pl.DataFrame({"d": d, "v": rng.random(3000)})
    # a key computed from the dates (weekday number: days since 1970 modulo 7)
    _check(p, lambda f, c: f.group_by((c("d").cast(pl.Int32 if c is pl.col else "int32") % 7)
                                      .alias("dow"), maintain_order=True)
           .agg(c("v").sum(), c("d").max().alias("last")), rel_tol=1e-9)


@pytest.mark.parametrize("n", SIZES)
def test_sort_by_expressions(n):
    p = _frame(np.random.default_rng(40 + n), n).with_row_index("r")
    want = p.sort(-pl.col("i"), "r", nulls_last=True)
    df = weft.from_arrow(p.to_arrow())
    plt.assert_frame_equal(df.sort([-col("i"), "r"], nulls_last=True).to_polars(), want, check_dtypes=False)
    lazy = df.lazy().sort(-col("i"), "r", nulls_last=True).collect().to_polars()
    plt.assert_frame_equal(lazy, want, check_dtypes=False)
    want = p.sort("g", -pl.col("i"), nulls_last=True)
    plt.assert_frame_equal(df.sort(["g", -col("i")], nulls_last=True).to_polars(), want, check_dtypes=False)
    lazy = df.lazy().sort("g", -col("i"), nulls_last=True).collect().to_polars()
    plt.assert_frame_equal(lazy, want, check_dtypes=False)


def test_many_groups():
    rng = np.random.default_rng(7)
    p = _frame(rng, 20000, groups=5000)
    _check(p, lambda f, c: f.group_by("g", maintain_order=True).agg(
        (c("w").sum() / c("w").count()).alias("m"), (c("i").max() - c("i").min()).alias("r")),
        rel_tol=1e-9)


def test_aggexpr_api_kept():
    a = col("v").sum().alias("s")
    assert isinstance(a, weft.AggExpr) and isinstance(a, weft.Expr)
    assert a.name == "s" and str(a.input) == 'col("v")'
    assert str(col("v").sum() * 2) == '[(col("v").sum()) * (2)]'
    df = weft.DataFrame({"k": [1, 1, 2], "v": [1.0, 2.0, 3.0]})
    assert df.group_by("k").agg(a).to_polars()["s"].to_list() == [3.0, 3.0]


def test_errors_name_the_expression():
    df = weft.DataFrame({"k": [1, 1, 2], "v": [1.0, 2.0, 3.0]})
    with pytest.raises(InvalidArgumentError, match=r'col\("v"\) is read per row.*col\("v"\)\.sum\(\)'):
        df.group_by("k").agg(col("v") + col("v").sum())
    with pytest.raises(InvalidArgumentError, match=r"aggregations of aggregations"):
        df.select(col("v").sum().max())
    with pytest.raises(InvalidArgumentError, match=r"\.over\(\) is for select"):
        df.group_by("k").agg(col("v").sum().over("k"))
    with pytest.raises(InvalidArgumentError, match=r'col\("v"\)\.sum\(\) is an aggregation, one value'):
        df.sort(col("v").sum())
    with pytest.raises(InvalidArgumentError, match=r"is an aggregation, one value"):
        df.lazy().sort("k", col("v").sum() * 2)
    with pytest.raises(InvalidArgumentError, match=r"window key"):
        df.select(col("v").sum().over(col("k").sum()))
    with pytest.raises(InvalidArgumentError, match=r"appears twice"):
        df.select(col("v"), col("v").sum())
