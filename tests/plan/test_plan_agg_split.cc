// Aggregations inside expressions (weft_expr_agg, weft_expr_over, weft_table_agg,
// weft_plan_agg): the values against group_by's per-group results looked up row by row,
// lazy against eager, the plan's shape (no filter crosses a node with aggregations, and a
// filter holding one never fuses into the aggregate pass) and the errors.
#include <map>

#include "plan_helpers.h"

using namespace pl;

namespace {

const size_t kSizes[] = {0, 1, 7, 1000, 70000};

Expr agg(weft_agg_kind kind, const Expr &in) {
  weft_expr *e = nullptr;
  weft_status st = weft_expr_agg(kind, in.get(), &e);
  return own(st, e);
}

Expr over(const Expr &in, const std::vector<Expr> &keys) {
  weft_expr *e = nullptr;
  auto r = raw(keys);
  weft_status st = weft_expr_over(in.get(), r.size(), r.data(), &e);
  return own(st, e);
}

Plan made(weft_status st, weft_plan **p) { return own_plan(st, *p); }

// The table an operation wrote to *t (read after the call: the arguments' order of
// evaluation is unspecified).
Table run(weft_status st, weft_table **t) {
  EXPECT_EQ(st, WEFT_OK) << weft_last_error();
  return Table(*t);
}

// The group_by of `key` with sum(i) as a map from the key's cell to the sum's cell.
std::map<jc::Cell, jc::Cell> sums_by(const weft_table *t, const char *key) {
  Expr i = col("i");
  weft_agg a = {WEFT_AGG_SUM, i.get(), "s"};
  weft_table *out = nullptr;
  Table g = run(weft_table_group_by(nullptr, t, 1, &key, 1, &a, &out), &out);
  std::map<jc::Cell, jc::Cell> m;
  for (const auto &row : jc::rows_of(g.get())) m[row[0]] = row[1];
  return m;
}

TEST(AggExpr, OverBroadcastsEachGroupsValueToItsRows) {
  for (size_t n : kSizes) {
    std::mt19937_64 rng(n + 1);
    auto b = jc::build(left_cols(n, 0.2, rng));
    auto want = sums_by(b->table, "k");
    std::vector<Expr> e = {col("k"), alias(over(agg(WEFT_AGG_SUM, col("i")), {col("k")}), "s")};
    auto r = raw(e);
    weft_table *out = nullptr;
    Table got = run(weft_table_select(nullptr, b->table, r.size(), r.data(), &out), &out);
    int64_t rows = -1;
    ASSERT_EQ(weft_table_num_rows(got.get(), &rows), WEFT_OK);
    ASSERT_EQ(rows, (int64_t)n);
    for (const auto &row : jc::rows_of(got.get())) EXPECT_EQ(row[1], want[row[0]]) << n;
    // the same through a plan
    weft_plan *p = nullptr;
    Plan s = scan(b->table);
    Plan q = made(weft_plan_select(s.get(), r.size(), r.data(), &p), &p);
    expect_same(collect(q).get(), got.get(), "over, lazy");
  }
}

TEST(AggExpr, AggOfExpressionsEqualsGroupByThenSelect) {
  for (size_t n : kSizes) {
    std::mt19937_64 rng(n + 7);
    auto b = jc::build(left_cols(n, 0.2, rng));
    auto want = sums_by(b->table, "g");
    Expr twice = alias(bin(WEFT_OP_MUL, agg(WEFT_AGG_SUM, col("i")), lit(2)), "s2");
    Expr ratio = alias(bin(WEFT_OP_DIV, agg(WEFT_AGG_SUM, col("i")), agg(WEFT_AGG_COUNT, col("i"))), "r");
    std::vector<Expr> e = {twice, ratio, alias(agg(WEFT_AGG_SUM, col("i")), "s")};
    auto r = raw(e);
    const char *key = "g";
    weft_table *out = nullptr;
    Table got = run(weft_table_agg(nullptr, b->table, 1, &key, r.size(), r.data(), &out), &out);
    EXPECT_EQ(jc::names_of(got.get()), (std::vector<std::string>{"g", "s2", "r", "s"}));
    ASSERT_EQ(jc::rows_of(got.get()).size(), want.size());
    for (const auto &row : jc::rows_of(got.get())) {
      EXPECT_EQ(row[3], want[row[0]]);
      if (row[3]) {
        // int64 arithmetic wraps in weft (as in Polars); the reference wraps the same way.
        EXPECT_EQ(std::stoll(*row[1]),
                  (long long)(2ULL * (unsigned long long)std::stoll(*row[3])));
      }
    }
    weft_plan *p = nullptr;
    Plan s = scan(b->table);
    Plan q = made(weft_plan_agg(s.get(), 1, &key, r.size(), r.data(), &p), &p);
    expect_same(collect(q).get(), got.get(), "agg, lazy");
  }
}

TEST(AggExpr, NoFilterCrossesANodeWithAggregations) {
  std::mt19937_64 rng(3);
  auto b = jc::build(left_cols(5000, 0.2, rng));
  Plan s = scan(b->table);
  Expr below_mean = bin(WEFT_OP_LT, col("v"), agg(WEFT_AGG_MEAN, col("v")));
  Expr k1 = bin(WEFT_OP_EQ, col("k"), lit(1));
  weft_plan *p1 = nullptr, *p2 = nullptr;
  Plan f1 = made(weft_plan_filter(s.get(), below_mean.get(), &p1), &p1);
  Plan f2 = made(weft_plan_filter(f1.get(), k1.get(), &p2), &p2);
  std::string text = explain(f2);
  int outer = line_of(text, "col(\"k\")"), inner = line_of(text, "mean()");
  ASSERT_GE(outer, 0) << text;
  EXPECT_LT(outer, inner) << "the later filter stays above:\n" << text;
  weft_table *t1 = nullptr, *t2 = nullptr;
  Table e1 = run(weft_table_filter(nullptr, b->table, below_mean.get(), &t1), &t1);
  Table e2 = run(weft_table_filter(nullptr, e1.get(), k1.get(), &t2), &t2);
  expect_same(collect(f2).get(), e2.get(), "filter over an aggregate filter");
  // a group_by over a filter with an aggregation runs unfused, with the same result
  Expr i = col("i");
  weft_agg a = {WEFT_AGG_SUM, i.get(), "s"};
  weft_plan *p3 = nullptr;
  Plan g = made(weft_plan_group_by(f1.get(), 0, nullptr, 1, &a, &p3), &p3);
  EXPECT_EQ(explain(g).find("filter + aggregate"), std::string::npos) << explain(g);
  weft_table *t3 = nullptr;
  Table e3 = run(weft_table_group_by(nullptr, e1.get(), 0, nullptr, 1, &a, &t3), &t3);
  expect_same(collect(g).get(), e3.get(), "group_by over an aggregate filter");
}

TEST(AggExpr, ErrorsNameTheExpression) {
  std::mt19937_64 rng(5);
  auto b = jc::build(left_cols(10, 0.2, rng));
  const char *key = "k";
  weft_table *out = nullptr;
  // a column read per row inside agg()
  Expr rowwise = bin(WEFT_OP_ADD, col("i"), agg(WEFT_AGG_SUM, col("i")));
  const weft_expr *r = rowwise.get();
  EXPECT_EQ(weft_table_agg(nullptr, b->table, 1, &key, 1, &r, &out), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(weft_last_error()).find("col(\"i\") is read per row"), std::string::npos)
      << weft_last_error();
  // an aggregation inside the input of a plain aggregation
  Expr inner = agg(WEFT_AGG_SUM, col("i"));
  weft_agg a = {WEFT_AGG_MAX, inner.get(), "m"};
  EXPECT_EQ(weft_table_group_by(nullptr, b->table, 1, &key, 1, &a, &out), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(weft_last_error()).find("col(\"i\").sum() of aggregation 0 holds an aggregation"),
            std::string::npos) << weft_last_error();
  // the output of an expression with aggregations: its name and type, nothing computed
  Expr pred = alias(bin(WEFT_OP_GT, col("i"), inner), "p");
  const char *name = nullptr;
  weft_type type = WEFT_TYPE_INT8;
  EXPECT_EQ(weft_expr_output(pred.get(), b->table, &name, &type), WEFT_OK) << weft_last_error();
  EXPECT_EQ(std::string(name), "p");
  EXPECT_EQ(type, WEFT_TYPE_BOOL);
  // nested aggregations, nested windows
  Expr nested = agg(WEFT_AGG_MAX, agg(WEFT_AGG_SUM, col("i")));
  r = nested.get();
  EXPECT_EQ(weft_table_select(nullptr, b->table, 1, &r, &out), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(weft_last_error()).find("aggregations of aggregations"), std::string::npos);
  Expr twice = over(over(agg(WEFT_AGG_SUM, col("i")), {col("k")}), {col("g")});
  r = twice.get();
  EXPECT_EQ(weft_table_with_columns(nullptr, b->table, 1, &r, &out), WEFT_ERR_INVALID_ARGUMENT);
  weft_expr *none = nullptr;
  EXPECT_EQ(weft_expr_over(inner.get(), 0, nullptr, &none), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(weft_expr_agg(WEFT_AGG_SUM, nullptr, &none), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(weft_expr_agg((weft_agg_kind)99, inner.get(), &none), WEFT_ERR_INVALID_ARGUMENT);
}

}  // namespace
