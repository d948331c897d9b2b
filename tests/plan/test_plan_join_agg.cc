// The fused join + aggregate (an aggregate-only group_by directly over a join, run as one
// pass over the left rows without building the join: frame/join/join_agg.c) against the unfused
// path (the eager join, then the eager group_by): inner, left, semi and anti joins, keys and
// values with nulls and NaN, a right side with unique keys (fused: a direct table, or a hash
// table when they are spread too wide) and with duplicate keys (an inner or left join falls
// back at run time), empty and one-row sides, left sides past one 65,536-row range. Everything but float sums must be
// equal; float sums and means add in the pass's lanes, so they compare to a relative 1e-9.
#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "plan_helpers.h"

using namespace pl;

namespace {

const size_t kSizes[] = {0, 1, 7, 4097, 70001};
const weft_join_kind kKinds[] = {WEFT_JOIN_INNER, WEFT_JOIN_LEFT, WEFT_JOIN_SEMI, WEFT_JOIN_ANTI};

// Right side: k (int64, m keys 0..m-1 shuffled, or as `keys` says, one null), x (float64:
// v clashes with the left's and becomes v_right), j (int32 with nulls), c (bool).
std::vector<Col> right_side(size_t m, const std::vector<int64_t> &keys, std::mt19937_64 &rng) {
  std::vector<jc::Cell> k(m), v = gs::random_cells(WEFT_TYPE_FLOAT64, m, 0.2, 40, rng),
                          j = gs::random_cells(WEFT_TYPE_INT32, m, 0.2, 50, rng),
                          c = gs::random_cells(WEFT_TYPE_BOOL, m, 0.0, 2, rng);
  for (size_t r = 0; r < m; r++) k[r] = std::to_string(keys[r]);
  if (m > 2) k[1].reset();
  return {{"k", WEFT_TYPE_INT64, k}, {"v", WEFT_TYPE_FLOAT64, v}, {"j", WEFT_TYPE_INT32, j},
          {"c", WEFT_TYPE_BOOL, c}};
}

std::vector<int64_t> shuffled(size_t m, int64_t scale, std::mt19937_64 &rng) {
  std::vector<int64_t> keys(m);
  for (size_t r = 0; r < m; r++) keys[r] = (int64_t)r * scale;
  std::shuffle(keys.begin(), keys.end(), rng);
  return keys;
}

struct Aggs {
  std::vector<Expr> in;
  std::vector<weft_agg> a;
};

Aggs aggs_for(weft_join_kind kind) {
  Aggs g;
  g.in = {col("v"), col("i"), col("k"), col("b")};
  g.a = {{WEFT_AGG_LEN, nullptr, "rows"},        {WEFT_AGG_SUM, g.in[0].get(), "v_sum"},
         {WEFT_AGG_MIN, g.in[1].get(), "i_min"}, {WEFT_AGG_MAX, g.in[2].get(), "k_max"},
         {WEFT_AGG_COUNT, g.in[0].get(), "v_n"}, {WEFT_AGG_SUM, g.in[3].get(), "b_sum"}};
  if (kind == WEFT_JOIN_SEMI || kind == WEFT_JOIN_ANTI) return g;
  size_t base = g.in.size();
  g.in.push_back(col("v_right"));
  g.in.push_back(col("j"));
  g.in.push_back(bin(WEFT_OP_MUL, col("v"), col("v_right")));
  g.in.push_back(col("c"));
  g.a.push_back({WEFT_AGG_SUM, g.in[base].get(), "w_sum"});
  g.a.push_back({WEFT_AGG_MEAN, g.in[base].get(), "w_mean"});
  g.a.push_back({WEFT_AGG_MAX, g.in[base + 1].get(), "j_max"});
  g.a.push_back({WEFT_AGG_SUM, g.in[base + 1].get(), "j_sum"});
  g.a.push_back({WEFT_AGG_SUM, g.in[base + 2].get(), "vw_sum"});
  g.a.push_back({WEFT_AGG_COUNT, g.in[base + 3].get(), "c_n"});
  g.a.push_back({WEFT_AGG_MIN, g.in[base + 3].get(), "c_min"});
  return g;
}

bool float_sum(const std::string &name) {
  return name == "v_sum" || name == "w_sum" || name == "w_mean" || name == "vw_sum";
}


// The plan's result (checking its explain line and whether the pass ran) against the eager
// join, then group_by.
void check(const weft_table *l, const weft_table *r, weft_join_kind kind, bool fused_run,
           const std::string &what, std::vector<const char *> by = {}) {
  Aggs g = aggs_for(kind);
  const char *on[] = {"k"};
  weft_plan *j = nullptr, *p = nullptr;
  ASSERT_WEFT_OK(weft_plan_join(scan(l).get(), scan(r).get(), 1, on, on, kind, nullptr, &j));
  Plan jp = own_plan(WEFT_OK, j);
  ASSERT_WEFT_OK(weft_plan_group_by(jp.get(), by.size(), by.data(), g.a.size(), g.a.data(), &p));
  Plan gp = own_plan(WEFT_OK, p);
  std::string text = explain(gp);
  EXPECT_EQ(line_of(text, "join + aggregate (fused)"), 0) << what << "\n" << text;
  EXPECT_EQ(line_of(text, "JOIN"), -1) << what << "\n" << text;
  EXPECT_EQ(text.find(" by [") != std::string::npos, !by.empty()) << what << "\n" << text;
  weft_exec *ex = nullptr;
  ASSERT_WEFT_OK(weft_exec_create(&ex));
  weft_table *got_t = nullptr;
  ASSERT_WEFT_OK(weft_plan_collect(ex, gp.get(), &got_t));
  Table got(got_t);
  const char *report = nullptr;
  ASSERT_WEFT_OK(weft_exec_report(ex, &report));
  std::string rep = report ? report : "";
  weft_exec_free(ex);
  EXPECT_EQ(rep.find("the join's output was not built") != std::string::npos, fused_run) << what << "\n" << rep;
  EXPECT_EQ(rep.find("not fused") != std::string::npos, !fused_run) << what << "\n" << rep;

  weft_table *joined = nullptr, *want = nullptr;
  ASSERT_WEFT_OK(weft_table_join(nullptr, l, r, 1, on, on, kind, nullptr, &joined));
  Table jt(joined);
  ASSERT_WEFT_OK(weft_table_group_by(nullptr, jt.get(), by.size(), by.data(), g.a.size(), g.a.data(), &want));
  Table wt(want);
  expect_close(got.get(), wt.get(), what, float_sum);
}

class PlanJoinAgg : public ::testing::TestWithParam<std::tuple<size_t, weft_join_kind>> {};

TEST_P(PlanJoinAgg, MatchesJoinThenGroupBy) {
  auto [n, kind] = GetParam();
  std::mt19937_64 rng(1234 + n + (size_t)kind);
  auto left = jc::build(left_cols(n, 0.2, rng));  // k: int32 keys 0..5 with nulls
  std::string what = "kind " + std::to_string((int)kind) + ", " + std::to_string(n) + " left rows";
  // a semi or anti join needs only whether one right row matches (repeated keys too), but
  // with the right side the larger it builds on the left instead: not fused then
  bool exists_only = kind == WEFT_JOIN_SEMI || kind == WEFT_JOIN_ANTI;
  auto fuses = [&](size_t m) { return !exists_only || m <= n; };
  for (size_t m : {size_t(0), size_t(1), size_t(4), size_t(40)}) {
    auto right = jc::build(right_side(m, shuffled(m, 1, rng), rng));
    check(left->table, right->table, kind, fuses(m), what + ", " + std::to_string(m) + " unique right keys");
    // grouped by left columns of few values (nulls a group of their own)
    check(left->table, right->table, kind, fuses(m), what + ", by b and g", {"b", "g"});
  }
  std::vector<int64_t> dup = {0, 1, 2, 3, 2, 5, 0};
  auto right = jc::build(right_side(dup.size(), dup, rng));
  check(left->table, right->table, kind, exists_only && fuses(dup.size()), what + ", duplicate right keys");
  // unique keys too far apart for a direct table: the hash table
  auto wide = jc::build(right_side(6, shuffled(6, int64_t(1) << 40, rng), rng));
  check(left->table, wide->table, kind, fuses(6), what + ", keys spread wide");
}

INSTANTIATE_TEST_SUITE_P(SizesAndKinds, PlanJoinAgg,
                         ::testing::Combine(::testing::ValuesIn(kSizes), ::testing::ValuesIn(kKinds)));

}  // namespace
