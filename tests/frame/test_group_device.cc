// group_by and unique on every device found (cpu, opencl:0, cuda:0; an absent one skips with
// its reason): the device's result equals the CPU's (float sums, means, std and var within
// 1e-12 relative, everything else exactly: groups, their order, first rows, counts, integer
// sums, min/max with NaN and nulls, first/last) and the plain reference of group_ref_helpers.h.
#include <algorithm>
#include <cstring>

#include "group_ref_helpers.h"

using gs::Cell;
using gs::Col;

namespace {

class GroupDevice : public ::testing::TestWithParam<std::string> {};

const weft_agg_kind kAllKinds[] = {WEFT_AGG_SUM,   WEFT_AGG_MEAN,  WEFT_AGG_MIN,   WEFT_AGG_MAX,
                                   WEFT_AGG_COUNT, WEFT_AGG_N_UNIQUE, WEFT_AGG_STD, WEFT_AGG_VAR,
                                   WEFT_AGG_FIRST, WEFT_AGG_LAST,  WEFT_AGG_LEN};

bool float_sum_like(weft_agg_kind k) {
  return k == WEFT_AGG_SUM || k == WEFT_AGG_MEAN || k == WEFT_AGG_STD || k == WEFT_AGG_VAR;
}

// utf8 cells of at most 7 bytes (what a device groups), some empty.
std::vector<Cell> short_strings(size_t n, double null_rate, int distinct, std::mt19937_64 &rng) {
  std::bernoulli_distribution is_null(null_rate);
  std::uniform_int_distribution<int> pick(0, distinct - 1);
  std::vector<Cell> out(n);
  for (size_t i = 0; i < n; i++) {
    if (is_null(rng)) continue;
    int k = pick(rng);
    out[i] = k % 17 == 0 ? std::string() : "s" + std::to_string(k % 1000000);
  }
  return out;
}

std::vector<Cell> key_cells(weft_type t, size_t n, int distinct, std::mt19937_64 &rng) {
  if (t == WEFT_TYPE_UTF8) return short_strings(n, 0.1, distinct, rng);
  std::vector<Cell> c = gs::random_cells(t, n, 0.1, distinct, rng);
  if (gs::is_float(t)) {  // -0.0 next to 0.0, NaN of both signs
    for (size_t i = 0; i < n; i++) {
      if (i % 7 == 3) c[i] = std::string(i % 2 ? "-0" : "0");
      else if (i % 11 == 5) c[i] = std::string(i % 2 ? "-nan" : "nan");
    }
  }
  return c;
}

// Key columns k0.. of `key_types`, then value columns of several types and an all-null one.
std::vector<Col> make_table(const std::vector<weft_type> &key_types, size_t n, int distinct,
                            uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<Col> cols;
  for (size_t k = 0; k < key_types.size(); k++)
    cols.push_back({"k" + std::to_string(k), key_types[k], key_cells(key_types[k], n, distinct, rng)});
  for (weft_type t : {WEFT_TYPE_FLOAT64, WEFT_TYPE_INT64, WEFT_TYPE_BOOL, WEFT_TYPE_UINT64,
                      WEFT_TYPE_INT8, WEFT_TYPE_FLOAT32, WEFT_TYPE_DATE32})
    cols.push_back({std::string("v_") + weft_type_name(t), t, gs::random_cells(t, n, 0.2, 1000, rng)});
  cols.push_back({"v_str", WEFT_TYPE_UTF8, short_strings(n, 0.2, 30, rng)});
  cols.push_back({"v_null", WEFT_TYPE_INT32, std::vector<Cell>(n)});
  return cols;
}

struct Aggs {
  std::vector<weft_expr *> inputs;
  std::vector<std::string> names;
  std::vector<weft_agg> aggs;
  std::vector<size_t> col_of;  // value column of each aggregation
  ~Aggs() {
    for (weft_expr *e : inputs) weft_expr_free(e);
  }
};

// Every kind that applies to each value column (utf8: no min/max, which stay on the CPU).
void every_aggregation(const std::vector<Col> &cols, size_t nkeys, Aggs &a) {
  for (size_t c = nkeys; c < cols.size(); c++) {
    weft_expr *in = nullptr;
    ASSERT_WEFT_OK(weft_expr_column(cols[c].name.c_str(), &in));
    a.inputs.push_back(in);
    weft_type t = cols[c].type;
    for (weft_agg_kind k : kAllKinds) {
      bool number = t != WEFT_TYPE_UTF8 && t != WEFT_TYPE_DATE32;
      if (float_sum_like(k) && !number) continue;
      if ((k == WEFT_AGG_MIN || k == WEFT_AGG_MAX) && t == WEFT_TYPE_UTF8) continue;
      a.names.push_back(cols[c].name + "_" + std::to_string((int)k));
      a.col_of.push_back(c);
    }
  }
  size_t at = 0;
  for (size_t c = nkeys, e = 0; c < cols.size(); c++, e++)
    for (; at < a.col_of.size() && a.col_of[at] == c; at++) {
      weft_agg_kind k = WEFT_AGG_SUM;
      std::string suffix = a.names[at].substr(a.names[at].rfind('_') + 1);
      k = (weft_agg_kind)std::stoi(suffix);
      a.aggs.push_back({k, a.inputs[e], a.names[at].c_str()});
    }
}

std::vector<const char *> key_names(const std::vector<Col> &cols, size_t nkeys) {
  std::vector<const char *> names;
  for (size_t k = 0; k < nkeys; k++) names.push_back(cols[k].name.c_str());
  return names;
}

bool close_to(const Cell &a, const Cell &b, double rel) {
  if (!a || !b) return a == b;
  double x = std::stod(*a), y = std::stod(*b);
  if (std::isnan(x) || std::isnan(y)) return std::isnan(x) && std::isnan(y);
  return std::fabs(x - y) <= rel * std::max(std::fabs(x), std::fabs(y));
}

bool close_rel(const Cell &a, const Cell &b) { return close_to(a, b, 1e-12); }

// group_by on the device and on the CPU: equal (see the file comment), deterministic, and
// equal to the reference.
void check_group_by(const std::string &device, const std::vector<Col> &cols, size_t nkeys,
                    bool reference = true) {
  size_t idx;
  WEFT_REQUIRE_DEVICE(device, idx);
  auto b = jc::build(cols);
  Aggs a;
  every_aggregation(cols, nkeys, a);
  auto keys = key_names(cols, nkeys);
  TestExec dev(device), cpu("cpu");
  weft_table *on_dev = nullptr, *again = nullptr, *on_cpu = nullptr;
  ASSERT_WEFT_OK(weft_table_group_by(dev.e, b->table, nkeys, keys.data(), a.aggs.size(),
                                     a.aggs.data(), &on_dev));
  std::string report = dev.report();
  ASSERT_WEFT_OK(weft_table_group_by(dev.e, b->table, nkeys, keys.data(), a.aggs.size(),
                                     a.aggs.data(), &again));
  ASSERT_WEFT_OK(weft_table_group_by(cpu.e, b->table, nkeys, keys.data(), a.aggs.size(),
                                     a.aggs.data(), &on_cpu));
  size_t n = cols[0].cells.size();
  if (device != "cpu" && n > 0) {
    EXPECT_NE(report.find(device + " grouped"), std::string::npos) << report;
    EXPECT_NE(report.find("aggregations on " + device + ", 0 on cpu:0"), std::string::npos) << report;
    EXPECT_EQ(dev.last_device(), idx);
  }
  jc::Rows got = jc::rows_of(on_dev), rerun = jc::rows_of(again), want = jc::rows_of(on_cpu);
  EXPECT_EQ(got, rerun) << "two runs on " << device << " differ";
  ASSERT_EQ(got.size(), want.size());
  for (size_t j = 0; j < got.size(); j++)
    for (size_t c = 0; c < got[j].size(); c++) {
      bool loose = c >= nkeys && float_sum_like(a.aggs[c - nkeys].kind) &&
                   (gs::is_float(cols[a.col_of[c - nkeys]].type) || a.aggs[c - nkeys].kind != WEFT_AGG_SUM);
      EXPECT_TRUE(loose ? close_rel(got[j][c], want[j][c]) : got[j][c] == want[j][c])
          << "group " << j << " column " << c << ": " << device << " " << jc::show(got[j][c])
          << ", cpu " << jc::show(want[j][c]);
      if (::testing::Test::HasFailure()) break;
    }
  if (reference) {
    std::vector<size_t> kidx;
    for (size_t k = 0; k < nkeys; k++) kidx.push_back(k);
    gs::RefGroups g = gs::ref_groups(cols, kidx, n);
    ASSERT_EQ(got.size(), g.rows.size());
    for (size_t j = 0; j < g.rows.size() && !::testing::Test::HasFailure(); j++) {
      for (size_t k = 0; k < nkeys; k++) EXPECT_EQ(got[j][k], cols[k].cells[g.first[j]]);
      for (size_t x = 0; x < a.aggs.size(); x++) {
        const Col &v = cols[a.col_of[x]];
        std::vector<Cell> cells;
        for (size_t r : g.rows[j]) cells.push_back(v.cells[r]);
        weft_column_view ov;
        ASSERT_WEFT_OK(weft_table_column(on_dev, nkeys + x, &ov));
        Cell w = gs::ref_agg(a.aggs[x].kind, v.type, cells);
        // Welford (weft) against two passes (the reference) over values near 2^63: std and
        // var agree to ~1e-9 only
        bool spread = a.aggs[x].kind == WEFT_AGG_STD || a.aggs[x].kind == WEFT_AGG_VAR;
        EXPECT_TRUE(spread ? close_to(got[j][nkeys + x], w, 1e-6) : gs::near_cell(got[j][nkeys + x], w, ov.type))
            << a.names[x] << " group " << j << ": got " << jc::show(got[j][nkeys + x]) << ", want "
            << jc::show(w);
      }
    }
  }
  weft_table_free(on_dev), weft_table_free(again), weft_table_free(on_cpu);
}

void check_unique(const std::string &device, const std::vector<Col> &cols, size_t nkeys) {
  size_t idx;
  WEFT_REQUIRE_DEVICE(device, idx);
  auto b = jc::build(cols);
  auto keys = key_names(cols, nkeys);
  TestExec dev(device), cpu("cpu");
  weft_table *on_dev = nullptr, *on_cpu = nullptr;
  ASSERT_WEFT_OK(weft_table_unique(dev.e, b->table, nkeys, keys.data(), &on_dev));
  if (device != "cpu" && !cols[0].cells.empty()) {
    EXPECT_NE(dev.report().find(device + " grouped"), std::string::npos) << dev.report();
  }
  ASSERT_WEFT_OK(weft_table_unique(cpu.e, b->table, nkeys, keys.data(), &on_cpu));
  EXPECT_EQ(jc::rows_of(on_dev), jc::rows_of(on_cpu));
  std::vector<size_t> kidx;
  for (size_t k = 0; k < nkeys; k++) kidx.push_back(k);
  gs::RefGroups g = gs::ref_groups(cols, kidx, cols[0].cells.size());
  jc::Rows want;
  for (size_t r : g.first) {
    std::vector<Cell> row;
    for (const Col &c : cols) row.push_back(c.cells[r]);
    want.push_back(row);
  }
  EXPECT_EQ(jc::rows_of(on_dev), want);
  weft_table_free(on_dev), weft_table_free(on_cpu);
}

}  // namespace

