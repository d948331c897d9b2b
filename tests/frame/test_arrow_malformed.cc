// Malformed Arrow C Data batches, as the fuzzer (tests/fuzz/fuzz_arrow.c) built them: each
// must be refused with an error naming what is wrong (and move nothing), never read outside
// its buffers; a wrong null_count is not trusted.
#include "arrow_hand_helpers.h"

using tt::Cell;
using tt::Rows;
using tt::TablePtr;

namespace {

HandChild utf8_child(const char *name, std::vector<int32_t> offsets, std::string data,
                     int64_t length, int64_t offset = 0) {
  return HandChild{"u", name, length, offset, 0,
                   {{0}, bytes_of(offsets), std::vector<uint8_t>(data.begin(), data.end())},
                   {true, false, false}};
}

// The struct's own children arrays NULL (found by the fuzzer: a NULL dereference).
TEST(ArrowMalformed, NullChildrenArraysAreRefused) {
  std::vector<int64_t> v = {1, 2, 3};
  for (int which = 0; which < 3; which++) {
    Counters counters;
    ArrowSchema schema;
    ArrowArray array;
    make_batch({HandChild{"l", "x", 3, 0, 0, {{0}, bytes_of(v)}, {true, false}}}, 3, 0, &counters,
               &schema, &array);
    ArrowSchema **schema_kids = schema.children;
    ArrowArray **array_kids = array.children;
    ArrowSchema *field = schema_kids[0];
    if (which == 0) schema.children = nullptr;
    if (which == 1) array.children = nullptr;
    if (which == 2) schema_kids[0] = nullptr;
    weft_table *t = nullptr;
    EXPECT_EQ(weft_table_from_arrow(&schema, &array, &t), WEFT_ERR_INVALID_ARGUMENT) << which;
    EXPECT_NE(std::string(weft_last_error()).find("NULL"), std::string::npos) << weft_last_error();
    EXPECT_EQ(t, nullptr);
    schema.children = schema_kids, array.children = array_kids, schema_kids[0] = field;
    array.release(&array);
    schema.release(&schema);
  }
}

// Offsets whose sums overflow int64 (found by the fuzzer: signed overflow, UBSan).
TEST(ArrowMalformed, OffsetsThatOverflowAreRefused) {
  std::vector<int64_t> v = {1, 2, 3, 4, 5, 6, 7, 8};
  HandChild big{"l", "x", 6, INT64_MAX - 1, 0, {{0}, bytes_of(v)}, {true, false}};
  expect_import_error({big}, 3, WEFT_ERR_INVALID_ARGUMENT, {"\"x\"", "offset"});
  // The struct's own offset + length past INT64_MAX.
  Counters counters;
  ArrowSchema schema;
  ArrowArray array;
  make_batch({HandChild{"l", "x", 8, 0, 0, {{0}, bytes_of(v)}, {true, false}}}, INT64_MAX, 0,
             &counters, &schema, &array);
  array.offset = 4;
  weft_table *t = nullptr;
  EXPECT_EQ(weft_table_from_arrow(&schema, &array, &t), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(weft_last_error()).find("struct array"), std::string::npos);
  array.release(&array);
  schema.release(&schema);
}

// utf8 offsets that would read outside the data buffer.
TEST(ArrowMalformed, Utf8OffsetsOutsideTheDataAreRefused) {
  expect_import_error({utf8_child("s", {0, 5, 2, 3}, "abc", 3)}, 3, WEFT_ERR_INVALID_ARGUMENT,
                      {"\"s\"", "descend", "row 1"});
  expect_import_error({utf8_child("s", {-4, 1, 2, 3}, "abc", 3)}, 3, WEFT_ERR_INVALID_ARGUMENT,
                      {"\"s\"", "negative"});
  // Ascending inside the rows taken, but past the array's last offset (the data's size).
  expect_import_error({utf8_child("s", {0, 1, 9, 3}, "abc", 3)}, 2, WEFT_ERR_INVALID_ARGUMENT,
                      {"\"s\"", "past the data's end"});
  HandChild no_data = utf8_child("s", {0, 1, 2, 3}, "abc", 3);
  no_data.null_buffer[2] = true;
  expect_import_error({no_data}, 3, WEFT_ERR_INVALID_ARGUMENT, {"\"s\"", "no data buffer"});
  // Valid: rows 1..2 of a child at offset 1.
  Counters counters;
  ArrowSchema schema;
  ArrowArray array;
  make_batch({utf8_child("s", {0, 1, 3, 6, 6}, "abbccc", 3, 1)}, 2, 1, &counters, &schema, &array);
  weft_table *t = nullptr;
  ASSERT_WEFT_OK(weft_table_from_arrow(&schema, &array, &t));
  EXPECT_EQ(tt::rows_of(t), (Rows{{Cell("ccc")}, {Cell("")}}));
  weft_table_free(t);
}

TEST(ArrowMalformed, StringViewsOutsideTheirBufferAreRefused) {
  std::vector<uint8_t> views;
  push_view(views, "a string longer than twelve", 0, 4);  // bytes 4..31 of a 20-byte buffer
  std::vector<int64_t> sizes = {20};
  HandChild kid{"vu", "v", 1, 0, 0,
                {{0}, views, std::vector<uint8_t>(20, 'x'), bytes_of(sizes)}, {true, false, false, false}};
  expect_import_error({kid}, 1, WEFT_ERR_INVALID_ARGUMENT, {"\"v\"", "data buffer 0", "holds 20"});
  HandChild no_sizes = kid;
  no_sizes.null_buffer[3] = true;
  expect_import_error({no_sizes}, 1, WEFT_ERR_INVALID_ARGUMENT, {"\"v\"", "sizes"});
  std::vector<uint8_t> negative;
  push_view(negative, "", 0, 0);
  int32_t len = -3;
  memcpy(negative.data(), &len, 4);
  HandChild neg{"vu", "v", 1, 0, 0, {{0}, negative, bytes_of(sizes)}, {true, false, false}};
  expect_import_error({neg}, 1, WEFT_ERR_INVALID_ARGUMENT, {"\"v\"", "length -3"});
}

// A large_utf8 column of empty strings may have no data buffer (found by the fuzzer: NULL + 0).
TEST(ArrowMalformed, LargeUtf8WithoutDataIsEmptyStrings) {
  std::vector<int64_t> offs = {0, 0, 0};
  Counters counters;
  ArrowSchema schema;
  ArrowArray array;
  make_batch({HandChild{"U", "s", 2, 0, 0, {{0}, bytes_of(offs), {0}}, {true, false, true}}}, 2, 0,
             &counters, &schema, &array);
  weft_table *t = nullptr;
  ASSERT_WEFT_OK(weft_table_from_arrow(&schema, &array, &t));
  EXPECT_EQ(tt::rows_of(t), (Rows{{Cell("")}, {Cell("")}}));
  weft_table_free(t);
}

// null_count is counted from the bitmap, not trusted: a producer's 0 must not drop real nulls,
// and a count outside -1..length is an error.
TEST(ArrowMalformed, NullCountIsCountedNotTrusted) {
  std::vector<int64_t> v = {1, 2, 3, 4};
  for (int64_t claimed : {int64_t(0), int64_t(3), int64_t(-1)}) {
    Counters counters;
    ArrowSchema schema;
    ArrowArray array;
    make_batch({HandChild{"l", "x", 4, 0, claimed, {pack_bits({true, false, true, true}), bytes_of(v)}, {}}},
               4, 0, &counters, &schema, &array);
    weft_table *t = nullptr;
    ASSERT_WEFT_OK(weft_table_from_arrow(&schema, &array, &t));
    TablePtr hold(t);
    weft_column_view view;
    ASSERT_WEFT_OK(weft_table_column(t, 0, &view));
    EXPECT_EQ(view.null_count, 1) << "claimed " << claimed;
    EXPECT_EQ(tt::rows_of(t), (Rows{{Cell("1")}, {std::nullopt}, {Cell("3")}, {Cell("4")}}));
  }
  HandChild bad{"l", "x", 4, 0, 5, {pack_bits({true, false, true, true}), bytes_of(v)}, {}};
  expect_import_error({bad}, 4, WEFT_ERR_INVALID_ARGUMENT, {"\"x\"", "null_count 5"});
  bad.null_count = INT64_MIN;
  expect_import_error({bad}, 4, WEFT_ERR_INVALID_ARGUMENT, {"\"x\"", "null_count"});
}

// A fixed_size_list<float32, 2> column (weft's vector type) of 4 lists, validity 1,0,1,1,
// whose float child the caller shapes; import() returns the status and, when OK, the view.
struct VectorBatch {
  std::vector<float> items = std::vector<float>(16, 1.0f);
  ArrowArray item{};
  ArrowSchema item_schema{};
  ArrowArray *item_ptr = &item;
  ArrowSchema *item_schema_ptr = &item_schema;
  const void *item_buffers[2] = {nullptr, nullptr};
  int64_t list_null_count = -1, list_offset = 0;

