// weft_vector_index: an index the caller searches, tied to a column's buffer and rows. The
// plan's nearest searches it where its input still holds that buffer (a scan, a select),
// with the pre-filter's rows as the allowed bitset, and runs the exact search where the rows
// changed (a sort below it) or the candidates are fewer than the index reads; the report and
// explain say which. A failing callback fails the collect; strict refuses post-filters.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "weft.h"

namespace {

struct Data {
  int dim = 4;
  int64_t n;
  std::vector<float> v;
  std::vector<uint8_t> valid;
  std::vector<double> price;
  std::vector<int64_t> id;
  weft_table *t = nullptr;
  explicit Data(int64_t rows) : n(rows) {
    std::mt19937 rng(7);
    std::normal_distribution<float> g;
    v.resize((size_t)(n * dim));
    for (float &x : v) x = g(rng);
    valid.assign((size_t)(n + 7) / 8, 0);
    for (int64_t r = 0; r < n; r++) {
      if (r % 5 != 2) valid[(size_t)r / 8] |= (uint8_t)(1u << (r % 8));
      price.push_back((double)(r % 10)), id.push_back(r);
    }
    weft_column_view cols[3] = {};
    cols[0].type = WEFT_TYPE_VECTOR(dim), cols[0].length = n, cols[0].null_count = -1;
    cols[0].validity = valid.data(), cols[0].values = v.data();
    cols[1].type = WEFT_TYPE_FLOAT64, cols[1].length = n, cols[1].values = price.data();
    cols[2].type = WEFT_TYPE_INT64, cols[2].length = n, cols[2].values = id.data();
    const char *names[3] = {"emb", "price", "id"};
    EXPECT_EQ(weft_table_from_columns(3, names, cols, nullptr, nullptr, &t), WEFT_OK);
  }
  ~Data() { weft_table_free(t); }
  bool ok(int64_t r) const { return r % 5 != 2; }
};

// The caller's index: brute force over the valid rows the bitset allows (ties: smaller row).
struct Searcher {
  const Data *d;
  int calls = 0, released = 0, fail = 0;
  int64_t last_nbits = -1;
  bool had_exec = false;  // the nearest's exec, for the index's own search (its device)
};

int search(void *ctx, weft_exec *exec, size_t nq, const float *q, size_t k,
           const uint8_t *allowed, int64_t nbits, float *dist, int64_t *rows) {
  Searcher *s = (Searcher *)ctx;
  s->calls++;
  s->last_nbits = allowed ? nbits : -1;
  s->had_exec = exec != nullptr;
  if (s->fail) return WEFT_ERR_IO;
  for (size_t i = 0; i < nq; i++) {
    std::vector<std::pair<float, int64_t>> all;
    for (int64_t r = 0; r < s->d->n; r++) {
      if (!s->d->ok(r) || (allowed && !((allowed[r >> 3] >> (r & 7)) & 1))) continue;
      float acc = 0;
      for (int j = 0; j < s->d->dim; j++) {
        float e = s->d->v[(size_t)(r * s->d->dim + j)] - q[i * (size_t)s->d->dim + (size_t)j];
        acc += e * e;
      }
      all.push_back({acc, r});
    }
    std::sort(all.begin(), all.end());
    for (size_t j = 0; j < k; j++) {
      rows[i * k + j] = j < all.size() ? all[j].second : -1;
      dist[i * k + j] = j < all.size() ? all[j].first : 0;
    }
  }
  return 0;
}

void release(void *ctx) { ((Searcher *)ctx)->released++; }

std::vector<int64_t> ids(const weft_table *t) {
  weft_column_view v;
  EXPECT_EQ(weft_table_column(t, 2, &v), WEFT_OK);
  return std::vector<int64_t>((const int64_t *)v.values + v.offset,
                              (const int64_t *)v.values + v.offset + v.length);
}

weft_expr *price_below(double x) {
  weft_expr *c = nullptr, *l = nullptr, *p = nullptr;
  EXPECT_EQ(weft_expr_column("price", &c), WEFT_OK);
  EXPECT_EQ(weft_expr_literal_float64(x, &l), WEFT_OK);
  EXPECT_EQ(weft_expr_binary(WEFT_OP_LT, c, l, &p), WEFT_OK);
  weft_expr_free(c), weft_expr_free(l);
  return p;
}

std::string explain(weft_plan *p) {
  const char *text = nullptr;
  EXPECT_EQ(weft_plan_explain(nullptr, p, &text), WEFT_OK);
  return text ? text : "";
}

struct Outcome {
  std::vector<int64_t> rows;
  std::string report;
};

Outcome collect(weft_plan *p) {
  weft_exec *ex = nullptr;
  EXPECT_EQ(weft_exec_create(&ex), WEFT_OK);
  weft_table *out = nullptr;
  EXPECT_EQ(weft_plan_collect(ex, p, &out), WEFT_OK) << weft_last_error();
  const char *text = nullptr;
  EXPECT_EQ(weft_exec_report(ex, &text), WEFT_OK);
  Outcome r{out ? ids(out) : std::vector<int64_t>{}, text ? text : ""};
  weft_table_free(out);
  weft_exec_free(ex);
  return r;
}

TEST(VectorIndex, SearchedWhereTheRowsAreTheIndexedOnes) {
  Data d(1000);
  Searcher s{&d};
  weft_vector_index *ix = nullptr;
  ASSERT_EQ(weft_vector_index_new(d.t, "emb", WEFT_METRIC_L2, "mine", 0.5, search, release, &s, &ix),
            WEFT_OK);
  EXPECT_EQ(weft_vector_index_matches(ix, d.t, "emb"), 1);
  EXPECT_EQ(weft_vector_index_matches(ix, d.t, "price"), 0);
  std::vector<float> q(d.v.begin() + 40, d.v.begin() + 44);
  weft_expr *pred = price_below(8);  // 80 % of the rows: more than the index reads
  weft_plan *scan = nullptr, *filt = nullptr, *near = nullptr, *exact = nullptr;
  ASSERT_EQ(weft_plan_scan(d.t, &scan), WEFT_OK);
  ASSERT_EQ(weft_plan_filter(scan, pred, &filt), WEFT_OK);
  ASSERT_EQ(weft_plan_nearest_indexed(filt, "emb", 1, q.data(), 4, 7, WEFT_METRIC_L2, 0, ix, 0, &near),
            WEFT_OK);
  ASSERT_EQ(weft_plan_nearest(filt, "emb", 1, q.data(), 4, 7, WEFT_METRIC_L2, 0, &exact), WEFT_OK);
  weft_vector_index_free(ix);  // the plan holds its own reference
  EXPECT_NE(explain(near).find("index: mine, prefilter"), std::string::npos) << explain(near);
  Outcome got = collect(near), want = collect(exact);
  EXPECT_EQ(s.calls, 1);
  EXPECT_TRUE(s.had_exec);
  EXPECT_EQ(s.last_nbits, 1000);
  EXPECT_EQ(got.rows, want.rows);
  ASSERT_EQ(got.rows.size(), 7u);
  for (int64_t r : got.rows) EXPECT_TRUE(d.ok(r) && r % 10 < 8) << r;
  EXPECT_NE(got.report.find("index: mine searched (7 rows found of 7 asked)"), std::string::npos)
      << got.report;
  for (weft_plan *p : {scan, filt, near, exact}) weft_plan_free(p);
  weft_expr_free(pred);
  EXPECT_EQ(s.released, 1);
}

TEST(VectorIndex, ExactWhereRowsChangedOrCandidatesAreFew) {
  Data d(600);
  Searcher s{&d};
  weft_vector_index *ix = nullptr;
  ASSERT_EQ(weft_vector_index_new(d.t, "emb", WEFT_METRIC_L2, "mine", 0.5, search, release, &s, &ix),
            WEFT_OK);
  std::vector<float> q(4, 0.25f);
  const char *key[1] = {"price"};
  weft_plan *scan = nullptr, *sorted = nullptr, *near = nullptr, *few = nullptr, *filt = nullptr;
  weft_expr *pred = price_below(1);
  ASSERT_EQ(weft_plan_scan(d.t, &scan), WEFT_OK);
  ASSERT_EQ(weft_plan_sort(scan, 1, key, nullptr, 0, &sorted), WEFT_OK);
  ASSERT_EQ(weft_plan_nearest_indexed(sorted, "emb", 1, q.data(), 4, 5, WEFT_METRIC_L2, 0, ix, 0, &near),
            WEFT_OK);
  ASSERT_EQ(weft_plan_filter(scan, pred, &filt), WEFT_OK);
  ASSERT_EQ(weft_plan_nearest_indexed(filt, "emb", 1, q.data(), 4, 5, WEFT_METRIC_L2, 0, ix, 0, &few),
            WEFT_OK);
  EXPECT_NE(explain(near).find("index mine not used: its input is a SORT"), std::string::npos);
  Outcome a = collect(near);
  EXPECT_NE(a.report.find("not used: the input's rows are not the indexed ones"), std::string::npos)
      << a.report;
  Outcome b = collect(few);
  EXPECT_NE(b.report.find("not needed: the 60 candidates are fewer than the 300 rows"),
            std::string::npos) << b.report;
  for (int64_t r : b.rows) EXPECT_TRUE(d.ok(r) && r % 10 == 0);
  EXPECT_EQ(s.calls, 0);
  // a failing search fails the collect
  s.fail = 1;
  weft_plan *all = nullptr;
  ASSERT_EQ(weft_plan_nearest_indexed(scan, "emb", 1, q.data(), 4, 5, WEFT_METRIC_L2, 0, ix, 0, &all),
            WEFT_OK);
  weft_table *out = nullptr;
  EXPECT_EQ(weft_plan_collect(nullptr, all, &out), WEFT_ERR_IO);
  EXPECT_NE(std::string(weft_last_error()).find("the search of index mine failed"), std::string::npos);
  for (weft_plan *p : {scan, sorted, near, few, filt, all}) weft_plan_free(p);
  weft_expr_free(pred);
  weft_vector_index_free(ix);
  EXPECT_EQ(s.released, 1);
}

TEST(VectorIndex, StrictRefusesAFilterAfterTheSearch) {
  Data d(100);
  std::vector<float> q(4, 0.0f);
  weft_plan *scan = nullptr, *near = nullptr, *post = nullptr, *pre = nullptr;
  weft_expr *c = nullptr, *l = nullptr, *dist_pred = nullptr, *pred = price_below(5);
  ASSERT_EQ(weft_expr_column("_distance", &c), WEFT_OK);
  ASSERT_EQ(weft_expr_literal_float64(1.0, &l), WEFT_OK);
  ASSERT_EQ(weft_expr_binary(WEFT_OP_LT, c, l, &dist_pred), WEFT_OK);
  ASSERT_EQ(weft_plan_scan(d.t, &scan), WEFT_OK);
  ASSERT_EQ(weft_plan_nearest_indexed(scan, "emb", 1, q.data(), 4, 5, WEFT_METRIC_L2, 0, nullptr, 1, &near),
            WEFT_OK);
  ASSERT_EQ(weft_plan_filter(near, dist_pred, &post), WEFT_OK);
  ASSERT_EQ(weft_plan_filter(near, pred, &pre), WEFT_OK);
  const char *text = nullptr;
  EXPECT_EQ(weft_plan_explain(nullptr, post, &text), WEFT_ERR_UNSUPPORTED);
  EXPECT_NE(std::string(weft_last_error()).find("post-filter"), std::string::npos);
  weft_table *out = nullptr;
  EXPECT_EQ(weft_plan_collect(nullptr, post, &out), WEFT_ERR_UNSUPPORTED);
  Outcome r = collect(pre);  // on the input's columns: the pre-filter, allowed
  EXPECT_EQ(r.rows.size(), 5u);
  for (weft_plan *p : {scan, near, post, pre}) weft_plan_free(p);
  for (weft_expr *e : {c, l, dist_pred, pred}) weft_expr_free(e);
}

TEST(VectorIndex, BadArgumentsAreNamedAndReleaseRuns) {
  Data d(10);
  Searcher s{&d};
  weft_vector_index *ix = nullptr;
  EXPECT_EQ(weft_vector_index_new(d.t, "price", WEFT_METRIC_L2, "x", 1, search, release, &s, &ix),
            WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(weft_last_error()).find("\"price\" is float64, not a vector"), std::string::npos);
  EXPECT_EQ(weft_vector_index_new(d.t, "emb", WEFT_METRIC_L2, "x", 0, search, release, &s, &ix),
            WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(weft_last_error()).find("scan_fraction 0"), std::string::npos);
  EXPECT_EQ(weft_vector_index_new(d.t, "nope", WEFT_METRIC_L2, "x", 1, search, release, &s, &ix),
            WEFT_ERR_NOT_FOUND);
  EXPECT_EQ(s.released, 3);  // released at once when the call fails
  EXPECT_EQ(ix, nullptr);
  weft_vector_index_free(nullptr);
}

}  // namespace
