// weft_table_take: rows by a list of row numbers (every type, nulls, repeats, sliced inputs
// whose offsets are not multiples of 8, lists longer than one gather block), and its errors.
#include "table_helpers.h"

using tt::Rows;
using tt::TablePtr;

namespace {

Rows pick(const Rows &all, const std::vector<int64_t> &rows) {
  Rows out;
  for (int64_t r : rows) out.push_back(all[(size_t)r]);
  return out;
}

TEST(Take, EveryTypeMatchesPickingRows) {
  std::mt19937_64 rng(11);
  tt::Owned own;
  for (int64_t n : {0, 1, 37, 20000}) {
    for (double rate : {0.0, 0.3}) {
      weft_table *t0 = tt::random_table(own, tt::all_types(), n + 5, rate, rng);
      weft_table *t = nullptr;
      ASSERT_WEFT_OK(weft_table_slice(t0, 5, n, &t));  // offset 5: not whole bitmap bytes
      weft_table_free(t0);
      TablePtr hold(t);
      Rows all = tt::rows_of(t);
      std::vector<int64_t> rows;
      if (n) {
        std::uniform_int_distribution<int64_t> any(0, n - 1);
        for (int64_t i = 0; i < n + 3; i++) rows.push_back(any(rng));  // repeats too
      }
      weft_table *out = nullptr;
      ASSERT_WEFT_OK(weft_table_take(t, rows.data(), (int64_t)rows.size(), &out));
      TablePtr hold_out(out);
      EXPECT_EQ(tt::num_rows(out), (int64_t)rows.size());
      EXPECT_EQ(tt::types_of(out), tt::all_types());
      EXPECT_EQ(tt::names_of(out), tt::names_of(t));
      EXPECT_EQ(tt::rows_of(out), pick(all, rows)) << n << " rows, null rate " << rate;
    }
  }
}

TEST(Take, ErrorsNameTheRow) {
  std::mt19937_64 rng(12);
  tt::Owned own;
  TablePtr t(tt::random_table(own, {WEFT_TYPE_INT64, WEFT_TYPE_UTF8}, 4, 0.1, rng));
  int64_t bad[3] = {0, 4, 1}, neg[1] = {-1};
  weft_table *out = nullptr;
  EXPECT_EQ(weft_table_take(t.get(), bad, 3, &out), WEFT_ERR_INVALID_ARGUMENT);
  std::string msg = weft_last_error();
  EXPECT_NE(msg.find("rows[1] = 4"), std::string::npos) << msg;
  EXPECT_EQ(weft_table_take(t.get(), neg, 1, &out), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(weft_table_take(t.get(), nullptr, 2, &out), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(weft_table_take(t.get(), bad, -1, &out), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(out, nullptr);
}

}  // namespace
