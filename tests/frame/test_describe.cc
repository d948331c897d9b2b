// weft_table_describe against a float64 reference computed here from the same values: random
// columns of every number type with nulls and NaN, sizes around the block and part edges,
// empty and one-row tables, bool, dates, timestamps, utf8, percentiles, slices and errors.
#include <algorithm>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "table_helpers.h"
#include "test_support.h"

namespace {

// One column of a table built here: its values as doubles (the reference) and the buffers
// weft reads.
struct RefCol {
  std::string name;
  weft_type type = WEFT_TYPE_FLOAT64;
  std::vector<double> x;     // value of each row (ignored where null)
  std::vector<bool> valid;   // per row
  std::vector<uint8_t> values, validity;
  std::vector<int32_t> offsets;
  std::string data;          // utf8 bytes
  std::vector<std::string> strings;
};

using tt::width;  // bytes of a fixed-width value (table_helpers.h)

template <typename T>
void put(std::vector<uint8_t> &b, size_t i, T v) {
  memcpy(b.data() + i * sizeof(T), &v, sizeof(T));
}

// A random numeric column: `null_rate` nulls, `nan_rate` NaN (floats), values that are exact
// in the column's type so the reference sees what weft sees.
RefCol number_col(const std::string &name, weft_type t, size_t n, double null_rate,
                  double nan_rate, std::mt19937_64 &rng) {
  RefCol c;
  c.name = name;
  c.type = t;
  c.valid = random_valid(n, null_rate, rng);
  c.x.resize(n);
  c.values.assign(n * width(t) + 8, 0);
  std::bernoulli_distribution is_nan(nan_rate);
  std::uniform_int_distribution<int64_t> small(-100, 100);
  std::uniform_int_distribution<uint64_t> any;
  std::normal_distribution<double> normal(1e3, 250.0);
  for (size_t i = 0; i < n; i++) {
    switch (t) {
      case WEFT_TYPE_INT8: { int8_t v = (int8_t)small(rng); put(c.values, i, v); c.x[i] = v; break; }
      case WEFT_TYPE_INT16: { int16_t v = (int16_t)(small(rng) * 300); put(c.values, i, v); c.x[i] = v; break; }
      case WEFT_TYPE_INT32: { int32_t v = (int32_t)(any(rng) % 2000001) - 1000000; put(c.values, i, v); c.x[i] = v; break; }
      case WEFT_TYPE_INT64: { int64_t v = (int64_t)(any(rng) >> 20) - ((int64_t)1 << 43); put(c.values, i, v); c.x[i] = (double)v; break; }
      case WEFT_TYPE_UINT8: { uint8_t v = (uint8_t)any(rng); put(c.values, i, v); c.x[i] = v; break; }
      case WEFT_TYPE_UINT16: { uint16_t v = (uint16_t)(any(rng) % 7); put(c.values, i, v); c.x[i] = v; break; }
      case WEFT_TYPE_UINT32: { uint32_t v = (uint32_t)any(rng); put(c.values, i, v); c.x[i] = v; break; }
      case WEFT_TYPE_UINT64: { uint64_t v = any(rng); put(c.values, i, v); c.x[i] = (double)v; break; }
      case WEFT_TYPE_FLOAT32: {
        float v = is_nan(rng) ? NAN : (float)normal(rng);
        put(c.values, i, v);
        c.x[i] = v;
        break;
      }
      default: {
        double v = is_nan(rng) ? NAN : normal(rng);
        put(c.values, i, v);
        c.x[i] = v;
      }
    }
  }
  c.validity = pack_bits(c.valid);
  return c;
}

RefCol double_col(const std::string &name, const std::vector<std::optional<double>> &v) {
  RefCol c;
  c.name = name;
  c.type = WEFT_TYPE_FLOAT64;
  c.values.assign(v.size() * 8 + 8, 0);
  for (size_t i = 0; i < v.size(); i++) {
    c.valid.push_back(v[i].has_value());
    c.x.push_back(v[i].value_or(0));
    put(c.values, i, c.x[i]);
  }
  c.validity = pack_bits(c.valid);
  return c;
}

RefCol bool_col(const std::string &name, const std::vector<std::optional<bool>> &v) {
  RefCol c;
  c.name = name;
  c.type = WEFT_TYPE_BOOL;
  c.values.assign(v.size() / 8 + 2, 0);
  for (size_t i = 0; i < v.size(); i++) {
    c.valid.push_back(v[i].has_value());
    c.x.push_back(v[i].value_or(false) ? 1 : 0);
    if (v[i].value_or(false)) c.values[i / 8] |= (uint8_t)(1u << (i % 8));
  }
  c.validity = pack_bits(c.valid);
  return c;
}

RefCol int_col(const std::string &name, weft_type t, const std::vector<std::optional<int64_t>> &v) {
  RefCol c;
  c.name = name;
  c.type = t;
  c.values.assign(v.size() * 8 + 8, 0);
  for (size_t i = 0; i < v.size(); i++) {
    c.valid.push_back(v[i].has_value());
    c.x.push_back((double)v[i].value_or(0));
    if (width(t) == 4) put(c.values, i, (int32_t)v[i].value_or(0));
    else put(c.values, i, (int64_t)v[i].value_or(0));
  }
  c.validity = pack_bits(c.valid);
  return c;
}

RefCol utf8_col(const std::string &name, const std::vector<std::optional<std::string>> &v) {
  RefCol c;
  c.name = name;
  c.type = WEFT_TYPE_UTF8;
  c.offsets.push_back(0);
  for (const auto &s : v) {
    c.valid.push_back(s.has_value());
    c.strings.push_back(s.value_or(""));
    c.data += s.value_or("");
    c.offsets.push_back((int32_t)c.data.size());
  }
  c.validity = pack_bits(c.valid);
  return c;
}

// A table over the columns' memory (which must outlive it).
weft_table *make_table(std::vector<RefCol> &cols, size_t n) {
  std::vector<weft_column_view> views;
  std::vector<const char *> names;
  for (RefCol &c : cols) {
    weft_column_view v{};
    v.type = c.type;
    v.length = (int64_t)n;
    v.null_count = -1;
    bool all_valid = std::all_of(c.valid.begin(), c.valid.end(), [](bool b) { return b; });
    v.validity = all_valid ? nullptr : c.validity.data();  // both paths: with and without
    v.values = c.type == WEFT_TYPE_UTF8 ? (const void *)c.offsets.data() : (const void *)c.values.data();
    v.data = c.type == WEFT_TYPE_UTF8 ? c.data.c_str() : nullptr;
    views.push_back(v);
    names.push_back(c.name.c_str());
  }
  weft_table *t = nullptr;
  weft_status st = weft_table_from_columns(cols.size(), names.data(), views.data(), nullptr, nullptr, &t);
  EXPECT_EQ(st, WEFT_OK) << weft_last_error();
  return t;
}

struct TableFree {
  void operator()(weft_table *t) const { weft_table_free(t); }
};
using TablePtr = std::unique_ptr<weft_table, TableFree>;

TablePtr describe(const weft_table *t, std::vector<double> pct = {0.25, 0.5, 0.75}) {
  weft_table *out = nullptr;
  weft_status st = weft_table_describe(nullptr, t, pct.size(), pct.data(), &out);
  EXPECT_EQ(st, WEFT_OK) << weft_last_error();
  return TablePtr(out);
}

using Cell = std::optional<double>;  // nullopt = null

// The float64 reference: what Polars' describe gives for a numeric column.
std::vector<Cell> reference(const RefCol &c, const std::vector<double> &pct, bool is_bool = false,
                            bool is_f32 = false) {
  std::vector<double> v;
  size_t nulls = 0, nan = 0;
  for (size_t i = 0; i < c.x.size(); i++) {
    if (!c.valid[i]) nulls++;
    else if (std::isnan(c.x[i])) nan++;
    else v.push_back(c.x[i]);
  }
  size_t valid = v.size() + nan;
  std::vector<Cell> out{(double)valid, (double)nulls};
  if (valid == 0) {
    out.resize(6 + pct.size());
    return out;
  }
  // two passes in long double: an independent, more precise mean and M2
  long double sum = 0;
  for (double x : v) sum += x;
  long double mean = v.empty() ? 0 : sum / (long double)v.size(), m2 = 0;
  for (double x : v) m2 += ((long double)x - mean) * ((long double)x - mean);
  double m = nan ? NAN : (double)mean;
  double sd = nan ? NAN : std::sqrt((double)(m2 / (long double)(valid - 1)));
  if (is_f32) m = (float)m, sd = (float)sd;
  out.push_back(m);
  out.push_back(is_bool || valid < 2 ? Cell() : Cell(sd));
  std::sort(v.begin(), v.end());
  out.push_back(v.empty() ? NAN : v.front());
  std::vector<double> sorted_pct = pct;
  std::sort(sorted_pct.begin(), sorted_pct.end());
  for (double q : sorted_pct) {
    size_t k = (size_t)std::llround((double)(valid - 1) * q);
    out.push_back(is_bool ? Cell() : Cell(k < v.size() ? v[k] : NAN));
  }
  out.push_back(v.empty() ? NAN : v.back());
  return out;
}

std::vector<Cell> float_cells(const weft_table *t, size_t c) {
  weft_column_view v;
  EXPECT_EQ(weft_table_column(t, c, &v), WEFT_OK);
  EXPECT_EQ(v.type, WEFT_TYPE_FLOAT64);
  std::vector<Cell> out;
  for (int64_t r = 0; r < v.length; r++) {
    int64_t i = v.offset + r;
    if (v.validity && !bit(v.validity, (size_t)i)) out.push_back(std::nullopt);
    else out.push_back(((const double *)v.values)[i]);
  }
  return out;
}

std::vector<std::optional<std::string>> text_cells(const weft_table *t, size_t c) {
  weft_column_view v;
  EXPECT_EQ(weft_table_column(t, c, &v), WEFT_OK);
  EXPECT_EQ(v.type, WEFT_TYPE_UTF8);
  std::vector<std::optional<std::string>> out;
  const int32_t *o = (const int32_t *)v.values;
  for (int64_t r = 0; r < v.length; r++) {
    int64_t i = v.offset + r;
    if (v.validity && !bit(v.validity, (size_t)i)) out.push_back(std::nullopt);
    else out.push_back(std::string(v.data + o[i], (size_t)(o[i + 1] - o[i])));
  }
  return out;
}

std::string show(const Cell &c) { return c ? std::to_string(*c) : std::string("null"); }

// Same nulls, NaN where NaN; means and stds within a relative 1e-12 (float32 ones rounded to
// float32 on both sides: one float32 ulp); counts, min, max and percentiles exact.
void expect_close(const std::vector<Cell> &got, const std::vector<Cell> &want, const std::string &what,
                  bool is_f32 = false) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t r = 0; r < got.size(); r++) {
    SCOPED_TRACE(what + " row " + std::to_string(r));
    ASSERT_EQ(got[r].has_value(), want[r].has_value()) << show(got[r]) << " vs " << show(want[r]);
    if (!got[r]) continue;
    double g = *got[r], w = *want[r];
    if (std::isnan(w)) {
      EXPECT_TRUE(std::isnan(g)) << g;
    } else if (r == 2 || r == 3) {
      double tol = is_f32 ? 2e-7 * std::fabs(w) : 1e-12 * std::fabs(w) + 1e-300;
      EXPECT_NEAR(g, w, tol);
      if (is_f32) {
        EXPECT_EQ((double)(float)g, g) << "float32 mean and std are float32 values";
      }
    } else {
      EXPECT_EQ(g, w);
    }
  }
}

