// The fused filter + aggregation (a filter directly under a group_by) against
// the unfused path (the eager filter, then the eager group_by): random tables with nulls
// and NaN, empty and one-row tables, sizes that are not a multiple of the chunk or range,
// predicates keeping every row, none, some. Integer sums, counts, len, min and max must be
// equal; float sums and means add in another order (lanes within fixed ranges, not one
// slice per thread), so they compare to a relative 1e-9, and the same on every run.
#include <cmath>
#include <cstdlib>

#include "plan_helpers.h"

using namespace pl;

namespace {

const size_t kSizes[] = {0, 1, 7, 4097, 65537, 200001};  // past a range, past the parallel agg

std::vector<weft_agg> fusable(const std::vector<Expr> &in) {
  return {{WEFT_AGG_SUM, in[0].get(), "v_sum"},  {WEFT_AGG_MEAN, in[1].get(), "i_mean"},
          {WEFT_AGG_MIN, in[0].get(), "v_min"},  {WEFT_AGG_MAX, in[0].get(), "v_max"},
          {WEFT_AGG_MIN, in[2].get(), "k_min"},  {WEFT_AGG_MAX, in[1].get(), "i_max"},
          {WEFT_AGG_SUM, in[1].get(), "i_sum"},  {WEFT_AGG_COUNT, in[0].get(), "v_n"},
          {WEFT_AGG_LEN, nullptr, "rows"},       {WEFT_AGG_SUM, in[3].get(), "b_sum"},
          {WEFT_AGG_MAX, in[3].get(), "b_max"},  {WEFT_AGG_SUM, in[4].get(), "v2_sum"},
          {WEFT_AGG_MEAN, in[0].get(), "v_mean"}};
}

Expr null_f64() {
  weft_expr *e = nullptr;
  weft_status st = weft_expr_literal_null(WEFT_TYPE_FLOAT64, &e);
  return own(st, e);
}

bool float_sum(const std::string &name) {
  return name == "v_sum" || name == "v2_sum" || name == "v_mean" || name == "i_mean";
}


class PlanFuse : public ::testing::TestWithParam<size_t> {};

TEST_P(PlanFuse, MatchesFilterThenGroupBy) {
  size_t n = GetParam();
  std::mt19937_64 rng(91 + n);
  auto built = jc::build(left_cols(n, 0.2, rng));
  const weft_table *t = built->table;
  std::vector<Expr> in = {col("v"), col("i"), col("k"), col("b"),
                          bin(WEFT_OP_MUL, col("v"), litf(2.0))};
  auto a = fusable(in);
  std::vector<std::pair<std::string, Expr>> preds = {
      {"some", bin(WEFT_OP_GT, col("v"), litf(0.5))},
      {"all", bin(WEFT_OP_OR, un(WEFT_OP_IS_NULL, col("i")), bin(WEFT_OP_GT, col("i"), lit(-1000000)))},
      {"none", bin(WEFT_OP_GT, col("i"), lit(1000000))},
      {"bool with nulls", col("b")},
      {"two columns", bin(WEFT_OP_AND, bin(WEFT_OP_LT, col("v"), litf(0.9)), bin(WEFT_OP_GE, col("k"), lit(2)))},
      // column-against-constant conjuncts (masked_agg.c's fast path) in every form
      {"mirrored", bin(WEFT_OP_AND, bin(WEFT_OP_LT, lit(0), col("i")), bin(WEFT_OP_GE, litf(0.7), col("v")))},
      {"nan constant", bin(WEFT_OP_GE, col("v"), litf(NAN))},
      {"ne nan", bin(WEFT_OP_NE, col("v"), litf(NAN))},
      {"eq", bin(WEFT_OP_OR, bin(WEFT_OP_EQ, col("k"), lit(3)), bin(WEFT_OP_NE, col("v"), litf(0.5)))},
      {"int column, float constant", bin(WEFT_OP_LE, col("k"), litf(2.5))},
      {"null constant", bin(WEFT_OP_GT, col("v"), null_f64())},
      {"constant expression", bin(WEFT_OP_AND, bin(WEFT_OP_GT, col("i"), bin(WEFT_OP_MUL, lit(-2), lit(100))),
                                  bin(WEFT_OP_LT, bin(WEFT_OP_MUL, col("v"), litf(2.0)), litf(1.5)))}};
  for (auto &[name, pred] : preds) {
    std::string what = name + " of " + std::to_string(n) + " rows";
    weft_plan *f = nullptr, *g = nullptr;
    ASSERT_WEFT_OK(weft_plan_filter(scan(t).get(), pred.get(), &f));
    Plan fp = own_plan(WEFT_OK, f);
    ASSERT_WEFT_OK(weft_plan_group_by(fp.get(), 0, nullptr, a.size(), a.data(), &g));
    Plan gp = own_plan(WEFT_OK, g);
    std::string text = explain(gp);
    EXPECT_EQ(line_of(text, "filter + aggregate (fused)"), 0) << text;
    EXPECT_EQ(line_of(text, "FILTER"), -1) << text;
    Table got = collect(gp);
    Table again = collect(gp);
    expect_same(again.get(), got.get(), what + " (second run)");

    weft_table *filtered = nullptr, *want = nullptr;
    ASSERT_WEFT_OK(weft_table_filter(nullptr, t, pred.get(), &filtered));
    Table ft(filtered);
    ASSERT_WEFT_OK(weft_table_group_by(nullptr, ft.get(), 0, nullptr, a.size(), a.data(), &want));
    Table wt(want);
    expect_close(got.get(), wt.get(), what, float_sum);
    // within one range: the float values are multiples of 0.25 whose sums are exact in any
    // order (the fused lanes and the unfused row order agree), and the integer means add in
    // row order on both paths; so the bits agree
    if (n <= 65536) expect_same(got.get(), wt.get(), what + " (bits)");
  }
}

INSTANTIATE_TEST_SUITE_P(Sizes, PlanFuse, ::testing::ValuesIn(kSizes));

TEST(PlanFuse, ReportAndFallback) {
  std::mt19937_64 rng(7);
  auto built = jc::build(left_cols(3000, 0.2, rng));
  const weft_table *t = built->table;
  Expr pred = bin(WEFT_OP_GT, col("v"), litf(0.0));
  weft_plan *f = nullptr;
  ASSERT_WEFT_OK(weft_plan_filter(scan(t).get(), pred.get(), &f));
  Plan fp = own_plan(WEFT_OK, f);
  Expr v = col("v"), g = col("g");
  Expr cast = nullptr;
  {
    weft_expr *e = nullptr;
    ASSERT_WEFT_OK(weft_expr_cast(col("i").get(), WEFT_TYPE_FLOAT64, &e));
    cast = Expr(e, ExprFree());
  }
  // n_unique, a utf8 min and a cast are not fused: the filter runs, then the group_by (a
  // count of any column is fused: it reads only the validity)
  std::vector<std::vector<weft_agg>> unfused = {{{WEFT_AGG_N_UNIQUE, v.get(), "u"}},
                                                {{WEFT_AGG_MIN, g.get(), "gm"}},
                                                {{WEFT_AGG_SUM, cast.get(), "is"}}};
  for (auto &a : unfused) {
    weft_plan *p = nullptr;
    ASSERT_WEFT_OK(weft_plan_group_by(fp.get(), 0, nullptr, a.size(), a.data(), &p));
    Plan gp = own_plan(WEFT_OK, p);
    std::string text = explain(gp);
    EXPECT_EQ(line_of(text, "fused"), -1) << text;
    EXPECT_NE(line_of(text, "FILTER"), -1) << text;
    weft_table *filtered = nullptr, *want = nullptr;
    ASSERT_WEFT_OK(weft_table_filter(nullptr, t, pred.get(), &filtered));
    Table ft(filtered);
    ASSERT_WEFT_OK(weft_table_group_by(nullptr, ft.get(), 0, nullptr, a.size(), a.data(), &want));
    expect_same(collect(gp).get(), Table(want).get(), "unfused");
  }
  // the report of a fused run says what it kept
  std::vector<weft_agg> a = {{WEFT_AGG_SUM, v.get(), "s"}};
  weft_plan *p = nullptr;
  ASSERT_WEFT_OK(weft_plan_group_by(fp.get(), 0, nullptr, a.size(), a.data(), &p));
  Plan gp = own_plan(WEFT_OK, p);
  collect(gp);
  std::string text = explain(gp);
  EXPECT_NE(text.find("rows kept"), std::string::npos) << text;
}

}  // namespace

