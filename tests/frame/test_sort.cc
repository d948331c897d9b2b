// weft_table_sort against std::stable_sort over the same cells: every key type, both
// directions, multi-key, nulls last, NaN after numbers, empty and one-row tables, 1000003 rows.
#include <algorithm>

#include "group_sort_helpers.h"

using gs::Cell;
using gs::Col;

namespace {

// A cell parsed once, so the reference comparator stays cheap on a million rows.
struct Parsed {
  bool null = true;
  double d = 0;
  int64_t i = 0;
  uint64_t u = 0;
  const std::string *s = nullptr;
};

int cmp_parsed(weft_type t, const Parsed &x, const Parsed &y) {
  if (t == WEFT_TYPE_UTF8 || t == WEFT_TYPE_BOOL) return x.s->compare(*y.s) < 0 ? -1 : (*x.s == *y.s ? 0 : 1);
  if (gs::is_float(t)) {
    bool xn = std::isnan(x.d), yn = std::isnan(y.d);
    if (xn || yn) return (int)xn - (int)yn;
    return (x.d > y.d) - (x.d < y.d);
  }
  if (gs::is_unsigned(t)) return (x.u > y.u) - (x.u < y.u);
  return (x.i > y.i) - (x.i < y.i);
}

jc::Rows reference_sort(const std::vector<Col> &cols, const std::vector<size_t> &keys,
                        const std::vector<int> &desc) {
  size_t n = cols[0].cells.size();
  std::vector<std::vector<Parsed>> parsed(keys.size(), std::vector<Parsed>(n));
  for (size_t k = 0; k < keys.size(); k++) {
    const Col &c = cols[keys[k]];
    for (size_t r = 0; r < n; r++) {
      if (!c.cells[r]) continue;
      Parsed &p = parsed[k][r];
      p.null = false;
      p.s = &*c.cells[r];
      if (gs::is_float(c.type)) p.d = c.type == WEFT_TYPE_FLOAT32 ? (float)std::stod(*p.s) : std::stod(*p.s);
      else if (gs::is_unsigned(c.type)) p.u = std::stoull(*p.s);
      else if (c.type != WEFT_TYPE_UTF8 && c.type != WEFT_TYPE_BOOL) p.i = std::stoll(*p.s);
    }
  }
  std::vector<size_t> order(n);
  for (size_t i = 0; i < n; i++) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    for (size_t k = 0; k < keys.size(); k++) {
      const Parsed &x = parsed[k][a], &y = parsed[k][b];
      if (x.null || y.null) {
        if (x.null && y.null) continue;
        return !x.null;  // nulls last in both directions
      }
      int r = cmp_parsed(cols[keys[k]].type, x, y);
      if (r) return desc[k] ? r > 0 : r < 0;
    }
    return false;
  });
  jc::Rows out;
  for (size_t r : order) {
    std::vector<Cell> row;
    for (const Col &c : cols) row.push_back(c.cells[r]);
    out.push_back(row);
  }
  return out;
}

void check_sort(const std::vector<Col> &cols, const std::vector<size_t> &keys,
                const std::vector<int> &desc) {
  auto b = jc::build(cols);
  std::vector<const char *> names;
  for (size_t k : keys) names.push_back(cols[k].name.c_str());
  weft_table *out = nullptr;
  weft_exec *exec = nullptr;
  ASSERT_WEFT_OK(weft_exec_create(&exec));
  ASSERT_WEFT_OK(weft_table_sort(exec, b->table, names.size(), names.data(), desc.data(), &out));
  const char *report = nullptr;
  ASSERT_WEFT_OK(weft_exec_report(exec, &report));
  EXPECT_NE(std::string(report).find("cpu:0"), std::string::npos) << report;
  weft_exec_free(exec);
  jc::Rows got = jc::rows_of(out), want = reference_sort(cols, keys, desc);
  weft_table_free(out);
  ASSERT_EQ(got.size(), want.size());
  for (size_t r = 0; r < got.size(); r++) {
    ASSERT_EQ(got[r], want[r]) << "row " << r << " of " << got.size() << ", first key "
                               << cols[keys[0]].name;
  }
}

std::vector<Col> random_table(size_t n, uint64_t seed, int distinct) {
  std::mt19937_64 rng(seed);
  std::vector<Col> cols;
  for (weft_type t : gs::all_types())
    cols.push_back({std::string("c_") + weft_type_name(t), t, gs::random_cells(t, n, 0.1, distinct, rng)});
  for (auto &c : cols)
    for (char &ch : c.name)
      if (!isalnum((unsigned char)ch)) ch = '_';
  cols.push_back(gs::row_ids(n));
  return cols;
}

}  // namespace

