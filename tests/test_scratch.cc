// The scratch cache (host/core/scratch.c, compiled into this test): freed large blocks are handed
// to the next request they fit, small ones and oversized ones are not kept.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>

extern "C" {
#include "core/scratch.h"
}

namespace {

constexpr size_t MiB = size_t(1) << 20;

class Scratch : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { setenv("WEFT_SCRATCH_CACHE_MB", "64", 1); }
  void SetUp() override { weft__scratch_trim(); }
  void TearDown() override { weft__scratch_trim(); }
};

TEST_F(Scratch, BlocksAreAlignedAndWritable) {
  for (size_t bytes : {size_t(0), size_t(1), size_t(4097), 3 * MiB + 5}) {
    auto *p = static_cast<unsigned char *>(weft__scratch_alloc(bytes));
    ASSERT_NE(p, nullptr) << bytes;
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % 64, 0u) << bytes;
    memset(p, 0xAB, bytes);
    weft__scratch_free(p);
  }
  weft__scratch_free(nullptr);
}

TEST_F(Scratch, AFreedLargeBlockIsReusedByARequestItFits) {
  void *a = weft__scratch_alloc(8 * MiB);
  ASSERT_NE(a, nullptr);
  static_cast<char *>(a)[8 * MiB - 1] = 7;
  weft__scratch_free(a);
  void *b = weft__scratch_alloc(6 * MiB);  // fits, wastes under half
  EXPECT_EQ(b, a);
  void *c = weft__scratch_alloc(8 * MiB);  // the only kept block is taken: a new one
  EXPECT_NE(c, a);
  weft__scratch_free(b);
  weft__scratch_free(c);
}

TEST_F(Scratch, ABlockMoreThanTwiceTheRequestIsNotHandedOut) {
  void *big = weft__scratch_alloc(32 * MiB);
  weft__scratch_free(big);
  void *small = weft__scratch_alloc(2 * MiB);
  EXPECT_NE(small, big);
  void *again = weft__scratch_alloc(20 * MiB);
  EXPECT_EQ(again, big);
  weft__scratch_free(small);
  weft__scratch_free(again);
}

TEST_F(Scratch, BlocksOverTheCapAreNotKept) {
  // Counted by what trim gives back, not by addresses: a block handed back to the system can
  // come again from mmap at the same address (as it did once other suites ran in the process).
  void *huge = weft__scratch_alloc(80 * MiB);  // over the 64 MiB cap set above
  ASSERT_NE(huge, nullptr);
  weft__scratch_free(huge);
  EXPECT_EQ(weft__scratch_trim(), 0u);
  // The kept total stays under the cap: three 30 MiB blocks keep two.
  void *p[3];
  for (auto &q : p) q = weft__scratch_alloc(30 * MiB);
  for (auto &q : p) ASSERT_NE(q, nullptr);
  for (auto &q : p) weft__scratch_free(q);
  EXPECT_EQ(weft__scratch_trim(), 60 * MiB);
}

TEST_F(Scratch, TrimReturnsEveryKeptBlock) {
  void *a = weft__scratch_alloc(4 * MiB);
  weft__scratch_free(a);
  EXPECT_EQ(weft__scratch_trim(), 4 * MiB);
  EXPECT_EQ(weft__scratch_trim(), 0u);
  void *b = weft__scratch_alloc(4 * MiB);
  void *c = weft__scratch_alloc(4 * MiB);
  // after the trim nothing is kept, so the two live blocks are distinct fresh ones
  EXPECT_NE(b, c);
  weft__scratch_free(b);
  weft__scratch_free(c);
}

}  // namespace