TEST_P(GroupDevice, EveryKeyTypeEveryAggregation) {
  for (weft_type t : gs::all_types())
    for (size_t n : {0, 1, 1023, 1025})
      for (int distinct : {5, 30000}) {  // 30000: int16 cells stay in range
        SCOPED_TRACE(std::string(weft_type_name(t)) + " n=" + std::to_string(n) +
                     " distinct=" + std::to_string(distinct));
        check_group_by(GetParam(), make_table({t}, n, distinct, 7 * n + (uint64_t)t), 1);
        if (::testing::Test::HasFailure()) return;
      }
}

TEST_P(GroupDevice, LargeFewAndManyGroups) {
  for (weft_type t : {WEFT_TYPE_INT64, WEFT_TYPE_FLOAT64, WEFT_TYPE_UTF8, WEFT_TYPE_UINT64})
    for (int distinct : {50, 1000000}) {
      SCOPED_TRACE(std::string(weft_type_name(t)) + " distinct=" + std::to_string(distinct));
      check_group_by(GetParam(), make_table({t}, 100003, distinct, 99 + (uint64_t)t), 1, distinct == 50);
      if (::testing::Test::HasFailure()) return;
    }
}

TEST_P(GroupDevice, MultiKeyNullKeysAndAllNullColumns) {
  for (size_t n : {1, 1025, 100003}) {
    SCOPED_TRACE("n=" + std::to_string(n));
    auto cols = make_table({WEFT_TYPE_UTF8, WEFT_TYPE_INT16, WEFT_TYPE_BOOL, WEFT_TYPE_FLOAT32},
                           n, 6, 5 + n);
    check_group_by(GetParam(), cols, 4);
    // an all-null key: one group of every row
    auto nulls = make_table({WEFT_TYPE_INT32}, n, 5, 11 + n);
    nulls[0].cells.assign(n, std::nullopt);
    check_group_by(GetParam(), nulls, 1);
  }
}

