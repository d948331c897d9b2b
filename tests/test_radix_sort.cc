// The CPU radix sort of (key, row) pairs (host/frame/sort/sort_radix.c, compiled in) against
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
#include "frame/sort/sort_radix.h"
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

// weft__radix_sort_carry: the keys sorted as by weft__radix_sort, and every carried column
// (each width, and the row numbers) in the same order.
int carry_sort(const std::vector<uint64_t> &keys, int bytes, const char *what) {
  size_t n = keys.size();
  std::vector<uint64_t> c8(n), o8(n), rows(n);
  std::vector<uint32_t> c4(n), o4(n);
  std::vector<uint16_t> c2(n), o2(n);
  std::vector<uint8_t> c1(n), o1(n);
  std::mt19937_64 rng(n);
  for (size_t i = 0; i < n; i++) {
    c8[i] = rng();
    c4[i] = uint32_t(c8[i] >> 7), c2[i] = uint16_t(c8[i] >> 3), c1[i] = uint8_t(c8[i] >> 17);
  }
  weft__radix_carry carry[] = {{c8.data(), o8.data(), 8}, {c4.data(), o4.data(), 4},
                               {c2.data(), o2.data(), 2}, {c1.data(), o1.data(), 1},
                               {nullptr, rows.data(), 8}};
  std::vector<uint64_t> k = keys;
  int got = weft__radix_sort_carry(k.data(), int64_t(n), bytes, 5, carry);
  if (got != 1) {
    EXPECT_EQ(k, keys) << what << ": the keys changed though the sort said " << got;
    return got;
  }
  uint64_t mask = bytes == 8 ? ~0ULL : (1ULL << (8 * bytes)) - 1;
  std::vector<size_t> order(n);
  for (size_t i = 0; i < n; i++) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return (keys[a] & mask) < (keys[b] & mask); });
  for (size_t i = 0; i < n; i++) {
    size_t r = order[i];
    EXPECT_EQ(rows[i], r) << what << ": position " << i;
    EXPECT_EQ(k[i], keys[r]) << what << ": position " << i;
    EXPECT_EQ(o8[i], c8[r]);
    EXPECT_EQ(o4[i], c4[r]);
    EXPECT_EQ(o2[i], c2[r]);
    if (o1[i] != c1[r] || rows[i] != r) {
      ADD_FAILURE() << what << ": position " << i << " of " << n;
      break;
    }
  }
  return got;
}

TEST(RadixSortCarry, ColumnsMoveWithTheKeys) {
  std::mt19937_64 rng(21);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (size_t n : {size_t(262144), size_t(300007), size_t(1500001)}) {
    std::vector<uint64_t> k(n);
    for (auto &x : k) x = rng();
    EXPECT_EQ(carry_sort(k, 8, "uniform"), 1);
    for (auto &x : k) x = f64_word(u(rng));
    for (size_t i = 0; i < n; i += 100003) k[i] = f64_word(i % 2 ? 1e-300 : -2.5);
    EXPECT_EQ(carry_sort(k, 8, "floats in [0, 1), a 16-bit split"), 1);
    for (auto &x : k) x = rng() % 1000;
    EXPECT_EQ(carry_sort(k, 8, "1000 distinct keys"), 1);
    for (auto &x : k) x = rng();
    EXPECT_EQ(carry_sort(k, 3, "3-byte keys, noise above"), 1);
  }
}

TEST(RadixSortCarry, DeclinesWhatItDoesNotSuit) {
  std::mt19937_64 rng(22);
  std::vector<uint64_t> small(1000), one_digit(300000), crowded(400000);
  for (auto &x : small) x = rng();
  for (auto &x : one_digit) x = rng() % 200;
  // nine in ten keys in one bucket of the split: one thread would sort most of it
  for (size_t i = 0; i < crowded.size(); i++) crowded[i] = i % 10 ? 5ULL << 40 | (rng() & 0xFF) : rng();
  EXPECT_EQ(carry_sort(small, 8, "small"), -1);
  EXPECT_EQ(carry_sort(one_digit, 8, "one varying digit"), -1);
  EXPECT_EQ(carry_sort(crowded, 8, "crowded"), -1);
}

}  // namespace