std::vector<std::string> stat_names(const std::vector<double> &sorted_pct) {
  std::vector<std::string> s{"count", "null_count", "mean", "std", "min"};
  for (double q : sorted_pct) {
    char buf[32];
    snprintf(buf, sizeof buf, "%g%%", q * 100);
    s.push_back(buf);
  }
  s.push_back("max");
  return s;
}

void expect_statistic_column(const weft_table *out, const std::vector<double> &sorted_pct) {
  const char *name = nullptr;
  ASSERT_WEFT_OK(weft_table_column_name(out, 0, &name));
  EXPECT_STREQ(name, "statistic");
  std::vector<std::optional<std::string>> want;
  for (const auto &s : stat_names(sorted_pct)) want.push_back(s);
  EXPECT_EQ(text_cells(out, 0), want);
}

const weft_type kNumberTypes[] = {WEFT_TYPE_INT8,   WEFT_TYPE_INT16,  WEFT_TYPE_INT32,
                                  WEFT_TYPE_INT64,  WEFT_TYPE_UINT8,  WEFT_TYPE_UINT16,
                                  WEFT_TYPE_UINT32, WEFT_TYPE_UINT64, WEFT_TYPE_FLOAT32,
                                  WEFT_TYPE_FLOAT64};

void check_random(size_t n, uint64_t seed, double null_rate) {
  SCOPED_TRACE("rows " + std::to_string(n));
  std::mt19937_64 rng(seed);
  std::vector<RefCol> cols;
  for (weft_type t : kNumberTypes)
    cols.push_back(number_col(std::string("c_") + weft_type_name(t), t, n, null_rate, 0.01, rng));
  TablePtr t(make_table(cols, n));
  std::vector<double> pct{0.25, 0.5, 0.75};
  TablePtr out = describe(t.get(), pct);
  ASSERT_TRUE(out);
  int64_t rows = 0;
  size_t ncols = 0;
  ASSERT_WEFT_OK(weft_table_num_rows(out.get(), &rows));
  ASSERT_WEFT_OK(weft_table_num_columns(out.get(), &ncols));
  EXPECT_EQ(rows, 9);
  ASSERT_EQ(ncols, cols.size() + 1);
  expect_statistic_column(out.get(), pct);
  for (size_t c = 0; c < cols.size(); c++) {
    bool f32 = cols[c].type == WEFT_TYPE_FLOAT32;
    expect_close(float_cells(out.get(), c + 1), reference(cols[c], pct, false, f32), cols[c].name, f32);
  }
}