namespace {

// A cast failing in the predicate: the fused pass fails as the filter does, with the
// message of the first failing row (taken from the worker thread that met it).
TEST(PlanFuse, PredicateErrorIsTheFiltersError) {
  std::mt19937_64 rng(5);
  auto built = jc::build(left_cols(200001, 0.2, rng));
  const weft_table *t = built->table;
  weft_expr *c = nullptr;
  ASSERT_WEFT_OK(weft_expr_cast(col("g").get(), WEFT_TYPE_INT64, &c));
  Expr cast(c, ExprFree());
  Expr pred = bin(WEFT_OP_GT, cast, lit(0));
  weft_table *bad = nullptr;
  ASSERT_NE(weft_table_filter(nullptr, t, pred.get(), &bad), WEFT_OK);
  std::string eager = weft_last_error();
  size_t at = eager.find("cannot cast value");
  ASSERT_NE(at, std::string::npos) << eager;
  weft_plan *f = nullptr, *g = nullptr;
  ASSERT_WEFT_OK(weft_plan_filter(scan(t).get(), pred.get(), &f));
  Plan fp = own_plan(WEFT_OK, f);
  Expr v = col("v");
  weft_agg a = {WEFT_AGG_SUM, v.get(), "s"};
  ASSERT_WEFT_OK(weft_plan_group_by(fp.get(), 0, nullptr, 1, &a, &g));
  Plan gp = own_plan(WEFT_OK, g);
  EXPECT_EQ(line_of(explain(gp), "filter + aggregate (fused)"), 0);
  weft_table *out = nullptr;
  EXPECT_EQ(weft_plan_collect(nullptr, gp.get(), &out), WEFT_ERR_INVALID_ARGUMENT);
  std::string fused = weft_last_error();
  EXPECT_NE(fused.find(eager.substr(at)), std::string::npos) << fused << "\nvs " << eager;
  EXPECT_EQ(out, nullptr);
}

}  // namespace

