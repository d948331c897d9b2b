"""The join key prefilter (host/frame/join/join_key_filter.c, asked by plan_collect.c): a
filter feeding a join side whose rows without a key on the other side the join drops (either
side of an inner join, the left of a semi or right join, the right of a left join) runs after
the other side and drops those rows before compacting its own. TPC-H Q3's lineitems after
their date filter have this shape.

Every shape is checked against Polars on random tables with nulls (keys: int64 against
int32, two keys, a utf8 key, a float key with NaN and -0.0; empty, one row, several 64k
blocks) and bit for bit, row order included, against the plan run without the prefilter
(WEFT_TEST_NO_JOIN_PREFILTER=1). The report says how many rows the prefilter kept. Near
misses (an anti or full join, the left side of a left join, a shared filter, another side
too large next to the kept rows) leave the filter alone."""

import numpy as np
import polars
import polars.testing as plt
import pytest

import weft
from device_skip import require
from test_subplan_reuse import sorted_frame, with_nulls


def big_frame(rng, n, nkeys):
    return polars.DataFrame({
        "k": polars.Series(with_nulls(rng, rng.integers(0, max(nkeys, 1), n).tolist(), 0.1),
                           dtype=polars.Int64),
        "k2": polars.Series(rng.integers(0, 3, n), dtype=polars.Int32),
        "s": polars.Series(with_nulls(rng, [f"s{i}" for i in rng.integers(0, max(nkeys, 1), n)], 0.1),
                           dtype=polars.Utf8),
        "f": polars.Series(with_nulls(rng, rng.choice([0.0, -0.0, 1.5, float("nan"), 2.25, 7.0],
                                                      n).tolist(), 0.1), dtype=polars.Float64),
        "v": polars.Series(with_nulls(rng, rng.integers(-50, 50, n).tolist(), 0.1), dtype=polars.Int64),
        "x": polars.Series(rng.normal(0, 10, n), dtype=polars.Float64),
    })


def small_frame(rng, n, nkeys):
    return polars.DataFrame({
        "k": polars.Series(with_nulls(rng, rng.integers(0, max(nkeys, 1), n).tolist(), 0.1),
                           dtype=polars.Int32),
        "k2": polars.Series(rng.integers(0, 3, n), dtype=polars.Int32),
        "s": polars.Series(with_nulls(rng, [f"s{i}" for i in rng.integers(0, max(nkeys, 1), n)], 0.1),
                           dtype=polars.Utf8),
        "f": polars.Series(with_nulls(rng, rng.choice([0.0, -0.0, float("nan"), 7.0], n).tolist(), 0.1),
                           dtype=polars.Float64),
        "w": polars.Series(rng.integers(0, 100, n), dtype=polars.Int64),
    })


KEYS = {"int": ["k"], "two": ["k", "k2"], "utf8": ["s"], "float": ["f"]}


def shaped(how, keys):
    """The big side filtered, joined with the (filtered) small side; returns the query."""
    def query(t, pl):
        big = t["big"].filter(pl.col("v") > -40)
        small = t["small"]
        if how in NARROWED:  # else only the big side is a filter: the one not to narrow
            small = small.filter(pl.col("w") >= 10)
        if how == "inner":      # the big filter on the right
            return small.join(big, on=keys)
        if how == "inner mirrored":
            return big.join(small, on=keys)
        if how == "left":       # the big filter on the right of a left join
            return small.join(big, on=keys, how="left")
        if how in ("right", "semi", "anti"):
            return big.join(small, on=keys, how=how)
        if how == "full":
            return big.join(small, on=keys, how="full")
        if how == "left big":   # the left side of a left join keeps every row
            return big.join(small, on=keys, how="left")
        raise ValueError(how)
    return query


NARROWED = ["inner", "inner mirrored", "left", "right", "semi"]
LEFT_ALONE = ["anti", "full", "left big"]


def collect(query, small, big, device="cpu:0"):
    want = query({"small": small.lazy(), "big": big.lazy()}, polars).collect()
    t = {"small": weft.from_arrow(small.to_arrow()).lazy(),
         "big": weft.from_arrow(big.to_arrow()).lazy()}
    lazy = query(t, weft)
    got = lazy.collect(device=device).to_polars()
    return got, weft.last_report(), want, lazy


def check_against_unfiltered(lazy, got, monkeypatch):
    monkeypatch.setenv("WEFT_TEST_NO_JOIN_PREFILTER", "1")
    again = lazy.collect(device="cpu:0").to_polars()
    assert "join key prefilter" not in weft.last_report()
    plt.assert_frame_equal(again, got)  # same rows, same order, same bits
    monkeypatch.delenv("WEFT_TEST_NO_JOIN_PREFILTER")