  VectorBatch() {
    item.length = 8;
    item.null_count = 0;
    item.n_buffers = 2;
    item_buffers[1] = items.data();
    item.buffers = item_buffers;
    item.release = release_nothing_array;
    item_schema.format = "f";
    item_schema.name = "item";
    item_schema.release = release_nothing_schema;
  }
  weft_status import(weft_column_view *view) {
    Counters counters;
    ArrowSchema schema;
    ArrowArray array;
    make_batch({HandChild{"+w:2", "v", 4, list_offset, list_null_count,
                          {pack_bits({true, false, true, true})}, {}}},
               4, 0, &counters, &schema, &array);
    schema.children[0]->n_children = 1;
    schema.children[0]->children = &item_schema_ptr;
    array.children[0]->n_children = 1;
    array.children[0]->children = &item_ptr;
    weft_table *t = nullptr;
    weft_status st = weft_table_from_arrow(&schema, &array, &t);
    if (st == WEFT_OK) {
      EXPECT_EQ(weft_table_column(t, 0, view), WEFT_OK);
      weft_table_free(t);
    } else {
      array.release(&array);
      schema.release(&schema);
    }
    return st;
  }
};

// A vector column's null_count is counted from its bitmap too (found by the fuzzer once
// fixed-size lists were in it: a claimed 0 or 7 was taken as is).
TEST(ArrowMalformed, VectorNullCountIsCountedNotTrusted) {
  for (int64_t claimed : {int64_t(0), int64_t(3), int64_t(-1)}) {
    VectorBatch b;
    b.list_null_count = claimed;
    weft_column_view view;
    ASSERT_WEFT_OK(b.import(&view));
    EXPECT_EQ(view.null_count, 1) << "claimed " << claimed;
  }
  VectorBatch bad;
  bad.list_null_count = 7;
  weft_column_view view;
  EXPECT_EQ(bad.import(&view), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(weft_last_error()).find("null_count 7"), std::string::npos) << weft_last_error();
}

// A float child too short for the lists, or at an offset so large that offset + rows * dim
// wraps: refused naming the column, never read.
TEST(ArrowMalformed, VectorChildTooShortOrWrappingIsRefused) {
  weft_column_view view;
  VectorBatch short_child;
  short_child.item.length = 7;
  EXPECT_EQ(short_child.import(&view), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(weft_last_error()).find("\"v\""), std::string::npos) << weft_last_error();
  VectorBatch wraps;
  wraps.item.offset = INT64_MAX - 4;
  EXPECT_EQ(wraps.import(&view), WEFT_ERR_INVALID_ARGUMENT);
  VectorBatch huge_list_offset;
  huge_list_offset.list_offset = INT64_MAX / 2;
  EXPECT_EQ(huge_list_offset.import(&view), WEFT_ERR_INVALID_ARGUMENT);
  VectorBatch no_values;
  no_values.item_buffers[1] = nullptr;
  EXPECT_EQ(no_values.import(&view), WEFT_ERR_INVALID_ARGUMENT);
  VectorBatch fine;
  ASSERT_WEFT_OK(fine.import(&view));
  EXPECT_EQ(view.length, 4);
}

}  // namespace