namespace {

class PlanFuseKeyed : public ::testing::TestWithParam<size_t> {};

// A filter under a group_by with keys: fused when the keys have few values (ints, utf8,
// bool, several keys, null keys as a group), in order of first appearance among the kept
// rows; keys with more than WEFT__SMALL_GROUPS_MAX values or utf8 longer than 7 bytes run
// unfused at run time and say so. Either way the result is the unfused path's.
TEST_P(PlanFuseKeyed, MatchesFilterThenGroupBy) {
  size_t n = GetParam();
  std::mt19937_64 rng(17 + n);
  auto cols = left_cols(n, 0.2, rng);
  cols.push_back({"many", WEFT_TYPE_INT64, gs::random_cells(WEFT_TYPE_INT64, n, 0.1, 1000, rng)});
  cols.push_back({"long", WEFT_TYPE_UTF8, gs::random_cells(WEFT_TYPE_UTF8, n, 0.1, 9, rng)});
  // utf8 flags and codes of one length in a whole chunk (encoded without offsets), one
  // whose chunks mix lengths, all empty; with nulls
  const char *flags[] = {"A", "N", "R"}, *codes[] = {"ab", "ba", "zz"}, *fives[] = {"abcde", "abcdf"};
  std::vector<jc::Cell> f1, c2, c5, mixed, empty;
  for (size_t r = 0; r < n; r++) {
    bool null = rng() % 10 == 0;
    f1.push_back(null ? jc::Cell() : jc::Cell(flags[rng() % 3]));
    c2.push_back(rng() % 13 == 0 ? jc::Cell() : jc::Cell(codes[rng() % 3]));
    c5.push_back(jc::Cell(fives[rng() % 2]));
    mixed.push_back(jc::Cell(r % 5000 == 4999 ? "wxyz" : "xyz"));
    empty.push_back(null ? jc::Cell() : jc::Cell(std::string()));
  }
  cols.push_back({"f1", WEFT_TYPE_UTF8, f1});
  cols.push_back({"c2", WEFT_TYPE_UTF8, c2});
  cols.push_back({"c5", WEFT_TYPE_UTF8, c5});
  cols.push_back({"mixed", WEFT_TYPE_UTF8, mixed});
  cols.push_back({"empty", WEFT_TYPE_UTF8, empty});
  auto built = jc::build(cols);
  const weft_table *t = built->table;
  std::vector<Expr> in = {col("v"), col("i"), col("k"), col("b"),
                          bin(WEFT_OP_MUL, col("v"), litf(2.0))};
  auto a = fusable(in);
  Expr pred = bin(WEFT_OP_OR, bin(WEFT_OP_GT, col("v"), litf(0.0)), un(WEFT_OP_IS_NULL, col("i")));
  struct Case {
    std::vector<const char *> keys;
    bool few;  // fused all the way (else it gives up at run time, past the first rows)
  };
  std::vector<Case> cases = {{{"k"}, true},         {{"g"}, true},
                             {{"b", "k", "g"}, true}, {{"g", "i"}, false},
                             {{"many"}, false},     {{"k", "long"}, false},
                             {{"f1", "c2"}, true},  {{"c5", "empty"}, true},
                             {{"mixed", "f1"}, true}};
  for (auto &cs : cases) {
    std::string what = "keys";
    for (auto k : cs.keys) what += std::string(" ") + k;
    what += " of " + std::to_string(n) + " rows";
    weft_plan *f = nullptr, *g = nullptr;
    ASSERT_WEFT_OK(weft_plan_filter(scan(t).get(), pred.get(), &f));
    Plan fp = own_plan(WEFT_OK, f);
    ASSERT_WEFT_OK(weft_plan_group_by(fp.get(), cs.keys.size(), cs.keys.data(), a.size(), a.data(), &g));
    Plan gp = own_plan(WEFT_OK, g);
    EXPECT_EQ(line_of(explain(gp), "filter + aggregate (fused)"), 0) << explain(gp);
    weft_exec *ex = nullptr;
    ASSERT_WEFT_OK(weft_exec_create(&ex));
    Table got = collect(gp, ex);
    const char *report = nullptr;
    ASSERT_WEFT_OK(weft_exec_report(ex, &report));
    std::string rep = report ? report : "";
    weft_exec_free(ex);
    expect_same(collect(gp).get(), got.get(), what + " (second run)");
    bool gave_up = rep.find("not fused") != std::string::npos;
    if (cs.few || n < 2) {
      EXPECT_FALSE(gave_up) << what << "\n" << rep;
    }
    if (!cs.few && n > 4096) {
      EXPECT_TRUE(gave_up) << what << "\n" << rep;
    }

    weft_table *filtered = nullptr, *want = nullptr;
    ASSERT_WEFT_OK(weft_table_filter(nullptr, t, pred.get(), &filtered));
    Table ft(filtered);
    ASSERT_WEFT_OK(weft_table_group_by(nullptr, ft.get(), cs.keys.size(), cs.keys.data(), a.size(),
                                       a.data(), &want));
    expect_close(got.get(), Table(want).get(), what, float_sum);
  }
}

INSTANTIATE_TEST_SUITE_P(Sizes, PlanFuseKeyed, ::testing::ValuesIn(kSizes));

}  // namespace

