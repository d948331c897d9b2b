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
