// Vector columns (array[f32, dim]) through the C API: the type, a table over caller memory,
// Arrow's "+w:dim" both ways without copying the floats, filter / sort / gather carrying
// rows of dim * 4 bytes, keys refused naming the column, the distance expressions against
// a double reference, and weft_table_nearest / weft_plan_nearest with a pre-filter against
// a brute-force reference over the rows that pass.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "weft.h"

namespace {

TEST(VectorColumn, TypeValuesCarryTheDim) {
  weft_type t;
  ASSERT_EQ(weft_type_vector(3, &t), WEFT_OK);
  EXPECT_EQ(t, WEFT_TYPE_VECTOR(3));
  int dim = 0;
  EXPECT_TRUE(weft_type_is_vector(t, &dim));
  EXPECT_EQ(dim, 3);
  EXPECT_STREQ(weft_type_name(t), "array[f32, 3]");
  EXPECT_STREQ(weft_type_name(WEFT_TYPE_VECTOR(130)), "array[f32, 130]");
  EXPECT_FALSE(weft_type_is_vector(WEFT_TYPE_FLOAT32, &dim));
  EXPECT_FALSE(weft_type_is_vector(WEFT_TYPE_VECTOR_F32, &dim)); // dim 0: only the tag
  EXPECT_EQ(weft_type_vector(0, &t), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(weft_last_error()).find("dim 0"), std::string::npos);
  EXPECT_EQ(weft_type_vector(WEFT_VECTOR_MAX_DIM + 1, &t), WEFT_ERR_INVALID_ARGUMENT);
}

// n rows of `dim` floats, every third row null, a price column 0..n-1 and an int id.
struct Frame {
  int dim;
  int64_t n;
  std::vector<float> v;
  std::vector<uint8_t> valid;
  std::vector<double> price;
  std::vector<int64_t> id;
  weft_table *t = nullptr;
  Frame(int64_t rows, int d, unsigned seed = 1) : dim(d), n(rows) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> g;
    v.resize((size_t)(n * dim));
    for (float &x : v) x = g(rng);
    valid.assign((size_t)(n + 7) / 8, 0);
    for (int64_t r = 0; r < n; r++)
      if (r % 3 != 1) valid[(size_t)r / 8] |= (uint8_t)(1u << (r % 8));
    for (int64_t r = 0; r < n; r++) price.push_back((double)((r * 7) % 40)), id.push_back(r);
    weft_column_view cols[3] = {};
    cols[0].type = WEFT_TYPE_VECTOR(dim);
    cols[0].length = n;
    cols[0].null_count = -1;
    cols[0].validity = valid.data();
    cols[0].values = v.data();
    cols[1].type = WEFT_TYPE_FLOAT64, cols[1].length = n, cols[1].values = price.data();
    cols[2].type = WEFT_TYPE_INT64, cols[2].length = n, cols[2].values = id.data();
    const char *names[3] = {"emb", "price", "id"};
    EXPECT_EQ(weft_table_from_columns(3, names, cols, nullptr, nullptr, &t), WEFT_OK);
  }
  ~Frame() { weft_table_free(t); }
  bool is_valid(int64_t r) const { return r % 3 != 1; }
  const float *row(int64_t r) const { return v.data() + r * dim; }
};

weft_column_view column(const weft_table *t, size_t c) {
  weft_column_view view;
  EXPECT_EQ(weft_table_column(t, c, &view), WEFT_OK);
  return view;
}

bool row_valid(const weft_column_view &v, int64_t r) {
  int64_t i = v.offset + r;
  return !v.validity || ((v.validity[i >> 3] >> (i & 7)) & 1);
}

// Every row of `t` (with an "id" column in position 2) holds the source row's vector.
void expect_rows_match(const Frame &f, const weft_table *t) {
  weft_column_view e = column(t, 0), ids = column(t, 2);
  int64_t rows = 0;
  ASSERT_EQ(weft_table_num_rows(t, &rows), WEFT_OK);
  for (int64_t r = 0; r < rows; r++) {
    int64_t src = ((const int64_t *)ids.values)[ids.offset + r];
    ASSERT_EQ(row_valid(e, r), f.is_valid(src)) << "row " << r;
    if (!f.is_valid(src)) continue;
    const float *got = (const float *)e.values + (e.offset + r) * f.dim;
    ASSERT_EQ(std::memcmp(got, f.row(src), sizeof(float) * f.dim), 0) << "row " << r;
  }
}