TEST(TableDescribe, RandomNumbersEverySize) {
  // empty, one row, around a byte of validity, a block (2048) and a part (65536)
  size_t sizes[] = {0, 1, 2, 3, 7, 9, 17, 100, 2047, 2049, 4097, 65535, 65537, 300007};
  uint64_t seed = 11;
  for (size_t n : sizes) check_random(n, seed++, 0.2);
  check_random(5003, 99, 0.0);   // no nulls
  check_random(5003, 98, 0.97);  // nearly all null
}

TEST(TableDescribe, LargeTableUsesPartsAndIsDeterministic) {
  const size_t n = 1000003;
  std::mt19937_64 rng(5);
  std::vector<RefCol> cols{number_col("f", WEFT_TYPE_FLOAT64, n, 0.1, 0.0, rng),
                           number_col("i", WEFT_TYPE_INT32, n, 0.1, 0.0, rng)};
  TablePtr t(make_table(cols, n));
  std::vector<double> pct{0.01, 0.25, 0.5, 0.75, 0.99};
  TablePtr a = describe(t.get(), pct), b = describe(t.get(), pct);
  for (size_t c = 0; c < cols.size(); c++) {
    std::vector<Cell> ga = float_cells(a.get(), c + 1), gb = float_cells(b.get(), c + 1);
    expect_close(ga, reference(cols[c], pct), cols[c].name);
    for (size_t r = 0; r < ga.size(); r++)  // the same bits on every run
      EXPECT_EQ(memcmp(&*ga[r], &*gb[r], sizeof(double)), 0) << "row " << r;
  }
}

