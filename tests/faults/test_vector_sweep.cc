// Vector columns under the allocation-failure sweep (fault_sweep.h): nearest (k-NN over a
// column, with a prefilter), and take.
#include <random>
#include <sstream>

#include "../frame/table_helpers.h"
#include "fault_sweep.h"

namespace {

class VectorSweep : public ::testing::Test {
 protected:
  static constexpr int kDim = 12;
  static constexpr int64_t kN = 2003;
  std::vector<float> v, queries;
  std::vector<uint8_t> valid;
  std::vector<double> price;
  weft_table *t = nullptr;
  weft_exec *exec = nullptr;
  void SetUp() override {
    std::mt19937 rng(5);
    std::normal_distribution<float> g;
    v.resize((size_t)(kN * kDim));
    for (float &x : v) x = g(rng);
    queries.resize(7 * kDim);
    for (float &x : queries) x = g(rng);
    valid.assign((size_t)(kN + 7) / 8, 0);
    for (int64_t r = 0; r < kN; r++)
      if (r % 5 != 2) valid[(size_t)r / 8] |= (uint8_t)(1u << (r % 8));
    for (int64_t r = 0; r < kN; r++) price.push_back((double)((r * 7) % 40));
    weft_column_view cols[2] = {};
    cols[0].type = WEFT_TYPE_VECTOR(kDim), cols[0].length = kN, cols[0].null_count = -1;
    cols[0].validity = valid.data(), cols[0].values = v.data();
    cols[1].type = WEFT_TYPE_FLOAT64, cols[1].length = kN, cols[1].values = price.data();
    const char *names[2] = {"emb", "price"};
    ASSERT_WEFT_OK(weft_table_from_columns(2, names, cols, nullptr, nullptr, &t));
    ASSERT_WEFT_OK(weft_exec_create(&exec));
    ASSERT_WEFT_OK(weft_exec_set_device(exec, "cpu"));
  }
  void TearDown() override {
    weft_table_free(t);
    weft_exec_free(exec);
  }
  // Everything of a result but its vectors (read as text they are "<bad type>"): the
  // vectors come from the rows, which the other columns already pin down.
  static std::string render(const weft_table *r) {
    std::ostringstream o;
    for (const std::string &n : tt::names_of(r)) o << n << "|";
    for (const auto &row : tt::rows_of(r)) {
      o << "\n";
      for (const auto &c : row) o << (c ? *c : "<null>") << ",";
    }
    return o.str();
  }
  fs::Op op(std::function<weft_status(weft_table **)> f) {
    fs::Op o;
    o.run = [f](std::string *ans, bool *leaked) {
      weft_table *out = nullptr;
      weft_status st = f(&out);
      if (st == WEFT_OK) *ans = render(out);
      else if (out) *leaked = true;
      weft_table_free(out);
      return st;
    };
    auto vs = v;
    o.inputs = [this, vs] { return render(t) + (vs == v ? "" : "vectors changed"); };
    return o;
  }
};

TEST_F(VectorSweep, NearestWithPrefilter) {
  weft_expr *price_col = nullptr, *ten = nullptr, *pred = nullptr;
  ASSERT_WEFT_OK(weft_expr_column("price", &price_col));
  ASSERT_WEFT_OK(weft_expr_literal_float64(10.0, &ten));
  ASSERT_WEFT_OK(weft_expr_binary(WEFT_OP_GT, price_col, ten, &pred));
  for (weft_metric m : {WEFT_METRIC_L2, WEFT_METRIC_COSINE}) {
    fs::sweep(m == WEFT_METRIC_L2 ? "nearest l2" : "nearest cosine", op([&](weft_table **out) {
      return weft_table_nearest(exec, t, "emb", 7, queries.data(), kDim, 5, m, pred, 1, out);
    }));
  }
  for (weft_expr *e : {price_col, ten, pred}) weft_expr_free(e);
}

TEST_F(VectorSweep, Take) {
  std::vector<int64_t> rows;
  for (int64_t i = 0; i < 900; i++) rows.push_back((i * 37) % kN);
  fs::sweep("take", op([&](weft_table **out) {
    return weft_table_take(t, rows.data(), (int64_t)rows.size(), out);
  }));
}

}  // namespace