weft_expr *price_below(double x) {
  weft_expr *c = nullptr, *lit = nullptr, *cmp = nullptr;
  EXPECT_EQ(weft_expr_column("price", &c), WEFT_OK);
  EXPECT_EQ(weft_expr_literal_float64(x, &lit), WEFT_OK);
  EXPECT_EQ(weft_expr_binary(WEFT_OP_LT, c, lit, &cmp), WEFT_OK);
  weft_expr_free(c), weft_expr_free(lit);
  return cmp;
}

class VectorDims : public ::testing::TestWithParam<int> {};

TEST_P(VectorDims, ArrowExportAndImportShareTheFloats) {
  Frame f(100, GetParam());
  struct ArrowSchema s;
  struct ArrowArray a;
  ASSERT_EQ(weft_table_to_arrow(f.t, &s, &a), WEFT_OK);
  ASSERT_EQ(s.n_children, 3);
  EXPECT_EQ(std::string(s.children[0]->format), "+w:" + std::to_string(GetParam()));
  ASSERT_EQ(s.children[0]->n_children, 1);
  EXPECT_STREQ(s.children[0]->children[0]->format, "f");
  ASSERT_EQ(a.children[0]->n_children, 1);
  EXPECT_EQ(a.children[0]->null_count, 33);
  EXPECT_EQ(a.children[0]->children[0]->buffers[1], (const void *)f.v.data());
  weft_table *back = nullptr;
  ASSERT_EQ(weft_table_from_arrow(&s, &a, &back), WEFT_OK);
  EXPECT_EQ(column(back, 0).values, (const void *)f.v.data()); // read in place
  EXPECT_EQ(column(back, 0).type, WEFT_TYPE_VECTOR(GetParam()));
  expect_rows_match(f, back);
  weft_table_free(back);
}

TEST_P(VectorDims, FilterSortSliceAndConcatCarryTheRows) {
  Frame f(5000, GetParam());
  weft_expr *pred = price_below(20);
  weft_table *kept = nullptr, *sorted = nullptr, *slice = nullptr, *both = nullptr;
  ASSERT_EQ(weft_table_filter(nullptr, f.t, pred, &kept), WEFT_OK);
  expect_rows_match(f, kept);
  int64_t rows = 0;
  ASSERT_EQ(weft_table_num_rows(kept, &rows), WEFT_OK);
  EXPECT_EQ(rows, std::count_if(f.price.begin(), f.price.end(), [](double p) { return p < 20; }));
  const char *key[1] = {"price"};
  int desc[1] = {1};
  ASSERT_EQ(weft_table_sort(nullptr, f.t, 1, key, desc, &sorted), WEFT_OK);
  expect_rows_match(f, sorted);
  ASSERT_EQ(weft_table_slice(f.t, 1234, 77, &slice), WEFT_OK);
  expect_rows_match(f, slice);
  const weft_table *parts[2] = {slice, kept};
  ASSERT_EQ(weft_table_concat(2, parts, &both), WEFT_OK);
  expect_rows_match(f, both);
  for (weft_table *t : {kept, sorted, slice, both}) weft_table_free(t);
  weft_expr_free(pred);
}

