"""Semi-join reduction of inner, left and right joins (host/plan/plan_semi_reduce.c): a join
that reads only the groups of a group_by whose keys the other side holds (the group_by on
the right of an inner or left join, or on the left of an inner or right join, under filters
and selects that pass the keys through) has the group_by read only the rows of those keys,
when the other side is estimated 10 times smaller than the group_by's input (4096 rows or
more). TPC-H Q20's sums by (part, supplier) have this shape.

Every case is checked against Polars on random tables with nulls (empty, one row, duplicate
keys, int32 keys joined with int64 ones) and bit for bit, row order included, against the
plan without the rewrite (WEFT_TEST_NO_PLAN_REUSE=1 turns it off with the sharing it needs);
explain shows the extra semi join (alone, or fused with the group_by as "join + aggregate") and the shared other side. Near misses (a float sum, a
select that does not pass a key through, a full join, a large other side) keep the plan as
written."""

import numpy as np
import polars
import polars.testing as plt
import pytest

import weft
from test_subplan_reuse import plan_part, random_frame, sorted_frame


def tables(rng, n_small, n_big, small_key=polars.Int64):
    big = random_frame(rng, n_big).with_columns(
        polars.Series("k2", rng.integers(0, 3, n_big), dtype=polars.Int32))
    small = random_frame(rng, n_small).select(
        polars.col("k").cast(small_key), "g",
        polars.Series("k2", rng.integers(0, 3, n_small), dtype=polars.Int32),
        polars.Series("w", rng.integers(0, 100, n_small), dtype=polars.Int64))
    return small, big


def exact_aggs(pl):  # partition-free: order-free ones and an integer sum
    return [pl.col("g").n_unique().alias("n"), pl.col("x").min().alias("lo"),
            pl.col("v").max().alias("hi"), pl.col("v").sum().alias("s"),
            pl.col("v").count().alias("c"), pl.len().alias("rows"),
            (pl.col("v").sum() * 2).alias("s2")]  # split into a group_by and a select over it


def grouped(t, pl, keys, aggs=exact_aggs):
    return (t["big"].group_by(*keys).agg(*aggs(pl))
            .filter(pl.col("rows") >= 1)
            .select(*keys, "n", "lo", "hi", "s", "c", "rows", "s2"))


def shaped(how, keys):
    """A query joining a filtered small side with the grouped big side."""
    def query(t, pl):
        small = t["small"].filter(pl.col("w") >= 0)  # not a bare scan: worth sharing
        g = grouped(t, pl, keys)
        if how in ("inner", "left"):
            return small.join(g, on=keys, how=how)
        return g.join(small, on=keys, how=how.split()[0])  # "inner mirrored", "right"
    return query


def run(query, small, big, polars_small=None):
    want = query({"small": (polars_small if polars_small is not None else small).lazy(),
                  "big": big.lazy()}, polars).collect()
    t = {"small": weft.from_arrow(small.to_arrow()).lazy(),
         "big": weft.from_arrow(big.to_arrow()).lazy()}
    lazy = query(t, weft)
    return lazy.collect().to_polars(), want, lazy


def check_against_unreduced(lazy, got, monkeypatch):
    monkeypatch.setenv("WEFT_TEST_NO_PLAN_REUSE", "1")
    assert plan_part(lazy.explain()).count("semi on") == 0
    plt.assert_frame_equal(lazy.collect().to_polars(), got)  # same rows, same order, same bits
    monkeypatch.delenv("WEFT_TEST_NO_PLAN_REUSE")


@pytest.mark.parametrize("how", ["inner", "left", "inner mirrored", "right"])
@pytest.mark.parametrize("keys", [["k"], ["k", "k2"]])
@pytest.mark.parametrize("n_big", [0, 1, 300, 5000, 20000])
def test_join_reduction_matches_polars(how, keys, n_big, monkeypatch):
    rng = np.random.default_rng(n_big * 7 + len(keys) + len(how))
    small, big = tables(rng, 20, n_big)
    got, want, lazy = run(shaped(how, keys), small, big)
    plt.assert_frame_equal(sorted_frame(got), sorted_frame(want.select(got.columns)),
                           check_dtypes=False)
    text = plan_part(lazy.explain())
    reduced = n_big >= 5000  # 4096 rows or more, the small side 10 times smaller
    assert text.count(f"semi on [{', '.join(keys)}]") == reduced, text
    assert ("reused #1: FILTER" in text) == reduced, text
    check_against_unreduced(lazy, got, monkeypatch)


@pytest.mark.parametrize("n_small", [0, 1])
def test_join_reduction_with_an_empty_or_one_row_side(n_small, monkeypatch):
    rng = np.random.default_rng(n_small)
    small, big = tables(rng, n_small, 8000)
    got, want, lazy = run(shaped("inner", ["k"]), small, big)
    plt.assert_frame_equal(sorted_frame(got), sorted_frame(want), check_dtypes=False)
    assert plan_part(lazy.explain()).count("semi on [k]") == 1
    check_against_unreduced(lazy, got, monkeypatch)


def test_join_reduction_with_duplicate_keys_on_the_small_side(monkeypatch):
    rng = np.random.default_rng(5)
    small, big = tables(rng, 30, 8000)
    small = polars.concat([small, small, small.head(3)])  # every key two or three times
    got, want, lazy = run(shaped("left", ["k"]), small, big)
    plt.assert_frame_equal(sorted_frame(got), sorted_frame(want), check_dtypes=False)
    assert plan_part(lazy.explain()).count("semi on [k]") == 1
    check_against_unreduced(lazy, got, monkeypatch)


@pytest.mark.parametrize("how", ["inner", "inner mirrored"])
def test_join_reduction_int32_keys_with_int64_ones(how, monkeypatch):
    rng = np.random.default_rng(11)
    small, big = tables(rng, 40, 9000, small_key=polars.Int32)
    # Polars joins equal key types only: its side gets int64 keys, the same values
    got, want, lazy = run(shaped(how, ["k"]), small, big,
                          polars_small=small.with_columns(polars.col("k").cast(polars.Int64)))
    plt.assert_frame_equal(sorted_frame(got), sorted_frame(want.select(got.columns)),
                           check_dtypes=False)
    assert plan_part(lazy.explain()).count("semi on [k]") == 1
    check_against_unreduced(lazy, got, monkeypatch)


@pytest.mark.parametrize("case", ["float sum", "key not passed", "full join", "big other side",
                                  "window in select"])
def test_join_reduction_left_out(case):
    rng = np.random.default_rng(3)
    small, big = tables(rng, 2000 if case == "big other side" else 20, 8000)

    def query(t, pl):
        small_side = t["small"].filter(pl.col("w") >= 0)
        if case == "float sum":  # would be added in other partials: other bits
            g = t["big"].group_by("k").agg(pl.col("x").sum().alias("sx"))
        elif case == "key not passed":  # the joined column is computed from the key
            g = t["big"].group_by("k").agg(pl.len().alias("rows")).select(
                (pl.col("k") + 1).alias("k"), "rows")
        elif case == "window in select":  # reads other groups
            g = t["big"].group_by("k").agg(pl.len().alias("rows")).select(
                "k", (pl.col("rows") - pl.col("rows").max()).alias("gap"))
        else:
            g = grouped(t, pl, ["k"])
        how = "full" if case == "full join" else "inner"
        return small_side.join(g, on="k", how=how)

    got, want, lazy = run(query, small, big)
    plt.assert_frame_equal(sorted_frame(got), sorted_frame(want.select(got.columns)),
                           check_dtypes=False)
    assert plan_part(lazy.explain()).count("semi on") == 0, lazy.explain()
