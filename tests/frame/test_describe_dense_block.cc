// weft__desc_block_f_dense (a block without nulls, no masks) against weft__desc_block_f with
// every row kept: the same bits for every statistic, at every block length, with signed
// zeros as min or max; and it declines (leaving the block to the masked path) when a value
// is NaN or infinite.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

extern "C" {
#include "frame/describe/describe_stats.h"
}

namespace {

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

void expect_same(const std::vector<double> &x, const char *what) {
  std::vector<uint64_t> keep(x.size(), ~0ull);
  weft__dstats masked, dense;
  std::memset(&masked, 0, sizeof masked);
  std::memset(&dense, 0, sizeof dense);
  weft__desc_block_f(x.data(), keep.data(), x.size(), &masked);
  ASSERT_EQ(weft__desc_block_f_dense(x.data(), x.size(), &dense), 1) << what;
  EXPECT_EQ(dense.kept, masked.kept) << what;
  EXPECT_TRUE(same_bits(dense.sum, masked.sum)) << what;
  EXPECT_TRUE(same_bits(dense.mean, masked.mean)) << what;
  EXPECT_TRUE(same_bits(dense.m2, masked.m2)) << what;
  EXPECT_TRUE(same_bits(dense.fmin, masked.fmin)) << what << " " << dense.fmin;
  EXPECT_TRUE(same_bits(dense.fmax, masked.fmax)) << what << " " << dense.fmax;
}

TEST(DescribeDenseBlock, SameBitsAsTheMaskedBlock) {
  std::mt19937_64 rng(7);
  std::normal_distribution<double> normal(3.0, 1e3);
  for (size_t n : {(size_t)1, (size_t)2, (size_t)31, (size_t)32, (size_t)33, (size_t)100, (size_t)1000,
                   (size_t)WEFT__DESC_BLOCK - 1, (size_t)WEFT__DESC_BLOCK}) {
    std::vector<double> x(n);
    for (auto &v : x) v = normal(rng);
    expect_same(x, "normal");
    for (auto &v : x) v = std::fabs(v);
    x[n / 2] = -0.0;  // the min is a zero: -0.0, found among +0.0 too
    if (n > 2) x[0] = 0.0;
    expect_same(x, "zeros at the min");
    for (auto &v : x) v = -std::fabs(v) - 1.0;
    x[n - 1] = 0.0;  // the max is +0.0 beside a -0.0
    if (n > 1) x[0] = -0.0;
    expect_same(x, "zeros at the max");
  }
}

TEST(DescribeDenseBlock, DeclinesNanAndInfinity) {
  for (double bad : {NAN, INFINITY, -INFINITY}) {
    std::vector<double> x(100, 1.5);
    x[37] = bad;
    weft__dstats b;
    std::memset(&b, 0, sizeof b);
    EXPECT_EQ(weft__desc_block_f_dense(x.data(), x.size(), &b), 0) << bad;
    EXPECT_EQ(b.kept, 0);
  }
  std::vector<double> big(64, 1.7e308);  // finite values whose sum overflows: declined too
  weft__dstats b;
  std::memset(&b, 0, sizeof b);
  EXPECT_EQ(weft__desc_block_f_dense(big.data(), big.size(), &b), 0);
}

}  // namespace
