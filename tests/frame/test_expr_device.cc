// select / with_columns / filter on every device against the CPU, bit for bit (values of
// null slots included; NaN equals NaN whatever its payload, since devices may canonicalize
// it), on random data of every fixed-width type with nulls, NaN, inf, -0.0, sliced columns
// (bitmaps off a byte boundary), sizes off every tile, and inputs over the memory cap.
// Device runs are strict, so a device that cannot run fails instead of falling back.
#include <cstring>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "expr_helpers.h"
#include "table_helpers.h"
#include "test_support.h"

namespace {

using Exec = TestExec;

using namespace ex;  // NOLINT: the builders read like the expressions they build

struct ColSpec {
  const char *name;
  weft_type type;
};
const ColSpec kCols[] = {
    {"b", WEFT_TYPE_BOOL},       {"i8", WEFT_TYPE_INT8},       {"i16", WEFT_TYPE_INT16},
    {"i32", WEFT_TYPE_INT32},    {"i64", WEFT_TYPE_INT64},     {"u8", WEFT_TYPE_UINT8},
    {"u16", WEFT_TYPE_UINT16},   {"u32", WEFT_TYPE_UINT32},    {"u64", WEFT_TYPE_UINT64},
    {"f32", WEFT_TYPE_FLOAT32},  {"f64", WEFT_TYPE_FLOAT64},   {"d", WEFT_TYPE_DATE32},
    {"ts", WEFT_TYPE_TIMESTAMP_US}, {"small", WEFT_TYPE_FLOAT64}, {"k", WEFT_TYPE_INT32},
    {"s", WEFT_TYPE_UTF8}};

using tt::width;  // bytes of a fixed-width value (table_helpers.h)

// A random table over memory it owns. Integers mix small values (so x % y meets 0 and -1)
// with the full range (so arithmetic wraps); floats mix NaN, +-inf, -0.0 and denormals;
// "small" fits every integer type (checked casts succeed); "k" has no validity bitmap.
struct Table {
  std::vector<std::vector<uint8_t>> bufs;
  weft_table *t = nullptr;
  ~Table() { weft_table_free(t); }
  Table(int64_t n, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::uniform_int_distribution<uint64_t> any;
    std::vector<weft_column_view> views;
    std::vector<const char *> names;
    size_t rows = (size_t)n;
    bufs.reserve(64);
    for (const ColSpec &c : kCols) {
      weft_column_view v{};
      v.type = c.type;
      v.length = n;
      v.null_count = -1;
      if (strcmp(c.name, "k") != 0) {
        bufs.emplace_back(rows / 8 + 2, 0);
        for (size_t i = 0; i < rows; i++)
          if (any(rng) % 5) bufs.back()[i / 8] |= (uint8_t)(1u << (i % 8));
        v.validity = bufs.back().data();
      }
      if (c.type == WEFT_TYPE_UTF8) {
        bufs.emplace_back((rows + 1) * 4, 0);
        int32_t *off = (int32_t *)bufs.back().data();
        bufs.emplace_back(rows * 3 + 1, 'x');
        for (size_t i = 0; i <= rows; i++) off[i] = (int32_t)(i * 3);
        v.values = off;
        v.data = (const char *)bufs.back().data();
      } else if (c.type == WEFT_TYPE_BOOL) {
        bufs.emplace_back(rows / 8 + 2, 0);
        for (auto &byte : bufs.back()) byte = (uint8_t)any(rng);
        v.values = bufs.back().data();
      } else {
        size_t w = width(c.type);
        bufs.emplace_back(rows * w + 8, 0);
        uint8_t *p = bufs.back().data();
        for (size_t i = 0; i < rows; i++) {
          uint64_t r = any(rng), bits = r % 3 == 0 ? r % 7 - 3 : any(rng);  // small or any
          if (c.type == WEFT_TYPE_FLOAT64 || c.type == WEFT_TYPE_FLOAT32) {
            static const double special[] = {NAN, INFINITY, -INFINITY, -0.0, 0.0, 4.9e-324, 1e-40,
                                             1e300, -2.5, 3.0, 1.0, -1.0};
            double x = r % 4 == 0 ? special[r / 4 % 12]
                                  : ((double)(int64_t)(any(rng) % 2000001) - 1e6) / 64.0;
            if (!strcmp(c.name, "small")) x = (double)(r % 200) - 100.0 + (r % 3) * 0.25;
            if (c.type == WEFT_TYPE_FLOAT32) {
              float f = (float)x;
              memcpy(p + i * 4, &f, 4);
            } else {
              memcpy(p + i * 8, &x, 8);
            }
          } else {
            memcpy(p + i * w, &bits, w);  // little-endian: the low bytes
          }
        }
        v.values = p;
      }
      views.push_back(v);
      names.push_back(c.name);
    }
    EXPECT_EQ(weft_table_from_columns(views.size(), names.data(), views.data(), nullptr, nullptr, &t),
              WEFT_OK) << weft_last_error();
  }
};

// Every operator of the bytecode, over every lane.
std::vector<E> numeric_exprs() {
  using namespace std;
  vector<E> x;
  auto add = [&](E e, const char *name) { x.push_back(alias(e, name)); };
  add(bin(WEFT_OP_ADD, col("f64"), bin(WEFT_OP_MUL, col("f32"), col("i32"))), "fma_like");
  add(bin(WEFT_OP_SUB, col("i64"), bin(WEFT_OP_MUL, col("i8"), col("u16"))), "wrap");
  add(bin(WEFT_OP_MUL, col("i16"), col("i8")), "i16_mul");
  add(bin(WEFT_OP_ADD, col("u8"), lit(250)), "u8_add");
  add(bin(WEFT_OP_DIV, col("i32"), col("i16")), "div_int");
  add(bin(WEFT_OP_DIV, col("f32"), col("f32")), "div_f32");
  add(bin(WEFT_OP_MOD, col("i64"), col("i8")), "mod_i");
  add(bin(WEFT_OP_MOD, col("u64"), col("u32")), "mod_u");
  add(bin(WEFT_OP_MOD, col("f64"), col("f32")), "mod_f");
  add(bin(WEFT_OP_MOD, col("k"), lit(-1)), "mod_m1");
  add(bin(WEFT_OP_ADD, col("u64"), col("i64")), "mixed_sign");
  add(bin(WEFT_OP_SUB, col("u32"), col("u8")), "u32_sub");
  add(bin(WEFT_OP_SUB, col("f32"), col("f64")), "sub_f");
  add(bin(WEFT_OP_LT, col("f64"), col("f32")), "lt_f");
  add(bin(WEFT_OP_EQ, col("f64"), col("f64")), "nan_eq");
  add(bin(WEFT_OP_GE, col("f32"), litf(0.5)), "ge_lit");
  add(bin(WEFT_OP_EQ, col("i64"), col("u64")), "eq_su");
  add(bin(WEFT_OP_GT, col("u64"), col("i8")), "gt_us");
  add(bin(WEFT_OP_LE, col("u64"), col("u64")), "le_u");
  add(bin(WEFT_OP_NE, col("i8"), lit(3)), "ne_i");
  add(bin(WEFT_OP_LT, col("d"), col("d")), "lt_date");
  add(bin(WEFT_OP_GT, col("u16"), col("f64")), "gt_mixed");
  add(bin(WEFT_OP_OR, bin(WEFT_OP_AND, bin(WEFT_OP_GT, col("f64"), litf(0)), col("b")),
          un(WEFT_OP_NOT, col("b"))), "kleene");
  add(bin(WEFT_OP_AND, col("b"), litnull(WEFT_TYPE_BOOL)), "and_null");
  add(bin(WEFT_OP_OR, col("b"), litnull(WEFT_TYPE_BOOL)), "or_null");
  add(un(WEFT_OP_IS_NULL, col("i32")), "is_null");
  add(un(WEFT_OP_IS_NOT_NULL, col("f64")), "is_not_null");
  add(fill(col("i32"), lit(7)), "fill_lit");
  add(fill(col("f64"), col("f32")), "fill_col");
  add(fill(col("i16"), col("u8")), "fill_widen");
  add(un(WEFT_OP_ABS, col("i8")), "abs_i8");
  add(un(WEFT_OP_ABS, col("f32")), "abs_f32");
  add(un(WEFT_OP_ABS, col("u64")), "abs_u64");
  add(un(WEFT_OP_NEG, col("i64")), "neg_i64");
  add(un(WEFT_OP_NEG, col("f32")), "neg_f32");
  add(un(WEFT_OP_SQRT, col("f64")), "sqrt_f64");
  add(un(WEFT_OP_SQRT, col("i32")), "sqrt_i32");
  add(un(WEFT_OP_SQRT, col("f32")), "sqrt_f32");
  add(cast(col("small"), WEFT_TYPE_INT8), "f_to_i8");
  add(cast(col("small"), WEFT_TYPE_INT64), "f_to_i64");
  add(cast(bin(WEFT_OP_MOD, col("i8"), lit(100)), WEFT_TYPE_UINT8), "i_to_u8");
  add(cast(bin(WEFT_OP_MOD, col("u64"), lit(1000)), WEFT_TYPE_INT16), "u_to_i16");
  add(cast(col("i64"), WEFT_TYPE_FLOAT32), "i_to_f32");
  add(cast(col("u64"), WEFT_TYPE_FLOAT64), "u_to_f64");
  add(cast(col("f64"), WEFT_TYPE_FLOAT32), "f64_to_f32");
  add(cast(col("f32"), WEFT_TYPE_FLOAT64), "f32_to_f64");
  add(cast(col("i8"), WEFT_TYPE_BOOL), "i_to_bool");
  add(cast(col("f64"), WEFT_TYPE_BOOL), "f_to_bool");
  add(cast(col("b"), WEFT_TYPE_INT32), "bool_to_i32");
  add(cast(cast(col("i16"), WEFT_TYPE_DATE32), WEFT_TYPE_TIMESTAMP_US), "date_to_ts");
  add(cast(col("ts"), WEFT_TYPE_DATE32), "ts_to_date");
  add(cast(col("u8"), WEFT_TYPE_DATE32), "u8_to_date");
  add(bin(WEFT_OP_ADD, litf(1.5), lit(2)), "literals");
  add(bin(WEFT_OP_MUL, col("k"), litnull(WEFT_TYPE_INT32)), "null_lit");
  return x;
}

// Two columns equal bit for bit (floats: NaN == NaN).
void expect_same(const weft_column_view &a, const weft_column_view &b, const std::string &what) {
  ASSERT_EQ(a.type, b.type) << what;
  ASSERT_EQ(a.length, b.length) << what;
  ASSERT_EQ(a.validity == nullptr, b.validity == nullptr) << what;
  for (int64_t i = 0; i < a.length; i++) {
    size_t ia = (size_t)(a.offset + i), ib = (size_t)(b.offset + i);
    if (a.validity) {
      ASSERT_EQ(bit(a.validity, ia), bit(b.validity, ib)) << what << " validity row " << i;
    }
    if (a.type == WEFT_TYPE_BOOL) {
      ASSERT_EQ(bit((const uint8_t *)a.values, ia), bit((const uint8_t *)b.values, ib)) << what << " row " << i;
    } else if (a.type == WEFT_TYPE_UTF8) {
      const int32_t *oa = (const int32_t *)a.values, *ob = (const int32_t *)b.values;
      ASSERT_EQ(std::string(a.data + oa[ia], oa[ia + 1] - oa[ia]),
                std::string(b.data + ob[ib], ob[ib + 1] - ob[ib])) << what << " row " << i;
    } else if (a.type == WEFT_TYPE_FLOAT64 || a.type == WEFT_TYPE_FLOAT32) {
      double x = a.type == WEFT_TYPE_FLOAT64 ? ((const double *)a.values)[ia] : ((const float *)a.values)[ia];
      double y = b.type == WEFT_TYPE_FLOAT64 ? ((const double *)b.values)[ib] : ((const float *)b.values)[ib];
      if (std::isnan(x) && std::isnan(y)) continue;
      size_t w = width(a.type);
      ASSERT_EQ(memcmp((const char *)a.values + ia * w, (const char *)b.values + ib * w, w), 0)
          << what << " row " << i << ": " << x << " vs " << y;
    } else {
      size_t w = width(a.type);
      ASSERT_EQ(memcmp((const char *)a.values + ia * w, (const char *)b.values + ib * w, w), 0)
          << what << " row " << i;
    }
  }
}

void expect_same_tables(weft_table *a, weft_table *b, const std::string &what) {
  size_t na = 0, nb = 0;
  int64_t ra = -1, rb = -2;
  weft_test_ok(weft_table_num_columns(a, &na));
  weft_test_ok(weft_table_num_columns(b, &nb));
  weft_test_ok(weft_table_num_rows(a, &ra));
  weft_test_ok(weft_table_num_rows(b, &rb));
  ASSERT_EQ(na, nb) << what;
  ASSERT_EQ(ra, rb) << what;
  for (size_t c = 0; c < na; c++) {
    weft_column_view va, vb;
    const char *name = "";
    ASSERT_WEFT_OK(weft_table_column(a, c, &va));
    ASSERT_WEFT_OK(weft_table_column(b, c, &vb));
    weft_test_ok(weft_table_column_name(a, c, &name));
    expect_same(va, vb, what + " column " + name);
    if (::testing::Test::HasFatalFailure()) return;
  }
}

using Fn = weft_status (*)(weft_exec *, const weft_table *, size_t, const weft_expr *const *, weft_table **);

struct Owned {
  weft_table *t = nullptr;
  ~Owned() { weft_table_free(t); }
};

// fn(exprs) on cpu:0 and on `device` (strict, must run there): the same tables.
void check_select(Fn fn, const std::string &device, size_t dev, weft_table *t, const std::vector<E> &exprs,
                  const std::string &what) {
  std::vector<const weft_expr *> xs;
  for (auto &e : exprs) xs.push_back(e.get());
  Owned want, got;
  Exec cpu("cpu", 1), ex(device, 1);
  ASSERT_WEFT_OK(fn(cpu.e, t, xs.size(), xs.data(), &want.t));
  ASSERT_WEFT_OK(fn(ex.e, t, xs.size(), xs.data(), &got.t));
  int64_t rows = 0;
  weft_test_ok(weft_table_num_rows(t, &rows));
  if (rows > 0) {
    EXPECT_EQ(ex.last_device(), dev) << ex.report();
  }
  expect_same_tables(want.t, got.t, what);
}

void check_filter(const std::string &device, size_t dev, weft_table *t, E pred, const std::string &what) {
  Owned want, got;
  Exec cpu("cpu", 1), ex(device, 1);
  ASSERT_WEFT_OK(weft_table_filter(cpu.e, t, pred.get(), &want.t));
  ASSERT_WEFT_OK(weft_table_filter(ex.e, t, pred.get(), &got.t));
  int64_t rows = 0;
  weft_test_ok(weft_table_num_rows(t, &rows));
  if (rows > 0) {
    EXPECT_EQ(ex.last_device(), dev) << ex.report();
  }
  expect_same_tables(want.t, got.t, what);
}

std::vector<E> predicates() {
  return {bin(WEFT_OP_GT, col("f64"), litf(0)),
          bin(WEFT_OP_OR, bin(WEFT_OP_EQ, bin(WEFT_OP_MOD, col("i32"), lit(3)), lit(0)), col("b")),
          un(WEFT_OP_IS_NULL, col("f32")),
          bin(WEFT_OP_GE, col("k"), col("k")),  // every row
          bin(WEFT_OP_NE, col("k"), col("k"))}; // none
}

}  // namespace