TEST_P(VectorDims, DistanceExpressionsMatchADoubleReference) {
  Frame f(4099, GetParam());
  std::vector<float> q((size_t)f.dim);
  for (int j = 0; j < f.dim; j++) q[(size_t)j] = 0.25f * (float)(j % 5) - 0.5f;
  weft_expr *c = nullptr;
  ASSERT_EQ(weft_expr_column("emb", &c), WEFT_OK);
  weft_metric metrics[3] = {WEFT_METRIC_L2, WEFT_METRIC_IP, WEFT_METRIC_COSINE};
  for (weft_metric m : metrics) {
    weft_expr *d = nullptr;
    ASSERT_EQ(weft_expr_vector_distance(c, m, (size_t)f.dim, q.data(), &d), WEFT_OK);
    weft_table *out = nullptr;
    ASSERT_EQ(weft_table_select(nullptr, f.t, 1, &d, &out), WEFT_OK);
    weft_column_view v = column(out, 0);
    ASSERT_EQ(v.type, WEFT_TYPE_FLOAT32);
    double qq = 0;
    for (float x : q) qq += (double)x * x;
    for (int64_t r = 0; r < f.n; r++) {
      ASSERT_EQ(row_valid(v, r), f.is_valid(r));
      if (!f.is_valid(r)) continue;
      double s = 0, xx = 0;
      for (int j = 0; j < f.dim; j++) {
        double x = f.row(r)[j], y = q[(size_t)j];
        s += m == WEFT_METRIC_L2 ? (x - y) * (x - y) : x * y;
        xx += x * x;
      }
      if (m == WEFT_METRIC_COSINE) s = 1 - s / (std::sqrt(xx) * std::sqrt(qq));
      ASSERT_EQ(((const float *)v.values)[v.offset + r], (float)s) << "row " << r;
    }
    weft_table_free(out);
    weft_expr_free(d);
  }
  weft_expr *d = nullptr;
  q.push_back(0.5f); /* a query one value longer than the column's vectors */
  ASSERT_EQ(weft_expr_vector_distance(c, WEFT_METRIC_L2, (size_t)f.dim + 1, q.data(), &d), WEFT_OK);
  weft_table *out = nullptr;
  EXPECT_EQ(weft_table_select(nullptr, f.t, 1, &d, &out), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(weft_last_error()).find("holds vectors of"), std::string::npos);
  weft_expr_free(d);
  weft_expr_free(c);
}

// The ids of the k nearest valid rows with price < limit, by squared l2 (ties: smaller row).
std::vector<int64_t> reference(const Frame &f, const float *q, size_t k, double limit) {
  std::vector<std::pair<double, int64_t>> d;
  for (int64_t r = 0; r < f.n; r++) {
    if (!f.is_valid(r) || !(f.price[(size_t)r] < limit)) continue;
    double s = 0;
    for (int j = 0; j < f.dim; j++) s += ((double)f.row(r)[j] - q[j]) * ((double)f.row(r)[j] - q[j]);
    d.push_back({s, r});
  }
  std::sort(d.begin(), d.end());
  std::vector<int64_t> ids;
  for (size_t i = 0; i < d.size() && i < k; i++) ids.push_back(d[i].second);
  return ids;
}

std::vector<int64_t> ids_of(const weft_table *t) {
  weft_column_view v = column(t, 2);
  return std::vector<int64_t>((const int64_t *)v.values + v.offset,
                              (const int64_t *)v.values + v.offset + v.length);
}

TEST_P(VectorDims, NearestWithAPrefilterMatchesBruteForce) {
  Frame f(3001, GetParam());
  std::vector<float> q(f.row(5), f.row(5) + f.dim);
  q[0] += 0.125f;
  for (double limit : {-1.0, 1.0, 20.0, 1e9}) { // none, few, half, all pass
    weft_expr *pred = price_below(limit);
    weft_table *out = nullptr;
    ASSERT_EQ(weft_table_nearest(nullptr, f.t, "emb", 1, q.data(), (size_t)f.dim, 10,
                                 WEFT_METRIC_L2, pred, 0, &out), WEFT_OK);
    EXPECT_EQ(ids_of(out), reference(f, q.data(), 10, limit)) << "price < " << limit;
    size_t ncols = 0;
    ASSERT_EQ(weft_table_num_columns(out, &ncols), WEFT_OK);
    EXPECT_EQ(ncols, 4u);
    weft_table_free(out);
    weft_expr_free(pred);
  }
}

