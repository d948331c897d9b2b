// Categorical columns through the C API: Arrow dictionary import (int8 indices, nulls, a
// dictionary with a duplicate and a null entry) and export, weft_table_column_dictionary,
// codes outside the dictionary refused naming the column and the value, sort by the strings
// and group_by through the codes.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "weft.h"

namespace {

// One batch: column "k", dictionary<int8, utf8>, rows given as indices (-1: null), over the
// dictionary `dict` ("" entries named in null_entries are null). Static buffers, nothing owned.
struct Batch {
  std::vector<int8_t> idx;
  std::vector<uint8_t> valid, dict_valid;
  std::vector<int32_t> offsets;
  std::string bytes;
  const void *bufs[2], *dict_bufs[3], *parent_bufs[1] = {nullptr};
  ArrowArray child{}, dict{}, parent{};
  ArrowArray *kids[1];
  ArrowSchema child_s{}, dict_s{}, parent_s{};
  ArrowSchema *skids[1];
  int released = 0;
};

void noop_array(ArrowArray *a) { a->release = nullptr; }
void noop_schema(ArrowSchema *s) { s->release = nullptr; }
void parent_array(ArrowArray *a) { ((Batch *)a->private_data)->released++, a->release = nullptr; }
void parent_schema(ArrowSchema *s) { ((Batch *)s->private_data)->released++, s->release = nullptr; }

void make(Batch &b, const std::vector<int> &rows, const std::vector<const char *> &dict) {
  b.valid.assign((rows.size() + 7) / 8, 0);
  for (size_t i = 0; i < rows.size(); i++) {
    b.idx.push_back((int8_t)(rows[i] < 0 ? 0 : rows[i]));
    if (rows[i] >= 0) b.valid[i / 8] |= (uint8_t)(1u << (i % 8));
  }
  b.dict_valid.assign((dict.size() + 7) / 8, 0);
  b.offsets.push_back(0);
  for (size_t i = 0; i < dict.size(); i++) {
    if (dict[i]) b.bytes += dict[i], b.dict_valid[i / 8] |= (uint8_t)(1u << (i % 8));
    b.offsets.push_back((int32_t)b.bytes.size());
  }
  b.bufs[0] = b.valid.data(), b.bufs[1] = b.idx.data();
  b.dict_bufs[0] = b.dict_valid.data(), b.dict_bufs[1] = b.offsets.data(), b.dict_bufs[2] = b.bytes.data();
  b.dict = {(int64_t)dict.size(), -1, 0, 3, 0, b.dict_bufs, nullptr, nullptr, noop_array, nullptr};
  b.child = {(int64_t)rows.size(), -1, 0, 2, 0, b.bufs, nullptr, &b.dict, noop_array, nullptr};
  b.kids[0] = &b.child;
  b.parent = {(int64_t)rows.size(), 0, 0, 1, 1, b.parent_bufs, b.kids, nullptr, parent_array, &b};
  b.dict_s = {"u", "", nullptr, 0, 0, nullptr, nullptr, noop_schema, nullptr};
  b.child_s = {"c", "k", nullptr, ARROW_FLAG_NULLABLE, 0, nullptr, &b.dict_s, noop_schema, nullptr};
  b.skids[0] = &b.child_s;
  b.parent_s = {"+s", "", nullptr, 0, 1, b.skids, nullptr, parent_schema, &b};
}

std::vector<std::string> cells(const weft_table *t, size_t c) {
  weft_column_view v, d;
  EXPECT_EQ(weft_table_column(t, c, &v), WEFT_OK) << weft_last_error();
  EXPECT_EQ(v.type, WEFT_TYPE_CATEGORICAL);
  EXPECT_EQ(weft_table_column_dictionary(t, c, &d, nullptr), WEFT_OK) << weft_last_error();
  EXPECT_EQ(d.validity, nullptr);
  std::vector<std::string> out;
  const uint32_t *codes = (const uint32_t *)v.values;
  const int32_t *o = (const int32_t *)d.values;
  for (int64_t r = 0; r < v.length; r++) {
    int64_t i = v.offset + r;
    if (v.validity && !((v.validity[i / 8] >> (i % 8)) & 1)) {
      out.push_back("<null>");
      continue;
    }
    uint32_t k = codes[i];
    EXPECT_LT(k, (uint64_t)d.length);
    out.emplace_back(d.data + o[d.offset + k], (size_t)(o[d.offset + k + 1] - o[d.offset + k]));
  }
  return out;
}

TEST(Categorical, ImportMergesDuplicatesAndNullEntries) {
  Batch b;
  // entries: "x", "y", "x" again, a null entry
  make(b, {1, 0, -1, 2, 3, 1}, {"x", "y", "x", nullptr});
  weft_table *t = nullptr;
  ASSERT_EQ(weft_table_from_arrow(&b.parent_s, &b.parent, &t), WEFT_OK) << weft_last_error();
  EXPECT_EQ(cells(t, 0), (std::vector<std::string>{"y", "x", "<null>", "x", "<null>", "y"}));
  weft_column_view d;
  int ordered = -1;
  ASSERT_EQ(weft_table_column_dictionary(t, 0, &d, &ordered), WEFT_OK);
  EXPECT_EQ(d.length, 2);  // each string once
  EXPECT_EQ(ordered, 0);

  // export: int32 indices over a utf8 dictionary; importing that gives the same rows
  ArrowSchema s;
  ArrowArray a;
  ASSERT_EQ(weft_table_to_arrow(t, &s, &a), WEFT_OK) << weft_last_error();
  EXPECT_STREQ(s.children[0]->format, "i");
  ASSERT_NE(s.children[0]->dictionary, nullptr);
  EXPECT_STREQ(s.children[0]->dictionary->format, "u");
  ASSERT_NE(a.children[0]->dictionary, nullptr);
  EXPECT_EQ(a.children[0]->dictionary->length, 2);
  weft_table *back = nullptr;
  ASSERT_EQ(weft_table_from_arrow(&s, &a, &back), WEFT_OK) << weft_last_error();
  EXPECT_EQ(cells(back, 0), cells(t, 0));
  weft_table_free(back);
  weft_table_free(t);
  EXPECT_EQ(b.released, 2);
}

TEST(Categorical, CodesOutsideTheDictionaryAreRefused) {
  Batch b;
  make(b, {0, 1, 7, 0}, {"x", "y"});
  weft_table *t = nullptr;
  EXPECT_EQ(weft_table_from_arrow(&b.parent_s, &b.parent, &t), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(t, nullptr);
  std::string msg = weft_last_error();
  EXPECT_NE(msg.find("\"k\""), std::string::npos) << msg;
  EXPECT_NE(msg.find("row 2"), std::string::npos) << msg;
  EXPECT_NE(msg.find("index 7"), std::string::npos) << msg;
  EXPECT_EQ(b.released, 0);  // nothing moved: the caller still owns both
  ASSERT_NE(b.parent.release, nullptr);
  b.parent.release(&b.parent);
  b.parent_s.release(&b.parent_s);
}

TEST(Categorical, SortByStringsGroupByCodes) {
  Batch b;
  // the dictionary's order is not the strings' order
  make(b, {0, 2, 1, -1, 0, 2, 1, 0}, {"pear", "apple", "fig", "unused"});
  weft_table *t = nullptr;
  ASSERT_EQ(weft_table_from_arrow(&b.parent_s, &b.parent, &t), WEFT_OK) << weft_last_error();
  const char *keys[] = {"k"};
  weft_table *sorted = nullptr;
  ASSERT_EQ(weft_table_sort(nullptr, t, 1, keys, nullptr, &sorted), WEFT_OK) << weft_last_error();
  // by the strings, not the codes; weft_table_sort puts nulls last
  EXPECT_EQ(cells(sorted, 0), (std::vector<std::string>{"apple", "apple", "fig", "fig", "pear",
                                                        "pear", "pear", "<null>"}));
  weft_agg len = {WEFT_AGG_LEN, nullptr, "n"};
  weft_table *g = nullptr;
  ASSERT_EQ(weft_table_group_by(nullptr, t, 1, keys, 1, &len, &g), WEFT_OK) << weft_last_error();
  EXPECT_EQ(cells(g, 0), (std::vector<std::string>{"pear", "fig", "apple", "<null>"}));
  weft_column_view n;
  ASSERT_EQ(weft_table_column(g, 1, &n), WEFT_OK);
  const uint32_t *counts = (const uint32_t *)n.values;
  EXPECT_EQ(std::vector<uint32_t>(counts, counts + 4), (std::vector<uint32_t>{3, 2, 2, 1}));
  weft_table_free(g);
  weft_table_free(sorted);
  weft_table_free(t);
}

TEST(Categorical, PickSharesTheDictionaryAndChecksItsArguments) {
  Batch b;
  make(b, {1, 0, -1}, {"x", "y"});
  weft_table *t = nullptr;
  ASSERT_EQ(weft_table_from_arrow(&b.parent_s, &b.parent, &t), WEFT_OK) << weft_last_error();
  int64_t v[3] = {7, 8, 9};
  weft_column_view col = {WEFT_TYPE_INT64, 3, 0, 0, nullptr, v, nullptr};
  const char *vname = "v";
  weft_table *nums = nullptr;
  ASSERT_EQ(weft_table_from_columns(1, &vname, &col, nullptr, nullptr, &nums), WEFT_OK);
  const weft_table *tables[] = {nums, t, t};
  size_t cols[] = {0, 0, 0};
  const char *names[] = {"n", "a", "b"};
  weft_table *picked = nullptr;
  const char *twice[] = {"n", "a", "a"};
  EXPECT_EQ(weft_table_pick(3, tables, cols, twice, &picked), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(weft_last_error()).find("\"a\" appears twice"), std::string::npos);
  size_t past[] = {4};
  EXPECT_EQ(weft_table_pick(1, tables, past, names, &picked), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(weft_last_error()).find("column 4 of tables[0]"), std::string::npos);
  ASSERT_EQ(weft_table_pick(3, tables, cols, names, &picked), WEFT_OK) << weft_last_error();
  weft_table_free(t);  // the picked table keeps the codes and the dictionary alive
  weft_table_free(nums);
  EXPECT_EQ(cells(picked, 1), (std::vector<std::string>{"y", "x", "<null>"}));
  EXPECT_EQ(cells(picked, 2), cells(picked, 1));
  weft_table_free(picked);
  EXPECT_EQ(b.released, 2);
}

TEST(Categorical, DictionaryOfAnotherTypeAndViewsAreRefused) {
  int64_t v[2] = {1, 2};
  weft_column_view col = {WEFT_TYPE_INT64, 2, 0, 0, nullptr, v, nullptr};
  const char *name = "v";
  weft_table *t = nullptr;
  ASSERT_EQ(weft_table_from_columns(1, &name, &col, nullptr, nullptr, &t), WEFT_OK);
  weft_column_view d;
  EXPECT_EQ(weft_table_column_dictionary(t, 0, &d, nullptr), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(weft_last_error()).find("\"v\" is int64"), std::string::npos);
  weft_table_free(t);
  col.type = WEFT_TYPE_CATEGORICAL;
  EXPECT_EQ(weft_table_from_columns(1, &name, &col, nullptr, nullptr, &t), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_STREQ(weft_type_name(WEFT_TYPE_CATEGORICAL), "categorical");
}

}  // namespace
