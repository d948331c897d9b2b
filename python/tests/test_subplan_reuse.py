"""Shared sub-plans (host/plan/plan_reuse.c): a LazyFrame used in two places of one query runs
once per collect, and its result goes to every use.

Each query is written once against a module `pl` (Polars or weft, as the TPC-H queries are)
and run on random tables with nulls: a frame joined with itself, two filters of one frame
joined back, a group_by of a filtered frame semi-joined to it (TPC-H Q21), an aggregate of a
frame cross-joined to it (Q22), uses that read different columns (Q17), equal copies built
twice. The answers must equal Polars'; the report must show the shared sub-plan ran once
(and twice with WEFT_TEST_NO_PLAN_REUSE=1, the test-only switch that turns sharing off, so
the count is not vacuous). Sub-trees that differ only in a literal, a column, the rows of
the source or the source table are never merged. weft's LazyFrame has no concat, so no
case uses one."""

import numpy as np
import polars
import polars.testing as plt
import pytest

import weft
from device_skip import require


def with_nulls(rng, values, rate):
    return [None if m else v for v, m in zip(values, rng.random(len(values)) < rate)]


def random_frame(rng, n):
    return polars.DataFrame({
        "k": polars.Series(with_nulls(rng, rng.integers(0, max(n // 4, 1), n).tolist(), 0.1),
                           dtype=polars.Int64),
        "g": polars.Series(with_nulls(rng, rng.choice(["a", "bb", "c", "dddddddddd"], n).tolist(), 0.1),
                           dtype=polars.Utf8),
        "v": polars.Series(with_nulls(rng, rng.integers(-50, 50, n).tolist(), 0.1), dtype=polars.Int64),
        "x": polars.Series(with_nulls(rng, rng.normal(0, 10, n).round(3).tolist(), 0.1),
                           dtype=polars.Float64),
    })


def self_join(t, pl):
    f = t.filter(pl.col("v") > -20).with_columns((pl.col("v") * 2).alias("w"))
    return f.join(f, on="k").select("k", "v", "w", "x", "v_right", "g_right")


def filters_joined_back(t, pl):
    base = t.with_columns((pl.col("x") + pl.col("v")).alias("s"))
    hi = base.filter(pl.col("s") > 0).select("k", "s", "g")
    lo = base.filter(pl.col("s") <= 0).select("k", pl.col("s").alias("s_lo"))
    return hi.join(lo, on="k", how="left")


def semi_of_own_group_by(t, pl):  # TPC-H Q21's shape
    late = t.filter(pl.col("x") > pl.col("v"))
    alone = late.group_by("k").agg(pl.col("g").n_unique().alias("n")).filter(pl.col("n") == 1)
    return late.join(alone, on="k", how="semi").select("k", "g", "v")


def cross_with_own_aggregate(t, pl):  # TPC-H Q22's shape
    base = t.filter(pl.col("g").is_in(["a", "bb"])).select("k", "x")
    mean = base.select(pl.col("x").mean().alias("m"))
    return base.join(mean, how="cross").filter(pl.col("x") > pl.col("m")).select("k", "x")


def uses_reading_other_columns(t, pl):  # TPC-H Q17's shape: one use reads x, the other v too
    lines = t.filter(pl.col("g") != "c").join(t.select("k", pl.col("v").alias("v2")), on="k")
    avg = lines.group_by("k").agg(pl.col("x").mean().alias("m"))
    return (avg.join(lines, on="k").filter(pl.col("x") < pl.col("m"))
            .select(pl.col("v2").sum().alias("s"), pl.len().alias("n")))


def copies_built_twice(t, pl):
    def make():
        return t.filter(pl.col("v") >= 0).select("k", (pl.col("x") * 2).alias("x2"))
    return make().join(make(), on="k", how="anti")


QUERIES = [self_join, filters_joined_back, semi_of_own_group_by, cross_with_own_aggregate,
           uses_reading_other_columns, copies_built_twice]


def sorted_frame(df):
    return df.sort(df.columns, nulls_last=True)


def run_both(query, frame, device):
    want = query(frame.lazy(), polars).collect()
    lazy = query(weft.from_arrow(frame.to_arrow()).lazy(), weft)
    got = lazy.collect(device=device).to_polars()
    return got, want, lazy


@pytest.mark.parametrize("device", ["cpu:0", "opencl:0"])
@pytest.mark.parametrize("query", QUERIES, ids=lambda q: q.__name__)
@pytest.mark.parametrize("n", [0, 1, 37, 1500])
def test_shared_sub_plans_match_polars(query, n, device):
    require(device)
    frame = random_frame(np.random.default_rng(n * 7 + len(query.__name__)), n)
    got, want, lazy = run_both(query, frame, device)
    plt.assert_frame_equal(sorted_frame(got), sorted_frame(want), check_dtypes=False)
    report = weft.last_report()
    assert "reused #1: " in report, report
    assert "(shared #1: runs once, 2 uses)" in lazy.explain(device=device)


def operator_lines(report, start):
    """The report's operator lines (not indented) that ran `start` (a reuse runs nothing)."""
    return [line for line in report.splitlines() if line.startswith(start)]


@pytest.mark.parametrize("device", ["cpu:0", "opencl:0"])
def test_shared_filter_runs_once(device, monkeypatch):
    require(device)
    frame = random_frame(np.random.default_rng(5), 3000)
    got, want, lazy = run_both(semi_of_own_group_by, frame, device)
    plt.assert_frame_equal(sorted_frame(got), sorted_frame(want), check_dtypes=False)
    report = weft.last_report()
    predicate = 'FILTER [(col("x")) > (col("v"))]'
    assert len(operator_lines(report, predicate)) == 1, report
    assert len(operator_lines(report, "reused #1: " + predicate)) == 1, report
    # the count above is the sharing's doing: with it off, the filter runs twice
    monkeypatch.setenv("WEFT_TEST_NO_PLAN_REUSE", "1")
    again = lazy.collect(device=device).to_polars()
    plt.assert_frame_equal(again, got)
    report = weft.last_report()
    assert len(operator_lines(report, predicate)) == 2, report
    assert "reused" not in report and "shared #" not in lazy.explain(device=device)


def test_explain_marks_first_use_and_later_uses():
    frame = random_frame(np.random.default_rng(1), 200)
    lazy = self_join(weft.from_arrow(frame.to_arrow()).lazy(), weft)
    lines = lazy.explain().splitlines()
    first = [i for i, line in enumerate(lines) if "(shared #1: runs once, 2 uses)" in line]
    later = [i for i, line in enumerate(lines) if line.lstrip().startswith("reused #1: WITH_COLUMNS")]
    assert len(first) == 1 and len(later) == 1, "\n".join(lines)
    assert first[0] < later[0]
    # the later use is one line: nothing under it
    depth = len(lines[later[0]]) - len(lines[later[0]].lstrip())
    following = lines[later[0] + 1] if later[0] + 1 < len(lines) else ""
    assert not following.strip() or len(following) - len(following.lstrip()) <= depth


def test_two_lazy_of_one_frame_share_scans_and_what_is_above():
    frame = random_frame(np.random.default_rng(2), 500)
    df = weft.from_arrow(frame.to_arrow())
    a = df.lazy().filter(weft.col("v") > 0)
    b = df.lazy().filter(weft.col("v") > 0)
    q = a.join(b, on="k", how="semi")
    assert "reused #1: FILTER" in q.explain()
    want = frame.lazy().filter(polars.col("v") > 0).join(
        frame.lazy().filter(polars.col("v") > 0), on="k", how="semi").collect()
    plt.assert_frame_equal(q.collect().to_polars(), want)


def near_pairs(df, other_df):
    """Pairs of sub-plans equal but for one thing: none may be merged."""
    c = weft.col
    lf, other = df.lazy(), other_df.lazy()
    return {
        "literal": (lf.filter(c("v") > 1), lf.filter(c("v") > 2)),
        "literal type": (lf.filter(c("v") > 1), lf.filter(c("v") > 1.0)),
        "column": (lf.filter(c("v") > 1), lf.filter(c("x") > 1)),
        "operator": (lf.filter(c("v") > 1), lf.filter(c("v") >= 1)),
        "is_in values": (lf.filter(c("g").is_in(["a", "bb"])), lf.filter(c("g").is_in(["a", "c"]))),
        "string op": (lf.filter(c("g").str.starts_with("b")), lf.filter(c("g").str.ends_with("b"))),
        "alias": (lf.select("k", c("v").alias("w")), lf.select("k", c("v").alias("u")).rename({"u": "w"})),
        "source table": (lf.filter(c("v") > 1), other.filter(c("v") > 1)),
        "source rows": (lf.filter(c("v") > 1), df.slice(1, 400).lazy().filter(c("v") > 1)),
        "sort order": (lf.sort("v").head(50), lf.sort("v", descending=True).head(50)),
        "group keys": (lf.group_by("k").agg(c("v").sum()), lf.group_by("k", "g").agg(c("v").sum()).select("k", "v")),
        "aggregation": (lf.group_by("k").agg(c("v").sum()), lf.group_by("k").agg(c("v").max())),
    }


NEAR_CASES = ["literal", "literal type", "column", "operator", "is_in values", "string op", "alias",
              "source table", "source rows", "sort order", "group keys",
              "aggregation"]


@pytest.mark.parametrize("case", NEAR_CASES)
def test_near_equal_sub_plans_are_not_merged(case):
    frame = random_frame(np.random.default_rng(3), 600)
    df = weft.from_arrow(frame.to_arrow())
    other = weft.from_arrow(frame.to_arrow())  # the same values in other buffers
    a, b = near_pairs(df, other)[case]
    q = a.join(b, on="k", how="anti")
    text = q.explain()
    assert "shared #" not in text and "reused" not in text, text
    got = q.collect().to_polars()
    want = a.collect().to_polars().join(b.collect().to_polars(), on="k", how="anti")
    plt.assert_frame_equal(sorted_frame(got), sorted_frame(want))
    assert "reused" not in weft.last_report()


# ---------------------------------------------------------------- semi-join reduction
# (host/plan/plan_semi_reduce.c) A semi or anti join of a small left side with a group_by by
# its keys has the group_by read only the rows of the left side's keys (the left side is
# then a shared sub-plan). Same answer as Polars, and bit for bit the answer without it.

def small_and_big(rng, n_small, n_big):
    big = random_frame(rng, n_big).with_columns(
        polars.Series("k2", rng.integers(0, 3, n_big), dtype=polars.Int32))
    small = random_frame(rng, n_small).select(
        "k", "g", polars.Series("k2", rng.integers(0, 3, n_small), dtype=polars.Int32))
    return small, big


def reduced_query(how, keys, aggs, having):
    def query(t, pl):
        grouped = t["big"].group_by(*keys).agg(*aggs(pl))
        if having is not None:
            grouped = grouped.filter(having(pl))
        # a filter (not a bare scan) on the left: a sub-plan worth sharing
        return t["small"].filter(pl.col("k2") >= 0).join(grouped, on=keys, how=how)
    return query


ORDER_FREE_AGGS = lambda pl: [pl.col("g").n_unique().alias("n"), pl.col("x").min().alias("lo"),  # noqa: E731
                              pl.col("v").max().alias("hi"), pl.col("x").first().alias("f"),
                              pl.col("g").last().alias("l"), pl.col("v").count().alias("c"),
                              pl.len().alias("rows")]


def plan_part(explain):
    """The optimized plan of an explain, without what the last collect ran."""
    return explain.split("ran (last collect)")[0]


def collect_pair(query, small, big, device="cpu:0"):
    want = query({"small": small.lazy(), "big": big.lazy()}, polars).collect()
    t = {"small": weft.from_arrow(small.to_arrow()).lazy(), "big": weft.from_arrow(big.to_arrow()).lazy()}
    lazy = query(t, weft)
    return lazy.collect(device=device).to_polars(), want, lazy


@pytest.mark.parametrize("device", ["cpu:0", "opencl:0"])
@pytest.mark.parametrize("how", ["semi", "anti"])
@pytest.mark.parametrize("keys", [["k"], ["k", "k2"]])
@pytest.mark.parametrize("n_big", [0, 1, 300, 5000, 20000])
def test_semi_reduction_matches_polars(how, keys, n_big, device, monkeypatch):
    require(device)
    rng = np.random.default_rng(n_big + len(keys) + (how == "anti"))
    small, big = small_and_big(rng, 20, n_big)
    query = reduced_query(how, keys, ORDER_FREE_AGGS, lambda pl: pl.col("n") >= 1)
    got, want, lazy = collect_pair(query, small, big, device)
    # Polars' semi join does not keep the left order here; weft's does (checked below)
    plt.assert_frame_equal(sorted_frame(got), sorted_frame(want), check_dtypes=False)
    text = plan_part(lazy.explain(device=device))
    reduced = n_big >= 5000  # the input is 4096 rows or more, the left side 10 times smaller
    assert text.count(f"JOIN semi on [{', '.join(keys)}]") == (how == "semi") + reduced, text
    assert ("reused #1: FILTER" in text) == reduced, text
    monkeypatch.setenv("WEFT_TEST_NO_PLAN_REUSE", "1")  # no reduction: the same bits
    assert plan_part(lazy.explain(device=device)).count("JOIN semi") == (how == "semi")
    plt.assert_frame_equal(lazy.collect(device=device).to_polars(), got)


@pytest.mark.parametrize("case", ["sum", "window filter", "big left side", "not the group key"])
def test_semi_reduction_left_out(case):
    rng = np.random.default_rng(9)
    small, big = small_and_big(rng, 20 if case != "big left side" else 1000, 6000)
    keys, having = ["k"], None
    aggs = ORDER_FREE_AGGS
    if case == "sum":  # a float sum would be added in other partials
        aggs = lambda pl: [pl.col("x").sum().alias("s")]  # noqa: E731
    if case == "window filter":  # reads every group
        having = lambda pl: pl.col("rows") == pl.col("rows").max()  # noqa: E731

    def query(t, pl):
        grouped = t["big"].group_by("k", "k2").agg(*aggs(pl))
        if having is not None:
            grouped = grouped.filter(having(pl))
        if case == "not the group key":  # joined on a column that is not a group key
            return t["small"].join(grouped.select(pl.col("rows").alias("k")), on="k", how="semi")
        return t["small"].join(grouped, on=keys, how="semi")

    got, want, lazy = collect_pair(query, small, big)
    plt.assert_frame_equal(sorted_frame(got), sorted_frame(want), check_dtypes=False)
    assert plan_part(lazy.explain()).count("JOIN semi") == 1, lazy.explain()
