// The CPU inner-product block (host/vector/cpu_dot_block.c): every instruction set gives the bits of
// a plain in-order fmaf loop, whatever the block shape, and the values match float64 sums.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

extern "C" {
#include "vector/cpu_dot_block.h"
#include "vector/cpu_dot_rows.h"
}

namespace {

// The gathered-row products (cpu_dot_rows.c, refine's re-rank): each the in-order fma chain,
// for counts around the kernel's panels (16 rows, two at a time) and rows in any order.
TEST(DotPtrs, BitsEqualAnInOrderFmaLoopForEveryCount) {
  std::mt19937 gen(11);
  std::normal_distribution<float> nd;
  for (size_t dim : {1, 7, 16, 17, 128, 131}) {
    const size_t rows_held = 90;
    std::vector<float> q(dim), x(rows_held * dim);
    for (float &v : q) v = nd(gen);
    for (float &v : x) v = nd(gen);
    for (size_t n : {1, 15, 16, 17, 31, 32, 33, 47, 48, 49, 64, 90}) {
      std::vector<const float *> rows(n);
      for (size_t j = 0; j < n; j++) rows[j] = x.data() + ((j * 37 + 5) % rows_held) * dim;
      std::vector<float> out(n + 1, -7.0f);
      weft__dot_ptrs_fp32(q.data(), rows.data(), dim, n, out.data());
      for (size_t j = 0; j < n; j++) {
        float acc = 0.0f;
        for (size_t k = 0; k < dim; k++) acc = std::fma(q[k], rows[j][k], acc);
        ASSERT_EQ(0, std::memcmp(&out[j], &acc, sizeof acc))
            << "dim=" << dim << " n=" << n << " j=" << j << ": " << out[j] << " vs " << acc;
      }
      ASSERT_EQ(out[n], -7.0f) << "wrote past n = " << n;
    }
  }
}

struct Isa {
  weft__dot_isa isa;
  const char *name;
};

class DotBlock : public ::testing::TestWithParam<Isa> {};

bool supported(weft__dot_isa isa) { return isa <= weft__dot_best_isa(); }

TEST_P(DotBlock, BitsEqualAnInOrderFmaLoopForEveryShape) {
  const Isa p = GetParam();
  if (!supported(p.isa)) GTEST_SKIP() << p.name << " is not supported by this CPU";
  std::mt19937 gen(7);
  std::normal_distribution<float> nd;
  for (size_t dim : {1, 3, 16, 37, 128}) {
    for (size_t mq : {1, 5, 6, 8, 13, 70}) {
      for (size_t nb : {1, 15, 16, 17, 32, 33, 100}) {
        std::vector<float> q(mq * dim), x(nb * dim);
        for (float &v : q) v = nd(gen);
        for (float &v : x) v = nd(gen);
        const size_t ldo = nb + 3;  // a stride wider than the block: nothing written past nb
        std::vector<float> out(mq * ldo, -7.0f), pack(weft__dot_pack_floats(nb, dim));
        weft__dot_block_isa(p.isa, q.data(), mq, x.data(), nb, dim, pack.data(), out.data(), ldo);
        for (size_t i = 0; i < mq; i++) {
          for (size_t j = 0; j < nb; j++) {
            float acc = 0.0f;
            double ref = 0.0, mag = 0.0;
            for (size_t k = 0; k < dim; k++) {
              acc = std::fma(q[i * dim + k], x[j * dim + k], acc);
              ref += (double)q[i * dim + k] * x[j * dim + k];
              mag += std::fabs((double)q[i * dim + k] * x[j * dim + k]);
            }
            const float got = out[i * ldo + j];
            ASSERT_EQ(0, std::memcmp(&got, &acc, sizeof acc))
                << p.name << " dim=" << dim << " mq=" << mq << " nb=" << nb << " i=" << i
                << " j=" << j << ": " << got << " vs " << acc;
            ASSERT_NEAR(got, ref, 1e-6 * dim * mag + 1e-30);
          }
          for (size_t j = nb; j < ldo; j++) ASSERT_EQ(out[i * ldo + j], -7.0f) << "wrote past nb";
        }
      }
    }
  }
}

TEST_P(DotBlock, IdenticalRowsGetIdenticalBitsAnywhereInTheBlock) {
  const Isa p = GetParam();
  if (!supported(p.isa)) GTEST_SKIP() << p.name << " is not supported by this CPU";
  const size_t dim = 37, mq = 11, nb = 77;
  std::mt19937 gen(11);
  std::uniform_real_distribution<float> ud(-3, 3);
  std::vector<float> q(mq * dim), row(dim), x(nb * dim);
  for (float &v : q) v = ud(gen);
  for (float &v : row) v = ud(gen);
  for (size_t j = 0; j < nb; j++) std::memcpy(&x[j * dim], row.data(), dim * sizeof(float));
  std::vector<float> out(mq * nb), pack(weft__dot_pack_floats(nb, dim));
  weft__dot_block_isa(p.isa, q.data(), mq, x.data(), nb, dim, pack.data(), out.data(), nb);
  for (size_t i = 0; i < mq; i++)
    for (size_t j = 1; j < nb; j++) ASSERT_EQ(out[i * nb + j], out[i * nb]) << i << "," << j;
}

TEST(DotBlockEmpty, NoRowsWritesNothing) {
  float out = 5.0f, pack[1];
  weft__dot_block(nullptr, 0, nullptr, 0, 4, pack, &out, 1);
  EXPECT_EQ(out, 5.0f);
}

INSTANTIATE_TEST_SUITE_P(EveryIsa, DotBlock,
                         ::testing::Values(Isa{WEFT_DOT_PLAIN, "plain"}, Isa{WEFT_DOT_AVX2, "avx2"},
                                           Isa{WEFT_DOT_AVX512, "avx512"}),
                         [](const auto &info) { return std::string(info.param.name); });

}  // namespace