using DevParam = std::tuple<std::string, int64_t>;
class ExprDevice : public ::testing::TestWithParam<DevParam> {};

TEST_P(ExprDevice, SelectWithColumnsFilterMatchCpu) {
  auto [device, n] = GetParam();
  size_t dev;
  WEFT_REQUIRE_DEVICE(device, dev);
  Table tab(n, 1000 + (uint64_t)n);
  ASSERT_NE(tab.t, nullptr);
  auto exprs = numeric_exprs();
  check_select(weft_table_select, device, dev, tab.t, exprs, "select n=" + std::to_string(n));
  if (HasFatalFailure()) return;
  check_select(weft_table_with_columns, device, dev, tab.t, {exprs[0], exprs[6], exprs[21]},
               "with_columns n=" + std::to_string(n));
  if (HasFatalFailure()) return;
  auto preds = predicates();
  for (size_t i = 0; i < preds.size() && !HasFatalFailure(); i++)
    check_filter(device, dev, tab.t, preds[i], "filter " + std::to_string(i) + " n=" + std::to_string(n));
  // A slice: every bitmap starts 3 bits into a byte.
  if (n > 8) {
    Owned sl;
    ASSERT_WEFT_OK(weft_table_slice(tab.t, 3, n - 5, &sl.t));
    check_select(weft_table_select, device, dev, sl.t, exprs, "sliced select n=" + std::to_string(n));
    if (HasFatalFailure()) return;
    check_filter(device, dev, sl.t, preds[1], "sliced filter n=" + std::to_string(n));
  }
}