TEST_P(GroupDevice, UniqueEqualsTheCpu) {
  for (size_t n : {0, 1, 1023, 1025, 100003})
    for (int distinct : {3, 1000000}) {
      SCOPED_TRACE("n=" + std::to_string(n) + " distinct=" + std::to_string(distinct));
      auto cols = make_table({WEFT_TYPE_UTF8, WEFT_TYPE_DATE32, WEFT_TYPE_FLOAT64}, n, distinct, n);
      check_unique(GetParam(), cols, 3);
      check_unique(GetParam(), cols, 1);
      if (::testing::Test::HasFailure()) return;
    }
}

TEST_P(GroupDevice, FallbacksAreReported) {
  std::string device = GetParam();
  size_t idx;
  WEFT_REQUIRE_DEVICE(device, idx);
  if (device == "cpu") GTEST_SKIP() << "the CPU has no fallback";
  auto cols = make_table({WEFT_TYPE_INT64}, 2000, 5, 3);
  for (size_t i = 0; i < cols[0].cells.size(); i += 3) cols[0].cells[i] = "12345678901234";
  cols.push_back({"long", WEFT_TYPE_UTF8, std::vector<Cell>(2000, std::string("longer than 7"))});
  auto b = jc::build(cols);
  weft_expr *s = nullptr;
  ASSERT_WEFT_OK(weft_expr_column("v_str", &s));
  weft_agg mx = {WEFT_AGG_MAX, s, "m"};
  const char *key = "k0", *long_key = "long";
  weft_table *out = nullptr;
  {
    TestExec loose(device, 0);
    ASSERT_WEFT_OK(weft_table_group_by(loose.e, b->table, 1, &key, 1, &mx, &out));
    EXPECT_NE(loose.report().find("m: fell back to cpu: utf8 max of \"m\""), std::string::npos)
        << loose.report();
    weft_table_free(out);
    ASSERT_WEFT_OK(weft_table_unique(loose.e, b->table, 1, &long_key, &out));
    EXPECT_NE(loose.report().find("fell back to cpu: utf8 key longer than 7 bytes"), std::string::npos)
        << loose.report();
    EXPECT_EQ(jc::rows_of(out).size(), 1u);
    weft_table_free(out);
  }
  TestExec strict(device);
  EXPECT_EQ(weft_table_group_by(strict.e, b->table, 1, &key, 1, &mx, &out), WEFT_ERR_UNSUPPORTED);
  EXPECT_NE(std::string(weft_last_error()).find("utf8 max"), std::string::npos) << weft_last_error();
  EXPECT_EQ(weft_table_unique(strict.e, b->table, 1, &long_key, &out), WEFT_ERR_UNSUPPORTED);
  EXPECT_NE(std::string(weft_last_error()).find("longer than 7 bytes"), std::string::npos)
      << weft_last_error();
  weft_expr_free(s);
}

