// weft_table_group_by and weft_table_unique against reference loops over the same cells:
// keys of every type, nulls as a group, first-appearance order, every aggregation kind.
#include <algorithm>
#include <unordered_map>
#include <set>

#include "group_ref_helpers.h"

using gs::Cell;
using gs::Col;
using gs::RefGroups;
using gs::key_text;
using gs::near_cell;
using gs::ref_agg;
using gs::ref_groups;

namespace {

std::vector<Col> random_table(size_t n, uint64_t seed, int distinct) {
  std::mt19937_64 rng(seed);
  std::vector<Col> cols;
  for (weft_type t : gs::all_types()) {
    std::string name = std::string("c_") + weft_type_name(t);
    for (char &ch : name)
      if (!isalnum((unsigned char)ch)) ch = '_';
    cols.push_back({name, t, gs::random_cells(t, n, 0.1, distinct, rng)});
  }
  cols.push_back(gs::row_ids(n));
  return cols;
}

void check_unique(const std::vector<Col> &cols, const std::vector<size_t> &keys) {
  auto b = jc::build(cols);
  std::vector<const char *> names;
  for (size_t k : keys) names.push_back(cols[k].name.c_str());
  weft_table *out = nullptr;
  ASSERT_WEFT_OK(weft_table_unique(nullptr, b->table, names.size(), names.data(), &out));
  std::vector<size_t> all;
  for (size_t c = 0; c < cols.size(); c++) all.push_back(c);
  size_t n = cols.empty() ? 0 : cols[0].cells.size();
  RefGroups g = ref_groups(cols, keys.empty() ? all : keys, n);
  jc::Rows want;
  for (size_t r : g.first) {
    std::vector<Cell> row;
    for (const Col &c : cols) row.push_back(c.cells[r]);
    want.push_back(row);
  }
  EXPECT_EQ(jc::rows_of(out), want);
  weft_table_free(out);
}

// group_by(keys).agg(len) against the reference groups.
void check_len(const std::vector<Col> &cols, const std::vector<size_t> &keys) {
  auto b = jc::build(cols);
  std::vector<const char *> names;
  for (size_t k : keys) names.push_back(cols[k].name.c_str());
  weft_agg agg = {WEFT_AGG_LEN, nullptr, "n"};
  weft_table *out = nullptr;
  weft_exec *exec = nullptr;
  ASSERT_WEFT_OK(weft_exec_create(&exec));
  ASSERT_WEFT_OK(weft_table_group_by(exec, b->table, names.size(), names.data(), 1, &agg, &out));
  weft_exec_free(exec);
  size_t n = cols[0].cells.size();
  RefGroups g = ref_groups(cols, keys, n);
  if (keys.empty()) g.rows.resize(1);  // no keys: one row, even for no rows
  jc::Rows want;
  for (size_t j = 0; j < g.rows.size(); j++) {
    std::vector<Cell> row;
    for (size_t k : keys) row.push_back(cols[k].cells[g.first[j]]);
    row.push_back(std::to_string(g.rows[j].size()));
    want.push_back(row);
  }
  EXPECT_EQ(jc::rows_of(out), want);
  weft_column_view v;
  ASSERT_WEFT_OK(weft_table_column(out, keys.size(), &v));
  EXPECT_EQ(v.type, WEFT_TYPE_UINT32);
  weft_table_free(out);
}

}  // namespace

TEST(TableUnique, EveryKeyType) {
  for (size_t n : {0, 1, 5, 3001}) {
    auto cols = random_table(n, 11 + n, 20);
    for (size_t k = 0; k + 1 < cols.size(); k++) {
      SCOPED_TRACE(cols[k].name + " n=" + std::to_string(n));
      check_unique(cols, {k});
    }
  }
}

TEST(TableUnique, MultiKeyAndAllColumns) {
  auto cols = random_table(4001, 3, 4);
  check_unique(cols, {0, 11});
  check_unique(cols, {3, 10, 12});
  cols.pop_back();  // without the row ids, whole rows repeat
  check_unique(cols, {});
  auto few = random_table(2000, 8, 3);
  std::vector<Col> two = {few[0], few[11]};
  check_unique(two, {});
}

TEST(TableUnique, Large) {
  size_t n = 1000003;
  std::mt19937_64 rng(5);
  std::vector<Col> cols;
  cols.push_back({"i", WEFT_TYPE_INT64, gs::random_cells(WEFT_TYPE_INT64, n, 0.05, 500000, rng)});
  cols.push_back({"s", WEFT_TYPE_UTF8, gs::random_cells(WEFT_TYPE_UTF8, n, 0.05, 1000, rng)});
  check_unique(cols, {0});
  check_unique(cols, {1, 0});
}