TEST(TableDescribe, NanNullsInfinityAndEdgeColumns) {
  std::vector<RefCol> cols{
      double_col("nan_mix", {1.0, std::nullopt, NAN, 4.0}),
      double_col("all_nan", {NAN, NAN, std::nullopt, NAN}),
      double_col("all_null", {std::nullopt, std::nullopt, std::nullopt, std::nullopt}),
      double_col("one", {std::nullopt, 7.5, std::nullopt, std::nullopt}),
      double_col("inf", {1.0, INFINITY, 2.0, std::nullopt}),
      double_col("both_inf", {-INFINITY, INFINITY, 2.0, 3.0}),
  };
  TablePtr t(make_table(cols, 4));
  TablePtr out = describe(t.get());
  std::vector<double> pct{0.25, 0.5, 0.75};
  // what Polars gives for these (checked with polars 2.1)
  std::vector<Cell> nan_mix{3.0, 1.0, NAN, NAN, 1.0, 4.0, 4.0, NAN, 4.0};
  expect_close(float_cells(out.get(), 1), nan_mix, "nan_mix");
  std::vector<Cell> all_nan{3.0, 1.0, NAN, NAN, NAN, NAN, NAN, NAN, NAN};
  expect_close(float_cells(out.get(), 2), all_nan, "all_nan");
  std::vector<Cell> all_null{0.0, 4.0, {}, {}, {}, {}, {}, {}, {}};
  expect_close(float_cells(out.get(), 3), all_null, "all_null");
  std::vector<Cell> one{1.0, 3.0, 7.5, {}, 7.5, 7.5, 7.5, 7.5, 7.5};
  expect_close(float_cells(out.get(), 4), one, "one");
  std::vector<Cell> inf{3.0, 1.0, INFINITY, NAN, 1.0, 2.0, 2.0, INFINITY, INFINITY};
  std::vector<Cell> got = float_cells(out.get(), 5);
  ASSERT_EQ(got.size(), inf.size());
  EXPECT_EQ(*got[2], INFINITY);
  EXPECT_TRUE(std::isnan(*got[3]));
  for (size_t r : {0, 1, 4, 5, 6, 7, 8}) EXPECT_EQ(*got[r], *inf[r]) << "row " << r;
  got = float_cells(out.get(), 6);
  EXPECT_TRUE(std::isnan(*got[2]));  // inf - inf
  EXPECT_EQ(*got[4], -INFINITY);
  EXPECT_EQ(*got[8], INFINITY);
  for (size_t c = 0; c < cols.size(); c++)
    if (c != 4 && c != 5) expect_close(float_cells(out.get(), c + 1), reference(cols[c], pct), cols[c].name);
}

