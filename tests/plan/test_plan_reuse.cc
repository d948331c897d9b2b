// Shared sub-plans (host/plan/plan_reuse.c): one node under two parents, or two equal copies,
// runs once per collect (explain and the report say "shared #N" at the first use and
// "reused #N" at the others), and the answer equals the one with sharing off
// (WEFT_TEST_NO_PLAN_REUSE=1, the test-only switch) cell for cell. Copies that differ in a
// literal, a column or the source table are not merged.
#include <cstdlib>

#include "plan_helpers.h"

using namespace pl;

namespace {

Plan p_filter(const Plan &in, const Expr &pred) {
  weft_plan *p = nullptr;
  weft_status st = weft_plan_filter(in.get(), pred.get(), &p);
  return own_plan(st, p);
}

Plan p_join(const Plan &l, const Plan &r, weft_join_kind how) {
  const char *keys[] = {"k"};
  weft_plan *p = nullptr;
  weft_status st = weft_plan_join(l.get(), r.get(), 1, keys, keys, how, nullptr, &p);
  return own_plan(st, p);
}

Plan p_group(const Plan &in, const Expr &v, weft_agg_kind kind) {
  const char *keys[] = {"k"};
  weft_agg aggs[] = {{kind, v.get(), "v_agg"}, {WEFT_AGG_LEN, nullptr, "n"}};
  weft_plan *p = nullptr;
  weft_status st = weft_plan_group_by(in.get(), 1, keys, 2, aggs, &p);
  return own_plan(st, p);
}

Plan p_with(const Plan &in) {
  Expr e = alias(bin(WEFT_OP_MUL, col("i"), lit(3)), "i3");
  const weft_expr *exprs[] = {e.get()};
  weft_plan *p = nullptr;
  weft_status st = weft_plan_with_columns(in.get(), 1, exprs, &p);
  return own_plan(st, p);
}

int count(const std::string &text, const std::string &needle) {
  int n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) n++;
  return n;
}

// Report lines of operators of `kind` that ran (a reuse's line is "reused #N: KIND ...").
int runs(const std::string &report, const std::string &kind) {
  return count("\n" + report, "\n" + kind + " ");
}

std::string report_of(weft_exec *exec) {
  const char *r = nullptr;
  EXPECT_EQ(weft_exec_report(exec, &r), WEFT_OK);
  return r ? r : "";
}

// The answer and report of a collect, with sharing on or off.
Table collect_with(const Plan &p, bool sharing, std::string *report) {
  if (!sharing) setenv("WEFT_TEST_NO_PLAN_REUSE", "1", 1);
  weft_exec *exec = nullptr;
  EXPECT_EQ(weft_exec_create(&exec), WEFT_OK);
  Table t = collect(p, exec);
  *report = report_of(exec);
  weft_exec_free(exec);
  unsetenv("WEFT_TEST_NO_PLAN_REUSE");
  return t;
}

class PlanReuse : public ::testing::TestWithParam<size_t> {};

TEST_P(PlanReuse, OneNodeUnderTwoParentsRunsOnce) {
  std::mt19937_64 rng(GetParam() + 11);
  auto data = jc::build(left_cols(GetParam(), 0.2, rng));
  Plan scan0 = scan(data->table);
  Plan late = p_filter(scan0, bin(WEFT_OP_GT, col("v"), litf(0.5)));
  // n_unique: the group_by runs on the filter's rows (a sum would fuse it with the filter)
  Plan q = p_join(late, p_group(late, col("i"), WEFT_AGG_N_UNIQUE), WEFT_JOIN_SEMI);
  std::string on, off;
  Table got = collect_with(q, true, &on), want = collect_with(q, false, &off);
  expect_same(got.get(), want.get(), "semi join of a filter with its own group_by");
  EXPECT_EQ(runs(on, "FILTER"), 1) << on;
  EXPECT_EQ(count(on, "(shared #1: runs once, 2 uses)"), 1) << on;
  EXPECT_EQ(count(on, "reused #1: FILTER"), 1) << on;
  EXPECT_EQ(runs(off, "FILTER"), 2) << off;
  EXPECT_EQ(count(off, "reused"), 0) << off;
  std::string text = explain(q);
  EXPECT_EQ(count(text, "reused #1: FILTER"), 1) << text;
  // a use fused into its parent (filter + sum) does not run the filter: nothing to share
  Plan fused = p_join(late, p_group(late, col("i"), WEFT_AGG_SUM), WEFT_JOIN_SEMI);
  got = collect_with(fused, true, &on), want = collect_with(fused, false, &off);
  expect_same(got.get(), want.get(), "a fused use");
  EXPECT_EQ(count(on, "reused"), 0) << on;
}

