// Common subexpressions of the fused aggregate pass's inputs (frame/expr/expr_shared.c):
// Q1's price * (1 - discount) under two sums is computed once a chunk (the report counts the
// shared nodes), and the results equal the unfused filter + group_by, where every input is
// evaluated alone: float and integer inputs, nulls, keys, subtrees that must stay apart (an
// integer operand widened to float in place, an alias's child), sizes past a chunk and range.
#include "plan_helpers.h"

using namespace pl;

namespace {

bool loose(const std::string &name) { return name.rfind("f_", 0) == 0; }

struct Case {
  std::vector<Expr> in;       // keeps the expressions alive
  std::vector<weft_agg> aggs;
  int shared;                 // common subexpressions the report must count
};

Case make_case(int which) {
  Case c;
  auto add = [&](weft_agg_kind kind, Expr e, const char *name) {
    c.in.push_back(e);
    c.aggs.push_back({kind, c.in.back().get(), name});
  };
  Expr price = col("v"), disc = bin(WEFT_OP_MUL, col("k"), litf(0.01));
  Expr disc_price = bin(WEFT_OP_MUL, price, bin(WEFT_OP_SUB, lit(1), disc));
  switch (which) {
    case 0:  // Q1: sum(p * (1 - d)), sum(p * (1 - d) * (1 + d)), mean(d), len
      add(WEFT_AGG_SUM, disc_price, "f_disc_price");
      add(WEFT_AGG_SUM, bin(WEFT_OP_MUL, disc_price, bin(WEFT_OP_ADD, lit(1), disc)), "f_charge");
      add(WEFT_AGG_MEAN, disc, "f_disc");
      add(WEFT_AGG_LEN, nullptr, "rows");
      c.aggs.back().input = nullptr;
      c.shared = 2;  // disc_price, and disc (also 1 - disc's input in both)
      break;
    case 1:  // separately built but structurally equal trees merge too
      add(WEFT_AGG_SUM, bin(WEFT_OP_ADD, col("i"), lit(7)), "i_a");
      add(WEFT_AGG_MAX, bin(WEFT_OP_ADD, col("i"), lit(7)), "i_b");
      add(WEFT_AGG_MIN, bin(WEFT_OP_MUL, bin(WEFT_OP_ADD, col("i"), lit(7)), lit(3)), "i_c");
      c.shared = 1;
      break;
    case 2:  // i widened to float in place by one parent: kept apart, results still exact
      add(WEFT_AGG_SUM, bin(WEFT_OP_MUL, col("i"), litf(1.5)), "f_widened");
      add(WEFT_AGG_SUM, bin(WEFT_OP_ADD, col("i"), lit(1)), "i_plus");
      add(WEFT_AGG_MAX, bin(WEFT_OP_ADD, col("i"), lit(1)), "i_plus_max");
      c.shared = 1;  // i + 1 only
      break;
    case 3:  // an alias's child is not shared; equal literals of other types do not merge
      add(WEFT_AGG_SUM, alias(bin(WEFT_OP_SUB, col("v"), litf(1.0)), "x"), "f_alias");
      add(WEFT_AGG_SUM, bin(WEFT_OP_SUB, col("v"), litf(1.0)), "f_plain");
      add(WEFT_AGG_SUM, bin(WEFT_OP_SUB, col("i"), lit(1)), "i_int_lit");
      c.shared = 0;
      break;
  }
  return c;
}

class PlanCse : public ::testing::TestWithParam<std::tuple<size_t, int>> {};

TEST_P(PlanCse, SharedInputsEqualTheUnfusedAggregation) {
  auto [n, which] = GetParam();
  std::mt19937_64 rng(17 + n * 7 + (size_t)which);
  auto built = jc::build(left_cols(n, 0.2, rng));
  const weft_table *t = built->table;
  Case c = make_case(which);
  Expr pred = bin(WEFT_OP_LT, col("k"), lit(4));
  for (size_t nkeys : {0, 1}) {
    const char *keys[] = {"g"};
    std::string what = "case " + std::to_string(which) + ", " + std::to_string(n) + " rows, " +
                       std::to_string(nkeys) + " keys";
    weft_plan *f = nullptr, *g = nullptr;
    ASSERT_WEFT_OK(weft_plan_filter(scan(t).get(), pred.get(), &f));
    Plan fp = own_plan(WEFT_OK, f);
    ASSERT_WEFT_OK(weft_plan_group_by(fp.get(), nkeys, keys, c.aggs.size(), c.aggs.data(), &g));
    Plan gp = own_plan(WEFT_OK, g);
    ASSERT_EQ(line_of(explain(gp), "filter + aggregate (fused)"), 0) << explain(gp);
    TestExec ex("cpu", 0);
    Table got = collect(gp, ex.e);
    std::string report = ex.report();
    if (c.shared)
      EXPECT_NE(report.find(std::to_string(c.shared) + " common subexpression"), std::string::npos)
          << what << "\n" << report;
    else
      EXPECT_EQ(report.find("common subexpression"), std::string::npos) << what << "\n" << report;

    weft_table *filtered = nullptr, *want = nullptr;
    ASSERT_WEFT_OK(weft_table_filter(nullptr, t, pred.get(), &filtered));
    Table ft(filtered);
    ASSERT_WEFT_OK(weft_table_group_by(nullptr, ft.get(), nkeys, keys, c.aggs.size(), c.aggs.data(), &want));
    expect_close(got.get(), Table(want).get(), what, loose);
  }
}

INSTANTIATE_TEST_SUITE_P(SizesAndCases, PlanCse,
                         ::testing::Combine(::testing::Values(0, 1, 4097, 70001),
                                            ::testing::Values(0, 1, 2, 3)));

}  // namespace