INSTANTIATE_TEST_SUITE_P(
    AllDevices, ExprDevice,
    ::testing::Combine(::testing::ValuesIn(all_device_params()),
                       ::testing::Values<int64_t>(0, 1, 7, 1000, 1025, 4099, 100003)),
    [](const ::testing::TestParamInfo<DevParam> &info) {
      std::string s = std::get<0>(info.param) + "_n" + std::to_string(std::get<1>(info.param));
      for (char &c : s)
        if (!isalnum((unsigned char)c)) c = '_';
      return s;
    });

class ExprDeviceOnly : public ::testing::TestWithParam<std::string> {};

// Over the memory cap: the rows stream through the device in several partitions.
TEST_P(ExprDeviceOnly, StreamsOverTheMemoryCap) {
  std::string device = GetParam();
  size_t dev;
  WEFT_REQUIRE_DEVICE(device, dev);
  const int64_t n = 300001;
  Table tab(n, 77);
  auto exprs = numeric_exprs();
  std::vector<E> few = {exprs[0], exprs[6], exprs[21], exprs[37]};
  ASSERT_WEFT_OK(weft_device_set_memory_limit(dev, 1 << 20));
  std::vector<const weft_expr *> xs;
  for (auto &e : few) xs.push_back(e.get());
  Owned want, got, fwant, fgot;
  Exec cpu("cpu", 1), ex(device, 1);
  weft_status st = weft_table_select(ex.e, tab.t, xs.size(), xs.data(), &got.t);
  std::string report = ex.report();
  weft_status fst = weft_table_filter(ex.e, tab.t, few[2].get(), &fgot.t);
  std::string freport = ex.report();
  weft_test_ok(weft_device_set_memory_limit(dev, 0));
  ASSERT_WEFT_OK(st);
  ASSERT_WEFT_OK(fst);
  std::smatch m;
  std::string id = device;
  ASSERT_TRUE(std::regex_search(report, m, std::regex(id + ": (\\d+) partitions"))) << report;
  EXPECT_GT(std::stoi(m[1]), 2) << report;
  ASSERT_TRUE(std::regex_search(freport, m, std::regex(id + ": (\\d+) partitions"))) << freport;
  EXPECT_GT(std::stoi(m[1]), 2) << freport;
  ASSERT_WEFT_OK(weft_table_select(cpu.e, tab.t, xs.size(), xs.data(), &want.t));
  ASSERT_WEFT_OK(weft_table_filter(cpu.e, tab.t, few[2].get(), &fwant.t));
  expect_same_tables(want.t, got.t, "select over the cap");
  expect_same_tables(fwant.t, fgot.t, "filter over the cap");
}

