// The bf16 candidate pass of exact k-NN (host/vector/knn_bf16.c): its error bound holds on
// every pair (random and adversarial data), and searches with WEFT_PRECISION_BF16 return the
// fp32 scan's ids and distance bits, every metric, k = 1..4096, with allowed masks and
// borrowed rows. A bound loosened on purpose (WEFT_TEST_KNN_BF16_BOUND_SCALE) must be caught.
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <numeric>

#include "knn_precision_cases.h"
#include "test_support.h"

extern "C" {
#include "vector/cpu_dot_bf16.h"
#include "vector/cpu_dot_block.h"
#include "vector/knn_bf16_bound.h"
}

namespace {

using namespace knn_precision;

const float MID = 1.0f + 0x1p-8f - 0x1p-20f;  // just below a bf16 rounding midpoint

// |s_hat - s_f| / E over every (query, row) pair, s_f by the fp32 scan's kernel.
double worst_ratio(const std::vector<float> &q, const std::vector<float> &x, size_t dim) {
  size_t nq = q.size() / dim, nb = x.size() / dim, pairs = weft__bf16_pairs(dim);
  size_t rows_cap = (nb + 31) / 32 * 32;
  std::vector<uint32_t> panels(rows_cap * pairs), qp(nq * pairs);
  std::vector<float> nup(nb), rup(nb), s_hat(nq * nb), s_f(nq * nb);
  std::vector<weft__knn_coef> cf(nq);
  for (size_t j = 0; j < nb; j++) {
    weft__bf16_pack_row(&x[j * dim], dim, j, panels.data());
    weft__bf16_row_bound(&x[j * dim], dim, &nup[j], &rup[j]);
  }
  for (size_t i = 0; i < nq; i++) weft__bf16_query(&q[i * dim], dim, 1.0, &qp[i * pairs], &cf[i]);
  weft__dot_bf16_block(qp.data(), nq, panels.data(), 0, nb, pairs, s_hat.data(), nb);
  std::vector<float> pack(weft__dot_pack_floats(nb, dim));
  weft__dot_block(q.data(), nq, x.data(), nb, dim, pack.data(), s_f.data(), nb);
  double worst = 0;
  for (size_t i = 0; i < nq; i++)
    for (size_t j = 0; j < nb; j++) {
      float e = std::fma(cf[i].alpha, rup[j], std::fma(cf[i].beta, nup[j], cf[i].tau));
      double r = std::fabs((double)s_hat[i * nb + j] - (double)s_f[i * nb + j]) / e;
      worst = std::max(worst, r);
    }
  return worst;
}

TEST(KnnBf16Bound, HoldsOnRandomAndAdversarialPairs) {
  if (!weft__bf16_cpu_has()) GTEST_SKIP() << "this CPU has no AVX512_BF16";
  std::mt19937_64 rng(1);
  std::normal_distribution<float> g;
  std::uniform_real_distribution<float> u(0, 1);
  auto fill = [&](size_t n, auto f) {
    std::vector<float> v(n);
    for (auto &e : v) e = f();
    return v;
  };
  struct Case {
    const char *name;
    size_t dim, nq, nb;
    std::function<float()> f;
    double at_least;  // the bound is not absurdly loose either
  } cases[] = {
      {"normal", 128, 20, 500, [&] { return g(rng); }, 0.02},
      {"uniform", 128, 20, 500, [&] { return u(rng); }, 0.02},
      {"aligned errors", 128, 4, 40, [&] { return MID; }, 0.9},
      {"d=1", 1, 50, 200, [&] { return g(rng); }, 0.2},
      {"d=3", 3, 50, 200, [&] { return g(rng); }, 0.05},
      {"tiny", 64, 10, 100, [&] { return g(rng) * 1e-37f; }, 0.0},
      {"huge", 64, 10, 100, [&] { return g(rng) * 1e17f; }, 0.02},
  };
  for (auto &c : cases) {
    auto q = fill(c.nq * c.dim, c.f), x = fill(c.nb * c.dim, c.f);
    double r = worst_ratio(q, x, c.dim);
    EXPECT_LE(r, 1.0) << c.name;
    EXPECT_GE(r, c.at_least) << c.name;
  }
}

// Rows one bf16 rounding apart, near-ties, duplicates, and rows of very different norms.
std::vector<float> adversarial(size_t nb, size_t dim, std::mt19937_64 &rng, weft_metric m) {
  std::vector<float> v(nb * dim);
  std::uniform_int_distribution<int> step(0, 63), kind(0, 3), ulp(-3, 3);
  std::normal_distribution<float> g;
  for (size_t r = 0; r < nb; r++) {
    float *row = &v[r * dim];
    int kd = kind(rng);
    float scale = kd == 3 ? (m == WEFT_METRIC_COSINE ? 1e-12f : 1e-25f) : kd == 2 ? 1e12f : 1.0f;
    for (size_t j = 0; j < dim; j++) row[j] = scale * (1.0f + step(rng) * 0x1p-12f);
    if (r % 7 == 0) std::fill(row, row + dim, MID);
    if (r % 11 == 0 && r > 0) std::copy(row - dim, row, row);  // a duplicate of the row before
    if (r % 13 == 0)
      for (size_t j = 0; j < dim; j++)
        for (int u = ulp(rng); u; u += u > 0 ? -1 : 1) row[j] = std::nextafter(row[j], u * 1.0f);
  }
  return v;
}

TEST(KnnBf16, EqualsFp32BitForBitEveryMetricKAndMask) {
  std::mt19937_64 rng(7);
  std::vector<bool> allow(3001 + 50);
  for (size_t i = 0; i < allow.size(); i++) allow[i] = (i * 7919) % 5 != 0;
  for_each_case(adversarial, rng, 37, 3001, 23, allow, {1, 10, 100, 4096}, [](const Case &c) {
    auto f = search(c.ix, WEFT_PRECISION_FP32, c.q, c.dim, c.k, c.allowed, c.bits);
    auto b = search(c.ix, WEFT_PRECISION_BF16, c.q, c.dim, c.k, c.allowed, c.bits);
    EXPECT_TRUE(same_bits(f, b)) << c.label;
    if (weft__bf16_cpu_has()) {
      EXPECT_NE(b.report.find("precision bf16 (asked)"), std::string::npos) << b.report;
    }
  });
}

// The pass on every device (kernels/knn_certified.kern on OpenCL) returns that device's fp32
// answer bit for bit, and the CPU's: adversarial rows, every metric, k from 1 to past the
// rows and past the merge's 256-wide group, masks, borrowed rows, a one-row index.
class KnnBf16Devices : public DeviceParamTest {};

TEST_P(KnnBf16Devices, EqualsTheDevicesFp32BitForBit) {
  // a strict exec naming a device only runs the device's pass whatever the CPU has
  if (!on_device && !weft__bf16_cpu_has()) GTEST_SKIP() << "this CPU has no AVX512_BF16";
  std::mt19937_64 rng(11);
  std::vector<bool> allow(2011 + 9);
  for (size_t i = 0; i < allow.size(); i++) allow[i] = (i * 7919) % 3 != 0;
  for_each_case(adversarial, rng, 45, 2011, 19, allow, {1, 10, 300, 4096}, [&](const Case &c) {
    expect_the_devices_pass_is_its_fp32(c, WEFT_PRECISION_BF16, "bf16", GetParam(), on_device);
  });
}

INSTANTIATE_TEST_SUITE_P(AllDevices, KnnBf16Devices, ::testing::ValuesIn(all_device_params()),
                         param_name);

TEST(KnnBf16, ALoosenedBoundIsCaught) {
  if (!weft__bf16_cpu_has()) GTEST_SKIP() << "this CPU has no AVX512_BF16";
  std::mt19937_64 rng(9);
  const size_t dim = 128, nb = 4000, nq = 30;
  std::uniform_int_distribution<int> step(0, 63);
  std::vector<float> base(nb * dim), q(nq * dim);
  for (auto &x : base) x = 1.0f + step(rng) * 0x1p-12f;
  for (auto &x : q) x = 1.0f + step(rng) * 0x1p-12f;
  for (weft_metric m : {WEFT_METRIC_L2, WEFT_METRIC_IP, WEFT_METRIC_COSINE}) {
    Index ix(dim, m);
    ASSERT_WEFT_OK(weft_index_add(ix.ix, nb, base.data(), nullptr));
    auto f = search(ix.ix, WEFT_PRECISION_FP32, q, dim, 10);
    EXPECT_TRUE(same_bits(f, search(ix.ix, WEFT_PRECISION_BF16, q, dim, 10))) << m;
    setenv("WEFT_TEST_KNN_BF16_BOUND_SCALE", "0.001", 1);
    auto loose = search(ix.ix, WEFT_PRECISION_BF16, q, dim, 10);
    unsetenv("WEFT_TEST_KNN_BF16_BOUND_SCALE");
    EXPECT_FALSE(same_bits(f, loose)) << "metric " << m << ": a bound 1000x too small went unseen";
  }
}

TEST(KnnBf16, WithoutTheInstructionsTheFp32ScanRuns) {
  std::mt19937_64 rng(3);
  std::normal_distribution<float> g;
  const size_t dim = 8, nb = 500;
  std::vector<float> base(nb * dim), q(4 * dim);
  for (auto &x : base) x = g(rng);
  for (auto &x : q) x = g(rng);
  Index ix(dim, WEFT_METRIC_L2);
  ASSERT_WEFT_OK(weft_index_add(ix.ix, nb, base.data(), nullptr));
  auto f = search(ix.ix, WEFT_PRECISION_FP32, q, dim, 5);
  setenv("WEFT_TEST_KNN_NO_BF16", "1", 1);
  auto b = search(ix.ix, WEFT_PRECISION_BF16, q, dim, 5);
  unsetenv("WEFT_TEST_KNN_NO_BF16");
  EXPECT_TRUE(same_bits(f, b));
  EXPECT_NE(b.report.find("precision fp32 (bf16 asked, but this CPU has no AVX512_BF16)"),
            std::string::npos) << b.report;
}

TEST(KnnBf16, SetPrecisionRefusesAnUnknownValue) {
  weft_exec *e = nullptr;
  ASSERT_WEFT_OK(weft_exec_create(&e));
  EXPECT_EQ(weft_exec_set_precision(e, (weft_precision)7), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(weft_last_error()).find("precision 7 is not AUTO (0), FP32 (1), BF16 (2) or INT8 (3)"),
            std::string::npos) << weft_last_error();
  EXPECT_EQ(weft_exec_set_precision(nullptr, WEFT_PRECISION_BF16), WEFT_ERR_INVALID_ARGUMENT);
  weft_exec_free(e);
}

}  // namespace
