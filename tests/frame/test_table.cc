// weft_table basics: from_columns (and its errors), access, slices, concat, release timing.
#include "table_helpers.h"

using tt::Cell;
using tt::Rows;
using tt::TablePtr;

namespace {

TEST(Table, FromColumnsEveryTypeReadsBack) {
  std::mt19937_64 rng(1);
  tt::Owned own;
  for (int64_t rows : {0, 1, 37}) {
    TablePtr t(tt::random_table(own, tt::all_types(), rows, 0.3, rng));
    ASSERT_TRUE(t);
    EXPECT_EQ(tt::num_rows(t.get()), rows);
    EXPECT_EQ(tt::num_cols(t.get()), std::size(tt::kAllTypes));
    EXPECT_EQ(tt::types_of(t.get()), tt::all_types());
    size_t index = 99;
    ASSERT_WEFT_OK(weft_table_column_index(t.get(), "c11", &index));
    EXPECT_EQ(index, 11u);
    EXPECT_EQ(weft_table_column_index(t.get(), "nope", &index), WEFT_ERR_NOT_FOUND);
    EXPECT_NE(std::string(weft_last_error()).find("nope"), std::string::npos);
    weft_column_view v;
    ASSERT_WEFT_OK(weft_table_column(t.get(), 3, &v));
    int64_t nulls = 0;
    for (int64_t r = 0; r < rows; r++) nulls += !tt::cell(t.get(), 3, r).has_value();
    EXPECT_EQ(v.null_count, nulls);  // computed on demand
  }
}

TEST(Table, FromColumnsErrors) {
  int32_t a[3] = {1, 2, 3}, b[2] = {4, 5};
  weft_column_view cols[2] = {};
  cols[0].type = WEFT_TYPE_INT32, cols[0].length = 3, cols[0].values = a;
  cols[1].type = WEFT_TYPE_INT32, cols[1].length = 2, cols[1].values = b;
  const char *names[2] = {"x", "y"};
  weft_table *t = nullptr;
  EXPECT_EQ(weft_table_from_columns(2, names, cols, nullptr, nullptr, &t), WEFT_ERR_INVALID_ARGUMENT);
  std::string msg = weft_last_error();
  EXPECT_NE(msg.find("\"y\""), std::string::npos) << msg;
  EXPECT_NE(msg.find("\"x\""), std::string::npos) << msg;
  EXPECT_EQ(t, nullptr);

  cols[1].length = 3;
  cols[1].values = a;
  const char *dup[2] = {"x", "x"};
  EXPECT_EQ(weft_table_from_columns(2, dup, cols, nullptr, nullptr, &t), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(weft_last_error()).find("twice"), std::string::npos) << weft_last_error();

  cols[1].type = (weft_type)42;
  EXPECT_EQ(weft_table_from_columns(2, names, cols, nullptr, nullptr, &t), WEFT_ERR_INVALID_ARGUMENT);
  msg = weft_last_error();
  EXPECT_NE(msg.find("\"y\""), std::string::npos) << msg;
  EXPECT_NE(msg.find("42"), std::string::npos) << msg;

  cols[1].type = WEFT_TYPE_UTF8;  // no data buffer
  EXPECT_EQ(weft_table_from_columns(2, names, cols, nullptr, nullptr, &t), WEFT_ERR_INVALID_ARGUMENT);

  // An error never calls the release callback: the caller still owns the memory.
  int released = 0;
  cols[1].type = (weft_type)42;
  EXPECT_NE(weft_table_from_columns(2, names, cols, [](void *c) { ++*(int *)c; }, &released, &t),
            WEFT_OK);
  EXPECT_EQ(released, 0);
}

TEST(Table, ReleaseRunsOnceAfterTheLastTable) {
  std::mt19937_64 rng(2);
  tt::Owned own;
  weft_table *t = tt::random_table(own, tt::all_types(), 20, 0.2, rng);
  weft_table *s = nullptr, *c = nullptr;
  ASSERT_WEFT_OK(weft_table_slice(t, 5, 10, &s));
  ASSERT_WEFT_OK(weft_table_free(t));
  EXPECT_EQ(own.released, 0);  // the slice still uses the memory
  const weft_table *parts[1] = {s};
  ASSERT_WEFT_OK(weft_table_concat(1, parts, &c));  // a copy: does not hold the memory
  ASSERT_WEFT_OK(weft_table_free(s));
  EXPECT_EQ(own.released, 1);
  EXPECT_EQ(tt::num_rows(c), 10);
  ASSERT_WEFT_OK(weft_table_free(c));
  EXPECT_EQ(own.released, 1);
  EXPECT_EQ(weft_table_free(nullptr), WEFT_OK);
}

TEST(Table, SliceClipsToTheTable) {
  std::mt19937_64 rng(3);
  tt::Owned own;
  TablePtr t(tt::random_table(own, tt::all_types(), 29, 0.25, rng));
  Rows all = tt::rows_of(t.get());
  struct Case { int64_t offset, length, want_from, want_rows; };
  for (Case k : {Case{0, 29, 0, 29}, Case{3, 10, 3, 10}, Case{20, 100, 20, 9}, Case{29, 5, 29, 0},
                 Case{50, 5, 29, 0}, Case{7, 0, 7, 0}, Case{28, 1, 28, 1}}) {
    weft_table *s = nullptr;
    ASSERT_WEFT_OK(weft_table_slice(t.get(), k.offset, k.length, &s));
    TablePtr hold(s);
    EXPECT_EQ(tt::num_rows(s), k.want_rows) << k.offset << "+" << k.length;
    EXPECT_EQ(tt::rows_of(s), Rows(all.begin() + k.want_from, all.begin() + k.want_from + k.want_rows));
    // A slice of a slice.
    weft_table *s2 = nullptr;
    ASSERT_WEFT_OK(weft_table_slice(s, 1, 3, &s2));
    TablePtr hold2(s2);
    int64_t n2 = std::min<int64_t>(3, std::max<int64_t>(0, k.want_rows - 1));
    EXPECT_EQ(tt::rows_of(s2), tt::rows_of(s, std::min<int64_t>(1, k.want_rows), n2));
  }
  weft_table *s = nullptr;
  EXPECT_EQ(weft_table_slice(t.get(), -1, 3, &s), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(weft_last_error()).find("-1"), std::string::npos);
  EXPECT_EQ(weft_table_slice(t.get(), 0, -3, &s), WEFT_ERR_INVALID_ARGUMENT);
}

TEST(Table, ConcatWithNullsStringsAndSlices) {
  std::mt19937_64 rng(4);
  tt::Owned own;
  std::vector<TablePtr> parts;
  Rows want;
  // Different null rates (none: no validity bitmap), empty parts, and sliced parts whose
  // offsets are not multiples of 8.
  double rates[] = {0.0, 0.3, 0.0, 1.0, 0.5};
  int64_t sizes[] = {13, 0, 1, 9, 70};
  for (int i = 0; i < 5; i++) {
    weft_table *t = tt::random_table(own, tt::all_types(), sizes[i], rates[i], rng);
    if (i == 4) {
      weft_table *s = nullptr;
      ASSERT_WEFT_OK(weft_table_slice(t, 5, 60, &s));
      weft_table_free(t);
      t = s;
    }
    Rows r = tt::rows_of(t);
    want.insert(want.end(), r.begin(), r.end());
    parts.emplace_back(t);
  }
  std::vector<const weft_table *> ptrs;
  for (auto &p : parts) ptrs.push_back(p.get());
  weft_table *c = nullptr;
  ASSERT_WEFT_OK(weft_table_concat(ptrs.size(), ptrs.data(), &c));
  TablePtr hold(c);
  EXPECT_EQ(tt::rows_of(c), want);
  EXPECT_EQ(tt::types_of(c), tt::all_types());
  EXPECT_EQ(tt::names_of(c), tt::names_of(parts[0].get()));
  // Only parts without nulls: the result needs no bitmap but still reads the same.
  const weft_table *no_nulls[2] = {parts[0].get(), parts[2].get()};
  ASSERT_WEFT_OK(weft_table_concat(2, no_nulls, &c));
  TablePtr hold2(c);
  Rows a = tt::rows_of(parts[0].get()), b = tt::rows_of(parts[2].get());
  a.insert(a.end(), b.begin(), b.end());
  EXPECT_EQ(tt::rows_of(c), a);
}

TEST(Table, ConcatErrorsNameTheColumn) {
  std::mt19937_64 rng(5);
  tt::Owned own;
  TablePtr a(tt::random_table(own, {WEFT_TYPE_INT64, WEFT_TYPE_UTF8}, 4, 0.1, rng));
  TablePtr b(tt::random_table(own, {WEFT_TYPE_INT64, WEFT_TYPE_FLOAT64}, 4, 0.1, rng));
  TablePtr c(tt::random_table(own, {WEFT_TYPE_INT64}, 4, 0.1, rng));
  const weft_table *ab[2] = {a.get(), b.get()}, *ac[2] = {a.get(), c.get()};
  weft_table *out = nullptr;
  EXPECT_EQ(weft_table_concat(2, ab, &out), WEFT_ERR_INVALID_ARGUMENT);
  std::string msg = weft_last_error();
  EXPECT_NE(msg.find("\"c1\""), std::string::npos) << msg;
  EXPECT_NE(msg.find("float64"), std::string::npos) << msg;
  EXPECT_NE(msg.find("utf8"), std::string::npos) << msg;
  EXPECT_EQ(weft_table_concat(2, ac, &out), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(weft_table_concat(0, ac, &out), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(out, nullptr);
}

TEST(Table, ColumnAccessErrors) {
  std::mt19937_64 rng(6);
  tt::Owned own;
  TablePtr t(tt::random_table(own, {WEFT_TYPE_INT8}, 3, 0.0, rng));
  weft_column_view v;
  const char *name;
  EXPECT_EQ(weft_table_column(t.get(), 1, &v), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(weft_table_column_name(t.get(), 5, &name), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(weft_last_error()).find("5"), std::string::npos);
  ASSERT_WEFT_OK(weft_table_column(t.get(), 0, &v));
  EXPECT_EQ(v.null_count, 0);
  EXPECT_EQ(v.validity, nullptr);
  EXPECT_STREQ(weft_type_name(WEFT_TYPE_TIMESTAMP_US), "timestamp[us]");
  EXPECT_STREQ(weft_type_name((weft_type)99), "unknown");
}

}  // namespace
