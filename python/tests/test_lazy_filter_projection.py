"""Projection pushdown through a filter: a column that only the predicate reads is dropped
by the filter (explain shows `keeps [...]`) rather than compacted and carried up. Results
checked against Polars' lazy plans: under select, group_by, join (a suffix that the dropped
column could change), sort, a count of rows, and several filters in a row."""

import numpy as np
import polars as pl
import pytest

import weft

col = weft.col


@pytest.fixture(scope="module")
def frames():
    rng = np.random.default_rng(3)
    n = 20_011
    words = np.array(["special requests", "plain", "special", "requests", ""])
    left = pl.DataFrame({
        "k": rng.integers(0, 500, n),
        "c": words[rng.integers(0, len(words), n)],
        "v": rng.standard_normal(n),
        "w": rng.integers(-5, 5, n),
    })
    right = pl.DataFrame({"k": np.arange(500), "c": [f"r{i}" for i in range(500)]})
    return left, right, weft.from_arrow(left.to_arrow()), weft.from_arrow(right.to_arrow())


def same(ours, theirs, sort_by):
    got = ours.collect().to_polars().sort(sort_by)
    want = theirs.collect().sort(sort_by)
    assert got.columns == want.columns
    assert got.to_dicts() == want.to_dicts()


def test_select_after_filter_drops_the_predicate_column(frames):
    left, _, wl, _ = frames
    q = wl.lazy().filter(col("c") == "plain").select("k", "v")
    assert "keeps [k, v]" in q.explain()
    same(q, left.lazy().filter(pl.col("c") == "plain").select("k", "v"), ["k", "v"])


def test_group_by_after_two_filters(frames):
    left, _, wl, _ = frames
    q = (wl.lazy().filter(col("c") != "").filter(col("w") > 0)
         .with_columns((col("v") * 2).alias("x")).group_by("k").agg(col("x").sum()))
    t = (left.lazy().filter(pl.col("c") != "").filter(pl.col("w") > 0)
         .with_columns((pl.col("v") * 2).alias("x")).group_by("k").agg(pl.col("x").sum()))
    got = q.collect().to_polars().sort("k")
    want = t.collect().sort("k")
    assert got["k"].to_list() == want["k"].to_list()
    assert np.allclose(got["x"].to_numpy(), want["x"].to_numpy())


def test_join_suffix_kept_when_the_left_column_is_filtered_on(frames):
    left, right, wl, wr = frames
    q = wl.lazy().filter(col("c") == "special").join(wr.lazy(), on="k").select("k", "c_right", "v")
    t = left.lazy().filter(pl.col("c") == "special").join(right.lazy(), on="k").select("k", "c_right", "v")
    same(q, t, ["k", "v"])


def test_count_and_sort_after_filter(frames):
    left, _, wl, _ = frames
    q = wl.lazy().filter(col("c") == "requests").select(weft.len())
    assert q.collect().to_polars()["len"][0] == left.filter(pl.col("c") == "requests").height
    q = wl.lazy().filter(col("c") == "requests").sort("v").select("v")
    t = left.lazy().filter(pl.col("c") == "requests").sort("v").select("v")
    assert q.collect().to_polars()["v"].to_list() == t.collect()["v"].to_list()


def test_filter_keeps_every_column_when_all_are_needed(frames):
    left, _, wl, _ = frames
    q = wl.lazy().filter(col("c") == "plain")
    assert "keeps" not in q.explain()
    same(q, left.lazy().filter(pl.col("c") == "plain"), ["k", "v"])