TEST(TableSort, EverySingleKeyBothDirections) {
  for (size_t n : {0, 1, 2, 7, 1000, 4099}) {
    auto cols = random_table(n, 42 + n, n > 100 ? 300 : 5);
    for (size_t k = 0; k + 1 < cols.size(); k++)
      for (int d : {0, 1}) {
        SCOPED_TRACE(cols[k].name + (d ? " desc" : " asc") + " n=" + std::to_string(n));
        check_sort(cols, {k}, {d});
      }
  }
}

TEST(TableSort, MultiKey) {
  auto cols = random_table(5003, 7, 6);
  check_sort(cols, {11, 3}, {0, 1});   // utf8 asc, int32 desc
  check_sort(cols, {0, 10, 1}, {1, 0, 1});  // bool desc, float64 asc, int8 desc
  check_sort(cols, {12, 11}, {0, 0});  // date32, utf8
  check_sort(cols, {9, 13, 8}, {1, 1, 0});
}

TEST(TableSort, LargeParallel) {
  size_t n = 1000003;
  std::mt19937_64 rng(99);
  std::vector<Col> cols;
  cols.push_back({"f", WEFT_TYPE_FLOAT64, gs::random_cells(WEFT_TYPE_FLOAT64, n, 0.05, 1 << 20, rng)});
  cols.push_back({"i", WEFT_TYPE_INT64, gs::random_cells(WEFT_TYPE_INT64, n, 0.05, 1000, rng)});
  cols.push_back({"s", WEFT_TYPE_UTF8, gs::random_cells(WEFT_TYPE_UTF8, n, 0.05, 50, rng)});
  cols.push_back(gs::row_ids(n));
  check_sort(cols, {0}, {0});
  check_sort(cols, {1}, {1});
  check_sort(cols, {2, 1}, {0, 1});
}

TEST(TableSort, SlicedInput) {
  auto cols = random_table(3001, 5, 40);
  auto b = jc::build(cols);
  weft_table *slice = nullptr, *out = nullptr;
  ASSERT_WEFT_OK(weft_table_slice(b->table, 13, 2000, &slice));
  const char *key = "c_int32";
  ASSERT_WEFT_OK(weft_table_sort(nullptr, slice, 1, &key, nullptr, &out));
  std::vector<Col> sub = cols;
  for (auto &c : sub) c.cells = std::vector<Cell>(c.cells.begin() + 13, c.cells.begin() + 2013);
  EXPECT_EQ(jc::rows_of(out), reference_sort(sub, {3}, {0}));
  weft_table_free(out);
  weft_table_free(slice);
}

