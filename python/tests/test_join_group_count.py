"""Group-join (host/frame/join/join_group.c): an inner or left join grouped by its left join
keys, unique and never null on the left, into lens and counts of right columns (TPC-H Q13's
customers by their number of orders) counts each right row into its left row instead of
listing, ordering and grouping the join's rows. Against Polars with the join and group_by
keeping their order (so row order is checked too): right keys repeating and null, right
values null, empty and one-row sides, int32 left keys with int64 right ones, two keys.
Near misses (a repeated or null left key, a sum, a group key that is not the join key) go
the old way and give the same answer."""

import numpy as np
import polars as pl
import polars.testing as plt
import pytest

import weft

GROUPED = "counted into its left row"


def with_nulls(rng, values, rate):
    return [None if m else x for x, m in zip(values, rng.random(len(values)) < rate)]


def sides(rng, n_left, n_right, key=pl.Int64):
    """left: k unique (shuffled), k2, a; right: k repeating (nulls, some without a left
    row), k2, o and w with nulls."""
    left = pl.DataFrame({
        "k": pl.Series(rng.permutation(n_left).tolist(), dtype=key),
        "k2": pl.Series([0] * n_left, dtype=pl.Int32),
        "a": pl.Series(rng.integers(0, 9, n_left).tolist(), dtype=pl.Int64),
    })
    right = pl.DataFrame({
        "k": pl.Series(with_nulls(rng, rng.integers(0, n_left + n_left // 3 + 1, n_right).tolist(), 0.05),
                       dtype=pl.Int64),
        "k2": pl.Series(rng.integers(0, 2, n_right).tolist(), dtype=pl.Int32),
        "o": pl.Series(with_nulls(rng, rng.integers(0, 10**6, n_right).tolist(), 0.2), dtype=pl.Int64),
        "w": pl.Series(with_nulls(rng, rng.normal(size=n_right).round(3).tolist(), 0.5), dtype=pl.Float64),
    })
    return left, right


def counts(lib):
    c = weft.col if lib is weft else pl.col
    n = weft.len() if lib is weft else pl.len()
    return [c("o").count().alias("no"), n.alias("rows"), c("w").count().alias("nw")]


def query(left, right, how, keys, lib, aggs=counts, by=None):
    by = by or keys
    if lib is weft:
        lf = weft.from_arrow(left.to_arrow()).lazy().join(weft.from_arrow(right.to_arrow()).lazy(),
                                                          on=keys, how=how)
        return lf.group_by(*by).agg(*aggs(weft))
    lf = left.lazy().join(right.lazy(), on=keys, how=how, maintain_order="left")
    return lf.group_by(*by, maintain_order=True).agg(*aggs(pl))


def check(left, right, how, keys, grouped, polars_left=None, **kw):
    lf = query(left, right, how, keys, weft, **kw)
    got = lf.collect().to_polars()
    report = weft.last_report()
    assert (GROUPED in report) == grouped, report
    want = query(left if polars_left is None else polars_left, right, how, keys, pl, **kw).collect()
    plt.assert_frame_equal(got, want, check_dtypes=False)
    return got


@pytest.mark.parametrize("how", ["inner", "left"])
@pytest.mark.parametrize("n_left,n_right", [(0, 0), (0, 5), (1, 0), (1, 7), (50, 400), (3000, 70_001)])
def test_group_count_matches_polars(how, n_left, n_right):
    rng = np.random.default_rng(n_left * 31 + n_right + len(how))
    left, right = sides(rng, n_left, n_right)
    check(left, right, how, ["k"], grouped=True)


@pytest.mark.parametrize("how", ["inner", "left"])
def test_group_count_two_keys_and_int32_left_keys(how):
    rng = np.random.default_rng(4)
    left, right = sides(rng, 500, 6000)
    check(left, right, how, ["k", "k2"], grouped=True)
    left32 = left.with_columns(pl.col("k").cast(pl.Int32))
    got = check(left32, right, how, ["k"], grouped=True, polars_left=left)
    assert got.schema["k"] == pl.Int32  # the left key's own type


@pytest.mark.parametrize("case", ["repeated left key", "null left key", "sum", "other group key"])
def test_group_count_left_out(case):
    rng = np.random.default_rng(8)
    left, right = sides(rng, 400, 5000)
    kw = {}
    if case == "repeated left key":
        left = pl.concat([left, left.head(1)])
    elif case == "null left key":
        left = left.with_columns(pl.when(pl.col("a") == 0).then(None).otherwise(pl.col("k")).alias("k"))
    elif case == "sum":
        kw["aggs"] = lambda lib: [(weft.col if lib is weft else pl.col)("o").sum().alias("so")]
    else:
        kw["by"] = ["a"]
    for how in ("inner", "left"):
        check(left, right, how, ["k"], grouped=False, **kw)
