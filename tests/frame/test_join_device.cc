// weft_table_join on every device found (strict, so a device never quietly falls back):
// the output must equal the CPU's row for row (left order, each left row's matches in right
// order), over key types, several keys, duplicates and nulls on both sides, empty sides and
// sizes off the work-group and scan chunk sizes. Where keys are not floats, both are also
// checked against a reference join over the cells' text (a null never matches).
#include <map>

#include "join_csv_helpers.h"

using jc::Cell;
using jc::Col;
using jc::Rows;

namespace {

const weft_join_kind kAllKinds[] = {WEFT_JOIN_INNER, WEFT_JOIN_LEFT, WEFT_JOIN_SEMI, WEFT_JOIN_ANTI};
const char *kKindNames[] = {"inner", "left", "semi", "anti"};

class JoinDevice : public ::testing::TestWithParam<std::string> {};

// Left: lid (its row), then the keys. Right: the keys, then rid (its row) and a payload.
struct Sides {
  std::vector<Col> left, right;
  std::vector<std::string> on;
};

Cell pick(std::mt19937_64 &rng, const std::vector<std::string> &values, double null_rate) {
  if (std::bernoulli_distribution(null_rate)(rng)) return std::nullopt;
  return values[std::uniform_int_distribution<size_t>(0, values.size() - 1)(rng)];
}

// Values of a key type, few enough that keys repeat on both sides.
std::vector<std::string> values_of(weft_type t, int distinct) {
  std::vector<std::string> v;
  switch (t) {
    case WEFT_TYPE_BOOL: return {"true", "false"};
    case WEFT_TYPE_FLOAT32:
    case WEFT_TYPE_FLOAT64:
      v = {"nan", "-nan", "0", "-0", "inf", "-inf", "1.5", "-2.25"};
      for (int i = 0; i < distinct; i++) v.push_back(std::to_string(i * 0.5 - 3));
      return v;
    case WEFT_TYPE_UTF8:
      v = {"", "a", "ab", "abcdefg", "abcdefgh", "β", "日本語", "a-long-string-over-sixteen-bytes"};
      for (int i = 0; i < distinct; i++) v.push_back("k" + std::to_string(i));
      return v;
    case WEFT_TYPE_INT8: case WEFT_TYPE_INT16: case WEFT_TYPE_INT32: case WEFT_TYPE_INT64:
    case WEFT_TYPE_DATE32: case WEFT_TYPE_TIMESTAMP_US:
      for (int i = 0; i < distinct; i++) v.push_back(std::to_string(i - distinct / 2));
      if (t == WEFT_TYPE_INT8) v.push_back("-128");
      if (t == WEFT_TYPE_INT64) v.push_back("-9223372036854775807");
      return v;
    default:  // unsigned
      for (int i = 0; i < distinct; i++) v.push_back(std::to_string(i));
      if (t == WEFT_TYPE_UINT8) v.push_back("255");
      if (t == WEFT_TYPE_UINT64) v.push_back("18446744073709551615");
      return v;
  }
}

Sides make(const std::vector<weft_type> &lt, const std::vector<weft_type> &rt, size_t nl, size_t nr,
           int distinct, double nulls, uint64_t seed) {
  std::mt19937_64 rng(seed);
  Sides s;
  Col lid{"lid", WEFT_TYPE_INT64, {}}, rid{"rid", WEFT_TYPE_INT64, {}}, pay{"pay", WEFT_TYPE_UTF8, {}};
  for (size_t i = 0; i < nl; i++) lid.cells.push_back(std::to_string(i));
  for (size_t i = 0; i < nr; i++) rid.cells.push_back(std::to_string(i)), pay.cells.push_back("p" + std::to_string(i % 97));
  s.left.push_back(lid);
  for (size_t k = 0; k < lt.size(); k++) {
    std::string name = "k" + std::to_string(k);
    s.on.push_back(name);
    auto values = values_of(lt[k], distinct);
    Col a{name, lt[k], {}}, b{name, rt[k], {}};
    for (size_t i = 0; i < nl; i++) a.cells.push_back(pick(rng, values, nulls));
    for (size_t i = 0; i < nr; i++) b.cells.push_back(pick(rng, values, nulls));
    s.left.push_back(a);
    s.right.push_back(b);
  }
  s.right.push_back(rid);
  s.right.push_back(pay);
  return s;
}

// For each left row in order, its right rows in order (text keys; a null never matches).
Rows reference(const Sides &s, weft_join_kind kind) {
  size_t nk = s.on.size(), nl = s.left[0].cells.size(), nr = s.right.back().cells.size();
  auto key = [&](const std::vector<Col> &cols, size_t first, size_t row, std::vector<std::string> &out) {
    out.clear();
    for (size_t k = 0; k < nk; k++) {
      if (!cols[first + k].cells[row]) return false;
      out.push_back(*cols[first + k].cells[row]);
    }
    return true;
  };
  std::map<std::vector<std::string>, std::vector<size_t>> index;
  std::vector<std::string> kv;
  for (size_t r = 0; r < nr; r++)
    if (key(s.right, 0, r, kv)) index[kv].push_back(r);
  Rows out;
  for (size_t l = 0; l < nl; l++) {
    std::vector<size_t> none;
    auto it = key(s.left, 1, l, kv) ? index.find(kv) : index.end();
    const std::vector<size_t> &m = it == index.end() ? none : it->second;
    std::vector<Cell> lrow;
    for (auto &c : s.left) lrow.push_back(c.cells[l]);
    if (kind == WEFT_JOIN_SEMI || kind == WEFT_JOIN_ANTI) {
      if (m.empty() == (kind == WEFT_JOIN_ANTI)) out.push_back(lrow);
      continue;
    }
    for (size_t r : m) {
      auto row = lrow;
      row.push_back(s.right[nk].cells[r]);
      row.push_back(s.right[nk + 1].cells[r]);
      out.push_back(row);
    }
    if (m.empty() && kind == WEFT_JOIN_LEFT) {
      lrow.push_back(std::nullopt);
      lrow.push_back(std::nullopt);
      out.push_back(lrow);
    }
  }
  return out;
}

void expect_rows(const Rows &got, const Rows &want, const std::string &what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t r = 0; r < got.size(); r++)
    ASSERT_EQ(got[r], want[r]) << what << ": first difference at output row " << r;
}