TEST(TableGroupBy, LenEveryKeyType) {
  for (size_t n : {0, 1, 6, 2049}) {
    auto cols = random_table(n, 21 + n, n > 100 ? 300 : 3);
    for (size_t k = 0; k + 1 < cols.size(); k++) {
      SCOPED_TRACE(cols[k].name + " n=" + std::to_string(n));
      check_len(cols, {k});
    }
    check_len(cols, {});
  }
}

TEST(TableGroupBy, LenMultiKeyLarge) {
  auto cols = random_table(1000003, 77, 30);
  check_len(cols, {11, 0});   // utf8, bool
  check_len(cols, {3});       // int32: direct indexing
  check_len(cols, {4});       // int64 of wide range: hash
  check_len(cols, {10, 12});  // float64, date32
  check_len(cols, {10});      // one word per key, null group merged across partitions
  check_len(cols, {8});       // uint64
  check_len(cols, {11});      // utf8
}

TEST(TableGroupBy, Errors) {
  auto cols = random_table(10, 1, 3);
  auto b = jc::build(cols);
  weft_table *out = nullptr;
  const char *bad = "nope";
  weft_agg agg = {WEFT_AGG_LEN, nullptr, nullptr};
  EXPECT_EQ(weft_table_group_by(nullptr, b->table, 1, &bad, 1, &agg, &out), WEFT_ERR_NOT_FOUND);
  EXPECT_NE(std::string(weft_last_error()).find("nope"), std::string::npos);
  agg.kind = WEFT_AGG_SUM;
  const char *key = "c_int32";
  EXPECT_EQ(weft_table_group_by(nullptr, b->table, 1, &key, 1, &agg, &out), WEFT_ERR_INVALID_ARGUMENT);
  agg = {WEFT_AGG_LEN, nullptr, "c_int32"};
  EXPECT_EQ(weft_table_group_by(nullptr, b->table, 1, &key, 1, &agg, &out), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(weft_last_error()).find("twice"), std::string::npos);
  EXPECT_EQ(out, nullptr);
}

namespace {

// Every aggregation of every value column of a random table of n rows, grouped by int32
// (`distinct` values) or, for small n, by utf8; `only`: the value columns tried (empty: all).
void check_every_aggregation(size_t n, int distinct, const std::vector<size_t> &only) {
  const weft_agg_kind kinds[] = {WEFT_AGG_SUM, WEFT_AGG_MEAN, WEFT_AGG_MIN,  WEFT_AGG_MAX,
                                 WEFT_AGG_COUNT, WEFT_AGG_N_UNIQUE, WEFT_AGG_STD, WEFT_AGG_VAR,
                                 WEFT_AGG_FIRST, WEFT_AGG_LAST, WEFT_AGG_LEN};
  {
    auto cols = random_table(n, 31 + n, distinct);
    auto b = jc::build(cols);
    std::vector<size_t> keys = {n > 100 ? (size_t)3 : (size_t)11};  // int32 or utf8
    RefGroups g = ref_groups(cols, keys, n);
    for (size_t c = 0; c + 1 < cols.size(); c++) {
      if (!only.empty() && std::find(only.begin(), only.end(), c) == only.end()) continue;
      const Col &v = cols[c];
      bool numeric = v.type != WEFT_TYPE_UTF8 && v.type != WEFT_TYPE_DATE32 &&
                     v.type != WEFT_TYPE_TIMESTAMP_US;
      weft_expr *in = nullptr;
      ASSERT_WEFT_OK(weft_expr_column(v.name.c_str(), &in));
      std::vector<weft_agg> aggs;
      std::vector<std::string> names;
      for (weft_agg_kind k : kinds) {
        bool needs_number = k == WEFT_AGG_SUM || k == WEFT_AGG_MEAN || k == WEFT_AGG_STD || k == WEFT_AGG_VAR;
        if (needs_number && !numeric) continue;
        names.push_back("a" + std::to_string((int)k));
      }
      size_t at = 0;
      for (weft_agg_kind k : kinds) {
        bool needs_number = k == WEFT_AGG_SUM || k == WEFT_AGG_MEAN || k == WEFT_AGG_STD || k == WEFT_AGG_VAR;
        if (needs_number && !numeric) continue;
        aggs.push_back({k, in, names[at++].c_str()});
      }
      const char *key = cols[keys[0]].name.c_str();
      weft_table *out = nullptr;
      ASSERT_WEFT_OK(weft_table_group_by(nullptr, b->table, 1, &key, aggs.size(), aggs.data(), &out));
      jc::Rows got = jc::rows_of(out);
      ASSERT_EQ(got.size(), g.rows.size());
      for (size_t j = 0; j < g.rows.size(); j++) {
        std::vector<Cell> cells;
        for (size_t r : g.rows[j]) cells.push_back(v.cells[r]);
        EXPECT_EQ(got[j][0], cols[keys[0]].cells[g.first[j]]);
        for (size_t a = 0; a < aggs.size(); a++) {
          weft_column_view ov;
          ASSERT_WEFT_OK(weft_table_column(out, a + 1, &ov));
          Cell want = ref_agg(aggs[a].kind, v.type, cells);
          EXPECT_TRUE(near_cell(got[j][a + 1], want, ov.type))
              << v.name << " agg " << (int)aggs[a].kind << " group " << j << ": got "
              << got[j][a + 1].value_or("null") << ", want " << want.value_or("null");
        }
      }
      weft_table_free(out);
      weft_expr_free(in);
    }
  }
}

bool have_expressions() {
  weft_expr *probe = nullptr;
  if (weft_expr_column("x", &probe) == WEFT_ERR_UNSUPPORTED) return false;
  weft_expr_free(probe);
  return true;
}

}  // namespace

