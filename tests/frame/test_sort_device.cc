// weft_table_sort and the lazy sort on every device found: the permutation equals the CPU's
// (test_sort.cc checks the CPU against std::stable_sort) for every key type, NaN, -0.0,
// +-inf, nulls, strings sharing 8-byte prefixes, multi-key mixed directions, sizes around
// the device block (1024 rows), many duplicates; the report names the device; strict mode
// runs on the device; a device memory cap too small falls back to the CPU (strict: fails).
#include <algorithm>

#include "group_sort_helpers.h"
#include "test_support.h"

using gs::Cell;
using gs::Col;

namespace {

// The column of type t in typed_table.
std::string cn(weft_type t) {
  std::string name = std::string("c_") + weft_type_name(t);
  for (char &ch : name)
    if (!isalnum((unsigned char)ch)) ch = '_';
  return name;
}

std::vector<Col> typed_table(size_t n, uint64_t seed, int distinct, double null_rate) {
  std::mt19937_64 rng(seed);
  std::vector<Col> cols;
  for (weft_type t : gs::all_types()) cols.push_back({cn(t), t, gs::random_cells(t, n, null_rate, distinct, rng)});
  cols.push_back(gs::row_ids(n));
  return cols;
}

// The row ids (last column) of `t` sorted by `keys` on `device`, and the exec's report.
std::vector<int64_t> sorted_ids(const std::string &device, const weft_table *t,
                                const std::vector<std::string> &keys, const std::vector<int> &desc,
                                std::string *report = nullptr, int strict = 1) {
  TestExec ex(device, strict);
  std::vector<const char *> names;
  for (auto &k : keys) names.push_back(k.c_str());
  weft_table *out = nullptr;
  weft_status st = weft_table_sort(ex.e, t, names.size(), names.data(), desc.data(), &out);
  EXPECT_EQ(st, WEFT_OK) << weft_status_name(st) << ": " << weft_last_error();
  std::vector<int64_t> ids;
  if (st != WEFT_OK) return ids;
  size_t ncols = 0;
  EXPECT_EQ(weft_table_num_columns(out, &ncols), WEFT_OK);
  weft_column_view v;
  EXPECT_EQ(weft_table_column(out, ncols - 1, &v), WEFT_OK);
  const int64_t *p = (const int64_t *)v.values + v.offset;
  ids.assign(p, p + v.length);
  weft_table_free(out);
  if (report) *report = ex.report();
  return ids;
}

class SortDevice : public DeviceParamTest {
 protected:
  // Sorts on the device and on the CPU; the permutations must be equal, and the report must
  // say the device sorted (strict mode: a fallback would have failed).
  void check(const std::vector<Col> &cols, const std::vector<std::string> &keys,
             const std::vector<int> &desc) {
    auto b = jc::build(cols);
    std::string report;
    std::vector<int64_t> got = sorted_ids(GetParam(), b->table, keys, desc, &report);
    std::vector<int64_t> want = sorted_ids("cpu", b->table, keys, desc);
    ASSERT_EQ(got.size(), cols[0].cells.size());
    for (size_t i = 0; i < got.size(); i++)
      ASSERT_EQ(got[i], want[i]) << "position " << i << " of " << got.size() << ", first key "
                                 << keys[0] << (desc[0] ? " desc" : " asc");
    if (on_device && got.size() >= 2) {
      EXPECT_NE(report.find(GetParam() + ": radix sort of "), std::string::npos) << report;
    } else if (!on_device) {
      EXPECT_NE(report.find("cpu:0: radix"), std::string::npos) << report;
    }
  }
};

TEST_P(SortDevice, EveryTypeBothDirectionsAroundTheBlockSize) {
  for (size_t n : {0u, 1u, 2u, 1023u, 1025u, 4099u}) {
    for (int distinct : {3, 300}) {
      auto cols = typed_table(n, 17 + n + distinct, distinct, 0.1);
      for (size_t k = 0; k + 1 < cols.size(); k++)
        for (int d : {0, 1}) {
          SCOPED_TRACE(cols[k].name + (d ? " desc" : " asc") + " n=" + std::to_string(n) +
                       " distinct=" + std::to_string(distinct));
          check(cols, {cols[k].name}, {d});
        }
    }
  }
}

TEST_P(SortDevice, LargeInputs) {
  const size_t n = 100003;
  auto cols = typed_table(n, 5, 40000, 0.05);  // k * 7919 in the helper stays in int
  for (weft_type t : {WEFT_TYPE_INT64, WEFT_TYPE_FLOAT64, WEFT_TYPE_UTF8, WEFT_TYPE_UINT64,
                      WEFT_TYPE_INT8, WEFT_TYPE_BOOL, WEFT_TYPE_FLOAT32, WEFT_TYPE_TIMESTAMP_US}) {
    std::string k = cn(t);
    SCOPED_TRACE(k);
    check(cols, {k}, {0});
    check(cols, {k}, {1});
  }
  auto dup = typed_table(n, 6, 4, 0.0);  // no nulls, many duplicates: the pooled encoding
  check(dup, {cn(WEFT_TYPE_INT32), cn(WEFT_TYPE_FLOAT64)}, {1, 0});
  check(dup, {cn(WEFT_TYPE_UTF8), cn(WEFT_TYPE_INT64), cn(WEFT_TYPE_BOOL)}, {0, 1, 1});
}

TEST_P(SortDevice, FloatSpecialValuesAndNulls) {
  std::vector<std::string> special = {"nan", "-0", "0", "inf", "-inf", "1.5", "-1.5", "1e-300", "-1e-300"};
  std::mt19937_64 rng(3);
  for (size_t n : {9u, 1025u, 5000u}) {
    Col f64{"f64", WEFT_TYPE_FLOAT64, {}}, f32{"f32", WEFT_TYPE_FLOAT32, {}};
    for (size_t i = 0; i < n; i++) {
      f64.cells.push_back(rng() % 10 == 0 ? Cell() : Cell(special[rng() % special.size()]));
      f32.cells.push_back(rng() % 10 == 0 ? Cell() : Cell(special[rng() % 7]));
    }
    std::vector<Col> cols = {f64, f32, gs::row_ids(n)};
    for (int d : {0, 1}) {
      check(cols, {"f64"}, {d});
      check(cols, {"f32"}, {d});
      check(cols, {"f32", "f64"}, {d, 1 - d});
    }
  }
}

TEST_P(SortDevice, StringsSharingEightBytePrefixes) {
  std::vector<Col> cols = gs::shared_prefix_strings();
  for (int d : {0, 1}) {
    check(cols, {"s"}, {d});
    check(cols, {"s", "k"}, {d, 1 - d});
    check(cols, {"k", "s"}, {d, d});
  }
}

TEST_P(SortDevice, MultiKeyMixedDirections) {
  auto cols = typed_table(5003, 7, 6, 0.1);
  check(cols, {cn(WEFT_TYPE_UTF8), cn(WEFT_TYPE_INT32), cn(WEFT_TYPE_FLOAT64)}, {0, 1, 0});
  check(cols, {cn(WEFT_TYPE_BOOL), cn(WEFT_TYPE_DATE32), cn(WEFT_TYPE_UINT16), cn(WEFT_TYPE_INT16)}, {1, 0, 1, 0});
  check(cols, {cn(WEFT_TYPE_TIMESTAMP_US), cn(WEFT_TYPE_UINT8), cn(WEFT_TYPE_FLOAT32), cn(WEFT_TYPE_UINT32)}, {1, 1, 0, 0});
  std::vector<std::string> every;
  std::vector<int> desc;
  for (size_t k = 0; k + 1 < cols.size(); k++) every.push_back(cols[k].name), desc.push_back((int)(k % 3 == 1));
  check(cols, every, desc);
}

TEST_P(SortDevice, ReportAndLastDevice) {
  auto cols = typed_table(3000, 9, 50, 0.1);
  auto b = jc::build(cols);
  TestExec ex(GetParam());
  std::string k0 = cn(WEFT_TYPE_UTF8), k1 = cn(WEFT_TYPE_INT16);
  const char *keys[] = {k0.c_str(), k1.c_str()};
  int desc[] = {0, 1};
  weft_table *out = nullptr;
  ASSERT_WEFT_OK(weft_table_sort(ex.e, b->table, 2, keys, desc, &out));
  weft_table_free(out);
  std::string r = ex.report();
  EXPECT_NE(r.find("weft_table_sort: 3000 rows"), std::string::npos) << r;
  if (on_device) {
    EXPECT_NE(r.find(GetParam() + ": radix sort of 8, 2-byte keys on the device (2 keys); runs of "
                     "equal 8-byte utf8 prefixes merge sorted on the CPU"), std::string::npos) << r;
    EXPECT_EQ(ex.last_device(), dev_index);
  } else {
    EXPECT_NE(r.find("cpu:0: radix and merge sort by 2 keys on the CPU pool"), std::string::npos) << r;
    EXPECT_EQ(ex.last_device(), 0u);
  }
}

TEST_P(SortDevice, MemoryCapFallsBackOrFailsStrict) {
  if (!on_device) GTEST_SKIP() << "the CPU has no device memory cap to exceed";
  auto cols = typed_table(20000, 11, 1000, 0.1);
  auto b = jc::build(cols);
  weft_device_info info;
  ASSERT_WEFT_OK(weft_device_get_info(dev_index, &info));
  // room for nothing: the pairs need 16 bytes a row and the temporaries 17
  ASSERT_WEFT_OK(weft_device_set_memory_limit(dev_index, info.memory_used_bytes + 4096));
  std::string report;
  std::vector<int64_t> got = sorted_ids(GetParam(), b->table, {cn(WEFT_TYPE_INT64), cn(WEFT_TYPE_UTF8)}, {1, 0}, &report, 0);
  EXPECT_EQ(got, sorted_ids("cpu", b->table, {cn(WEFT_TYPE_INT64), cn(WEFT_TYPE_UTF8)}, {1, 0}));
  EXPECT_NE(report.find(GetParam() + ": fell back to cpu: device " + GetParam() + ": sorting "),
            std::string::npos) << report;
  EXPECT_NE(report.find("(0 of 2 keys sorted on the device)"), std::string::npos) << report;
  EXPECT_NE(report.find("cpu:0: radix and merge sort by 2 keys on the CPU pool"), std::string::npos) << report;
  {
    TestExec strict(GetParam(), 1);
    std::string k64 = cn(WEFT_TYPE_INT64);
    const char *key = k64.c_str();
    weft_table *out = nullptr;
    EXPECT_EQ(weft_table_sort(strict.e, b->table, 1, &key, nullptr, &out), WEFT_ERR_DEVICE_MEMORY);
    EXPECT_EQ(out, nullptr);
    EXPECT_NE(std::string(weft_last_error()).find("limit"), std::string::npos) << weft_last_error();
  }
  ASSERT_WEFT_OK(weft_device_set_memory_limit(dev_index, 0));
  ASSERT_WEFT_OK(weft_device_get_info(dev_index, &info));
  EXPECT_EQ(info.memory_used_bytes, 0u) << "the sort left device memory accounted";
}

// The lazy sort: explain names the device, collect sorts there (strict), nulls first too.
TEST_P(SortDevice, LazySortOnTheDevice) {
  auto cols = typed_table(4000, 13, 40, 0.1);
  auto b = jc::build(cols);
  weft_plan *scan = nullptr, *sorted = nullptr;
  ASSERT_WEFT_OK(weft_plan_scan(b->table, &scan));
  std::string k0 = cn(WEFT_TYPE_FLOAT64), k1 = cn(WEFT_TYPE_UTF8);
  const char *keys[] = {k0.c_str(), k1.c_str()};
  int desc[] = {1, 0};
  for (int nulls_last : {1, 0}) {
    ASSERT_WEFT_OK(weft_plan_sort(scan, 2, keys, desc, nulls_last, &sorted));
    std::vector<std::vector<int64_t>> ids;
    for (const std::string &dev : {GetParam(), std::string("cpu")}) {
      TestExec ex(dev);
      const char *text = nullptr;
      ASSERT_WEFT_OK(weft_plan_explain(ex.e, sorted, &text));
      std::string t = text;
      EXPECT_NE(t.find("SORT by [" + k0 + " desc, " + k1 + "] nulls " + std::string(nulls_last ? "last" : "first") +
                       "  [" + (dev == "cpu" ? "cpu: requested" : dev + ": requested") + "]"),
                std::string::npos) << t;
      weft_table *out = nullptr;
      ASSERT_WEFT_OK(weft_plan_collect(ex.e, sorted, &out));
      std::string r = ex.report();
      if (dev != "cpu") {
        EXPECT_NE(r.find(dev + ": radix sort of "), std::string::npos) << r;
      }
      size_t ncols = 0;
      ASSERT_WEFT_OK(weft_table_num_columns(out, &ncols));
      weft_column_view v;
      ASSERT_WEFT_OK(weft_table_column(out, ncols - 1, &v));
      const int64_t *p = (const int64_t *)v.values + v.offset;
      ids.emplace_back(p, p + v.length);
      weft_table_free(out);
    }
    EXPECT_EQ(ids[0], ids[1]) << "nulls_last " << nulls_last;
    weft_plan_free(sorted);
  }
  weft_plan_free(scan);
}

INSTANTIATE_TEST_SUITE_P(Devices, SortDevice, ::testing::ValuesIn(all_device_params()), param_name);

TEST(SortDeviceAuto, SmallInputsStayOnTheCpu) {
  auto cols = typed_table(5000, 21, 100, 0.1);
  auto b = jc::build(cols);
  TestExec ex("auto", 0);
  std::string k64 = cn(WEFT_TYPE_INT64);
  const char *key = k64.c_str();
  weft_table *out = nullptr;
  ASSERT_WEFT_OK(weft_table_sort(ex.e, b->table, 1, &key, nullptr, &out));
  weft_table_free(out);
  std::string r = ex.report();
  EXPECT_NE(r.find("device cpu:0: auto, small input (5000 rows, devices sort from 100000)"),
            std::string::npos) << r;
  EXPECT_NE(r.find("cpu:0: radix sort by 1 key on the CPU pool"), std::string::npos) << r;
  EXPECT_EQ(ex.last_device(), 0u);
}

}  // namespace