// String expressions and log/exp stay on the CPU: the report says why; strict mode fails.
TEST_P(ExprDeviceOnly, CpuOnlyExpressionsFallBackOrFailStrict) {
  std::string device = GetParam();
  size_t dev;
  WEFT_REQUIRE_DEVICE(device, dev);
  Table tab(100, 5);
  weft_expr *len = nullptr;
  ASSERT_WEFT_OK(weft_expr_unary(WEFT_OP_STR_LEN, col("s").get(), &len));
  E cases[] = {wrap(len), bin(WEFT_OP_EQ, col("s"), col("s")), un(WEFT_OP_LOG, col("f64")),
               un(WEFT_OP_IS_NULL, col("s"))};
  const char *reasons[] = {"string operation", "utf8 column \"s\"", "log", "utf8 column \"s\""};
  for (size_t i = 0; i < 4; i++) {
    const weft_expr *xs[] = {cases[i].get()};
    Owned out, want, fout;
    Exec strict(device, 1), loose(device, 0), cpu("cpu", 1);
    EXPECT_EQ(weft_table_select(strict.e, tab.t, 1, xs, &out.t), WEFT_ERR_UNSUPPORTED) << i;
    std::string msg = weft_last_error();
    EXPECT_NE(msg.find(reasons[i]), std::string::npos) << msg;
    EXPECT_NE(msg.find(device), std::string::npos) << msg;
    ASSERT_WEFT_OK(weft_table_select(loose.e, tab.t, 1, xs, &out.t));
    std::string report = loose.report();
    EXPECT_NE(report.find("fell back to cpu: "), std::string::npos) << report;
    EXPECT_NE(report.find(reasons[i]), std::string::npos) << report;
    EXPECT_EQ(loose.last_device(), 0u) << report;
    ASSERT_WEFT_OK(weft_table_select(cpu.e, tab.t, 1, xs, &want.t));
    expect_same_tables(want.t, out.t, "fallback " + std::to_string(i));
  }
  E pred = bin(WEFT_OP_EQ, col("s"), col("s"));
  Owned fout;
  Exec strict(device, 1);
  EXPECT_EQ(weft_table_filter(strict.e, tab.t, pred.get(), &fout.t), WEFT_ERR_UNSUPPORTED);
}