TEST(TableGroupBy, EveryAggregationEveryType) {
  if (!have_expressions()) GTEST_SKIP() << "expressions are not implemented yet";
  for (size_t n : {0, 1, 9, 3001}) check_every_aggregation(n, n > 100 ? 40 : 4, {});
}

TEST(TableGroupBy, EveryAggregationLargeParallel) {
  // many rows, few groups: partial aggregates per row range, merged
  if (!have_expressions()) GTEST_SKIP() << "expressions are not implemented yet";
  check_every_aggregation(300007, 50, {0, 4, 6, 8, 9, 10});  // bool, int64, uint16, uint64, floats
}

TEST(TableGroupBy, NoKeysAndTypes) {
  weft_expr *in = nullptr;
  if (weft_expr_column("c_float64", &in) == WEFT_ERR_UNSUPPORTED)
    GTEST_SKIP() << "expressions are not implemented yet: " << weft_last_error();
  auto cols = random_table(0, 1, 3);
  auto b = jc::build(cols);
  weft_agg aggs[] = {{WEFT_AGG_SUM, in, "s"}, {WEFT_AGG_MEAN, in, "m"}, {WEFT_AGG_LEN, nullptr, nullptr}};
  weft_table *out = nullptr;
  ASSERT_WEFT_OK(weft_table_group_by(nullptr, b->table, 0, nullptr, 3, aggs, &out));
  jc::Rows got = jc::rows_of(out);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0][0], Cell("0"));  // the sum of nothing is 0, the mean null
  EXPECT_EQ(got[0][1], std::nullopt);
  EXPECT_EQ(got[0][2], Cell("0"));
  const char *name = nullptr;
  ASSERT_WEFT_OK(weft_table_column_name(out, 2, &name));
  EXPECT_STREQ(name, "len");
  weft_table_free(out);
  weft_expr_free(in);
}

TEST(TableUnique, FloatZerosAndNaNGroupTogether) {
  std::vector<Col> cols = {
      {"f", WEFT_TYPE_FLOAT64, {"0", "-0", "nan", "-nan", std::nullopt, std::nullopt, "1", "0"}},
      gs::row_ids(8)};
  auto b = jc::build(cols);
  const char *key = "f";
  weft_table *out = nullptr;
  ASSERT_WEFT_OK(weft_table_unique(nullptr, b->table, 1, &key, &out));
  jc::Rows got = jc::rows_of(out);
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got[0][1], Cell("0"));
  EXPECT_EQ(got[1][1], Cell("2"));
  EXPECT_EQ(got[2][1], Cell("4"));
  EXPECT_EQ(got[3][1], Cell("6"));
  weft_table_free(out);
}

