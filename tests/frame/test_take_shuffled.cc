// weft_shuffled_rows (a seeded permutation, position by position) and weft_table_take_shuffled
// (its rows gathered into the caller's buffers): every row once, the same order however the
// positions are split, equal to weft_table_take of those rows for every fixed-width type,
// from sliced inputs, over more positions than one block of the pool; and the errors.
#include <algorithm>
#include <numeric>

#include "table_helpers.h"

using tt::TablePtr;

namespace {

std::vector<int64_t> shuffled(int64_t n, uint64_t seed, int64_t start, int64_t count) {
  std::vector<int64_t> rows((size_t)count);
  EXPECT_EQ(weft_shuffled_rows(n, seed, start, count, rows.data()), WEFT_OK) << weft_last_error();
  return rows;
}

TEST(ShuffledRows, EveryRowOnceAndTheSameOrderSplitAnywhere) {
  for (int64_t n : {0, 1, 2, 3, 4, 5, 7, 8, 9, 255, 256, 257, 1000, 4097, 70001}) {
    for (uint64_t seed : {0ull, 1ull, 0xffffffffffffffffull}) {
      std::vector<int64_t> all = shuffled(n, seed, 0, n), sorted = all;
      std::sort(sorted.begin(), sorted.end());
      std::vector<int64_t> want((size_t)n);
      std::iota(want.begin(), want.end(), 0);
      EXPECT_EQ(sorted, want) << n << " rows, seed " << seed;
      std::vector<int64_t> parts;  // pieces of 1, 2, 3, ... positions
      for (int64_t p = 0, len = 1; p < n; p += len, len++) {
        std::vector<int64_t> piece = shuffled(n, seed, p, std::min(len, n - p));
        parts.insert(parts.end(), piece.begin(), piece.end());
      }
      EXPECT_EQ(parts, all) << n;
    }
  }
  // Long runs are computed in blocks on the pool: a run from the middle is the whole's.
  std::vector<int64_t> whole = shuffled(200003, 7, 0, 200003), run = shuffled(200003, 7, 50001, 100000);
  EXPECT_TRUE(std::equal(run.begin(), run.end(), whole.begin() + 50001));
  std::vector<int64_t> a = shuffled(1000, 1, 0, 1000), b = shuffled(1000, 2, 0, 1000);
  EXPECT_NE(a, b);
  std::vector<int64_t> identity(1000);
  std::iota(identity.begin(), identity.end(), 0);
  EXPECT_NE(a, identity);
}

TEST(ShuffledRows, EachRowLandsAnywhereAboutEqually) {
  // Over 4,000 seeds, the row at each of 10 positions: every (position, row) pair about
  // 400 times (a bias of a tenth either way would be 10 standard deviations off).
  int counts[10][10] = {};
  for (uint64_t seed = 0; seed < 4000; seed++) {
    std::vector<int64_t> rows = shuffled(10, seed, 0, 10);
    for (int p = 0; p < 10; p++) counts[p][rows[(size_t)p]]++;
  }
  for (int p = 0; p < 10; p++)
    for (int r = 0; r < 10; r++) EXPECT_NEAR(counts[p][r], 400, 80) << p << " " << r;
  // Past WEFT_SHUFFLE_SMALL rows (the Feistel network): which tenth of 4,099 rows each of
  // 10 positions (spread over the order) holds.
  int tenths[10][10] = {};
  for (uint64_t seed = 0; seed < 4000; seed++) {
    std::vector<int64_t> rows = shuffled(4099, seed, 0, 4099);
    for (int p = 0; p < 10; p++) tenths[p][rows[(size_t)p * 409] * 10 / 4099]++;
  }
  for (int p = 0; p < 10; p++)
    for (int r = 0; r < 10; r++) EXPECT_NEAR(tenths[p][r], 400, 80) << p << " " << r;
}

TEST(ShuffledRows, Errors) {
  int64_t rows[4];
  EXPECT_EQ(weft_shuffled_rows(-1, 0, 0, 0, rows), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(weft_shuffled_rows(10, 0, 8, 3, rows), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(weft_last_error()).find("[8, 8 + 3)"), std::string::npos) << weft_last_error();
  EXPECT_EQ(weft_shuffled_rows(10, 0, -1, 1, rows), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(weft_shuffled_rows(10, 0, 0, 2, nullptr), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(weft_shuffled_rows(10, 0, 10, 0, nullptr), WEFT_OK);
}

std::vector<weft_type> fixed_types() {
  std::vector<weft_type> out;
  for (weft_type t : tt::all_types())
    if (t != WEFT_TYPE_BOOL && t != WEFT_TYPE_UTF8) out.push_back(t);
  return out;
}

TEST(TakeShuffled, EqualsTakeOfTheShuffledRows) {
  std::mt19937_64 rng(21);
  tt::Owned own;
  std::vector<weft_type> types = fixed_types();
  for (int64_t n : {0, 1, 37, 20000, 70001, 300001}) {  // 300,001: past one chunk of a column
    weft_table *t0 = tt::random_table(own, types, n + 5, 0.0, rng);
    weft_table *t = nullptr;
    ASSERT_WEFT_OK(weft_table_slice(t0, 5, n, &t));  // an offset into every column
    weft_table_free(t0);
    TablePtr hold(t);
    // Positions [start, start + count): the whole order, and a middle piece.
    for (auto [start, count] : {std::pair<int64_t, int64_t>{0, n}, {n / 3, n / 2}}) {
      std::vector<int64_t> rows = shuffled(n, 9, start, count);
      weft_table *want = nullptr;
      ASSERT_WEFT_OK(weft_table_take(t, rows.data(), count, &want));
      TablePtr hold_want(want);
      std::vector<std::vector<uint8_t>> got(types.size());
      std::vector<void *> out;
      for (size_t c = 0; c < types.size(); c++) {
        got[c].assign((size_t)count * tt::width(types[c]) + 1, 0xAB);
        out.push_back(got[c].data());
      }
      ASSERT_WEFT_OK(weft_table_take_shuffled(t, 9, start, count, out.data()));
      for (size_t c = 0; c < types.size(); c++) {
        weft_column_view v{};
        ASSERT_WEFT_OK(weft_table_column(want, c, &v));
        size_t w = tt::width(types[c]);
        EXPECT_EQ(memcmp(got[c].data(), (const char *)v.values + (size_t)v.offset * w, (size_t)count * w), 0)
            << n << " rows, column " << c << ", positions from " << start;
        EXPECT_EQ(got[c][(size_t)count * w], 0xAB) << "wrote past the column's buffer";
      }
    }
  }
}

TEST(TakeShuffled, ErrorsNameTheColumn) {
  std::mt19937_64 rng(22);
  tt::Owned own;
  int64_t buf[64];
  void *out[2] = {buf, buf};
  TablePtr nulls(tt::random_table(own, {WEFT_TYPE_INT64, WEFT_TYPE_INT32}, 64, 0.5, rng));
  EXPECT_EQ(weft_table_take_shuffled(nulls.get(), 0, 0, 64, out), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(weft_last_error()).find("\"c0\" has nulls"), std::string::npos) << weft_last_error();
  TablePtr text(tt::random_table(own, {WEFT_TYPE_INT64, WEFT_TYPE_UTF8}, 4, 0.0, rng));
  EXPECT_EQ(weft_table_take_shuffled(text.get(), 0, 0, 4, out), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(weft_last_error()).find("\"c1\" is not fixed-width"), std::string::npos) << weft_last_error();
  TablePtr ok(tt::random_table(own, {WEFT_TYPE_INT64}, 4, 0.0, rng));
  EXPECT_EQ(weft_table_take_shuffled(ok.get(), 0, 2, 3, out), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(weft_last_error()).find("4 rows"), std::string::npos) << weft_last_error();
  EXPECT_EQ(weft_table_take_shuffled(ok.get(), 0, 0, 4, nullptr), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(weft_table_take_shuffled(nullptr, 0, 0, 0, out), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(weft_table_take_shuffled(ok.get(), 0, 1, 3, out), WEFT_OK);
}

}  // namespace