// fuzz_frame_devices found these two: with no keys an empty table is one group of no rows,
// whose last (as first) is null -- the device took row 0 of the empty table; and a min/max
// of only NaN is the CPU's NaN bits (0x7ff8...), not OpenCL's float NAN widened.
TEST_P(GroupDevice, NoKeysOverNoRowsFirstAndLastAreNull) {
  size_t idx;
  WEFT_REQUIRE_DEVICE(GetParam(), idx);
  auto b = jc::build({{"i", WEFT_TYPE_INT64, {}}, {"s", WEFT_TYPE_UTF8, {}}});
  weft_expr *i = nullptr, *s = nullptr;
  ASSERT_WEFT_OK(weft_expr_column("i", &i));
  ASSERT_WEFT_OK(weft_expr_column("s", &s));
  weft_agg aggs[] = {{WEFT_AGG_LAST, i, "li"}, {WEFT_AGG_LAST, s, "ls"}, {WEFT_AGG_FIRST, i, "fi"},
                     {WEFT_AGG_FIRST, s, "fs"}, {WEFT_AGG_LEN, nullptr, "n"}};
  TestExec dev(GetParam());
  weft_table *out = nullptr;
  ASSERT_WEFT_OK(weft_table_group_by(dev.e, b->table, 0, nullptr, 5, aggs, &out));
  if (GetParam() != "cpu") {
    EXPECT_EQ(dev.last_device(), idx) << dev.report();
  }
  jc::Rows want = {{std::nullopt, std::nullopt, std::nullopt, std::nullopt, std::string("0")}};
  EXPECT_EQ(jc::rows_of(out), want) << dev.report();
  weft_table_free(out), weft_expr_free(i), weft_expr_free(s);
}