TEST(TableGroupBy, DirectIndexRangeEdges) {
  // int32 keys spanning just under and just over the direct-index range, with nulls
  for (int64_t span : {(int64_t)1 << 20, ((int64_t)1 << 20) + 1, (int64_t)1 << 31}) {
    std::vector<Cell> k;
    for (int i = 0; i < 3000; i++) {
      int64_t v = i % 7 == 0 ? 0 : i % 7 == 1 ? span - 1 : (i % 5) * 1000 - 2000;
      k.push_back(i % 11 == 3 ? Cell() : Cell(std::to_string(v - span / 2)));
    }
    check_len({{"k", WEFT_TYPE_INT64, k}}, {0});
    check_len({{"k", WEFT_TYPE_INT32, std::vector<Cell>(k.begin(), k.end())}}, {0});
  }
}

TEST(TableGroupBy, ExpressionInput) {
  // an input that is not a bare column goes through weft_table_select
  if (!have_expressions()) GTEST_SKIP() << "expressions are not implemented yet";
  std::vector<Col> cols = {{"k", WEFT_TYPE_UTF8, {"a", "b", "a", std::nullopt, "b"}},
                           {"v", WEFT_TYPE_INT64, {"1", "2", "3", "4", std::nullopt}}};
  auto b = jc::build(cols);
  weft_expr *v = nullptr, *two = nullptr, *twice = nullptr;
  ASSERT_WEFT_OK(weft_expr_column("v", &v));
  ASSERT_WEFT_OK(weft_expr_literal_int64(2, &two));
  ASSERT_WEFT_OK(weft_expr_binary(WEFT_OP_MUL, v, two, &twice));
  weft_agg aggs[] = {{WEFT_AGG_SUM, twice, nullptr}, {WEFT_AGG_MAX, twice, "m"}};
  const char *key = "k";
  weft_table *out = nullptr;
  ASSERT_WEFT_OK(weft_table_group_by(nullptr, b->table, 1, &key, 2, aggs, &out));
  jc::Rows want = {{"a", "8", "6"}, {"b", "4", "4"}, {std::nullopt, "8", "8"}};
  EXPECT_EQ(jc::rows_of(out), want);
  EXPECT_EQ(jc::names_of(out), (std::vector<std::string>{"k", "v", "m"}));
  weft_table_free(out);
  weft_expr *bad = nullptr, *nope = nullptr;
  ASSERT_WEFT_OK(weft_expr_column("nope", &nope));
  ASSERT_WEFT_OK(weft_expr_binary(WEFT_OP_ADD, nope, two, &bad));
  weft_agg bad_agg = {WEFT_AGG_SUM, bad, nullptr};
  EXPECT_EQ(weft_table_group_by(nullptr, b->table, 1, &key, 1, &bad_agg, &out), WEFT_ERR_NOT_FOUND);
  EXPECT_NE(std::string(weft_last_error()).find("nope"), std::string::npos) << weft_last_error();
  for (weft_expr *e : {v, two, twice, bad, nope}) weft_expr_free(e);
}

TEST(TableGroupBy, ShortStringKeysThatShareBytes) {
  // utf8 keys of 0 to 17 bytes that differ only in their length or last byte (short keys are
  // compared as one word), null apart from "", over enough rows for several partitions
  std::vector<std::string> words;
  for (size_t len = 0; len <= 17; len++) {
    std::string s(len, 'x');
    words.push_back(s);
    if (len) s.back() = 'y', words.push_back(s);
    if (len > 1) s[0] = 'y', words.push_back(s);
  }
  std::mt19937_64 rng(41);
  for (size_t n : {(size_t)1, (size_t)7, (size_t)300007}) {
    const char *floats[] = {"0", "-0", "nan", "-nan", "1.5"};
    std::vector<Cell> k1, k2, k3, k4;
    for (size_t r = 0; r < n; r++) {
      size_t w = rng() % (words.size() + 1);
      k1.push_back(w == words.size() ? Cell() : Cell(words[w]));
      k4.push_back(Cell(words[(w * 7 + r) % words.size()]));  // no nulls: word, length, hash once
      k2.push_back(r % 3 == 0 ? Cell() : Cell(words[(w + r) % 8]));  // at most 3 bytes
      k3.push_back(r % 7 == 2 ? Cell() : Cell(floats[(r / 3) % 5]));
    }
    SCOPED_TRACE("n=" + std::to_string(n));
    std::vector<Col> cols = {{"a", WEFT_TYPE_UTF8, k1}, {"b", WEFT_TYPE_UTF8, k2},
                             {"f", WEFT_TYPE_FLOAT64, k3}, {"c", WEFT_TYPE_UTF8, k4}};
    check_len(cols, {0});
    check_len(cols, {3});
    check_unique(cols, {3});
    check_len(cols, {0, 1});  // a key of more than 7 bytes: rows compared column by column
    check_len(cols, {1, 2});  // short keys: rows compared as words
    check_len(cols, {2, 1});
    check_unique(cols, {0});
    check_unique(cols, {1, 2});
  }
}