weft_table *run_join(weft_exec *ex, const weft_table *l, const weft_table *r,
                     const std::vector<std::string> &on, weft_join_kind kind) {
  std::vector<const char *> names;
  for (auto &s : on) names.push_back(s.c_str());
  weft_table *out = nullptr;
  weft_status st = weft_table_join(ex, l, r, names.size(), names.data(), names.data(), kind, nullptr, &out);
  EXPECT_EQ(st, WEFT_OK) << weft_status_name(st) << ": " << weft_last_error();
  return out;
}

// Every kind on the parameter's device equals the CPU; with text keys, also the reference.
void check(const std::string &device, const Sides &s, bool text_keys, const std::string &what) {
  auto L = jc::build(s.left), R = jc::build(s.right);
  size_t index = 0;
  ASSERT_WEFT_OK(weft_device_find(device.c_str(), &index));
  for (weft_join_kind kind : kAllKinds) {
    std::string label = what + " " + kKindNames[kind] + " on " + device;
    TestExec cpu("cpu"), dev(device);
    tt::TablePtr want(run_join(cpu.e, L->table, R->table, s.on, kind));
    tt::TablePtr got(run_join(dev.e, L->table, R->table, s.on, kind));
    ASSERT_TRUE(want && got) << label;
    EXPECT_EQ(dev.last_device(), index) << label << "\n" << dev.report();
    if (device != "cpu") {
      EXPECT_NE(dev.report().find("hash table built on"), std::string::npos) << dev.report();
    }
    Rows g = jc::rows_of(got.get());
    ASSERT_NO_FATAL_FAILURE(expect_rows(g, jc::rows_of(want.get()), label + " (device vs cpu)"));
    if (text_keys) {
      ASSERT_NO_FATAL_FAILURE(expect_rows(g, reference(s, kind), label + " (reference)"));
    }
  }
}

TEST_P(JoinDevice, EveryKeyType) {
  size_t index;
  WEFT_REQUIRE_DEVICE(GetParam(), index);
  for (weft_type t : tt::kAllTypes) {
    bool floats = t == WEFT_TYPE_FLOAT32 || t == WEFT_TYPE_FLOAT64;
    Sides s = make({t}, {t}, 1025, 700, 40, 0.1, 11 + (uint64_t)t);
    ASSERT_NO_FATAL_FAILURE(check(GetParam(), s, !floats, weft_type_name(t)));
  }
}