TEST(TableSort, Errors) {
  auto cols = random_table(10, 1, 3);
  auto b = jc::build(cols);
  weft_table *out = nullptr;
  const char *bad = "nope";
  EXPECT_EQ(weft_table_sort(nullptr, b->table, 1, &bad, nullptr, &out), WEFT_ERR_NOT_FOUND);
  EXPECT_NE(std::string(weft_last_error()).find("nope"), std::string::npos);
  EXPECT_EQ(weft_table_sort(nullptr, b->table, 0, nullptr, nullptr, &out), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(out, nullptr);
}

TEST(TableSort, ZerosNaNAndNulls) {
  std::vector<Col> cols = {{"f", WEFT_TYPE_FLOAT64, {"1", std::nullopt, "nan", "-1", "0", "-0", "-inf", "inf"}},
                           gs::row_ids(8)};
  auto b = jc::build(cols);
  const char *key = "f";
  for (int desc : {0, 1}) {
    weft_table *out = nullptr;
    ASSERT_WEFT_OK(weft_table_sort(nullptr, b->table, 1, &key, &desc, &out));
    std::vector<std::string> ids;
    for (auto &row : jc::rows_of(out)) ids.push_back(*row[1]);
    // NaN above every number, nulls last either way, 0 and -0 equal (row order kept)
    std::vector<std::string> want = desc ? std::vector<std::string>{"2", "7", "0", "4", "5", "3", "6", "1"}
                                         : std::vector<std::string>{"6", "3", "4", "5", "0", "7", "2", "1"};
    EXPECT_EQ(ids, want) << (desc ? "descending" : "ascending");
    weft_table_free(out);
  }
}

TEST(TableSort, LongUtf8GroupKeysCpuOnlyInTheReport) {
  // sort (test_sort_device.cc) and group_by on short keys (test_group_device.cc) have device
  // kernels; group_by and unique over a utf8 key longer than 7 bytes do not: another device
  // asked for falls back to the CPU, or fails in strict mode
  size_t dev = 0;
  std::string other = "opencl:0";
  if (weft_device_find(other.c_str(), &dev) != WEFT_OK) GTEST_SKIP() << "no opencl:0 device";
  auto cols = random_table(300, 3, 40);
  auto b = jc::build(cols);
  weft_exec *exec = nullptr;
  ASSERT_WEFT_OK(weft_exec_create(&exec));
  ASSERT_WEFT_OK(weft_exec_set_device(exec, other.c_str()));
  const char *ikey = "c_int32", *skey = "c_utf8";
  weft_agg agg = {WEFT_AGG_LEN, nullptr, "n"};
  weft_table *out = nullptr;
  const char *report = nullptr;
  ASSERT_WEFT_OK(weft_table_unique(exec, b->table, 1, &skey, &out));
  weft_table_free(out);
  ASSERT_WEFT_OK(weft_exec_report(exec, &report));
  EXPECT_NE(std::string(report).find("longer than 7 bytes"), std::string::npos) << report;
  ASSERT_WEFT_OK(weft_exec_set_strict(exec, 1));
  ASSERT_WEFT_OK(weft_table_group_by(exec, b->table, 1, &ikey, 1, &agg, &out));
  weft_table_free(out);
  EXPECT_EQ(weft_table_group_by(exec, b->table, 1, &skey, 1, &agg, &out), WEFT_ERR_UNSUPPORTED);
  EXPECT_EQ(weft_table_unique(exec, b->table, 1, &skey, &out), WEFT_ERR_UNSUPPORTED);
  ASSERT_WEFT_OK(weft_exec_set_device(exec, "cpu"));
  ASSERT_WEFT_OK(weft_table_group_by(exec, b->table, 1, &ikey, 1, &agg, &out));
  weft_table_free(out);
  weft_exec_free(exec);
}

TEST(TableSort, MultiKeyWithoutNullsAroundBlockSizes) {
  // no nulls: the keys are encoded on the pool in blocks of 65536 rows, through the order
  // of the previous key; ties across every key keep the row order
  for (size_t n : {65535u, 65536u, 65537u, 200003u}) {
    std::mt19937_64 rng(n);
    std::vector<Col> cols;
    cols.push_back({"k", WEFT_TYPE_INT64, gs::random_cells(WEFT_TYPE_INT64, n, 0.0, 30, rng)});
    cols.push_back({"f", WEFT_TYPE_FLOAT64, gs::random_cells(WEFT_TYPE_FLOAT64, n, 0.0, 40, rng)});
    cols.push_back({"s", WEFT_TYPE_UTF8, gs::random_cells(WEFT_TYPE_UTF8, n, 0.0, 20, rng)});
    cols.push_back({"u", WEFT_TYPE_UINT64, gs::random_cells(WEFT_TYPE_UINT64, n, 0.0, 5, rng)});
    cols.push_back(gs::row_ids(n));
    SCOPED_TRACE(n);
    check_sort(cols, {0, 1}, {0, 1});
    check_sort(cols, {2, 3, 0}, {1, 0, 0});
  }
}

TEST(TableSort, ManyKeysTiesAndAllNullKeys) {
  auto cols = random_table(3000, 11, 2);
  cols.push_back({"nothing", WEFT_TYPE_INT32, std::vector<Cell>(3000)});
  size_t all_null = cols.size() - 1;
  std::vector<size_t> keys;
  std::vector<int> desc;
  for (size_t k = 0; k + 2 < cols.size(); k++) keys.push_back(k), desc.push_back((int)(k % 3 == 1));
  check_sort(cols, keys, desc);                      // every type, two values each
  check_sort(cols, {all_null, 3}, {0, 1});           // a key that is null everywhere
  check_sort(cols, {3, all_null, 11}, {1, 1, 0});
  for (size_t n : {0u, 1u}) {
    auto small = random_table(n, 3, 2);
    check_sort(small, {11, 3, 10}, {0, 1, 1});
  }
}

TEST(TableSort, StringsSharingLongPrefixes) {
  // the first 8 bytes order the strings only when they differ; equal prefixes are compared
  std::vector<Col> cols = gs::shared_prefix_strings();
  for (int d : {0, 1}) {
    check_sort(cols, {0}, {d});
    check_sort(cols, {0, 1}, {d, 1 - d});
    check_sort(cols, {1, 0}, {d, d});
  }
}
