// weft__sort_keys against std::sort: random keys, few distinct values, the empty slots'
// all-ones runs, sorted and reversed input (quicksort's bad cases, which the depth limit
// turns into a heap sort), and every size up to past the insertion-sort cutoff; and
// weft__select_keys on the same shapes.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

extern "C" {
#include "vector/knn_key_heap.h"
}

// n keys of one of 6 shapes: random, few distinct, ascending, descending, empties
// (UINT64_MAX) among small values, and an organ pipe of empties.
static std::vector<uint64_t> shaped_keys(int shape, size_t n, std::mt19937_64 &rng) {
  std::vector<uint64_t> a(n);
  for (size_t i = 0; i < n; i++) {
    switch (shape) {
      case 0: a[i] = rng(); break;
      case 1: a[i] = rng() % 3; break;
      case 2: a[i] = i; break;
      case 3: a[i] = n - i; break;
      case 4: a[i] = rng() % 4 == 0 ? UINT64_MAX : rng() % 50; break;
      default: a[i] = (i % 2) ? UINT64_MAX : i; break;
    }
  }
  return a;
}

TEST(KnnSortKeys, EqualsStdSortOnEveryShape) {
  std::mt19937_64 rng(7);
  for (int shape = 0; shape < 6; shape++) {
    for (size_t n : {0u, 1u, 2u, 3u, 23u, 24u, 25u, 100u, 320u, 1000u, 4097u, 100000u}) {
      std::vector<uint64_t> a = shaped_keys(shape, n, rng);
      std::vector<uint64_t> want = a;
      std::sort(want.begin(), want.end());
      weft__sort_keys(a.data(), a.size());
      ASSERT_EQ(a, want) << "shape " << shape << " n " << n;
    }
  }
}

// weft__select_keys: the k smallest as a multiset in a[0..k), the rest after (any order), on
// the same shapes, every k from 0 to n on small sizes and a spread of k on large ones.
TEST(KnnSelectKeys, KeepsTheKSmallestOnEveryShape) {
  std::mt19937_64 rng(8);
  for (int shape = 0; shape < 6; shape++) {
    for (size_t n : {1u, 2u, 3u, 23u, 24u, 25u, 50u, 100u, 640u, 4097u, 100000u}) {
      std::vector<size_t> ks;
      for (size_t k = 0; k <= n; k += n <= 100 ? 1 : n / 7 + 1) ks.push_back(k);
      ks.push_back(n / 2), ks.push_back(n - 1), ks.push_back(n);
      for (size_t k : ks) {
        std::vector<uint64_t> a = shaped_keys(shape, n, rng);
        std::vector<uint64_t> want = a;
        std::sort(want.begin(), want.end());
        weft__select_keys(a.data(), n, k);
        std::vector<uint64_t> head(a.begin(), a.begin() + k), got = a;
        std::sort(head.begin(), head.end());
        std::sort(got.begin(), got.end());
        ASSERT_EQ(got, want) << "a permutation: shape " << shape << " n " << n << " k " << k;
        ASSERT_TRUE(std::equal(head.begin(), head.end(), want.begin()))
            << "shape " << shape << " n " << n << " k " << k;
      }
    }
  }
}
