// Tables and lazy plans shared by many threads: eager group_by, sort, join, filter, take and
// read_csv over the same tables, and collects of plans built over one shared scan node (each
// thread its own handles above it, as weft.h asks), all at once. Every answer must equal
// the one computed before the threads start (one thread). The left table has more rows than
// one 65,536-row range of the fused passes, so every pass runs on the pool's threads.
#include <cstdio>
#include <unistd.h>

#include "../plan/plan_helpers.h"
#include "concurrency_helpers.h"

using namespace pl;

namespace {

constexpr size_t kLeftRows = 70001;

// One string for a whole table: names, types, rows and a hash of every cell's bits (null
// cells by their null bit alone), cheaper than the cells as text.
std::string fingerprint(const weft_table *t) {
  if (!t) return "<no table>";
  std::string s;
  for (auto &n : jc::names_of(t)) s += n + ",";
  int64_t rows = tt::num_rows(t);
  uint64_t h = 1469598103934665603ull;
  auto mix = [&h](const void *p, size_t n) {
    for (size_t i = 0; i < n; i++) h = (h ^ ((const unsigned char *)p)[i]) * 1099511628211ull;
  };
  for (size_t c = 0; c < tt::num_cols(t); c++) {
    weft_column_view v;
    weft_test_ok(weft_table_column(t, c, &v));
    s += std::to_string((int)v.type) + ",";
    for (int64_t r = 0; r < rows; r++) {
      int64_t i = v.offset + r;
      unsigned char valid = !v.validity || ((v.validity[i / 8] >> (i % 8)) & 1);
      mix(&valid, 1);
      if (!valid) continue;
      if (v.type == WEFT_TYPE_BOOL) {
        unsigned char bit = (((const uint8_t *)v.values)[i / 8] >> (i % 8)) & 1;
        mix(&bit, 1);
      } else if (v.type == WEFT_TYPE_UTF8) {
        const int32_t *o = (const int32_t *)v.values;
        mix(v.data + o[i], (size_t)(o[i + 1] - o[i]));
        mix("\0", 1);
      } else {
        size_t w = tt::width(v.type);
        mix((const char *)v.values + (size_t)i * w, w);
      }
    }
  }
  return s + std::to_string(rows) + ":" + std::to_string(h);
}

struct Shared {
  std::unique_ptr<jc::Built> left, right;
  Plan scan_left, scan_right;
  std::string csv_path;
};

using Op = std::function<std::string(const Shared &, weft_exec *)>;

std::string eager(weft_status st, weft_table *out) {
  Table t(out);
  if (st != WEFT_OK) return std::string("error: ") + weft_last_error();
  return fingerprint(t.get());
}

std::string collected(const Plan &p, weft_exec *e) {
  weft_table *out = nullptr;
  weft_status st = weft_plan_collect(e, p.get(), &out);
  return eager(st, out);
}

std::vector<std::pair<std::string, Op>> operations() {
  std::vector<std::pair<std::string, Op>> ops;
  ops.push_back({"group_by", [](const Shared &s, weft_exec *e) {
    Expr v = col("v"), i = col("i");
    weft_agg a[] = {{WEFT_AGG_SUM, v.get(), "s"}, {WEFT_AGG_N_UNIQUE, i.get(), "u"},
                    {WEFT_AGG_LEN, nullptr, "n"}};
    const char *keys[] = {"k", "g"};
    weft_table *out = nullptr;
    weft_status st = weft_table_group_by(e, s.left->table, 2, keys, 3, a, &out);
    return eager(st, out);
  }});
  ops.push_back({"sort", [](const Shared &s, weft_exec *e) {
    const char *keys[] = {"g", "v"};
    int desc[] = {0, 1};
    weft_table *out = nullptr;
    weft_status st = weft_table_sort(e, s.left->table, 2, keys, desc, &out);
    return eager(st, out);
  }});
  ops.push_back({"join", [](const Shared &s, weft_exec *e) {
    const char *on[] = {"k"};
    weft_table *out = nullptr;
    weft_status st = weft_table_join(e, s.left->table, s.right->table, 1, on, on, WEFT_JOIN_LEFT,
                                     nullptr, &out);
    return eager(st, out);
  }});
  ops.push_back({"filter", [](const Shared &s, weft_exec *e) {
    Expr p = bin(WEFT_OP_GT, col("i"), lit(300));
    weft_table *out = nullptr;
    weft_status st = weft_table_filter(e, s.left->table, p.get(), &out);
    return eager(st, out);
  }});
  ops.push_back({"take", [](const Shared &s, weft_exec *) {
    std::vector<int64_t> rows;
    for (int64_t r = (int64_t)kLeftRows - 1; r >= 0; r -= 3) rows.push_back(r);
    weft_table *out = nullptr;
    weft_status st = weft_table_take(s.left->table, rows.data(), (int64_t)rows.size(), &out);
    return eager(st, out);
  }});
  ops.push_back({"read_csv", [](const Shared &s, weft_exec *e) {
    weft_table *out = nullptr;
    weft_status st = weft_read_csv(e, s.csv_path.c_str(), nullptr, &out);
    return eager(st, out);
  }});
  // plans over the shared scan node: a fused filter + group_by, a fused join + aggregate, a
  // sort turned top_k, a with_columns under a filter pushed below it
  ops.push_back({"plan filter+group_by", [](const Shared &s, weft_exec *e) {
    weft_plan *f = nullptr, *g = nullptr;
    Expr p = bin(WEFT_OP_LT, col("v"), litf(2.5)), v = col("v");
    weft_test_ok(weft_plan_filter(s.scan_left.get(), p.get(), &f));
    Plan fp(f, PlanFree());
    weft_agg a[] = {{WEFT_AGG_SUM, v.get(), "s"}, {WEFT_AGG_COUNT, v.get(), "c"}};
    const char *keys[] = {"k"};
    weft_test_ok(weft_plan_group_by(fp.get(), 1, keys, 2, a, &g));
    return collected(Plan(g, PlanFree()), e);
  }});
  ops.push_back({"plan join+agg", [](const Shared &s, weft_exec *e) {
    weft_plan *j = nullptr, *g = nullptr;
    const char *on[] = {"k"};
    weft_test_ok(weft_plan_join(s.scan_left.get(), s.scan_right.get(), 1, on, on, WEFT_JOIN_SEMI,
                                nullptr, &j));
    Plan jp(j, PlanFree());
    Expr i = col("i");
    weft_agg a[] = {{WEFT_AGG_SUM, i.get(), "s"}, {WEFT_AGG_LEN, nullptr, "n"}};
    weft_test_ok(weft_plan_group_by(jp.get(), 0, nullptr, 2, a, &g));
    return collected(Plan(g, PlanFree()), e);
  }});
  ops.push_back({"plan top_k", [](const Shared &s, weft_exec *e) {
    weft_plan *so = nullptr, *h = nullptr;
    const char *keys[] = {"i", "g"};
    weft_test_ok(weft_plan_sort(s.scan_left.get(), 2, keys, nullptr, 1, &so));
    Plan sp(so, PlanFree());
    weft_test_ok(weft_plan_head(sp.get(), 100, &h));
    return collected(Plan(h, PlanFree()), e);
  }});
  ops.push_back({"plan with_columns+filter", [](const Shared &s, weft_exec *e) {
    weft_plan *w = nullptr, *f = nullptr;
    Expr x = alias(bin(WEFT_OP_MUL, col("v"), litf(2.0)), "x");
    const weft_expr *xs[] = {x.get()};
    weft_test_ok(weft_plan_with_columns(s.scan_left.get(), 1, xs, &w));
    Plan wp(w, PlanFree());
    Expr p = un(WEFT_OP_IS_NOT_NULL, col("g"));
    weft_test_ok(weft_plan_filter(wp.get(), p.get(), &f));
    return collected(Plan(f, PlanFree()), e);
  }});
  return ops;
}

TEST(TableThreads, SharedTablesAndPlansGiveTheSingleThreadedAnswers) {
  std::mt19937_64 rng(3);
  Shared s;
  s.left = jc::build(left_cols(kLeftRows, 0.1, rng));
  s.right = jc::build(right_cols(40, 0.1, rng));
  s.scan_left = scan(s.left->table);
  s.scan_right = scan(s.right->table);
  char path[] = "/tmp/weft_concurrency_XXXXXX.csv";
  int fd = mkstemps(path, 4);
  ASSERT_GE(fd, 0);
  close(fd);
  s.csv_path = path;
  ASSERT_WEFT_OK(weft_write_csv(s.left->table, path));

  auto ops = operations();
  std::vector<std::string> want;
  for (auto &op : ops) {
    want.push_back(op.second(s, nullptr));
    ASSERT_EQ(want.back().rfind("error", 0), std::string::npos) << op.first << ": " << want.back();
  }
  cc::Failures fail;
  const int threads = 6, rounds = cc::rounds(12);
  cc::run_threads(threads, [&](int t) {
    weft_exec *e = nullptr;
    if (!fail.ok(weft_exec_create(&e), "exec")) return;
    fail.ok(weft_exec_set_device(e, "cpu"), "device");
    for (int r = 0; r < rounds; r++) {
      size_t i = (size_t)(t * 5 + r) % ops.size();
      std::string got = ops[i].second(s, r % 2 ? e : nullptr);
      fail.check(got == want[i], ops[i].first + " (thread " + std::to_string(t) + "): " + got +
                                     " instead of " + want[i]);
    }
    weft_exec_free(e);
  });
  EXPECT_EQ(fail.count(), 0u) << fail.text();
  unlink(path);
}

// The same operations as a process's very first calls, all at once (ctest runs each test in
// its own process), so what weft sets up on first use is set up under contention; the
// answers are compared with the single-threaded ones computed after.
TEST(TableThreads, FirstCallsOfAProcessStartTogether) {
  std::mt19937_64 rng(4);
  Shared s;
  s.left = jc::build(left_cols(kLeftRows, 0.1, rng));
  s.right = jc::build(right_cols(40, 0.1, rng));
  s.scan_left = scan(s.left->table);
  s.scan_right = scan(s.right->table);
  auto ops = operations();
  ops.erase(std::remove_if(ops.begin(), ops.end(), [](auto &op) { return op.first == "read_csv"; }),
            ops.end());
  std::vector<std::string> got(ops.size());
  cc::run_threads((int)ops.size(), [&](int t) { got[t] = ops[t].second(s, nullptr); });
  for (size_t i = 0; i < ops.size(); i++) EXPECT_EQ(got[i], ops[i].second(s, nullptr)) << ops[i].first;
}

// An exec's report and explain's text are per handle: threads explaining and collecting
// their own copies of one plan (each its own handle, sharing every node below) see their own.
TEST(TableThreads, ExplainAndCollectOfSiblingHandles) {
  std::mt19937_64 rng(5);
  auto left = jc::build(left_cols(5000, 0.1, rng));
  Plan base = scan(left->table);
  Expr p = bin(WEFT_OP_GT, col("i"), lit(100));
  cc::Failures fail;
  cc::run_threads(4, [&](int t) {
    for (int r = 0; r < cc::rounds(20); r++) {
      weft_plan *f = nullptr;
      if (!fail.ok(weft_plan_filter(base.get(), p.get(), &f), "filter")) return;
      Plan fp(f, PlanFree());
      const char *text = nullptr;
      fail.ok(weft_plan_explain(nullptr, fp.get(), &text), "explain");
      fail.check(text && std::string(text).rfind("FILTER [(col(\"i\")) > (100)]", 0) == 0,
                 "explain of thread " + std::to_string(t));
      weft_table *out = nullptr;
      fail.ok(weft_plan_collect(nullptr, fp.get(), &out), "collect");
      weft_table_free(out);
    }
  });
  EXPECT_EQ(fail.count(), 0u) << fail.text();
}

}  // namespace
