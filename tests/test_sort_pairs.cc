// The backends' sort_pairs on its own, against std::stable_sort: each backend library is
// loaded with dlopen and driven through its weft__backend table (no libweft.so, so its
// state is this test's alone). Sizes around the 1024-key block, 1 to 8 key bytes with bits
// above them that must be ignored, many duplicates, rows that are not 0..n-1, one pass (the
// result copied back from the temporaries) and every pass. A backend that is not built or
// finds no device is reported as skipped.
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "backend_test.h"

namespace {

using namespace backend_test;

class SortPairs : public BackendTest {
 protected:
  void SetUp() override {
    BackendTest::SetUp();
    if (IsSkipped()) return;
    ASSERT_NE(be_->sort_pairs, nullptr) << GetParam().name << " has no sort_pairs";
  }

  // Sorts (keys, rows) on device 0 and checks against std::stable_sort by the low bytes.
  void check(const std::vector<uint64_t> &keys, const std::vector<int64_t> &rows, int bytes,
             uint64_t varies) {
    size_t n = keys.size(), nb = n * 8;
    uint64_t mask = bytes == 8 ? ~0ULL : (1ULL << (8 * bytes)) - 1;
    std::vector<size_t> order(n);
    for (size_t i = 0; i < n; i++) order[i] = i;
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return (keys[a] & mask) < (keys[b] & mask); });
    void *dk = nullptr, *dr = nullptr;
    ASSERT_EQ(be_->buffer_alloc(0, nb, &dk), WEFT_OK) << g_message;
    ASSERT_EQ(be_->buffer_alloc(0, nb, &dr), WEFT_OK) << g_message;
    ASSERT_EQ(be_->buffer_write(0, dk, 0, keys.data(), nb, 1), WEFT_OK) << g_message;
    ASSERT_EQ(be_->buffer_write(0, dr, 0, rows.data(), nb, 1), WEFT_OK) << g_message;
    ASSERT_EQ(be_->sort_pairs(0, n, bytes, varies, dk, dr), WEFT_OK) << g_message;
    std::vector<uint64_t> got_k(n);
    std::vector<int64_t> got_r(n);
    ASSERT_EQ(be_->buffer_read(0, dk, 0, got_k.data(), nb, 1), WEFT_OK) << g_message;
    ASSERT_EQ(be_->buffer_read(0, dr, 0, got_r.data(), nb, 1), WEFT_OK) << g_message;
    be_->buffer_free(0, dk);
    be_->buffer_free(0, dr);
    for (size_t i = 0; i < n; i++) {
      ASSERT_EQ(got_r[i], rows[order[i]]) << "position " << i << " of " << n << ", " << bytes << "-byte keys";
      ASSERT_EQ(got_k[i], keys[order[i]]) << "position " << i << " of " << n;
    }
  }
};

uint64_t varies_of(const std::vector<uint64_t> &keys) {
  uint64_t o = 0, a = ~0ULL;
  for (uint64_t k : keys) o |= k, a &= k;
  return o ^ a;
}

TEST_P(SortPairs, MatchesAStableSort) {
  std::mt19937_64 rng(1);
  for (size_t n : {0u, 1u, 2u, 255u, 1023u, 1024u, 1025u, 4097u, 100003u}) {
    for (int bytes : {1, 2, 4, 8}) {
      for (uint64_t distinct : {3ULL, 1000ULL, 0ULL /* any */}) {
        std::vector<uint64_t> keys(n);
        std::vector<int64_t> rows(n);
        for (size_t i = 0; i < n; i++) {
          uint64_t k = distinct ? rng() % distinct * 0x9e3779b97f4a7c15ULL : rng();
          keys[i] = k;
          rows[i] = (int64_t)(rng() >> 1) - (int64_t)(1ULL << 61);  // carried, never recomputed
        }
        SCOPED_TRACE("n=" + std::to_string(n) + " bytes=" + std::to_string(bytes) +
                     " distinct=" + std::to_string(distinct));
        check(keys, rows, bytes, varies_of(keys));
        if (n == 4097) check(keys, rows, bytes, ~0ULL);  // every digit: the same order
      }
    }
  }
}

TEST_P(SortPairs, OnePassAndOddPassCounts) {
  std::mt19937_64 rng(2);
  size_t n = 5003;
  for (int digits : {1, 3}) {  // an odd number of passes ends in the temporaries
    std::vector<uint64_t> keys(n);
    std::vector<int64_t> rows(n);
    for (size_t i = 0; i < n; i++) keys[i] = rng() % (1ULL << (4 * digits)), rows[i] = (int64_t)i;
    check(keys, rows, 8, varies_of(keys));
  }
}

// More than 128 blocks of 1024 keys: over 2048 digit counts, which CUDA scans in two levels
// (chunks of 2048, then their totals), on either side of that bound.
TEST_P(SortPairs, DigitCountsPastOneScanChunk) {
  std::mt19937_64 rng(3);
  for (size_t n : {128u * 1024u, 129u * 1024u - 5u, 300007u}) {
    std::vector<uint64_t> keys(n);
    std::vector<int64_t> rows(n);
    for (size_t i = 0; i < n; i++) keys[i] = rng() % 40000, rows[i] = (int64_t)i;
    SCOPED_TRACE("n=" + std::to_string(n));
    check(keys, rows, 2, varies_of(keys));
  }
}

TEST_P(SortPairs, RejectsBadKeyBytes) {
  void *dk = nullptr;
  ASSERT_EQ(be_->buffer_alloc(0, 64, &dk), WEFT_OK);
  for (int bytes : {0, 9}) {
    g_message.clear();
    EXPECT_EQ(be_->sort_pairs(0, 8, bytes, ~0ULL, dk, dk), WEFT_ERR_INVALID_ARGUMENT);
    EXPECT_NE(g_message.find("key_bytes " + std::to_string(bytes)), std::string::npos) << g_message;
  }
  be_->buffer_free(0, dk);
}

INSTANTIATE_TEST_SUITE_P(Backends, SortPairs, all_backends(), backend_name);

}  // namespace