// A value a cast cannot take: the device gives the CPU's error.
TEST_P(ExprDeviceOnly, FailingCastGivesTheCpuError) {
  std::string device = GetParam();
  size_t dev;
  WEFT_REQUIRE_DEVICE(device, dev);
  Table tab(5000, 9);
  for (E e : {cast(col("f64"), WEFT_TYPE_INT32), cast(col("u64"), WEFT_TYPE_INT8),
              cast(col("i64"), WEFT_TYPE_UINT16), cast(col("d"), WEFT_TYPE_TIMESTAMP_US)}) {
    const weft_expr *xs[] = {e.get()};
    Owned a, b;
    Exec cpu("cpu", 1), ex(device, 1);
    ASSERT_EQ(weft_table_select(cpu.e, tab.t, 1, xs, &a.t), WEFT_ERR_INVALID_ARGUMENT);
    std::string want = weft_last_error();
    ASSERT_EQ(weft_table_select(ex.e, tab.t, 1, xs, &b.t), WEFT_ERR_INVALID_ARGUMENT);
    std::string got = weft_last_error();
    EXPECT_NE(got.find(want.substr(want.find("cannot cast"))), std::string::npos)
        << "cpu: " << want << "\ndevice: " << got;
  }
}

INSTANTIATE_TEST_SUITE_P(Devices, ExprDeviceOnly, ::testing::Values("opencl:0", "cuda:0"), param_name);