TEST_P(JoinDevice, MixedIntegerWidths) {
  size_t index;
  WEFT_REQUIRE_DEVICE(GetParam(), index);
  Sides s = make({WEFT_TYPE_INT32, WEFT_TYPE_UINT8}, {WEFT_TYPE_INT64, WEFT_TYPE_INT16}, 1023, 1025,
                 20, 0.05, 3);
  ASSERT_NO_FATAL_FAILURE(check(GetParam(), s, true, "int32 x int64, uint8 x int16"));
}

TEST_P(JoinDevice, SeveralKeys) {
  size_t index;
  WEFT_REQUIRE_DEVICE(GetParam(), index);
  Sides two = make({WEFT_TYPE_UTF8, WEFT_TYPE_INT64}, {WEFT_TYPE_UTF8, WEFT_TYPE_INT64}, 2000, 1500,
                   6, 0.1, 4);
  ASSERT_NO_FATAL_FAILURE(check(GetParam(), two, true, "utf8 + int64"));
  Sides three = make({WEFT_TYPE_FLOAT64, WEFT_TYPE_BOOL, WEFT_TYPE_DATE32},
                     {WEFT_TYPE_FLOAT64, WEFT_TYPE_BOOL, WEFT_TYPE_DATE32}, 3001, 999, 3, 0.1, 5);
  ASSERT_NO_FATAL_FAILURE(check(GetParam(), three, false, "float64 + bool + date32"));
}

TEST_P(JoinDevice, EmptyAndTinySides) {
  size_t index;
  WEFT_REQUIRE_DEVICE(GetParam(), index);
  for (size_t nl : {0u, 1u, 5u})
    for (size_t nr : {0u, 1u, 5u}) {
      Sides s = make({WEFT_TYPE_INT64}, {WEFT_TYPE_INT64}, nl, nr, 2, 0.2, 6 + nl * 7 + nr);
      ASSERT_NO_FATAL_FAILURE(check(GetParam(), s, true, std::to_string(nl) + " x " + std::to_string(nr)));
    }
  // every key null on one side: nothing matches
  Sides s = make({WEFT_TYPE_UTF8}, {WEFT_TYPE_UTF8}, 300, 200, 3, 1.0, 8);
  ASSERT_NO_FATAL_FAILURE(check(GetParam(), s, true, "all null"));
}

TEST_P(JoinDevice, SizesAroundChunks) {
  size_t index;
  WEFT_REQUIRE_DEVICE(GetParam(), index);
  // 2048-element scan chunks, 64-row radix chunks, 256-wide groups; many duplicates (one
  // hot key) and mostly unique keys
  for (size_t n : {1023u, 1025u, 2049u}) {
    Sides hot = make({WEFT_TYPE_INT32}, {WEFT_TYPE_INT32}, n, n, 3, 0.02, 9 + n);
    ASSERT_NO_FATAL_FAILURE(check(GetParam(), hot, true, "hot " + std::to_string(n)));
  }
  Sides big = make({WEFT_TYPE_INT64}, {WEFT_TYPE_INT64}, 100003, 30011, 60000, 0.05, 10);
  ASSERT_NO_FATAL_FAILURE(check(GetParam(), big, true, "100003 x 30011"));
  Sides strs = make({WEFT_TYPE_UTF8}, {WEFT_TYPE_UTF8}, 100003, 4099, 3000, 0.05, 12);
  ASSERT_NO_FATAL_FAILURE(check(GetParam(), strs, true, "utf8 100003 x 4099"));
}

