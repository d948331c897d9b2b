// A device kernel that fails in the middle of an operation (the OpenCL backend's test switch
// WEFT_OPENCL_FAIL_LAUNCH=N fails its Nth launch): the work is re-run on the CPU with the
// CPU's answer and "fell back to cpu" with the reason in the report; strict mode returns
// the error. For sort, group_by, join, filter, select and k-NN.
#include <stdlib.h>

#include <cstring>
#include <sstream>

#include "../frame/group_sort_helpers.h"
#include "test_support.h"

namespace {

// The backend reads whether the switch exists once, when it loads: set it before any call.
const int kSwitchOn = setenv("WEFT_OPENCL_FAIL_LAUNCH", "0", 1);
const char kInjected[] = "injected by WEFT_OPENCL_FAIL_LAUNCH";

// Fails the nth launch from now (a new value each time, so the backend counts afresh).
void fail_launch(int n) {
  static int serial = 0;
  std::string v = std::to_string(n) + " #" + std::to_string(++serial);
  setenv("WEFT_OPENCL_FAIL_LAUNCH", v.c_str(), 1);
}

std::string render(const weft_table *t) {
  std::ostringstream o;
  for (const std::string &n : jc::names_of(t)) o << n << "|";
  o << "\n";
  for (const auto &row : jc::rows_of(t)) {
    for (const auto &c : row) o << (c ? *c : "<null>") << ",";
    o << "\n";
  }
  return o.str();
}

// op(exec, answer) runs the operation with `exec` and renders its answer on WEFT_OK.
using Op = std::function<weft_status(weft_exec *, std::string *)>;

class DeviceFault : public ::testing::Test {
 protected:
  size_t dev = 0;
  std::string id = "opencl:0";
  void SetUp() override {
    ASSERT_EQ(kSwitchOn, 0);
    WEFT_REQUIRE_DEVICE(id, dev);
  }
  void TearDown() override {
    setenv("WEFT_OPENCL_FAIL_LAUNCH", "0", 1);
    weft_test_ok(weft_device_set_memory_limit(dev, 0));
  }
  // Runs `op` on the CPU, then on the device with its 1st, 2nd, ... launch failing: the
  // same answer, the fallback and its reason in the report, strict mode an error. Returns
  // how many runs the fault hit.
  int check(const char *name, const Op &op, std::initializer_list<int> launches) {
    std::string want, got;
    {
      TestExec cpu("cpu");
      EXPECT_EQ(op(cpu.e, &want), WEFT_OK) << name << ": " << weft_last_error();
    }
    int hit = 0;
    for (int n : launches) {
      TestExec loose(id, 0), strict(id, 1);
      fail_launch(n);
      weft_status st = op(loose.e, &got);
      EXPECT_EQ(st, WEFT_OK) << name << " launch " << n << ": " << weft_last_error();
      EXPECT_EQ(got, want) << name << " launch " << n << ": not the CPU's answer";
      std::string report = loose.report();
      if (getenv("WEFT_TEST_SHOW_REPORT")) printf("%s\n", report.c_str());
      if (report.find(kInjected) == std::string::npos) continue;  // fewer launches than n
      hit++;
      EXPECT_NE(report.find("fell back to cpu"), std::string::npos) << name << ": " << report;
      fail_launch(n);
      got.clear();
      st = op(strict.e, &got);
      EXPECT_NE(st, WEFT_OK) << name << " launch " << n << ", strict: " << strict.report();
      EXPECT_NE(std::string(weft_last_error()).find(kInjected), std::string::npos)
          << name << ": " << weft_last_error();
      // And the device works again without the fault.
      fail_launch(0);
      EXPECT_EQ(op(strict.e, &got), WEFT_OK) << name << ": " << weft_last_error();
      EXPECT_EQ(got, want) << name;
    }
    // Every n is within the operation's launches: a failure the report does not name was
    // swallowed or its reason lost.
    EXPECT_EQ(hit, (int)launches.size()) << name << ": an injected failure missing from the report";
    printf("[ device   ] %s: the failure hit %d of %zu runs\n", name, hit, launches.size());
    return hit;
  }
};

std::unique_ptr<jc::Built> keyed_table(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  return jc::build({{"k", WEFT_TYPE_INT64, gs::random_cells(WEFT_TYPE_INT64, n, 0.05, 300, rng)},
                    {"v", WEFT_TYPE_FLOAT64, gs::random_cells(WEFT_TYPE_FLOAT64, n, 0.05, 5000, rng)},
                    {"i", WEFT_TYPE_INT32, gs::random_cells(WEFT_TYPE_INT32, n, 0.0, 100000, rng)},
                    gs::row_ids(n)});
}

Op table_op(std::function<weft_status(weft_exec *, weft_table **)> f) {
  return [f](weft_exec *e, std::string *ans) {
    weft_table *out = nullptr;
    weft_status st = f(e, &out);
    if (st == WEFT_OK) *ans = render(out);
    weft_table_free(out);
    return st;
  };
}

TEST_F(DeviceFault, Sort) {
  auto t = keyed_table(20011, 1);
  const char *keys[] = {"k", "v"};
  int desc[] = {0, 1};
  check("sort", table_op([&](weft_exec *e, weft_table **out) {
    return weft_table_sort(e, t->table, 2, keys, desc, out);
  }), {1, 2, 3, 5, 9});
}

TEST_F(DeviceFault, GroupBy) {
  auto t = keyed_table(20011, 2);
  weft_expr *v = nullptr;
  ASSERT_WEFT_OK(weft_expr_column("v", &v));
  const char *keys[] = {"k"};
  weft_agg aggs[] = {{WEFT_AGG_SUM, v, "sum"}, {WEFT_AGG_MAX, v, "max"}, {WEFT_AGG_LEN, nullptr, "n"}};
  check("group_by", table_op([&](weft_exec *e, weft_table **out) {
    return weft_table_group_by(e, t->table, 1, keys, 3, aggs, out);
  }), {1, 2, 3, 5});
  weft_expr_free(v);
}

TEST_F(DeviceFault, Join) {
  auto l = keyed_table(5003, 3), r = keyed_table(1001, 4);
  const char *on[] = {"k"};
  for (weft_join_kind kind : {WEFT_JOIN_INNER, WEFT_JOIN_LEFT}) {
    check(kind == WEFT_JOIN_INNER ? "inner join" : "left join",
          table_op([&](weft_exec *e, weft_table **out) {
            return weft_table_join(e, l->table, r->table, 1, on, on, kind, nullptr, out);
          }), {1, 2, 3, 5});
  }
}

TEST_F(DeviceFault, FilterAndSelectMidPartition) {
  auto t = keyed_table(60001, 5);
  // A small cap: the rows stream through the device in many partitions, and a later
  // launch fails with some partitions done.
  ASSERT_WEFT_OK(weft_device_set_memory_limit(dev, 1 << 18));
  weft_expr *v = nullptr, *i = nullptr, *two = nullptr, *prod = nullptr, *pred = nullptr;
  ASSERT_WEFT_OK(weft_expr_column("v", &v));
  ASSERT_WEFT_OK(weft_expr_column("i", &i));
  ASSERT_WEFT_OK(weft_expr_literal_float64(2.5, &two));
  ASSERT_WEFT_OK(weft_expr_binary(WEFT_OP_MUL, v, two, &prod));
  ASSERT_WEFT_OK(weft_expr_binary(WEFT_OP_GT, prod, i, &pred));
  weft_expr *named = nullptr;
  ASSERT_WEFT_OK(weft_expr_alias(pred, "p", &named));
  const weft_expr *sel[] = {prod, named};
  check("filter", table_op([&](weft_exec *e, weft_table **out) {
    return weft_table_filter(e, t->table, pred, out);
  }), {1, 2, 3});
  check("select", table_op([&](weft_exec *e, weft_table **out) {
    return weft_table_select(e, t->table, 2, sel, out);
  }), {1, 2, 4, 6});
  for (weft_expr *x : {v, i, two, prod, pred, named}) weft_expr_free(x);
}

TEST_F(DeviceFault, Knn) {
  const size_t dim = 32, n = 5003, nq = 41, k = 10;
  std::mt19937_64 rng(6);
  std::normal_distribution<float> g;
  std::vector<float> base(n * dim), q(nq * dim);
  for (float &x : base) x = g(rng);
  for (float &x : q) x = g(rng);
  weft_index *ix = nullptr;
  ASSERT_WEFT_OK(weft_index_create(dim, WEFT_METRIC_L2, &ix));
  ASSERT_WEFT_OK(weft_index_add(ix, n, base.data(), nullptr));
  check("knn", [&](weft_exec *e, std::string *ans) {
    std::vector<float> d(nq * k);
    std::vector<int64_t> l(nq * k);
    weft_status st = weft_index_search(e, ix, nq, q.data(), k, nullptr, 0, d.data(), l.data());
    if (st != WEFT_OK) return st;
    std::ostringstream o;
    for (size_t j = 0; j < l.size(); j++) {
      uint32_t bits;
      memcpy(&bits, &d[j], 4);
      o << l[j] << "/" << bits << ",";
    }
    *ans = o.str();
    return WEFT_OK;
  }, {1, 2, 3});
  weft_index_free(ix);
}

}  // namespace
