// weft_table_describe on every device found: the device's table equals the CPU's bit for bit
// (counts, mean, std, min, max, percentiles; test_describe.cc checks the CPU against a
// reference) for every non-utf8 type, with nulls, NaN, +-inf and -0.0, empty and one-row
// tables, sizes around the block (2048 rows) and part (65536) edges, sliced tables whose rows
// start mid-byte; the report names the device; a utf8 column falls back to the CPU (strict
// mode: an error); a small memory cap streams the column in slices, a cap too small for one
// block falls back (strict: fails); auto keeps small inputs on the CPU.
#include <cstring>
#include <string>
#include <vector>

#include "table_helpers.h"
#include "test_support.h"

namespace {

using TablePtr = std::unique_ptr<weft_table, tt::TableFree>;

const std::vector<double> kPct{0.0, 0.1, 0.25, 0.5, 0.75, 0.99, 1.0};

std::vector<weft_type> numeric_types() {
  std::vector<weft_type> out;
  for (weft_type t : tt::kAllTypes)
    if (t != WEFT_TYPE_UTF8) out.push_back(t);
  return out;
}

// Overwrites some values of the float columns of a random_table with NaN, +-inf, -0.0 and 0.0
// (the table reads the test's buffers in place).
void add_specials(tt::Owned &own, const std::vector<weft_type> &types, int64_t rows,
                  std::mt19937_64 &rng) {
  std::uniform_int_distribution<int> pick(0, 19);
  const double specials[] = {NAN, INFINITY, -INFINITY, -0.0, 0.0};
  for (size_t c = 0; c < types.size(); c++) {
    if (types[c] != WEFT_TYPE_FLOAT32 && types[c] != WEFT_TYPE_FLOAT64) continue;
    uint8_t *values = own.bufs[own.bufs.size() - 3 * types.size() + 3 * c + 1].data();
    for (int64_t i = 0; i < rows; i++) {
      int k = pick(rng);
      if (k >= 5) continue;
      if (types[c] == WEFT_TYPE_FLOAT32) {
        float f = (float)specials[k];
        memcpy(values + i * 4, &f, 4);
      } else {
        memcpy(values + i * 8, &specials[k], 8);
      }
    }
  }
}

TablePtr describe_on(const std::string &device, const weft_table *t, const std::vector<double> &pct,
                     std::string *report = nullptr, size_t *last = nullptr, int strict = 1) {
  TestExec ex(device, strict);
  weft_table *out = nullptr;
  weft_status st = weft_table_describe(ex.e, t, pct.size(), pct.data(), &out);
  EXPECT_EQ(st, WEFT_OK) << weft_status_name(st) << ": " << weft_last_error();
  if (report) *report = ex.report();
  if (last) *last = ex.last_device();
  return TablePtr(out);
}

// Every cell equal: float64 cells by their bits, text cells by their bytes, nulls alike.
void expect_identical(const weft_table *got, const weft_table *want, const std::string &what) {
  ASSERT_NE(got, nullptr);
  ASSERT_NE(want, nullptr);
  ASSERT_EQ(tt::num_cols(got), tt::num_cols(want)) << what;
  ASSERT_EQ(tt::num_rows(got), tt::num_rows(want)) << what;
  for (size_t c = 0; c < tt::num_cols(want); c++) {
    weft_column_view g, w;
    ASSERT_WEFT_OK(weft_table_column(got, c, &g));
    ASSERT_WEFT_OK(weft_table_column(want, c, &w));
    ASSERT_EQ(g.type, w.type) << what << ", column " << c;
    for (int64_t r = 0; r < w.length; r++) {
      tt::Cell gc = tt::cell(got, c, r), wc = tt::cell(want, c, r);
      ASSERT_EQ(gc.has_value(), wc.has_value()) << what << ", column " << c << ", row " << r;
      if (w.type == WEFT_TYPE_FLOAT64 && wc) {
        const double *gv = (const double *)g.values + g.offset, *wv = (const double *)w.values + w.offset;
        EXPECT_EQ(memcmp(gv + r, wv + r, 8), 0) << what << ", column " << c << ", row " << r
                                                << ": " << gv[r] << " (cpu: " << wv[r] << ")";
      } else {
        EXPECT_EQ(gc, wc) << what << ", column " << c << ", row " << r;
      }
    }
  }
}

class DescribeDevice : public DeviceParamTest {
 protected:
  // Describes on the device (strict: a fallback fails) and on the CPU; equal bits, and the
  // report names the device.
  void check(const weft_table *t, const std::vector<double> &pct, const std::string &what) {
    std::string report;
    size_t last = 999;
    TablePtr got = describe_on(GetParam(), t, pct, &report, &last);
    TablePtr want = describe_on("cpu", t, pct);
    expect_identical(got.get(), want.get(), what);
    if (on_device) {
      EXPECT_NE(report.find(GetParam() + ": " + std::to_string(tt::num_cols(t)) + " columns (block "
                            "statistics on the device"), std::string::npos) << report;
      EXPECT_EQ(last, dev_index);
    } else {
      EXPECT_NE(report.find("cpu:0: "), std::string::npos) << report;
    }
  }
};

TEST_P(DescribeDevice, EveryTypeEverySizeEqualsCpu) {
  auto types = numeric_types();
  // empty, one row, a byte of validity, a block (2048) and the parts' edges (65536)
  int64_t sizes[] = {0, 1, 7, 9, 2047, 2048, 2049, 6151, 65537, 200003};
  uint64_t seed = 3;
  for (int64_t n : sizes) {
    for (double null_rate : {0.0, 0.15}) {
      std::mt19937_64 rng(seed++);
      tt::Owned own;
      TablePtr t(tt::random_table(own, types, n, null_rate, rng));
      add_specials(own, types, n, rng);
      check(t.get(), kPct, std::to_string(n) + " rows, null rate " + std::to_string(null_rate));
    }
  }
}

TEST_P(DescribeDevice, SpecialsReachTheStatistics) {
  // the injected NaN reach the statistics (so the comparison above covers them): the mean is
  // NaN, min and max are not
  auto types = numeric_types();
  std::mt19937_64 rng(8);
  tt::Owned own;
  TablePtr t(tt::random_table(own, types, 5000, 0.1, rng));
  add_specials(own, types, 5000, rng);
  TablePtr d = describe_on(GetParam(), t.get(), kPct);
  size_t f64 = 0;
  for (size_t c = 0; c < types.size(); c++)
    if (types[c] == WEFT_TYPE_FLOAT64) f64 = c + 1;
  weft_column_view v;
  ASSERT_WEFT_OK(weft_table_column(d.get(), f64, &v));
  const double *x = (const double *)v.values + v.offset;
  EXPECT_TRUE(std::isnan(x[2])) << "mean " << x[2];
  EXPECT_EQ(x[4], -INFINITY);                 // min
  EXPECT_TRUE(std::isnan(x[4 + kPct.size()]));  // 100%: NaN ranks above every number
}

TEST_P(DescribeDevice, SlicedTablesStartMidByte) {
  auto types = numeric_types();
  std::mt19937_64 rng(21);
  tt::Owned own;
  TablePtr t(tt::random_table(own, types, 9000, 0.2, rng));
  add_specials(own, types, 9000, rng);
  for (int64_t off : {1, 3, 2049}) {
    weft_table *s = nullptr;
    ASSERT_WEFT_OK(weft_table_slice(t.get(), off, 9000 - off - 5, &s));
    TablePtr sp(s);
    check(sp.get(), kPct, "slice from " + std::to_string(off));
  }
}

TEST_P(DescribeDevice, EdgeColumns) {
  // all NaN, all null, signed zeros only, one value, infinities; no percentiles too
  std::vector<double> nan3{NAN, NAN, NAN}, zeros{-0.0, 0.0, -0.0}, one{42.5, 0, 0},
      inf{INFINITY, -INFINITY, INFINITY};
  std::vector<const double *> data{nan3.data(), zeros.data(), zeros.data(), one.data(), inf.data()};
  uint8_t all_valid = 0x07, none_valid = 0x00, first_valid = 0x01;
  std::vector<const uint8_t *> valid{&all_valid, &none_valid, &all_valid, &first_valid, &all_valid};
  const char *names[] = {"nan", "null", "zeros", "one", "inf"};
  std::vector<weft_column_view> views;
  for (size_t c = 0; c < data.size(); c++) {
    weft_column_view v{};
    v.type = WEFT_TYPE_FLOAT64;
    v.length = 3;
    v.null_count = -1;
    v.values = data[c];
    v.validity = valid[c];
    views.push_back(v);
  }
  weft_table *raw = nullptr;
  ASSERT_WEFT_OK(weft_table_from_columns(views.size(), names, views.data(), nullptr, nullptr, &raw));
  TablePtr t(raw);
  check(t.get(), kPct, "edge columns");
  check(t.get(), {}, "edge columns, no percentiles");
  // the zeros' percentiles are +0.0 on every device, whichever zero the rank lands on
  TablePtr d = describe_on(GetParam(), t.get(), kPct);
  weft_column_view z;
  ASSERT_WEFT_OK(weft_table_column(d.get(), 3, &z));
  for (size_t q = 0; q < kPct.size(); q++)
    EXPECT_FALSE(std::signbit(((const double *)z.values)[z.offset + 5 + (int64_t)q])) << q;
}

TEST_P(DescribeDevice, Utf8ColumnFallsBackOrFailsStrict) {
  if (!on_device) GTEST_SKIP() << "the CPU describes utf8 itself";
  std::vector<weft_type> types{WEFT_TYPE_FLOAT64, WEFT_TYPE_UTF8, WEFT_TYPE_DATE32};
  std::mt19937_64 rng(4);
  tt::Owned own;
  TablePtr t(tt::random_table(own, types, 3000, 0.1, rng));
  std::string report;
  TablePtr got = describe_on(GetParam(), t.get(), kPct, &report, nullptr, 0);
  TablePtr want = describe_on("cpu", t.get(), kPct);
  expect_identical(got.get(), want.get(), "with a utf8 column");
  EXPECT_NE(report.find("column 'c1': fell back to cpu: utf8 min and max"), std::string::npos) << report;
  EXPECT_NE(report.find(GetParam() + ": 2 columns (block statistics"), std::string::npos) << report;
  EXPECT_NE(report.find("cpu:0: 1 column"), std::string::npos) << report;
  TestExec strict(GetParam(), 1);
  weft_table *out = nullptr;
  EXPECT_EQ(weft_table_describe(strict.e, t.get(), kPct.size(), kPct.data(), &out), WEFT_ERR_UNSUPPORTED);
  EXPECT_EQ(out, nullptr);
  EXPECT_NE(std::string(weft_last_error()).find("column 'c1'"), std::string::npos) << weft_last_error();
}

TEST_P(DescribeDevice, MemoryCapSlicesOrFallsBack) {
  if (!on_device) GTEST_SKIP() << "the CPU has no device memory cap to exceed";
  std::vector<weft_type> types{WEFT_TYPE_INT64, WEFT_TYPE_BOOL, WEFT_TYPE_FLOAT32};
  std::mt19937_64 rng(6);
  tt::Owned own;
  TablePtr t(tt::random_table(own, types, 20011, 0.1, rng));
  weft_device_info info;
  ASSERT_WEFT_OK(weft_device_get_info(dev_index, &info));
  // room for three blocks of int64 at a time: ten blocks go up in four slices
  ASSERT_WEFT_OK(weft_device_set_memory_limit(dev_index, info.memory_used_bytes + 3 * 17000));
  check(t.get(), {}, "three blocks a slice");
  // not one block: every column falls back (strict: the error)
  ASSERT_WEFT_OK(weft_device_set_memory_limit(dev_index, info.memory_used_bytes + 1024));
  std::string report;
  TablePtr got = describe_on(GetParam(), t.get(), kPct, &report, nullptr, 0);
  TablePtr want = describe_on("cpu", t.get(), kPct);
  expect_identical(got.get(), want.get(), "cap below a block");
  EXPECT_NE(report.find("column 'c0': fell back to cpu: device " + GetParam()), std::string::npos) << report;
  {
    TestExec strict(GetParam(), 1);
    weft_table *out = nullptr;
    EXPECT_EQ(weft_table_describe(strict.e, t.get(), 0, nullptr, &out), WEFT_ERR_DEVICE_MEMORY);
    EXPECT_EQ(out, nullptr);
    EXPECT_NE(std::string(weft_last_error()).find("limit"), std::string::npos) << weft_last_error();
  }
  ASSERT_WEFT_OK(weft_device_set_memory_limit(dev_index, 0));
  ASSERT_WEFT_OK(weft_device_get_info(dev_index, &info));
  EXPECT_EQ(info.memory_used_bytes, 0u) << "describe left device memory accounted";
}

INSTANTIATE_TEST_SUITE_P(Devices, DescribeDevice, ::testing::ValuesIn(all_device_params()), param_name);

TEST(DescribeAuto, SmallInputStaysOnCpu) {
  std::mt19937_64 rng(2);
  tt::Owned own;
  TablePtr t(tt::random_table(own, {WEFT_TYPE_FLOAT64}, 1000, 0.1, rng));
  std::string report;
  size_t last = 999;
  TablePtr d = describe_on("auto", t.get(), kPct, &report, &last, 0);
  EXPECT_NE(report.find("weft_table_describe: 1000 rows, 1 column"), std::string::npos) << report;
  EXPECT_NE(report.find("auto, small input (1000 rows"), std::string::npos) << report;
  EXPECT_NE(report.find("cpu:0: 1 column, 7 percentiles by selection"), std::string::npos) << report;
  EXPECT_EQ(last, 0u);
}

}  // namespace