@pytest.mark.parametrize("how", NARROWED + LEFT_ALONE)
@pytest.mark.parametrize("keys", list(KEYS))
@pytest.mark.parametrize("n_big", [0, 1, 300, 140001])
def test_join_prefilter_matches_polars(how, keys, n_big, monkeypatch):
    rng = np.random.default_rng(n_big * 11 + len(how) * 3 + len(keys))
    big, small = big_frame(rng, n_big, 5000), small_frame(rng, 40, 5000)
    got, report, want, lazy = collect(shaped(how, KEYS[keys]), small, big)
    plt.assert_frame_equal(sorted_frame(got), sorted_frame(want), check_dtypes=False)
    if how in NARROWED and n_big > 1000:
        assert "join key prefilter: " in report and " rows kept, by the keys of the other side's " in report, report
    if how in LEFT_ALONE:
        assert "join key prefilter" not in report, report
    check_against_unfiltered(lazy, got, monkeypatch)


@pytest.mark.parametrize("device", ["cpu:0", "opencl:0"])
def test_the_prefilter_drops_the_rows_the_join_drops(device):
    """On a device too: the filter's mask comes back to the host, where it is narrowed."""
    require(device)
    rng = np.random.default_rng(5)
    big, small = big_frame(rng, 200000, 100000), small_frame(rng, 50, 100000)
    got, report, want, _ = collect(shaped("inner", ["k"]), small, big, device)
    plt.assert_frame_equal(sorted_frame(got), sorted_frame(want), check_dtypes=False)
    kept = [line for line in report.splitlines() if "join key prefilter" in line]
    assert len(kept) == 1, report
    n_kept = int(kept[0].split("prefilter: ")[1].split(" of ")[0])
    assert n_kept < 1000, kept  # about 50 keys of 100k: the 200k rows' matches, no others


def test_a_mostly_matching_side_stops_early_and_still_matches(monkeypatch):
    rng = np.random.default_rng(9)
    big, small = big_frame(rng, 300000, 8), small_frame(rng, 40, 8)  # every key on both sides
    got, report, want, lazy = collect(shaped("inner mirrored", ["k"]), small, big)
    plt.assert_frame_equal(sorted_frame(got), sorted_frame(want), check_dtypes=False)
    assert "(stopped early: most rows matched)" in report, report
    check_against_unfiltered(lazy, got, monkeypatch)


def test_a_large_other_side_is_not_tried():
    rng = np.random.default_rng(3)
    big, small = big_frame(rng, 2000, 500), small_frame(rng, 1000, 500)
    got, report, want, _ = collect(shaped("inner", ["k"]), small, big)
    plt.assert_frame_equal(sorted_frame(got), sorted_frame(want), check_dtypes=False)
    assert "join key prefilter: not tried" in report, report


def test_a_shared_filter_is_left_whole(monkeypatch):
    """A filter used twice runs once for both uses: narrowing it for one would change the other."""
    rng = np.random.default_rng(4)
    big, small = big_frame(rng, 100000, 5000), small_frame(rng, 40, 5000)

    def query(t, pl):
        f = t["big"].filter(pl.col("v") > -40)
        return (f.join(t["small"], on="k").select("k", "v", "w")
                .join(f.select("k", "x"), on="k", how="left"))

    got, report, want, lazy = collect(query, small, big)
    plt.assert_frame_equal(sorted_frame(got), sorted_frame(want), check_dtypes=False)
    assert "reused #1" in report, report
    assert "join key prefilter" not in report, report


@pytest.mark.parametrize("keys", list(KEYS) + ["uint64"])
def test_a_selective_filter_tests_its_kept_rows_one_by_one(keys, monkeypatch):
    """About 1% of the rows kept: a single key's words are read row by row for the kept rows
    only (several or utf8 keys still a run at a time); uint64 keys against int32 ones
    (signed): a word past 2^63 would match nothing."""
    rng = np.random.default_rng(17)
    big, small = big_frame(rng, 200001, 3000), small_frame(rng, 300, 3000)
    on = KEYS.get(keys, ["k"])
    if keys == "uint64":
        big = big.with_columns(polars.col("k").cast(polars.UInt64))

    def query(t, pl):
        return t["small"].join(t["big"].filter(pl.col("v") == 7), on=on)

    got, report, want, lazy = collect(query, small, big)
    plt.assert_frame_equal(sorted_frame(got), sorted_frame(want), check_dtypes=False)
    assert " rows kept, by the keys of the other side's 300 rows" in report, report
    check_against_unfiltered(lazy, got, monkeypatch)
