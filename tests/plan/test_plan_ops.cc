// Every plan operator, and chains of them, against the eager table operations on the same
// data: random tables with nulls (and NaN, repeated keys), empty and one-row tables.
#include "plan_helpers.h"

using namespace pl;

namespace {

const size_t kSizes[] = {0, 1, 7, 1000, 70000};  // 70000: past one select partition

struct Data {
  std::unique_ptr<jc::Built> left, right;
};

Data make(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  Data d;
  d.left = jc::build(left_cols(n, 0.2, rng));
  d.right = jc::build(right_cols(std::min<size_t>(n / 3 + 1, 40), 0.2, rng));  // joins stay small
  return d;
}

Table eager_filter(const weft_table *t, const Expr &pred) {
  weft_table *out = nullptr;
  EXPECT_EQ(weft_table_filter(nullptr, t, pred.get(), &out), WEFT_OK) << weft_last_error();
  return Table(out);
}

Table eager_select(const weft_table *t, const std::vector<Expr> &e, bool with) {
  weft_table *out = nullptr;
  auto r = raw(e);
  weft_status st = with ? weft_table_with_columns(nullptr, t, r.size(), r.data(), &out)
                        : weft_table_select(nullptr, t, r.size(), r.data(), &out);
  EXPECT_EQ(st, WEFT_OK) << weft_last_error();
  return Table(out);
}

Plan p_filter(const Plan &in, const Expr &pred) {
  weft_plan *p = nullptr;
  weft_status st = weft_plan_filter(in.get(), pred.get(), &p);
  return own_plan(st, p);
}

Plan p_select(const Plan &in, const std::vector<Expr> &e, bool with) {
  weft_plan *p = nullptr;
  auto r = raw(e);
  weft_status st = with ? weft_plan_with_columns(in.get(), r.size(), r.data(), &p)
                        : weft_plan_select(in.get(), r.size(), r.data(), &p);
  return own_plan(st, p);
}

const char *kKeys1[] = {"k"};
const char *kKeys2[] = {"g", "k"};

std::vector<weft_agg> aggs(const Expr &v, const Expr &i) {
  return {{WEFT_AGG_SUM, v.get(), "v_sum"},   {WEFT_AGG_MEAN, i.get(), "i_mean"},
          {WEFT_AGG_COUNT, v.get(), "v_n"},   {WEFT_AGG_N_UNIQUE, i.get(), "i_u"},
          {WEFT_AGG_LEN, nullptr, "rows"},    {WEFT_AGG_FIRST, v.get(), "v_first"}};
}

class PlanOps : public ::testing::TestWithParam<size_t> {};

TEST_P(PlanOps, FilterSelectWithColumns) {
  Data d = make(GetParam(), 11 + GetParam());
  const weft_table *t = d.left->table;
  Plan s = scan(t);
  Expr pred = bin(WEFT_OP_GT, col("v"), litf(0.5));
  expect_same(collect(p_filter(s, pred)).get(), eager_filter(t, pred).get(), "filter");

  std::vector<Expr> sel = {col("g"), alias(bin(WEFT_OP_MUL, col("i"), lit(3)), "i3"), col("k")};
  expect_same(collect(p_select(s, sel, false)).get(), eager_select(t, sel, false).get(), "select");
  std::vector<Expr> with = {alias(bin(WEFT_OP_ADD, col("k"), lit(1)), "k"),
                            alias(un(WEFT_OP_IS_NULL, col("g")), "g_null")};
  expect_same(collect(p_select(s, with, true)).get(), eager_select(t, with, true).get(), "with_columns");
  std::vector<Expr> none;
  expect_same(collect(p_select(s, none, false)).get(), eager_select(t, none, false).get(), "select()");
}

TEST_P(PlanOps, GroupBySortUnique) {
  Data d = make(GetParam(), 23 + GetParam());
  const weft_table *t = d.left->table;
  Plan s = scan(t);
  Expr v = col("v"), i = col("i");
  auto a = aggs(v, i);
  for (size_t nkeys : {0, 1, 2}) {
    const char **keys = nkeys == 1 ? kKeys1 : kKeys2;
    weft_plan *p = nullptr;
    ASSERT_WEFT_OK(weft_plan_group_by(s.get(), nkeys, keys, a.size(), a.data(), &p));
    Plan g = own_plan(WEFT_OK, p);
    weft_table *want = nullptr;
    ASSERT_WEFT_OK(weft_table_group_by(nullptr, t, nkeys, keys, a.size(), a.data(), &want));
    expect_same(collect(g).get(), Table(want).get(), "group_by " + std::to_string(nkeys));
  }
  int desc[] = {1, 0};
  {
    weft_plan *p = nullptr;
    ASSERT_WEFT_OK(weft_plan_sort(s.get(), 2, kKeys2, desc, 1, &p));
    weft_table *want = nullptr;
    ASSERT_WEFT_OK(weft_table_sort(nullptr, t, 2, kKeys2, desc, &want));
    expect_same(collect(own_plan(WEFT_OK, p)).get(), Table(want).get(), "sort nulls last");
  }
  {  // nulls first: the null keys (in order), then the eager sort of the rest
    weft_plan *p = nullptr;
    ASSERT_WEFT_OK(weft_plan_sort(s.get(), 1, kKeys1, desc, 0, &p));
    Table got = collect(own_plan(WEFT_OK, p));
    Table nulls = eager_filter(t, un(WEFT_OP_IS_NULL, col("k")));
    Table rest = eager_filter(t, un(WEFT_OP_IS_NOT_NULL, col("k")));
    weft_table *sorted = nullptr, *want = nullptr;
    ASSERT_WEFT_OK(weft_table_sort(nullptr, rest.get(), 1, kKeys1, desc, &sorted));
    const weft_table *both[] = {nulls.get(), sorted};
    ASSERT_WEFT_OK(weft_table_concat(2, both, &want));
    weft_table_free(sorted);
    expect_same(got.get(), Table(want).get(), "sort nulls first");
  }
  for (size_t nkeys : {0, 2}) {
    weft_plan *p = nullptr;
    ASSERT_WEFT_OK(weft_plan_unique(s.get(), nkeys, kKeys2, &p));
    weft_table *want = nullptr;
    ASSERT_WEFT_OK(weft_table_unique(nullptr, t, nkeys, kKeys2, &want));
    expect_same(collect(own_plan(WEFT_OK, p)).get(), Table(want).get(), "unique");
  }
}

TEST_P(PlanOps, JoinHeadSlice) {
  Data d = make(GetParam(), 37 + GetParam());
  const weft_table *l = d.left->table, *r = d.right->table;
  Plan sl = scan(l), sr = scan(r);
  for (int how = WEFT_JOIN_INNER; how <= WEFT_JOIN_ANTI; how++) {
    weft_plan *p = nullptr;
    ASSERT_WEFT_OK(weft_plan_join(sl.get(), sr.get(), 1, kKeys1, kKeys1, (weft_join_kind)how, nullptr, &p));
    weft_table *want = nullptr;
    ASSERT_WEFT_OK(weft_table_join(nullptr, l, r, 1, kKeys1, kKeys1, (weft_join_kind)how, nullptr, &want));
    expect_same(collect(own_plan(WEFT_OK, p)).get(), Table(want).get(), "join " + std::to_string(how));
  }
  int64_t rows = (int64_t)GetParam();
  struct { int64_t off, len; } cases[] = {{0, 5}, {3, 100}, {-5, 3}, {-1000000, 2}, {-3, 1000}, {rows, 4}, {0, 0}};
  for (auto c : cases) {
    weft_plan *p = nullptr;
    ASSERT_WEFT_OK(weft_plan_slice(sl.get(), c.off, c.len, &p));
    int64_t from = c.off >= 0 ? c.off : rows + c.off, len = c.len;
    if (from < 0) len = std::max<int64_t>(len + from, 0), from = 0;  // cut at row 0, as Polars
    weft_table *want = nullptr;
    ASSERT_WEFT_OK(weft_table_slice(l, from, len, &want));
    expect_same(collect(own_plan(WEFT_OK, p)).get(), Table(want).get(), "slice " + std::to_string(c.off));
  }
}

// A chain that every optimization applies to: the filters move into the join's sides and
// below the sort, and the scans keep only the columns used; the result is the eager one.
TEST_P(PlanOps, CombinedChain) {
  Data d = make(GetParam(), 51 + GetParam());
  const weft_table *l = d.left->table, *r = d.right->table;
  std::vector<Expr> with = {alias(bin(WEFT_OP_MUL, col("i"), lit(2)), "i2")};
  Expr f_left = bin(WEFT_OP_GT, col("v"), litf(-3.0));
  Expr f_right = un(WEFT_OP_IS_NOT_NULL, col("w"));
  Expr f_both = bin(WEFT_OP_OR, bin(WEFT_OP_LT, col("v"), col("v_right")), un(WEFT_OP_IS_NULL, col("w")));
  std::vector<Expr> sel = {col("k"), col("g"), col("i2"), col("w"), col("v_right")};
  const char *sort_keys[] = {"g", "i2"};
  int desc[] = {0, 1};

  // lazy
  Plan p = p_select(scan(l), with, true);
  weft_plan *j = nullptr;
  ASSERT_WEFT_OK(weft_plan_join(p.get(), scan(r).get(), 1, kKeys1, kKeys1, WEFT_JOIN_INNER, nullptr, &j));
  p = own_plan(WEFT_OK, j);
  weft_plan *srt = nullptr;
  ASSERT_WEFT_OK(weft_plan_sort(p.get(), 2, sort_keys, desc, 1, &srt));
  p = p_filter(p_filter(p_filter(own_plan(WEFT_OK, srt), f_left), f_right), f_both);
  p = p_select(p, sel, false);
  weft_plan *h = nullptr;
  ASSERT_WEFT_OK(weft_plan_head(p.get(), 50, &h));
  p = own_plan(WEFT_OK, h);
  Table got = collect(p);

  // eager, in the order written
  Table t1 = eager_select(l, with, true);
  weft_table *t2 = nullptr, *t3 = nullptr, *t8 = nullptr;
  ASSERT_WEFT_OK(weft_table_join(nullptr, t1.get(), r, 1, kKeys1, kKeys1, WEFT_JOIN_INNER, nullptr, &t2));
  ASSERT_WEFT_OK(weft_table_sort(nullptr, t2, 2, sort_keys, desc, &t3));
  Table t4 = eager_filter(t3, f_left), t5 = eager_filter(t4.get(), f_right), t6 = eager_filter(t5.get(), f_both);
  Table t7 = eager_select(t6.get(), sel, false);
  ASSERT_WEFT_OK(weft_table_slice(t7.get(), 0, 50, &t8));
  expect_same(got.get(), t8, "chain");
  weft_table_free(t2), weft_table_free(t3), weft_table_free(t8);
}

INSTANTIATE_TEST_SUITE_P(Sizes, PlanOps, ::testing::ValuesIn(kSizes));

// The plan keeps the scanned table's buffers alive after the caller frees the table.
TEST(PlanLifetime, ScanOutlivesTable) {
  std::mt19937_64 rng(5);
  auto cols = left_cols(100, 0.1, rng);
  {
    auto built = jc::build(cols);
    weft_table *copy = nullptr;
    ASSERT_WEFT_OK(weft_table_concat(1, (const weft_table *const *)&built->table, &copy));
    Plan s = scan(copy);
    Table want(nullptr);
    weft_table *w = nullptr;
    ASSERT_WEFT_OK(weft_table_slice(copy, 0, 100, &w));
    want.reset(w);
    weft_table_free(copy);  // the plan and `want` still hold the buffers
    expect_same(collect(s).get(), want.get(), "after free");
  }
}

}  // namespace