TEST(TableDescribe, EmptyTableAndNoColumns) {
  std::vector<RefCol> cols{double_col("f", {}), bool_col("b", {}), utf8_col("s", {}),
                           int_col("d", WEFT_TYPE_DATE32, {})};
  TablePtr t(make_table(cols, 0));
  TablePtr out = describe(t.get());
  std::vector<Cell> want{0.0, 0.0, {}, {}, {}, {}, {}, {}, {}};
  expect_close(float_cells(out.get(), 1), want, "f");
  expect_close(float_cells(out.get(), 2), want, "b");
  std::vector<std::optional<std::string>> text{"0", "0", {}, {}, {}, {}, {}, {}, {}};
  EXPECT_EQ(text_cells(out.get(), 3), text);
  EXPECT_EQ(text_cells(out.get(), 4), text);

  // no columns at all: the statistic column alone (Polars raises instead)
  weft_table *none = nullptr;
  ASSERT_WEFT_OK(weft_table_from_columns(0, nullptr, nullptr, nullptr, nullptr, &none));
  TablePtr empty(none);
  TablePtr out2 = describe(empty.get());
  size_t ncols = 0;
  ASSERT_WEFT_OK(weft_table_num_columns(out2.get(), &ncols));
  EXPECT_EQ(ncols, 1u);
  expect_statistic_column(out2.get(), {0.25, 0.5, 0.75});
}