namespace {

// A group_by without keys over a scan (no filter under it) runs the pass with no predicate
// ("aggregate (one pass)"), and equals the eager group_by.
class PlanOnePass : public ::testing::TestWithParam<size_t> {};

TEST_P(PlanOnePass, MatchesGroupByWithoutKeys) {
  size_t n = GetParam();
  std::mt19937_64 rng(17 + n);
  auto built = jc::build(left_cols(n, 0.2, rng));
  const weft_table *t = built->table;
  std::vector<Expr> in = {col("v"), col("i"), col("k"), col("b"),
                          bin(WEFT_OP_MUL, col("v"), litf(2.0))};
  auto a = fusable(in);
  weft_plan *g = nullptr;
  ASSERT_WEFT_OK(weft_plan_group_by(scan(t).get(), 0, nullptr, a.size(), a.data(), &g));
  Plan gp = own_plan(WEFT_OK, g);
  std::string text = explain(gp);
  EXPECT_EQ(line_of(text, "aggregate (one pass)"), 0) << text;
  EXPECT_EQ(line_of(text, "GROUP_BY"), -1) << text;
  Table got = collect(gp);
  weft_table *want = nullptr;
  ASSERT_WEFT_OK(weft_table_group_by(nullptr, t, 0, nullptr, a.size(), a.data(), &want));
  expect_close(got.get(), Table(want).get(), std::to_string(n) + " rows", float_sum);
}

INSTANTIATE_TEST_SUITE_P(Sizes, PlanOnePass, ::testing::ValuesIn(kSizes));

}  // namespace
