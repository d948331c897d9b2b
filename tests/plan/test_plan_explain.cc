// The optimizer as explain shows it (filters below joins and sorts, merged filters, scans
// of only the used columns), the device each operator runs on and why, strict mode, and
// errors that name the bad argument.
#include "plan_helpers.h"

using namespace pl;

namespace {

struct Fixture {
  std::unique_ptr<jc::Built> left, right;
  explicit Fixture(size_t n = 1000) {
    std::mt19937_64 rng(99);
    left = jc::build(left_cols(n, 0.1, rng));
    right = jc::build(right_cols(30, 0.1, rng));
  }
};

const char *kK[] = {"k"};

Plan filter(const Plan &in, const Expr &pred) {
  weft_plan *p = nullptr;
  weft_status st = weft_plan_filter(in.get(), pred.get(), &p);
  return own_plan(st, p);
}

Plan join(const Plan &l, const Plan &r, weft_join_kind how) {
  weft_plan *p = nullptr;
  weft_status st = weft_plan_join(l.get(), r.get(), 1, kK, kK, how, nullptr, &p);
  return own_plan(st, p);
}

Plan select(const Plan &in, const std::vector<Expr> &e) {
  weft_plan *p = nullptr;
  auto r = raw(e);
  weft_status st = weft_plan_select(in.get(), r.size(), r.data(), &p);
  return own_plan(st, p);
}

TEST(PlanExplain, FilterMovesIntoTheJoinSides) {
  Fixture f;
  Plan j = join(scan(f.left->table), scan(f.right->table), WEFT_JOIN_INNER);
  Expr on_left = bin(WEFT_OP_GT, col("v"), litf(0.0)), on_right = un(WEFT_OP_IS_NOT_NULL, col("w"));
  const std::string fleft = "FILTER " + text_of(on_left), fright = "FILTER " + text_of(on_right);
  Plan p = filter(filter(j, on_left), on_right);
  std::string text = explain(p);
  // JOIN is the root; each filter sits under it, above the scan of its side
  int jl = line_of(text, "JOIN inner"), fl = line_of(text, fleft), fr = line_of(text, fright);
  ASSERT_EQ(jl, 0) << text;
  ASSERT_GT(fl, jl) << text;
  ASSERT_GT(fr, fl) << text;
  EXPECT_GT(indent_of(text, fl), indent_of(text, jl)) << text;
  EXPECT_EQ(indent_of(text, fl), indent_of(text, fr)) << text;
  EXPECT_EQ(line_of(text, "SCAN"), fl + 1) << text;

  // a left join takes only the left-side filter down; the right-side one stays above
  Plan lj = filter(filter(join(scan(f.left->table), scan(f.right->table), WEFT_JOIN_LEFT), on_left),
                   on_right);
  text = explain(lj);
  EXPECT_EQ(line_of(text, fright), 0) << text;
  EXPECT_EQ(line_of(text, "JOIN left"), 1) << text;
  EXPECT_GT(line_of(text, fleft), 1) << text;
}

TEST(PlanExplain, FiltersMergeAndPassSortAndSelect) {
  Fixture f;
  const char *keys[] = {"i"};
  weft_plan *s = nullptr;
  ASSERT_WEFT_OK(weft_plan_sort(scan(f.left->table).get(), 1, keys, nullptr, 1, &s));
  Plan p = select(own_plan(WEFT_OK, s), {col("k"), col("v"), alias(bin(WEFT_OP_MUL, col("i"), lit(2)), "i2")});
  Expr fv = bin(WEFT_OP_GT, col("v"), litf(0.0)), fk = bin(WEFT_OP_LT, col("k"), lit(3));
  p = filter(filter(p, fv), fk);
  // a filter on the computed column stays above the select
  Expr fi2 = bin(WEFT_OP_GT, col("i2"), lit(0));
  p = filter(p, fi2);
  std::string text = explain(p);
  EXPECT_EQ(line_of(text, "FILTER " + text_of(fi2)), 0) << text;
  EXPECT_EQ(line_of(text, "SELECT"), 1) << text;
  EXPECT_EQ(line_of(text, "SORT by [i]"), 2) << text;
  // merged in the order they were applied
  EXPECT_EQ(line_of(text, "FILTER " + text_of(bin(WEFT_OP_AND, fv, fk))), 3) << text;
  EXPECT_EQ(line_of(text, "SCAN"), 4) << text;
  EXPECT_NE(text.find("SCAN 1000 rows, 3 of 5 columns [k, v, i]"), std::string::npos) << text;
}

TEST(PlanExplain, ScanListsOnlyUsedColumns) {
  Fixture f;
  weft_agg agg = {WEFT_AGG_SUM, col("v").get(), "total"};
  const char *keys[] = {"g"};
  weft_plan *g = nullptr;
  Expr v = col("v");
  agg.input = v.get();
  ASSERT_WEFT_OK(weft_plan_group_by(scan(f.left->table).get(), 1, keys, 1, &agg, &g));
  std::string text = explain(own_plan(WEFT_OK, g));
  EXPECT_NE(text.find("SCAN 1000 rows, 2 of 5 columns [g, v]"), std::string::npos) << text;

  // a join keeps the clashing left column so the right's still gets its suffix
  Plan j = join(scan(f.left->table), scan(f.right->table), WEFT_JOIN_INNER);
  Plan p = select(j, {col("v_right")});
  text = explain(p);
  EXPECT_NE(text.find("SCAN 1000 rows, 2 of 5 columns [k, v]"), std::string::npos) << text;
  EXPECT_NE(text.find("SCAN 30 rows, 2 of 3 columns [k, v]"), std::string::npos) << text;
  Table got = collect(p);
  EXPECT_EQ(jc::names_of(got.get()), std::vector<std::string>{"v_right"});

  // a semi join reads only the right side's keys
  text = explain(join(scan(f.left->table), scan(f.right->table), WEFT_JOIN_SEMI));
  EXPECT_NE(text.find("SCAN 30 rows, 1 of 3 columns [k]"), std::string::npos) << text;
  EXPECT_NE(text.find("SCAN 1000 rows, 5 columns"), std::string::npos) << text;
}

TEST(PlanExplain, DevicesAndReasons) {
  Fixture small(1000), big(150000);
  Plan p = filter(scan(small.left->table), bin(WEFT_OP_GT, col("v"), litf(0.0)));
  std::string text = explain(p);
  EXPECT_NE(text.find("[cpu: auto, small input (1000 rows, devices evaluate from 100000)]"), std::string::npos) << text;
  EXPECT_NE(text.find("SCAN 1000 rows, 5 columns [k, g, v, i, b]  [cpu: a view of host memory, no copy]"),
            std::string::npos) << text;

  const char *keys[] = {"i"};
  weft_plan *s = nullptr;
  ASSERT_WEFT_OK(weft_plan_unique(scan(big.left->table).get(), 1, keys, &s));
  text = explain(own_plan(WEFT_OK, s));
  // by cost on a GPU; the CPU when the backends found none, or when no GPU driver could
  // answer (then they stay closed)
  EXPECT_TRUE(text.find("UNIQUE [i]  [auto: by cost, cpu or ") != std::string::npos ||
              text.find("UNIQUE [i]  [cpu: no GPU device (auto)]") != std::string::npos ||
              text.find("UNIQUE [i]  [cpu: no GPU driver: ") != std::string::npos)
      << text;
  // a large sort under auto: by cost on a GPU with sort kernels, else the CPU
  ASSERT_WEFT_OK(weft_plan_sort(scan(big.left->table).get(), 1, keys, nullptr, 1, &s));
  text = explain(own_plan(WEFT_OK, s));
  EXPECT_TRUE(text.find("SORT by [i] nulls last  [auto: by cost, cpu or ") != std::string::npos ||
              text.find("SORT by [i] nulls last  [cpu: no GPU device (auto)]") != std::string::npos ||
              text.find("SORT by [i] nulls last  [cpu: no GPU driver: ") != std::string::npos)
      << text;

  // a GPU asked for: a group_by with a utf8 min falls back (its backend is missing, or
  // byte comparisons stay on the CPU)
  weft_exec *exec = nullptr;
  ASSERT_WEFT_OK(weft_exec_create(&exec));
  if (weft_exec_set_device(exec, "cuda") == WEFT_OK || weft_exec_set_device(exec, "opencl") == WEFT_OK) {
    const char *gkeys[] = {"k"};
    Expr g = col("g");
    weft_agg agg = {WEFT_AGG_MIN, g.get(), "gmin"};
    ASSERT_WEFT_OK(weft_plan_group_by(scan(small.left->table).get(), 1, gkeys, 1, &agg, &s));
    Plan sp = own_plan(WEFT_OK, s);
    text = explain(sp, exec);
    EXPECT_NE(text.find("GROUP_BY [k] agg [min(col(\"g\")) as \"gmin\"]  [fell back to cpu: "),
              std::string::npos) << text;
    Table got = collect(sp, exec);  // not strict: runs on the CPU
    EXPECT_GT(jc::rows_of(got.get()).size(), 0u);
    ASSERT_WEFT_OK(weft_exec_set_strict(exec, 1));
    text = explain(sp, exec);
    EXPECT_NE(text.find("fails in strict mode: "), std::string::npos) << text;
    weft_table *out = nullptr;
    weft_status st = weft_plan_collect(exec, sp.get(), &out);
    EXPECT_TRUE(st == WEFT_ERR_UNSUPPORTED || st == WEFT_ERR_BACKEND_UNAVAILABLE)
        << weft_status_name(st) << ": " << weft_last_error();
    EXPECT_EQ(out, nullptr);
    EXPECT_NE(std::string(weft_last_error()).find("GROUP_BY [k]"), std::string::npos) << weft_last_error();
  }
  weft_exec_free(exec);
}

TEST(PlanExplain, ShowsWhatRanAfterCollect) {
  Fixture f;
  Expr pred = bin(WEFT_OP_GT, col("v"), litf(0.0));
  Plan p = filter(scan(f.left->table), pred);
  weft_exec *exec = nullptr;
  ASSERT_WEFT_OK(weft_exec_create(&exec));
  EXPECT_EQ(explain(p, exec).find("ran (last collect)"), std::string::npos);
  Table t = collect(p, exec);
  std::string text = explain(p, exec);
  EXPECT_NE(text.find("ran (last collect):\nSCAN"), std::string::npos) << text;
  const char *report = nullptr;
  ASSERT_WEFT_OK(weft_exec_report(exec, &report));
  EXPECT_NE(std::string(report).find("FILTER " + text_of(pred)), std::string::npos) << report;
  EXPECT_NE(std::string(report).find("  filter: 1000 rows"), std::string::npos) << report;
  weft_exec_free(exec);
}

std::string error_of(weft_status st) {
  EXPECT_NE(st, WEFT_OK);
  return weft_last_error();
}

TEST(PlanErrors, NameTheArgument) {
  Fixture f;
  Plan s = scan(f.left->table);
  weft_plan *p = nullptr;
  EXPECT_NE(error_of(weft_plan_scan(nullptr, &p)).find("weft_plan_scan: table is NULL"), std::string::npos);
  EXPECT_NE(error_of(weft_plan_filter(s.get(), nullptr, &p)).find("predicate is NULL"), std::string::npos);
  EXPECT_NE(error_of(weft_plan_filter(nullptr, col("v").get(), &p)).find("input is NULL"), std::string::npos);
  std::string m = error_of(weft_plan_filter(s.get(), bin(WEFT_OP_GT, col("nope"), lit(1)).get(), &p));
  EXPECT_NE(m.find("weft_plan_filter"), std::string::npos) << m;
  EXPECT_NE(m.find("nope"), std::string::npos) << m;
  m = error_of(weft_plan_filter(s.get(), col("v").get(), &p));
  EXPECT_NE(m.find("not bool"), std::string::npos) << m;
  const weft_expr *exprs[] = {col("k").get(), nullptr};
  Expr k = col("k");
  exprs[0] = k.get();
  EXPECT_NE(error_of(weft_plan_select(s.get(), 2, exprs, &p)).find("exprs[1] is NULL"), std::string::npos);
  const char *keys[] = {"k", nullptr};
  EXPECT_NE(error_of(weft_plan_sort(s.get(), 2, keys, nullptr, 1, &p)).find("keys[1] is NULL"), std::string::npos);
  const char *bad[] = {"zz"};
  m = error_of(weft_plan_sort(s.get(), 1, bad, nullptr, 1, &p));
  EXPECT_NE(m.find("zz"), std::string::npos) << m;
  EXPECT_NE(error_of(weft_plan_sort(s.get(), 0, keys, nullptr, 1, &p)).find("nkeys = 0"), std::string::npos);
  EXPECT_NE(error_of(weft_plan_join(s.get(), s.get(), 1, kK, kK, (weft_join_kind)9, nullptr, &p)).find("kind 9"),
            std::string::npos);
  m = error_of(weft_plan_join(s.get(), scan(f.right->table).get(), 1, kK, bad, WEFT_JOIN_INNER, nullptr, &p));
  EXPECT_NE(m.find("right key 0"), std::string::npos) << m;
  EXPECT_NE(error_of(weft_plan_slice(s.get(), 0, -1, &p)).find("length -1"), std::string::npos);
  EXPECT_NE(error_of(weft_plan_head(s.get(), -2, &p)).find("n -2"), std::string::npos);
  weft_agg agg = {WEFT_AGG_SUM, nullptr, "x"};
  m = error_of(weft_plan_group_by(s.get(), 1, kK, 1, &agg, &p));
  EXPECT_NE(m.find("aggregation 0"), std::string::npos) << m;
  EXPECT_NE(error_of(weft_plan_unique(s.get(), 1, bad, &p)).find("zz"), std::string::npos);
  EXPECT_NE(error_of(weft_plan_collect(nullptr, nullptr, nullptr)).find("out is NULL"), std::string::npos);
  weft_table *out = nullptr;
  EXPECT_NE(error_of(weft_plan_collect(nullptr, nullptr, &out)).find("plan is NULL"), std::string::npos);
  const char *text = nullptr;
  EXPECT_NE(error_of(weft_plan_explain(nullptr, nullptr, &text)).find("plan is NULL"), std::string::npos);
  EXPECT_EQ(p, nullptr);
}

TEST(PlanSchema, IsTheOutputSchema) {
  Fixture f;
  Plan p = select(scan(f.left->table), {col("g"), alias(bin(WEFT_OP_DIV, col("i"), lit(2)), "half")});
  weft_table *schema = nullptr;
  ASSERT_WEFT_OK(weft_plan_schema(p.get(), &schema));
  Table t(schema);
  EXPECT_EQ(jc::names_of(t.get()), (std::vector<std::string>{"g", "half"}));
  EXPECT_EQ(jc::types_of(t.get()), (std::vector<weft_type>{WEFT_TYPE_UTF8, WEFT_TYPE_FLOAT64}));
  EXPECT_EQ(jc::rows_of(t.get()).size(), 0u);
}

}  // namespace