TEST(TableDescribe, BoolDatesTimestampsStrings) {
  const int64_t us = 1000000;
  std::vector<RefCol> cols{
      bool_col("b", {true, false, std::nullopt, true}),
      int_col("d", WEFT_TYPE_DATE32, {18262, 18263, std::nullopt, 18266}),  // 2020-01-01, 02, 05
      int_col("t", WEFT_TYPE_TIMESTAMP_US,
              {1577836800 * us + 1, 1577836800 * us + 2, std::nullopt, 1614575167 * us}),
      utf8_col("s", {std::string("b"), std::string("a"), std::nullopt, std::string("\xC3\xA9")}),
      int_col("neg", WEFT_TYPE_TIMESTAMP_US, {-1, -2, std::nullopt, std::nullopt}),
  };
  TablePtr t(make_table(cols, 4));
  TablePtr out = describe(t.get());
  std::vector<Cell> b{3.0, 1.0, 2.0 / 3.0, {}, 0.0, {}, {}, {}, 1.0};
  expect_close(float_cells(out.get(), 1), b, "b");
  using S = std::vector<std::optional<std::string>>;
  // Polars 2.1's describe() of the same columns
  EXPECT_EQ(text_cells(out.get(), 2),
            (S{"3", "1", "2020-01-02 16:00:00", {}, "2020-01-01", "2020-01-02", "2020-01-02",
               "2020-01-05", "2020-01-05"}));
  EXPECT_EQ(text_cells(out.get(), 3),
            (S{"3", "1", "2020-05-21 17:42:02.333334", {}, "2020-01-01 00:00:00.000001",
               "2020-01-01 00:00:00.000002", "2020-01-01 00:00:00.000002", "2021-03-01 05:06:07",
               "2021-03-01 05:06:07"}));
  EXPECT_EQ(text_cells(out.get(), 4), (S{"3", "1", {}, {}, "a", {}, {}, {}, "\xC3\xA9"}));
  // negative: the mean -1.5 truncates toward zero, times of day count from midnight
  EXPECT_EQ(text_cells(out.get(), 5),
            (S{"2", "2", "1969-12-31 23:59:59.999999", {}, "1969-12-31 23:59:59.999998",
               "1969-12-31 23:59:59.999998", "1969-12-31 23:59:59.999999",
               "1969-12-31 23:59:59.999999", "1969-12-31 23:59:59.999999"}));
}

TEST(TableDescribe, PercentilesSortedAndNamed) {
  std::mt19937_64 rng(3);
  std::vector<RefCol> cols{number_col("x", WEFT_TYPE_FLOAT64, 1001, 0.1, 0.0, rng),
                           number_col("k", WEFT_TYPE_UINT16, 1001, 0.1, 0.0, rng)};
  TablePtr t(make_table(cols, 1001));
  std::vector<double> pct{0.9, 0.1, 0.0, 1.0, 0.5, 0.333};
  TablePtr out = describe(t.get(), pct);
  std::vector<double> sorted = pct;
  std::sort(sorted.begin(), sorted.end());
  expect_statistic_column(out.get(), sorted);
  std::vector<std::optional<std::string>> names = text_cells(out.get(), 0);
  EXPECT_EQ(*names[5], "0%");
  EXPECT_EQ(*names[7], "33.3%");
  for (size_t c = 0; c < cols.size(); c++)
    expect_close(float_cells(out.get(), c + 1), reference(cols[c], pct), cols[c].name);
  // no percentiles
  weft_table *none = nullptr;
  ASSERT_WEFT_OK(weft_table_describe(nullptr, t.get(), 0, nullptr, &none));
  TablePtr p0(none);
  expect_statistic_column(p0.get(), {});
  expect_close(float_cells(p0.get(), 1), reference(cols[0], {}), "x");
}

