// The Arrow C Data / Stream Interfaces: zero-copy round trips of every type, offsets on both
// sides, layouts copied on import (large_utf8, string_view), errors, and when the producers'
// release callbacks run.
#include "arrow_hand_helpers.h"

using tt::Cell;
using tt::Rows;
using tt::TablePtr;

namespace {

// ------------------------------------------------------------------ export then import

TEST(Arrow, RoundTripEveryTypeZeroCopy) {
  std::mt19937_64 rng(11);
  for (int64_t rows : {0, 1, 37, 200}) {
    for (double nulls : {0.0, 0.3}) {
      SCOPED_TRACE("rows " + std::to_string(rows) + " nulls " + std::to_string(nulls));
      tt::Owned own;
      weft_table *t = tt::random_table(own, tt::all_types(), rows, nulls, rng);
      Rows want = tt::rows_of(t);
      ArrowSchema schema;
      ArrowArray array;
      ASSERT_WEFT_OK(weft_table_to_arrow(t, &schema, &array));
      const char *formats[] = {"b", "c", "s", "i", "l", "C", "S", "I", "L", "f", "g", "u", "tdD", "tsu:"};
      ASSERT_STREQ(schema.format, "+s");
      ASSERT_EQ(schema.n_children, (int64_t)std::size(formats));
      ASSERT_EQ(array.length, rows);
      for (size_t c = 0; c < std::size(formats); c++) {
        EXPECT_STREQ(schema.children[c]->format, formats[c]);
        EXPECT_EQ(std::string(schema.children[c]->name), "c" + std::to_string(c));
        EXPECT_TRUE(schema.children[c]->flags & ARROW_FLAG_NULLABLE);
        weft_column_view v;
        ASSERT_WEFT_OK(weft_table_column(t, c, &v));
        const ArrowArray *k = array.children[c];
        EXPECT_EQ(k->buffers[1], v.values) << "column " << c << " was copied";
        EXPECT_EQ(k->null_count, v.null_count);
        EXPECT_EQ(k->buffers[0], (const void *)v.validity);
      }
      weft_table *back = nullptr;
      ASSERT_WEFT_OK(weft_table_from_arrow(&schema, &array, &back));
      EXPECT_EQ(schema.release, nullptr);  // moved
      EXPECT_EQ(array.release, nullptr);
      EXPECT_EQ(tt::rows_of(back), want);
      EXPECT_EQ(tt::types_of(back), tt::all_types());
      EXPECT_EQ(tt::names_of(back), tt::names_of(t));
      weft_table_free(t);
      EXPECT_EQ(own.released, 0);  // `back` reads the same memory
      EXPECT_EQ(tt::rows_of(back), want);
      weft_table_free(back);
      EXPECT_EQ(own.released, 1);
    }
  }
}

TEST(Arrow, SlicesExportWithArrowOffsets) {
  std::mt19937_64 rng(12);
  tt::Owned own;
  TablePtr t(tt::random_table(own, tt::all_types(), 100, 0.25, rng));
  for (int64_t off : {0, 3, 17, 64, 99, 100}) {
    weft_table *s = nullptr;
    ASSERT_WEFT_OK(weft_table_slice(t.get(), off, 21, &s));
    TablePtr hold(s);
    ArrowSchema schema;
    ArrowArray array;
    ASSERT_WEFT_OK(weft_table_to_arrow(s, &schema, &array));
    for (size_t c = 0; c < std::size(tt::kAllTypes); c++) {
      weft_column_view v;
      ASSERT_WEFT_OK(weft_table_column(t.get(), c, &v));
      EXPECT_EQ(array.children[c]->offset, off) << c;
      EXPECT_EQ(array.children[c]->buffers[1], v.values) << c;  // utf8 offsets too: not copied
    }
    weft_table *back = nullptr;
    ASSERT_WEFT_OK(weft_table_from_arrow(&schema, &array, &back));
    TablePtr hold_back(back);
    EXPECT_EQ(tt::rows_of(back), tt::rows_of(t.get(), std::min<int64_t>(off, 100),
                                             std::min<int64_t>(21, 100 - off)));
  }
  EXPECT_EQ(own.released, 0);
}

TEST(Arrow, ReleaseOnceAfterTheLastUserEitherOrder) {
  std::mt19937_64 rng(13);
  for (int order = 0; order < 2; order++) {
    tt::Owned own;
    weft_table *t = tt::random_table(own, tt::all_types(), 30, 0.2, rng);
    Rows want = tt::rows_of(t);
    ArrowSchema schema;
    ArrowArray array;
    ASSERT_WEFT_OK(weft_table_to_arrow(t, &schema, &array));
    if (order == 0) {  // the table first, the export still alive
      weft_table_free(t);
      EXPECT_EQ(own.released, 0);
      EXPECT_EQ(((const int8_t *)array.children[1]->buffers[1])[0], (int8_t)std::stoi(*want[0][1]));
      array.release(&array);
      EXPECT_EQ(array.release, nullptr);
      EXPECT_EQ(own.released, 1);
    } else {  // the export first
      array.release(&array);
      EXPECT_EQ(own.released, 0);
      EXPECT_EQ(tt::rows_of(t), want);
      weft_table_free(t);
      EXPECT_EQ(own.released, 1);
    }
    schema.release(&schema);
    EXPECT_EQ(schema.release, nullptr);
    EXPECT_EQ(own.released, 1);
  }
}

TEST(Arrow, MovedChildOutlivesItsParent) {
  std::mt19937_64 rng(14);
  tt::Owned own;
  weft_table *t = tt::random_table(own, {WEFT_TYPE_UTF8, WEFT_TYPE_FLOAT64}, 9, 0.2, rng);
  Cell first = tt::cell(t, 1, 4);
  ArrowSchema schema;
  ArrowArray array;
  ASSERT_WEFT_OK(weft_table_to_arrow(t, &schema, &array));
  ArrowArray child = *array.children[1];  // move the child out, as the spec allows
  array.children[1]->release = nullptr;
  ArrowSchema child_schema = *schema.children[1];
  schema.children[1]->release = nullptr;
  weft_table_free(t);
  array.release(&array);
  schema.release(&schema);
  EXPECT_EQ(own.released, 0);
  EXPECT_STREQ(child_schema.name, "c1");
  if (first) {
    EXPECT_EQ(tt::fmt_double(((const double *)child.buffers[1])[4]), *first);
  }
  child.release(&child);
  EXPECT_EQ(own.released, 1);
  child_schema.release(&child_schema);
}

TEST(Arrow, EmptyAndColumnlessTables) {
  weft_table *t = nullptr;
  ASSERT_WEFT_OK(weft_table_from_columns(0, nullptr, nullptr, nullptr, nullptr, &t));
  ArrowSchema schema;
  ArrowArray array;
  ASSERT_WEFT_OK(weft_table_to_arrow(t, &schema, &array));
  EXPECT_EQ(schema.n_children, 0);
  EXPECT_EQ(array.length, 0);
  weft_table *back = nullptr;
  ASSERT_WEFT_OK(weft_table_from_arrow(&schema, &array, &back));
  EXPECT_EQ(tt::num_cols(back), 0u);
  weft_table_free(back);
  weft_table_free(t);
}

// ------------------------------------------------------------------ import of hand-made arrays

TEST(Arrow, ImportHonoursParentAndChildOffsets) {
  Counters counters;
  // int32 child at offset 1 with nulls at rows 3 and 6; bool child at offset 5; utf8 child at
  // offset 2 with a NULL validity buffer. The parent starts at row 2 and has 5 rows.
  std::vector<int32_t> ints = {0, 10, 11, 12, 13, 14, 15, 16, 17, 18};
  std::vector<bool> ints_valid = {1, 1, 1, 0, 1, 1, 0, 1, 1, 1};
  std::vector<bool> bools = {0, 0, 0, 0, 0, 1, 0, 1, 1, 0, 1, 0, 0, 1};
  std::vector<int32_t> offs = {0, 1, 3, 6, 6, 10, 15, 21, 28, 36, 45};
  std::string text = "abbcccddddeeeeeffffffggggggghhhhhhhhiiiiiiiii";
  std::vector<HandChild> kids(3);
  kids[0] = {"i", "ints", 9, 1, 2, {pack_bits(ints_valid), bytes_of(ints)}, {}};
  kids[1] = {"b", "flags", 9, 5, 0, {{0}, pack_bits(bools)}, {true, false}};
  kids[2] = {"u", "text", 8, 2, 0, {{0}, bytes_of(offs), std::vector<uint8_t>(text.begin(), text.end())},
             {true, false, false}};
  ArrowSchema schema;
  ArrowArray array;
  make_batch(kids, 5, 2, &counters, &schema, &array);
  weft_table *t = nullptr;
  ASSERT_WEFT_OK(weft_table_from_arrow(&schema, &array, &t));
  EXPECT_EQ(array.release, nullptr);
  EXPECT_EQ(counters.arrays, 0);
  // Row r of the table is row r + 2 of each child: index r + 2 + child offset of its buffers.
  Rows want;
  for (int64_t r = 0; r < 5; r++) {
    size_t i = (size_t)(r + 3), b = (size_t)(r + 7), s = (size_t)(r + 4);
    want.push_back({ints_valid[i] ? Cell(std::to_string(ints[i])) : std::nullopt,
                    Cell(bools[b] ? "true" : "false"),
                    Cell(text.substr((size_t)offs[s], (size_t)(offs[s + 1] - offs[s])))});
  }
  EXPECT_EQ(tt::rows_of(t), want);
  EXPECT_EQ(tt::names_of(t), (std::vector<std::string>{"ints", "flags", "text"}));
  weft_column_view v;
  ASSERT_WEFT_OK(weft_table_column(t, 0, &v));
  EXPECT_EQ(v.null_count, 2);
  // A slice and an export keep the batch alive; release runs once, after the last.
  weft_table *s = nullptr;
  ASSERT_WEFT_OK(weft_table_slice(t, 1, 2, &s));
  ArrowSchema es;
  ArrowArray ea;
  ASSERT_WEFT_OK(weft_table_to_arrow(s, &es, &ea));
  EXPECT_EQ(ea.children[2]->offset, 2 + 2 + 1);
  weft_table_free(t);
  weft_table_free(s);
  EXPECT_EQ(counters.arrays, 0);
  EXPECT_EQ(counters.schemas, 0);
  ea.release(&ea);
  es.release(&es);
  EXPECT_EQ(counters.arrays, 1);
  EXPECT_EQ(counters.schemas, 1);
}

TEST(Arrow, ImportCopiesLargeUtf8AndStringView) {
  std::vector<Cell> strings = {Cell("short"), std::nullopt, Cell(""), Cell("exactly12byt"),
                               Cell("a string longer than twelve bytes"), Cell("\xc3\xa9t\xc3\xa9"),
                               std::nullopt, Cell("and another long one, in buffer 1")};
  std::vector<bool> valid;
  for (auto &s : strings) valid.push_back(s.has_value());
  // large_utf8: int64 offsets, child offset 1.
  std::vector<int64_t> loffs = {0, 3};
  std::string ldata = "xyz";
  for (auto &s : strings) {
    if (s) ldata += *s;
    loffs.push_back((int64_t)ldata.size());
  }
  std::vector<bool> lvalid = {true};
  lvalid.insert(lvalid.end(), valid.begin(), valid.end());
  // string_view: two data buffers; long strings alternate between them.
  std::vector<uint8_t> views;
  std::string d0 = "??", d1 = "";
  for (size_t i = 0; i < strings.size(); i++) {
    std::string s = strings[i].value_or("");
    std::string &d = i % 2 ? d1 : d0;
    push_view(views, s, (int32_t)(i % 2), (int32_t)d.size());
    if (s.size() > 12) d += s;
  }
  std::vector<int64_t> sizes = {(int64_t)d0.size(), (int64_t)d1.size()};
  std::vector<HandChild> kids(2);
  kids[0] = {"U", "large", (int64_t)strings.size(), 1, -1,
             {pack_bits(lvalid), bytes_of(loffs), std::vector<uint8_t>(ldata.begin(), ldata.end())}, {}};
  kids[1] = {"vu", "view", (int64_t)strings.size(), 0, 2,
             {pack_bits(valid), views, std::vector<uint8_t>(d0.begin(), d0.end()),
              std::vector<uint8_t>(d1.begin(), d1.end()), bytes_of(sizes)}, {}};
  Counters counters;
  ArrowSchema schema;
  ArrowArray array;
  make_batch(kids, (int64_t)strings.size(), 0, &counters, &schema, &array);
  weft_table *t = nullptr;
  ASSERT_WEFT_OK(weft_table_from_arrow(&schema, &array, &t));
  EXPECT_EQ(tt::types_of(t), (std::vector<weft_type>{WEFT_TYPE_UTF8, WEFT_TYPE_UTF8}));
  Rows want;
  for (auto &s : strings) want.push_back({s, s});
  EXPECT_EQ(tt::rows_of(t), want);
  weft_table_free(t);
  EXPECT_EQ(counters.arrays, 1);
}

TEST(Arrow, TimestampTimeZoneAndDate) {
  std::vector<int64_t> ts = {0, -1, 1700000000000000LL};
  std::vector<int32_t> days = {0, -719162, 20000};
  std::vector<HandChild> kids(2);
  kids[0] = {"tsu:UTC", "ts", 3, 0, 0, {{0}, bytes_of(ts)}, {true, false}};
  kids[1] = {"tdD", "day", 3, 0, 0, {{0}, bytes_of(days)}, {true, false}};
  Counters counters;
  ArrowSchema schema;
  ArrowArray array;
  make_batch(kids, 3, 0, &counters, &schema, &array);
  weft_table *t = nullptr;
  ASSERT_WEFT_OK(weft_table_from_arrow(&schema, &array, &t));
  TablePtr hold(t);
  EXPECT_EQ(tt::types_of(t), (std::vector<weft_type>{WEFT_TYPE_TIMESTAMP_US, WEFT_TYPE_DATE32}));
  EXPECT_EQ(tt::rows_of(t), (Rows{{Cell("0"), Cell("0")}, {Cell("-1"), Cell("-719162")},
                                  {Cell("1700000000000000"), Cell("20000")}}));
}


TEST(Arrow, ImportErrorsNameTheColumnAndFormat) {
  std::vector<int64_t> v = {1, 2, 3};
  auto col = [&](const char *format, const char *name, int64_t len = 3) {
    return HandChild{format, name, len, 0, 0, {{0}, bytes_of(v), bytes_of(v)}, {true, false, false}};
  };
  expect_import_error({col("l", "ok"), col("tsn:", "when")}, 3, WEFT_ERR_UNSUPPORTED,
                      {"\"when\"", "\"tsn:\"", "timestamp[us]"});
  expect_import_error({col("e", "half")}, 3, WEFT_ERR_UNSUPPORTED, {"\"half\"", "\"e\""});
  expect_import_error({col("z", "bin")}, 3, WEFT_ERR_UNSUPPORTED, {"\"bin\"", "\"z\""});
  expect_import_error({col("l", "short", 2)}, 3, WEFT_ERR_INVALID_ARGUMENT, {"\"short\"", "2 rows"});
  expect_import_error({col("l", "a"), col("l", "a")}, 3, WEFT_ERR_INVALID_ARGUMENT, {"\"a\"", "twice"});
  expect_import_error({col("l", "x")}, 3, WEFT_ERR_INVALID_ARGUMENT, {"struct", "\"+l\""}, {}, "+l");
  expect_import_error({col("l", "x")}, 3, WEFT_ERR_UNSUPPORTED, {"row 1", "null"}, {1, 0, 1});
  HandChild few = col("u", "strs");
  few.bufs.resize(2);
  expect_import_error({few}, 3, WEFT_ERR_INVALID_ARGUMENT, {"\"strs\"", "2 buffers", "expected 3"});
}

// Dictionaries of utf8 are categorical columns (test_categorical.cc); one of ints is refused,
// and so is a dictionary schema whose array has no dictionary.
TEST(Arrow, DictionaryOfIntsOrWithoutItsArrayIsRefused) {
  std::vector<int32_t> idx = {0, 1};
  std::vector<HandChild> kids = {{"i", "cat", 2, 0, 0, {{0}, bytes_of(idx)}, {true, false}}};
  Counters counters;
  ArrowSchema schema, dict{};
  ArrowArray array;
  make_batch(kids, 2, 0, &counters, &schema, &array);
  dict.format = "i";
  schema.children[0]->dictionary = &dict;
  weft_table *t = nullptr;
  EXPECT_EQ(weft_table_from_arrow(&schema, &array, &t), WEFT_ERR_UNSUPPORTED);
  EXPECT_NE(std::string(weft_last_error()).find("dictionary"), std::string::npos);
  dict.format = "u";
  EXPECT_EQ(weft_table_from_arrow(&schema, &array, &t), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(weft_last_error()).find("\"cat\" is dictionary-encoded but its array has no "
                                                "dictionary"), std::string::npos) << weft_last_error();
  schema.children[0]->dictionary = nullptr;
  array.release(&array);
  schema.release(&schema);
}

// ------------------------------------------------------------------ streams

// A stream over weft tables (exported batch by batch), counting its release.
struct HandStream {
  std::vector<weft_table *> batches;
  weft_table *schema_of;
  size_t next = 0;
  int released = 0;
  int fail_at = -1;
};

int hand_get_schema(ArrowArrayStream *s, ArrowSchema *out) {
  auto *h = (HandStream *)s->private_data;
  ArrowArray unused;
  if (weft_table_to_arrow(h->schema_of, out, &unused) != WEFT_OK) return 12;
  unused.release(&unused);
  return 0;
}

int hand_get_next(ArrowArrayStream *s, ArrowArray *out) {
  auto *h = (HandStream *)s->private_data;
  if ((int)h->next == h->fail_at) return 5;
  if (h->next == h->batches.size()) {
    out->release = nullptr;
    return 0;
  }
  ArrowSchema unused;
  if (weft_table_to_arrow(h->batches[h->next++], &unused, out) != WEFT_OK) return 12;
  unused.release(&unused);
  return 0;
}

const char *hand_last_error(ArrowArrayStream *) { return "the producer broke"; }

void hand_release(ArrowArrayStream *s) {
  ((HandStream *)s->private_data)->released++;
  s->release = nullptr;
}

ArrowArrayStream hand_stream(HandStream *h) {
  ArrowArrayStream s{};
  s.get_schema = hand_get_schema;
  s.get_next = hand_get_next;
  s.get_last_error = hand_last_error;
  s.release = hand_release;
  s.private_data = h;
  return s;
}

TEST(ArrowStream, OneBatchRoundTripIsZeroCopy) {
  std::mt19937_64 rng(21);
  tt::Owned own;
  weft_table *t = tt::random_table(own, tt::all_types(), 50, 0.3, rng);
  Rows want = tt::rows_of(t);
  weft_column_view v;
  ASSERT_WEFT_OK(weft_table_column(t, 4, &v));
  ArrowArrayStream stream;
  ASSERT_WEFT_OK(weft_table_to_stream(t, &stream));
  weft_table_free(t);  // the stream keeps the buffers
  EXPECT_EQ(own.released, 0);
  ArrowSchema schema;  // get_schema may be called more than once
  ASSERT_EQ(stream.get_schema(&stream, &schema), 0);
  EXPECT_EQ(schema.n_children, 14);
  schema.release(&schema);
  weft_table *back = nullptr;
  ASSERT_WEFT_OK(weft_table_from_stream(&stream, &back));
  EXPECT_EQ(stream.release, nullptr);
  EXPECT_EQ(tt::rows_of(back), want);
  weft_column_view w;
  ASSERT_WEFT_OK(weft_table_column(back, 4, &w));
  EXPECT_EQ(w.values, v.values);
  EXPECT_EQ(own.released, 0);
  weft_table_free(back);
  EXPECT_EQ(own.released, 1);
}

TEST(ArrowStream, EndOfStreamRepeats) {
  std::mt19937_64 rng(22);
  tt::Owned own;
  TablePtr t(tt::random_table(own, {WEFT_TYPE_INT16}, 3, 0.0, rng));
  ArrowArrayStream stream;
  ASSERT_WEFT_OK(weft_table_to_stream(t.get(), &stream));
  ArrowArray a;
  ASSERT_EQ(stream.get_next(&stream, &a), 0);
  ASSERT_NE(a.release, nullptr);
  EXPECT_EQ(a.length, 3);
  a.release(&a);
  for (int i = 0; i < 2; i++) {
    ASSERT_EQ(stream.get_next(&stream, &a), 0);
    EXPECT_EQ(a.release, nullptr);
  }
  EXPECT_EQ(stream.get_last_error(&stream), nullptr);
  stream.release(&stream);
}

TEST(ArrowStream, SeveralBatchesConcatenate) {
  std::mt19937_64 rng(23);
  tt::Owned own;
  HandStream h;
  Rows want;
  for (int64_t n : {7, 0, 1, 40}) {
    weft_table *t = tt::random_table(own, tt::all_types(), n, n == 7 ? 0.0 : 0.3, rng);
    weft_table *s = nullptr;
    ASSERT_WEFT_OK(weft_table_slice(t, n > 3 ? 3 : 0, 100, &s));  // offsets in the batches
    weft_table_free(t);
    Rows r = tt::rows_of(s);
    want.insert(want.end(), r.begin(), r.end());
    h.batches.push_back(s);
  }
  h.schema_of = h.batches[0];
  ArrowArrayStream stream = hand_stream(&h);
  weft_table *out = nullptr;
  ASSERT_WEFT_OK(weft_table_from_stream(&stream, &out));
  EXPECT_EQ(h.released, 1);
  EXPECT_EQ(tt::rows_of(out), want);
  EXPECT_EQ(tt::types_of(out), tt::all_types());
  for (auto *b : h.batches) weft_table_free(b);
  EXPECT_EQ(own.released, 4);  // the concatenation is a copy
  weft_table_free(out);
}

TEST(ArrowStream, ZeroBatchesGiveAnEmptyTableWithTheColumns) {
  std::mt19937_64 rng(24);
  tt::Owned own;
  TablePtr proto(tt::random_table(own, tt::all_types(), 2, 0.3, rng));
  HandStream h;
  h.schema_of = proto.get();
  ArrowArrayStream stream = hand_stream(&h);
  weft_table *out = nullptr;
  ASSERT_WEFT_OK(weft_table_from_stream(&stream, &out));
  TablePtr hold(out);
  EXPECT_EQ(h.released, 1);
  EXPECT_EQ(tt::num_rows(out), 0);
  EXPECT_EQ(tt::types_of(out), tt::all_types());
  EXPECT_EQ(tt::names_of(out), tt::names_of(proto.get()));
}

TEST(ArrowStream, ProducerErrorsAreReportedAndTheStreamReleased) {
  std::mt19937_64 rng(25);
  tt::Owned own;
  TablePtr t(tt::random_table(own, {WEFT_TYPE_FLOAT32}, 5, 0.3, rng));
  HandStream h;
  h.batches = {t.get(), t.get()};
  h.schema_of = t.get();
  h.fail_at = 1;
  ArrowArrayStream stream = hand_stream(&h);
  weft_table *out = nullptr;
  EXPECT_EQ(weft_table_from_stream(&stream, &out), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(weft_last_error()).find("the producer broke"), std::string::npos)
      << weft_last_error();
  EXPECT_EQ(out, nullptr);
  EXPECT_EQ(h.released, 1);
}

}  // namespace