TEST(TableGroupBy, DirectIndexGroupsFirstSeenInLaterPartitions) {
  // an integer key of small range over several row ranges: keys and the null group that
  // appear only late, and one range with no valid key at all
  size_t n = 400009;
  std::vector<Cell> k;
  for (size_t r = 0; r < n; r++) {
    if (r < n / 4) k.push_back(Cell());
    else if (r < n / 2) k.push_back(std::to_string((r * 7) % 13));
    else k.push_back(r % 97 == 5 ? Cell() : Cell(std::to_string(100 - (int64_t)(r % 300))));
  }
  check_len({{"k", WEFT_TYPE_INT32, k}}, {0});
  std::vector<Cell> late(k.rbegin(), k.rend());
  check_len({{"k", WEFT_TYPE_INT64, late}, gs::row_ids(n)}, {0});
  check_unique({{"k", WEFT_TYPE_INT16, late}}, {0});
}

TEST(TableGroupBy, SumNextToMeanHasTheSameBits) {
  // a mean of the same column reuses the sum's pass: the sum must not change by a bit
  if (!have_expressions()) GTEST_SKIP() << "expressions are not implemented yet";
  size_t n = 200003;
  std::mt19937_64 rng(9);
  std::vector<Col> cols = {{"k", WEFT_TYPE_INT32, gs::random_cells(WEFT_TYPE_INT32, n, 0.01, 20, rng)},
                           {"v", WEFT_TYPE_FLOAT64, gs::random_cells(WEFT_TYPE_FLOAT64, n, 0.1, 100000, rng)},
                           {"w", WEFT_TYPE_FLOAT32, gs::random_cells(WEFT_TYPE_FLOAT32, n, 0.1, 1000, rng)}};
  auto b = jc::build(cols);
  weft_expr *v = nullptr, *w = nullptr;
  ASSERT_WEFT_OK(weft_expr_column("v", &v));
  ASSERT_WEFT_OK(weft_expr_column("w", &w));
  const char *key = "k";
  weft_expr *one = nullptr, *v1 = nullptr;  // v * 1.0: the same values, not a bare column
  ASSERT_WEFT_OK(weft_expr_literal_float64(1.0, &one));
  ASSERT_WEFT_OK(weft_expr_binary(WEFT_OP_MUL, v, one, &v1));
  weft_agg alone[] = {{WEFT_AGG_SUM, v1, "s"}, {WEFT_AGG_MEAN, w, "mw"}};
  weft_agg both[] = {{WEFT_AGG_MEAN, v, "m"}, {WEFT_AGG_SUM, w, "sw"}, {WEFT_AGG_SUM, v, "s"},
                     {WEFT_AGG_MEAN, w, "mw"}, {WEFT_AGG_SUM, v, "s2"}};
  weft_table *a = nullptr, *c = nullptr;
  ASSERT_WEFT_OK(weft_table_group_by(nullptr, b->table, 1, &key, 2, alone, &a));
  ASSERT_WEFT_OK(weft_table_group_by(nullptr, b->table, 1, &key, 5, both, &c));
  weft_column_view sa, sc, sc2, ma, mc;
  ASSERT_WEFT_OK(weft_table_column(a, 1, &sa));
  ASSERT_WEFT_OK(weft_table_column(c, 3, &sc));
  ASSERT_WEFT_OK(weft_table_column(c, 5, &sc2));
  ASSERT_WEFT_OK(weft_table_column(a, 2, &ma));
  ASSERT_WEFT_OK(weft_table_column(c, 4, &mc));
  ASSERT_EQ(sa.length, sc.length);
  EXPECT_EQ(memcmp(sa.values, sc.values, (size_t)sa.length * 8), 0);
  EXPECT_EQ(memcmp(sa.values, sc2.values, (size_t)sa.length * 8), 0);
  EXPECT_EQ(memcmp(ma.values, mc.values, (size_t)ma.length * 8), 0);
  jc::Rows ra = jc::rows_of(a), rc = jc::rows_of(c);
  for (size_t j = 0; j < ra.size(); j++) EXPECT_EQ(ra[j][2], rc[j][4]);  // validity of the means
  weft_table_free(a);
  weft_table_free(c);
  for (weft_expr *e : {v, w, one, v1}) weft_expr_free(e);
}