TEST_P(PlanReuse, EqualCopiesAndNestedSharesRunOnce) {
  std::mt19937_64 rng(GetParam() + 23);
  auto data = jc::build(left_cols(GetParam(), 0.2, rng));
  // two scans of one table, each filtered by its own (equal) expression objects
  auto make = [&] { return p_filter(scan(data->table), bin(WEFT_OP_GE, col("i"), lit(100))); };
  // with_columns over the filter used twice, the filter alone once more
  Plan w = p_join(p_with(make()), p_with(make()), WEFT_JOIN_SEMI);
  Plan q = p_join(w, make(), WEFT_JOIN_SEMI);
  std::string on, off;
  Table got = collect_with(q, true, &on), want = collect_with(q, false, &off);
  expect_same(got.get(), want.get(), "equal copies");
  EXPECT_EQ(runs(on, "WITH_COLUMNS"), 1) << on;
  EXPECT_EQ(runs(on, "FILTER"), 1) << on;
  EXPECT_EQ(count(on, "reused #"), 2) << on;  // the with_columns, and the filter's third use
  // asked alone, the semi join's right use reads only k: its with_columns is dropped
  EXPECT_EQ(runs(off, "WITH_COLUMNS"), 1) << off;
  EXPECT_EQ(runs(off, "FILTER"), 3) << off;
  EXPECT_EQ(count(off, "reused"), 0) << off;
}

INSTANTIATE_TEST_SUITE_P(Sizes, PlanReuse, ::testing::Values(0, 1, 7, 1000, 70000));

TEST(PlanReuseNear, CopiesDifferingInOneThingAreNotMerged) {
  std::mt19937_64 rng(5);
  auto data = jc::build(left_cols(500, 0.2, rng));
  auto other = jc::build(left_cols(500, 0.2, rng));
  Plan s = scan(data->table);
  struct Pair {
    const char *what;
    Plan a, b;
  } pairs[] = {
      {"literal", p_filter(s, bin(WEFT_OP_GT, col("i"), lit(1))), p_filter(s, bin(WEFT_OP_GT, col("i"), lit(2)))},
      {"literal type", p_filter(s, bin(WEFT_OP_GT, col("i"), lit(1))), p_filter(s, bin(WEFT_OP_GT, col("i"), litf(1.0)))},
      {"float bits", p_filter(s, bin(WEFT_OP_GT, col("v"), litf(0.0))), p_filter(s, bin(WEFT_OP_GT, col("v"), litf(-0.0)))},
      {"column", p_filter(s, bin(WEFT_OP_GT, col("i"), lit(1))), p_filter(s, bin(WEFT_OP_GT, col("k"), lit(1)))},
      {"source table", p_filter(s, bin(WEFT_OP_GT, col("i"), lit(1))),
       p_filter(scan(other->table), bin(WEFT_OP_GT, col("i"), lit(1)))},
  };
  for (auto &pair : pairs) {
    Plan q = p_join(pair.a, pair.b, WEFT_JOIN_ANTI);
    std::string on, off;
    Table got = collect_with(q, true, &on), want = collect_with(q, false, &off);
    expect_same(got.get(), want.get(), pair.what);
    EXPECT_EQ(count(on, "reused"), 0) << pair.what << "\n" << on;
    EXPECT_EQ(count(explain(q), "shared #"), 0) << pair.what;
  }
}

}  // namespace