TEST(TableDescribe, SlicedTable) {
  std::mt19937_64 rng(8);
  const size_t n = 70001;
  std::vector<RefCol> cols{number_col("x", WEFT_TYPE_FLOAT32, n, 0.3, 0.05, rng),
                           number_col("y", WEFT_TYPE_INT64, n, 0.3, 0.0, rng)};
  TablePtr t(make_table(cols, n));
  weft_table *s = nullptr;
  const size_t off = 13, len = 66003;  // not on a byte of the validity bitmap
  ASSERT_WEFT_OK(weft_table_slice(t.get(), (int64_t)off, (int64_t)len, &s));
  TablePtr sliced(s);
  TablePtr out = describe(sliced.get());
  for (size_t c = 0; c < cols.size(); c++) {
    RefCol part = cols[c];
    part.x.assign(cols[c].x.begin() + off, cols[c].x.begin() + off + len);
    part.valid.assign(cols[c].valid.begin() + off, cols[c].valid.begin() + off + len);
    bool f32 = part.type == WEFT_TYPE_FLOAT32;
    expect_close(float_cells(out.get(), c + 1), reference(part, {0.25, 0.5, 0.75}, false, f32),
                 part.name, f32);
  }
}

TEST(TableDescribe, ReportsCpu) {
  std::vector<RefCol> cols{double_col("x", {1.0, 2.0})};
  TablePtr t(make_table(cols, 2));
  weft_exec *ex = nullptr;
  ASSERT_WEFT_OK(weft_exec_create(&ex));
  weft_table *out = nullptr;
  ASSERT_WEFT_OK(weft_table_describe(ex, t.get(), 0, nullptr, &out));
  const char *report = nullptr;
  ASSERT_WEFT_OK(weft_exec_report(ex, &report));
  EXPECT_NE(std::string(report).find("weft_table_describe"), std::string::npos) << report;
  EXPECT_NE(std::string(report).find("cpu:0"), std::string::npos) << report;
  weft_table_free(out);
  weft_exec_free(ex);
}

TEST(TableDescribe, Errors) {
  std::vector<RefCol> cols{double_col("x", {1.0, 2.0})};
  TablePtr t(make_table(cols, 2));
  weft_table *out = nullptr;
  double bad[] = {0.5, 1.5};
  EXPECT_EQ(weft_table_describe(nullptr, t.get(), 2, bad, &out), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(weft_last_error()).find("percentiles[1] = 1.5"), std::string::npos)
      << weft_last_error();
  EXPECT_EQ(out, nullptr);
  double nan_pct[] = {NAN};
  EXPECT_EQ(weft_table_describe(nullptr, t.get(), 1, nan_pct, &out), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(weft_table_describe(nullptr, t.get(), 2, nullptr, &out), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(weft_last_error()).find("percentiles is NULL"), std::string::npos);
  EXPECT_EQ(weft_table_describe(nullptr, nullptr, 0, nullptr, &out), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(weft_last_error()).find("table is NULL"), std::string::npos);
  EXPECT_EQ(weft_table_describe(nullptr, t.get(), 0, nullptr, nullptr), WEFT_ERR_INVALID_ARGUMENT);
  std::vector<RefCol> clash{double_col("statistic", {1.0})};
  TablePtr t2(make_table(clash, 1));
  EXPECT_EQ(weft_table_describe(nullptr, t2.get(), 0, nullptr, &out), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(weft_last_error()).find("\"statistic\""), std::string::npos);
  EXPECT_EQ(out, nullptr);
}

}  // namespace