// An output far bigger than the device's memory cap (keys repeat on both sides) is written
// in slices of left rows, still on the device and still the CPU's rows in the CPU's order.
TEST_P(JoinDevice, OutputBiggerThanTheDevice) {
  size_t index;
  WEFT_REQUIRE_DEVICE(GetParam(), index);
  if (GetParam() == "cpu") GTEST_SKIP() << "the CPU has no device memory cap";
  Sides s = make({WEFT_TYPE_INT32}, {WEFT_TYPE_INT64}, 5003, 3001, 5, 0.05, 14);
  auto L = jc::build(s.left), R = jc::build(s.right);
  weft_device_info info;
  ASSERT_WEFT_OK(weft_device_get_info(index, &info));
  ASSERT_WEFT_OK(weft_device_set_memory_limit(index, 4u << 20));
  for (weft_join_kind kind : {WEFT_JOIN_INNER, WEFT_JOIN_LEFT}) {
    TestExec cpu("cpu"), dev(GetParam());
    tt::TablePtr want(run_join(cpu.e, L->table, R->table, s.on, kind));
    tt::TablePtr got(run_join(dev.e, L->table, R->table, s.on, kind));
    ASSERT_TRUE(want && got) << dev.report();
    EXPECT_GT(tt::num_rows(got.get()), 2000000) << "the output must not fit 4 MiB";
    EXPECT_EQ(dev.last_device(), index) << dev.report();
    EXPECT_NE(dev.report().find("slices of left rows"), std::string::npos) << dev.report();
    expect_rows(jc::rows_of(got.get()), jc::rows_of(want.get()), "sliced output");
  }
  ASSERT_WEFT_OK(weft_device_set_memory_limit(index, info.memory_limit_bytes));
}

// Past the device's memory cap, or with keys too long for its words, the join falls back to
// the CPU with the reason in the report (same output); strict mode returns the error.
TEST_P(JoinDevice, FallsBackToCpu) {
  size_t index;
  WEFT_REQUIRE_DEVICE(GetParam(), index);
  if (GetParam() == "cpu") GTEST_SKIP() << "the CPU has no fallback";
  Sides s = make({WEFT_TYPE_INT64}, {WEFT_TYPE_INT64}, 5000, 3000, 500, 0.1, 13);
  auto L = jc::build(s.left), R = jc::build(s.right);
  TestExec cpu("cpu");
  tt::TablePtr want(run_join(cpu.e, L->table, R->table, s.on, WEFT_JOIN_INNER));
  weft_device_info info;
  ASSERT_WEFT_OK(weft_device_get_info(index, &info));
  ASSERT_WEFT_OK(weft_device_set_memory_limit(index, 4096));
  {
    TestExec loose(GetParam(), 0);
    tt::TablePtr got(run_join(loose.e, L->table, R->table, s.on, WEFT_JOIN_INNER));
    EXPECT_NE(loose.report().find("fell back to cpu"), std::string::npos) << loose.report();
    EXPECT_EQ(loose.last_device(), 0u);
    ASSERT_TRUE(got && want);
    expect_rows(jc::rows_of(got.get()), jc::rows_of(want.get()), "over the memory cap");
    TestExec strict(GetParam());
    const char *k = "k0";
    weft_table *out = nullptr;
    EXPECT_EQ(weft_table_join(strict.e, L->table, R->table, 1, &k, &k, WEFT_JOIN_INNER, nullptr, &out),
              WEFT_ERR_DEVICE_MEMORY) << weft_last_error();
    EXPECT_EQ(out, nullptr);
  }
  ASSERT_WEFT_OK(weft_device_set_memory_limit(index, info.memory_limit_bytes));

  std::vector<Col> lt = {{"k", WEFT_TYPE_UTF8, {std::string(200, 'x'), "a"}}};
  auto LL = jc::build(lt);
  const char *k = "k";
  TestExec loose(GetParam(), 0), strict(GetParam());
  weft_table *out = nullptr;
  ASSERT_WEFT_OK(weft_table_join(loose.e, LL->table, LL->table, 1, &k, &k, WEFT_JOIN_INNER, nullptr, &out));
  EXPECT_NE(loose.report().find("fell back to cpu"), std::string::npos) << loose.report();
  EXPECT_NE(loose.report().find("200 bytes"), std::string::npos) << loose.report();
  EXPECT_EQ(jc::rows_of(out).size(), 2u);
  weft_table_free(out);
  out = nullptr;
  EXPECT_EQ(weft_table_join(strict.e, LL->table, LL->table, 1, &k, &k, WEFT_JOIN_INNER, nullptr, &out),
            WEFT_ERR_UNSUPPORTED);
  EXPECT_NE(std::string(weft_last_error()).find("utf8"), std::string::npos) << weft_last_error();
}

INSTANTIATE_TEST_SUITE_P(Devices, JoinDevice, ::testing::ValuesIn(all_device_params()), param_name);

}  // namespace
