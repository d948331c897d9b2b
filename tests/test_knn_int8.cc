// The int8 candidate pass of exact k-NN (host/vector/knn_certified.c with cpu_dot_int8.c and
// knn_int8_bound.c): VPDPBUSD and its portable twin give the same exact integers (past the
// dim where the unsigned partial sums wrap, too); the error bound holds on every pair
// (random and adversarial data: codes at rounding midpoints, huge and tiny norms, one huge
// coordinate); searches with WEFT_PRECISION_INT8 return the fp32 scan's ids and distance
// bits, every metric, k = 1..4096, with allowed masks, borrowed rows, near-ties that overflow
// the candidate buffer, and with either kernel. A bound loosened on purpose
// (WEFT_TEST_KNN_INT8_BOUND_SCALE) must be caught.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>

#include "knn_precision_cases.h"
#include "test_support.h"

extern "C" {
#include "vector/cpu_dot_block.h"
#include "vector/cpu_dot_int8.h"
#include "vector/knn_int8_bound.h"
}

namespace {

using namespace knn_precision;

struct Packed {
  size_t dim, nb, groups;
  std::vector<uint32_t> panels;
  std::vector<int32_t> sums;
  std::vector<float> scale, nup, rup, mu;
};

// The rows coded less mu (their mean, as the index's copy does, or zeros).
Packed pack_rows(const std::vector<float> &x, size_t dim, bool centre) {
  Packed p{dim, x.size() / dim, weft__int8_groups(dim), {}, {}, {}, {}, {}, std::vector<float>(dim)};
  for (size_t i = 0; centre && i < dim; i++) {
    double t = 0;
    for (size_t j = 0; j < p.nb; j++) t += x[j * dim + i];
    p.mu[i] = (float)(t / (double)p.nb);
  }
  size_t cap = (p.nb + 31) / 32 * 32;
  p.panels.assign(cap * p.groups, 0);
  p.sums.assign(cap, 0);
  p.scale.assign(cap, 0), p.nup.assign(cap, 0), p.rup.assign(cap, 0);
  std::vector<int8_t> codes(dim);
  for (size_t j = 0; j < p.nb; j++) {
    weft__int8_row(&x[j * dim], p.mu.data(), dim, codes.data(), &p.scale[j], &p.sums[j], &p.nup[j],
                   &p.rup[j]);
    weft__int8_pack_row(codes.data(), dim, j, p.panels.data());
  }
  return p;
}

TEST(KnnInt8Kernel, VnniAndThePortableTwinGiveTheSameExactIntegers) {
  std::mt19937_64 rng(5);
  std::uniform_int_distribution<int> code(-127, 127), pick(0, 3);
  for (size_t dim : {(size_t)1, (size_t)3, (size_t)4, (size_t)37, (size_t)128, (size_t)70001}) {
    const size_t nq = dim > 1000 ? 3 : 11, nb = dim > 1000 ? 33 : 45, groups = weft__int8_groups(dim);
    std::vector<std::vector<int8_t>> qc(nq, std::vector<int8_t>(dim)), xc(nb, std::vector<int8_t>(dim));
    // extremes often: +-127 everywhere makes the largest sums (and, at dim 70001, unsigned
    // partial sums past 2^31)
    auto draw = [&] { int w = pick(rng); return (int8_t)(w == 0 ? 127 : w == 1 ? -127 : code(rng)); };
    for (auto &r : qc) for (auto &c : r) c = draw();
    for (auto &r : xc) for (auto &c : r) c = draw();
    if (dim > 1000) {
      std::fill(qc[0].begin(), qc[0].end(), 127);
      std::fill(xc[0].begin(), xc[0].end(), 127);
      std::fill(xc[1].begin(), xc[1].end(), -127);
    }
    std::vector<uint32_t> qg(nq * groups), panels((nb + 31) / 32 * 32 * groups, 0);
    std::vector<int32_t> sums((nb + 31) / 32 * 32, 0);
    for (size_t i = 0; i < nq; i++) weft__int8_pack_query(qc[i].data(), dim, &qg[i * groups]);
    for (size_t j = 0; j < nb; j++) {
      weft__int8_pack_row(xc[j].data(), dim, j, panels.data());
      for (int8_t c : xc[j]) sums[j] += c;
    }
    std::vector<int32_t> vnni(nq * nb), twin(nq * nb);
    weft__dot_int8_block(qg.data(), nq, panels.data(), sums.data(), 0, nb, groups, twin.data(), nb, 1);
    for (size_t i = 0; i < nq; i++)
      for (size_t j = 0; j < nb; j++) {
        int64_t want = 0;
        for (size_t c = 0; c < dim; c++) want += (int64_t)qc[i][c] * xc[j][c];
        ASSERT_EQ(twin[i * nb + j], want) << "dim " << dim << " query " << i << " row " << j;
      }
    if (!weft__int8_cpu_has()) continue;  // the twin alone is checked on CPUs without VNNI
    weft__dot_int8_block(qg.data(), nq, panels.data(), sums.data(), 0, nb, groups, vnni.data(), nb, 0);
    EXPECT_EQ(vnni, twin) << "dim " << dim;
  }
}

// |s_hat - s_f| / E over every (query, row) pair, s_f by the fp32 scan's kernel, s_hat as
// the pass computes it: fma(fl(float(I) * s_y), s_q, m_q).
double worst_ratio(const std::vector<float> &q, const std::vector<float> &x, size_t dim,
                   bool centre) {
  size_t nq = q.size() / dim, nb = x.size() / dim, groups = weft__int8_groups(dim);
  Packed p = pack_rows(x, dim, centre);
  std::vector<uint32_t> qg(nq * groups);
  std::vector<float> qs(nq), qm(nq), s_f(nq * nb);
  std::vector<weft__knn_coef> cf(nq);
  std::vector<int8_t> codes(dim);
  for (size_t i = 0; i < nq; i++)
    weft__int8_query(&q[i * dim], p.mu.data(), dim, 1.0, codes.data(), &qg[i * groups], &qs[i],
                     &qm[i], &cf[i]);
  std::vector<int32_t> I(nq * nb);
  weft__dot_int8_block(qg.data(), nq, p.panels.data(), p.sums.data(), 0, nb, groups, I.data(), nb,
                       !weft__int8_cpu_has());
  std::vector<float> pack(weft__dot_pack_floats(nb, dim));
  weft__dot_block(q.data(), nq, x.data(), nb, dim, pack.data(), s_f.data(), nb);
  double worst = 0;
  for (size_t i = 0; i < nq; i++)
    for (size_t j = 0; j < nb; j++) {
      volatile float t = (float)I[i * nb + j] * p.scale[j];
      float s_hat = std::fma((float)t, qs[i], qm[i]);
      float e = std::fma(cf[i].alpha, p.rup[j], std::fma(cf[i].beta, p.nup[j], cf[i].tau));
      double r = std::fabs((double)s_hat - (double)s_f[i * nb + j]) / e;
      worst = std::max(worst, r);
    }
  return worst;
}

TEST(KnnInt8Bound, HoldsOnRandomAndAdversarialPairs) {
  std::mt19937_64 rng(1);
  std::normal_distribution<float> g;
  std::uniform_real_distribution<float> u(0, 1);
  std::uniform_int_distribution<int> code(0, 126);
  // Every coordinate just below a code rounding midpoint (s = 1: the first is 127), so every
  // residual is about -0.5 and all align with the all-positive vectors: the worst case.
  size_t at = 0;
  auto midpoint = [&] { return at++ % 64 == 0 ? 127.0f : (float)code(rng) + 0.4999f; };
  auto one_huge = [&] { return at++ % 50 == 0 ? 1e15f : u(rng); };
  auto fill = [&](size_t n, auto f) {
    std::vector<float> v(n);
    at = 0;
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
      {"aligned errors at code midpoints", 128, 4, 40, midpoint, 0.5},
      {"d=1", 1, 50, 200, [&] { return g(rng); }, 0.2},
      {"d=3", 3, 50, 200, [&] { return g(rng); }, 0.2},
      {"d=129", 129, 10, 100, [&] { return g(rng); }, 0.02},
      {"tiny (subnormal scales)", 64, 10, 100, [&] { return g(rng) * 1e-39f; }, 0.0},
      {"tiny (products underflow)", 64, 10, 100, [&] { return g(rng) * 1e-30f; }, 0.0},
      {"small", 64, 10, 100, [&] { return g(rng) * 1e-15f; }, 0.02},
      {"huge", 64, 10, 100, [&] { return g(rng) * 1e17f; }, 0.02},
      {"one huge coordinate", 100, 10, 100, one_huge, 0.0},
  };
  for (auto &c : cases) {
    auto q = fill(c.nq * c.dim, c.f), x = fill(c.nb * c.dim, c.f);
    for (bool centre : {false, true}) {
      double r = worst_ratio(q, x, c.dim, centre);
      std::printf("  int8 bound, %s%s: worst |s_hat - s_f| / E = %.3f\n", c.name,
                  centre ? ", centred" : "", r);
      EXPECT_LE(r, 1.0) << c.name << " centred " << centre;
      EXPECT_GE(r, centre ? 0.0 : c.at_least) << c.name;
    }
  }
}

struct Env {
  const char *name;
  Env(const char *n, const char *v) : name(n) { setenv(n, v, 1); }
  ~Env() { unsetenv(name); }
};

// Rows at code rounding midpoints, near-ties a few ulps apart, duplicates, and rows of very
// different norms.
std::vector<float> adversarial(size_t nb, size_t dim, std::mt19937_64 &rng, weft_metric m) {
  std::vector<float> v(nb * dim);
  std::uniform_int_distribution<int> step(0, 126), kind(0, 4), ulp(-3, 3);
  std::normal_distribution<float> g;
  for (size_t r = 0; r < nb; r++) {
    float *row = &v[r * dim];
    int kd = kind(rng);
    float scale = kd == 3 ? (m == WEFT_METRIC_COSINE ? 1e-12f : 1e-25f) : kd == 2 ? 1e12f : 1.0f;
    for (size_t j = 0; j < dim; j++) row[j] = scale * ((float)step(rng) + 0.4999f);
    row[0] = scale * 127.0f;
    if (kd == 4)
      for (size_t j = 0; j < dim; j++) row[j] = g(rng);
    if (r % 11 == 0 && r > 0) std::copy(row - dim, row, row);  // a duplicate of the row before
    if (r % 13 == 0)
      for (size_t j = 0; j < dim; j++)
        for (int u = ulp(rng); u; u += u > 0 ? -1 : 1) row[j] = std::nextafter(row[j], u * 1.0f);
  }
  return v;
}

TEST(KnnInt8, EqualsFp32BitForBitEveryMetricKMaskAndKernel) {
  std::mt19937_64 rng(7);
  std::vector<bool> allow(3001 + 50);
  for (size_t i = 0; i < allow.size(); i++) allow[i] = (i * 7919) % 5 != 0;
  for_each_case(adversarial, rng, 37, 3001, 23, allow, {1, 10, 100, 4096}, [](const Case &c) {
    auto f = search(c.ix, WEFT_PRECISION_FP32, c.q, c.dim, c.k, c.allowed, c.bits);
    for (int scalar = 0; scalar < 2; scalar++) {
      if (!scalar && !weft__int8_cpu_has()) continue;
      Env e("WEFT_TEST_KNN_INT8_SCALAR", scalar ? "1" : "0");
      auto b = search(c.ix, WEFT_PRECISION_INT8, c.q, c.dim, c.k, c.allowed, c.bits);
      EXPECT_TRUE(same_bits(f, b)) << c.label << " scalar " << scalar;
      EXPECT_NE(b.report.find("precision int8 (asked"), std::string::npos) << b.report;
    }
  });
}

TEST(KnnInt8, NearTiesPastTheCandidateBufferFallBackToFp32) {
  // 20000 rows equal but for an ulp: every row's bound window holds every other, more than
  // the 16384 candidates a query may keep, so the queries are scanned in fp32.
  const size_t dim = 8, nb = 20000;
  std::vector<float> base(nb * dim, 0.75f), q(3 * dim, 0.5f);
  for (size_t r = 0; r < nb; r++) base[r * dim + r % dim] = std::nextafter(0.75f, (r % 3) * 1.0f);
  for (weft_metric m : {WEFT_METRIC_L2, WEFT_METRIC_IP}) {
    Index ix(dim, m);
    ASSERT_WEFT_OK(weft_index_add(ix.ix, nb, base.data(), nullptr));
    Env e("WEFT_TEST_KNN_INT8_SCALAR", weft__int8_cpu_has() ? "0" : "1");
    auto f = search(ix.ix, WEFT_PRECISION_FP32, q, dim, 10);
    auto b = search(ix.ix, WEFT_PRECISION_INT8, q, dim, 10);
    EXPECT_TRUE(same_bits(f, b)) << m;
    EXPECT_NE(b.report.find("; 3 queries scanned in fp32"), std::string::npos) << b.report;
  }
}

// The pass on every device (kernels/knn_certified.kern on OpenCL) returns that device's fp32
// answer bit for bit, and the CPU's: adversarial rows, every metric, k from 1 to past the
// rows and past the merge's 256-wide group, masks, borrowed rows, a one-row index.
class KnnInt8Devices : public DeviceParamTest {};

TEST_P(KnnInt8Devices, EqualsTheDevicesFp32BitForBit) {
  // the portable CPU kernel makes the pass available on any CPU (a device failure re-runs
  // there); the device runs its own kernel either way
  Env portable("WEFT_TEST_KNN_INT8_SCALAR", weft__int8_cpu_has() ? "0" : "1");
  std::mt19937_64 rng(11);
  std::vector<bool> allow(2011 + 9);
  for (size_t i = 0; i < allow.size(); i++) allow[i] = (i * 7919) % 3 != 0;
  for_each_case(adversarial, rng, 45, 2011, 19, allow, {1, 10, 300, 4096}, [&](const Case &c) {
    expect_the_devices_pass_is_its_fp32(c, WEFT_PRECISION_INT8, "int8", GetParam(), on_device);
  });
}

INSTANTIATE_TEST_SUITE_P(AllDevices, KnnInt8Devices, ::testing::ValuesIn(all_device_params()),
                         param_name);

TEST(KnnInt8, ALoosenedBoundIsCaught) {
  std::mt19937_64 rng(9);
  const size_t dim = 128, nb = 4000, nq = 30;
  std::uniform_real_distribution<float> u(0, 1);
  std::vector<float> base(nb * dim), q(nq * dim);
  for (auto &x : base) x = u(rng);
  for (auto &x : q) x = u(rng);
  Env scalar("WEFT_TEST_KNN_INT8_SCALAR", weft__int8_cpu_has() ? "0" : "1");
  for (weft_metric m : {WEFT_METRIC_L2, WEFT_METRIC_IP, WEFT_METRIC_COSINE}) {
    Index ix(dim, m);
    ASSERT_WEFT_OK(weft_index_add(ix.ix, nb, base.data(), nullptr));
    auto f = search(ix.ix, WEFT_PRECISION_FP32, q, dim, 10);
    EXPECT_TRUE(same_bits(f, search(ix.ix, WEFT_PRECISION_INT8, q, dim, 10))) << m;
    Answer loose;
    {
      Env e("WEFT_TEST_KNN_INT8_BOUND_SCALE", "0.001");
      loose = search(ix.ix, WEFT_PRECISION_INT8, q, dim, 10);
    }
    EXPECT_FALSE(same_bits(f, loose)) << "metric " << m << ": a bound 1000x too small went unseen";
  }
}

TEST(KnnInt8, WithoutTheInstructionsOrPastTheDimTheFp32ScanRuns) {
  std::mt19937_64 rng(3);
  std::normal_distribution<float> g;
  {
    const size_t dim = 8, nb = 500;
    std::vector<float> base(nb * dim), q(4 * dim);
    for (auto &x : base) x = g(rng);
    for (auto &x : q) x = g(rng);
    Index ix(dim, WEFT_METRIC_L2);
    ASSERT_WEFT_OK(weft_index_add(ix.ix, nb, base.data(), nullptr));
    auto f = search(ix.ix, WEFT_PRECISION_FP32, q, dim, 5);
    Env e("WEFT_TEST_KNN_NO_INT8", "1");
    auto b = search(ix.ix, WEFT_PRECISION_INT8, q, dim, 5);
    EXPECT_TRUE(same_bits(f, b));
    EXPECT_NE(b.report.find("precision fp32 (int8 asked, but this CPU has no AVX512_VNNI)"),
              std::string::npos) << b.report;
  }
  const size_t dim = WEFT_KNN_INT8_MAX_DIM + 1, nb = 5;
  std::vector<float> base(nb * dim), q(dim);
  for (auto &x : base) x = g(rng) * 1e-3f;
  for (auto &x : q) x = g(rng) * 1e-3f;
  Index ix(dim, WEFT_METRIC_IP);
  ASSERT_WEFT_OK(weft_index_add(ix.ix, nb, base.data(), nullptr));
  auto f = search(ix.ix, WEFT_PRECISION_FP32, q, dim, 3);
  auto b = search(ix.ix, WEFT_PRECISION_INT8, q, dim, 3);
  EXPECT_TRUE(same_bits(f, b));
  EXPECT_NE(b.report.find("int8 asked, but dim 131073 is above the int8 pass's 131072"),
            std::string::npos) << b.report;
}

}  // namespace