TEST_P(VectorDims, APlanFoldsAFilterAboveOrBelowIntoTheSearch) {
  Frame f(2000, GetParam());
  std::vector<float> q((size_t)f.dim, 0.5f);
  weft_expr *pred = price_below(3);
  weft_plan *scan = nullptr, *below = nullptr, *near = nullptr, *above = nullptr, *near2 = nullptr;
  ASSERT_EQ(weft_plan_scan(f.t, &scan), WEFT_OK);
  ASSERT_EQ(weft_plan_filter(scan, pred, &below), WEFT_OK);
  ASSERT_EQ(weft_plan_nearest(below, "emb", 1, q.data(), (size_t)f.dim, 10, WEFT_METRIC_L2, 0, &near), WEFT_OK);
  ASSERT_EQ(weft_plan_nearest(scan, "emb", 1, q.data(), (size_t)f.dim, 10, WEFT_METRIC_L2, 0, &near2), WEFT_OK);
  ASSERT_EQ(weft_plan_filter(near2, pred, &above), WEFT_OK);
  std::vector<int64_t> want = reference(f, q.data(), 10, 3);
  ASSERT_EQ(want.size(), 10u);
  for (weft_plan *p : {near, above}) {
    const char *text = nullptr;
    ASSERT_EQ(weft_plan_explain(nullptr, p, &text), WEFT_OK);
    EXPECT_NE(std::string(text).find("prefilter: [(col(\"price\")) < (3.0)] (150 of 2000 rows)"),
              std::string::npos) << text;
    weft_table *out = nullptr;
    ASSERT_EQ(weft_plan_collect(nullptr, p, &out), WEFT_OK);
    EXPECT_EQ(ids_of(out), want);
    weft_table_free(out);
  }
  for (weft_plan *p : {scan, below, near, above, near2}) weft_plan_free(p);
  weft_expr_free(pred);
}

INSTANTIATE_TEST_SUITE_P(Dims, VectorDims, ::testing::Values(1, 3, 130));

TEST(VectorColumn, KeysAndBadNearestArgumentsAreRefusedNamingThem) {
  Frame f(10, 3);
  weft_table *out = nullptr;
  const char *key[1] = {"emb"};
  EXPECT_EQ(weft_table_sort(nullptr, f.t, 1, key, nullptr, &out), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(weft_last_error()).find("column \"emb\" is array[f32, 3]"), std::string::npos);
  EXPECT_EQ(weft_table_group_by(nullptr, f.t, 1, key, 0, nullptr, &out), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(weft_table_join(nullptr, f.t, f.t, 1, key, key, WEFT_JOIN_INNER, nullptr, &out),
            WEFT_ERR_INVALID_ARGUMENT);
  float q[3] = {1, 2, 3};
  EXPECT_EQ(weft_table_nearest(nullptr, f.t, "price", 1, q, 3, 5, WEFT_METRIC_L2, nullptr, 0, &out),
            WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(weft_last_error()).find("\"price\" is float64, not a vector"), std::string::npos);
  EXPECT_EQ(weft_table_nearest(nullptr, f.t, "emb", 1, q, 2, 5, WEFT_METRIC_L2, nullptr, 0, &out),
            WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(weft_table_nearest(nullptr, f.t, "emb", 1, q, 3, 0, WEFT_METRIC_L2, nullptr, 0, &out),
            WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(weft_last_error()).find("k = 0"), std::string::npos);
  float nan_q[3] = {1, NAN, 3};
  EXPECT_EQ(weft_table_nearest(nullptr, f.t, "emb", 1, nan_q, 3, 5, WEFT_METRIC_L2, nullptr, 0, &out),
            WEFT_ERR_INVALID_ARGUMENT);
  float two_q[6] = {1, 2, 3, 4, 5, 6}; /* the caller's buffer holds nq * dim floats */
  EXPECT_EQ(weft_table_nearest(nullptr, f.t, "emb", 2, two_q, 3, 5, WEFT_METRIC_L2, nullptr, 0, &out),
            WEFT_ERR_INVALID_ARGUMENT); // two queries without batch
}

} // namespace