TEST_P(GroupDevice, MinAndMaxOfOnlyNaNAreTheCpusBits) {
  size_t idx;
  WEFT_REQUIRE_DEVICE(GetParam(), idx);
  auto b = jc::build({{"k", WEFT_TYPE_INT64, {std::string("1"), std::string("2"), std::string("1"),
                                              std::string("3"), std::string("3")}},
                      {"v", WEFT_TYPE_FLOAT64, {std::string("nan"), std::string("1.5"),
                                                std::string("-nan"), std::nullopt, std::string("nan")}}});
  weft_expr *v = nullptr;
  ASSERT_WEFT_OK(weft_expr_column("v", &v));
  weft_agg aggs[] = {{WEFT_AGG_MIN, v, "mn"}, {WEFT_AGG_MAX, v, "mx"}};
  const char *key = "k";
  TestExec dev(GetParam()), cpu("cpu");
  weft_table *got = nullptr, *want = nullptr;
  ASSERT_WEFT_OK(weft_table_group_by(dev.e, b->table, 1, &key, 2, aggs, &got));
  ASSERT_WEFT_OK(weft_table_group_by(cpu.e, b->table, 1, &key, 2, aggs, &want));
  for (size_t c = 1; c <= 2; c++) {
    weft_column_view g, w;
    ASSERT_WEFT_OK(weft_table_column(got, c, &g));
    ASSERT_WEFT_OK(weft_table_column(want, c, &w));
    ASSERT_EQ(g.length, 3);
    for (int64_t r = 0; r < 3; r++) {
      uint64_t gb, wb;
      memcpy(&gb, (const double *)g.values + g.offset + r, 8);
      memcpy(&wb, (const double *)w.values + w.offset + r, 8);
      EXPECT_EQ(gb, wb) << "column " << c << " group " << r << " on " << GetParam();
      if (r != 1) {
        EXPECT_EQ(wb, 0x7ff8000000000000ull) << "group " << r << ": NaN only";
      }
    }
  }
  weft_table_free(got), weft_table_free(want), weft_expr_free(v);
}

TEST(GroupDeviceAuto, SmallInputsStayOnTheCpu) {
  auto cols = make_table({WEFT_TYPE_INT64}, 1000, 5, 1);
  auto b = jc::build(cols);
  const char *key = "k0";
  weft_agg len = {WEFT_AGG_LEN, nullptr, "n"};
  TestExec ex("auto", 0);
  weft_table *out = nullptr;
  ASSERT_WEFT_OK(weft_table_group_by(ex.e, b->table, 1, &key, 1, &len, &out));
  EXPECT_EQ(ex.last_device(), 0u);
  EXPECT_EQ(ex.report().find(" grouped 1000 rows"), std::string::npos) << ex.report();
  weft_table_free(out);
}

INSTANTIATE_TEST_SUITE_P(Devices, GroupDevice, ::testing::ValuesIn(all_device_params()), param_name);

TEST_P(GroupDevice, OverTheMemoryCapFallsBackOrFailsWhenStrict) {
  std::string device = GetParam();
  size_t idx;
  WEFT_REQUIRE_DEVICE(device, idx);
  if (device == "cpu") GTEST_SKIP() << "the CPU has no memory cap";
  weft_device_info info;
  ASSERT_WEFT_OK(weft_device_get_info(idx, &info));
  auto cols = make_table({WEFT_TYPE_INT64}, 5000, 50, 2);
  auto b = jc::build(cols);
  const char *key = "k0";
  weft_table *want = nullptr, *got = nullptr;
  ASSERT_WEFT_OK(weft_table_unique(nullptr, b->table, 1, &key, &want));
  ASSERT_WEFT_OK(weft_device_set_memory_limit(idx, 4096));
  {
    TestExec loose(device, 0);
    EXPECT_EQ(weft_table_unique(loose.e, b->table, 1, &key, &got), WEFT_OK) << weft_last_error();
    EXPECT_NE(loose.report().find("fell back to cpu: "), std::string::npos) << loose.report();
    EXPECT_NE(loose.report().find("memory cap"), std::string::npos) << loose.report();
    EXPECT_EQ(jc::rows_of(got), jc::rows_of(want));
    weft_table_free(got);
    got = nullptr;
    TestExec strict(device);
    EXPECT_EQ(weft_table_unique(strict.e, b->table, 1, &key, &got), WEFT_ERR_DEVICE_MEMORY);
    EXPECT_NE(std::string(weft_last_error()).find("memory cap"), std::string::npos) << weft_last_error();
  }
  ASSERT_WEFT_OK(weft_device_set_memory_limit(idx, info.memory_limit_bytes));
  weft_table_free(want);
}
