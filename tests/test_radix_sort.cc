// The CPU radix sort of (key, row) pairs (host/frame/sort_radix.c, compiled in) against
// std::stable_sort, on the distributions that take its different paths: uniform 64-bit
// keys, float64 words crowding one top byte (the parallel split recurses), few distinct
// keys, all keys equal, keys narrower than 8 bytes with bits above them to ignore, and
// sizes around the insertion, cache and parallel-split thresholds.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

extern "C" {
#include "../host/frame/sort_radix.h"
}

namespace {

uint64_t f64_word(double d) {
  uint64_t b;
  std::memcpy(&b, &d, 8);
  return b >> 63 ? ~b : b | (1ULL << 63);
}

void check(const std::vector<uint64_t> &keys, int bytes, const char *what) {
  size_t n = keys.size();
  uint64_t mask = bytes == 8 ? ~0ULL : (1ULL << (8 * bytes)) - 1;
  std::vector<int64_t> rows(n);
  // row numbers that are not 0..n-1, so a lost or duplicated row shows
  for (size_t i = 0; i < n; i++) rows[i] = int64_t(i) * 3 + 7;
  std::vector<size_t> order(n);
  for (size_t i = 0; i < n; i++) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return (keys[a] & mask) < (keys[b] & mask); });
  std::vector<uint64_t> k = keys;
  std::vector<int64_t> r = rows;
  ASSERT_EQ(weft__radix_sort(k.data(), r.data(), int64_t(n), bytes), 1);
  for (size_t i = 0; i < n; i++) {
    ASSERT_EQ(r[i], rows[order[i]]) << what << ": position " << i << " of " << n << ", "
                                    << bytes << "-byte keys";
    ASSERT_EQ(k[i], keys[order[i]]) << what << ": position " << i << " of " << n;
  }
}

const size_t kSizes[] = {0, 1, 2, 15, 16, 17, 255, 1000, 65535, 65537, 262143, 262145, 2000003};

TEST(RadixSort, UniformKeys) {
  std::mt19937_64 rng(11);
  for (size_t n : kSizes) {
    std::vector<uint64_t> k(n);
    for (auto &x : k) x = rng();
    check(k, 8, "uniform");
  }
}

TEST(RadixSort, FloatWordsCrowdingOneTopByte) {
  std::mt19937_64 rng(12);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (size_t n : kSizes) {
    std::vector<uint64_t> k(n);
    for (auto &x : k) x = f64_word(u(rng));
    // a few tiny and negative values, so the top byte varies, rarely
    for (size_t i = 0; i < n; i += 100003) k[i] = f64_word(i % 2 ? 1e-300 : -2.5);
    check(k, 8, "floats in [0, 1)");
  }
}

TEST(RadixSort, FewDistinctKeysAndTies) {
  std::mt19937_64 rng(13);
  for (size_t n : kSizes) {
    std::vector<uint64_t> k(n);
    for (auto &x : k) x = rng() % 7 * 0x0101010101ULL;  // several varying bytes, many ties
    check(k, 8, "7 distinct keys");
    for (auto &x : k) x = rng() % 1000;  // two varying bytes
    check(k, 8, "1000 distinct keys");
    std::fill(k.begin(), k.end(), 42);
    check(k, 8, "all equal");
  }
}

TEST(RadixSort, NarrowKeysIgnoreTheBitsAbove) {
  std::mt19937_64 rng(14);
  for (int bytes : {1, 2, 4, 5}) {
    for (size_t n : {size_t(17), size_t(70001), size_t(600001)}) {
      std::vector<uint64_t> k(n);
      for (auto &x : k) x = rng();  // the bits above `bytes` are noise the sort must ignore
      check(k, bytes, "narrow");
    }
  }
}

TEST(RadixSort, AlreadySortedAndReversed) {
  for (size_t n : {size_t(100), size_t(300007)}) {
    std::vector<uint64_t> k(n);
    for (size_t i = 0; i < n; i++) k[i] = i * 0x9E3779B9ULL;
    check(k, 8, "ascending");
    std::reverse(k.begin(), k.end());
    check(k, 8, "descending");
  }
}

}  // namespace
