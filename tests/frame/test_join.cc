// weft_table_join against a reference join written with std::map over the same cells.
#include <algorithm>
#include <map>

#include "join_csv_helpers.h"

using jc::Cell;
using jc::Col;
using jc::Rows;

namespace {

const char *kKinds[] = {"inner", "left", "semi", "anti"};

size_t col_index(const std::vector<Col> &cols, const std::string &name) {
  for (size_t i = 0; i < cols.size(); i++)
    if (cols[i].name == name) return i;
  ADD_FAILURE() << "no column " << name;
  return 0;
}

// Reference: for each left row in order, its matching right rows in order; null never matches.
Rows reference(const std::vector<Col> &left, const std::vector<Col> &right,
               const std::vector<std::string> &lon, const std::vector<std::string> &ron,
               weft_join_kind kind) {
  std::vector<size_t> lk, rk;
  for (auto &n : lon) lk.push_back(col_index(left, n));
  for (auto &n : ron) rk.push_back(col_index(right, n));
  size_t nl = left.empty() ? 0 : left[0].cells.size(), nr = right.empty() ? 0 : right[0].cells.size();
  std::map<std::vector<std::string>, std::vector<size_t>> index;
  for (size_t r = 0; r < nr; r++) {
    std::vector<std::string> key;
    bool null = false;
    for (size_t k : rk) {
      if (!right[k].cells[r]) null = true;
      else key.push_back(*right[k].cells[r]);
    }
    if (!null) index[key].push_back(r);
  }
  std::vector<size_t> rest;  // right non-key columns
  for (size_t c = 0; c < right.size(); c++)
    if (std::find(rk.begin(), rk.end(), c) == rk.end()) rest.push_back(c);
  Rows out;
  for (size_t l = 0; l < nl; l++) {
    std::vector<std::string> key;
    bool null = false;
    for (size_t k : lk) {
      if (!left[k].cells[l]) null = true;
      else key.push_back(*left[k].cells[l]);
    }
    std::vector<size_t> none;
    auto it = null ? index.end() : index.find(key);
    const std::vector<size_t> &m = it == index.end() ? none : it->second;
    std::vector<Cell> lrow;
    for (auto &c : left) lrow.push_back(c.cells[l]);
    if (kind == WEFT_JOIN_SEMI || kind == WEFT_JOIN_ANTI) {
      if (m.empty() == (kind == WEFT_JOIN_ANTI)) out.push_back(lrow);
      continue;
    }
    for (size_t r : m) {
      auto row = lrow;
      for (size_t c : rest) row.push_back(right[c].cells[r]);
      out.push_back(row);
    }
    if (m.empty() && kind == WEFT_JOIN_LEFT) {
      auto row = lrow;
      for (size_t i = 0; i < rest.size(); i++) row.push_back(std::nullopt);
      out.push_back(row);
    }
  }
  return out;
}

void expect_same(const Rows &got, const Rows &want, const std::string &what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t r = 0; r < got.size(); r++) {
    ASSERT_EQ(got[r].size(), want[r].size()) << what << " row " << r;
    for (size_t c = 0; c < got[r].size(); c++)
      ASSERT_EQ(got[r][c], want[r][c]) << what << " row " << r << " col " << c << ": got "
                                       << jc::show(got[r][c]) << " want " << jc::show(want[r][c]);
  }
}

weft_table *join(const weft_table *l, const weft_table *r, const std::vector<std::string> &lon,
                 const std::vector<std::string> &ron, weft_join_kind kind, weft_status *st,
                 const char *suffix = nullptr) {
  std::vector<const char *> a, b;
  for (auto &s : lon) a.push_back(s.c_str());
  for (auto &s : ron) b.push_back(s.c_str());
  weft_table *out = nullptr;
  *st = weft_table_join(nullptr, l, r, a.size(), a.data(), b.data(), kind, suffix, &out);
  return out;
}

void check_all_kinds(const std::vector<Col> &left, const std::vector<Col> &right,
                     const std::vector<std::string> &lon, const std::vector<std::string> &ron) {
  auto L = jc::build(left), R = jc::build(right);
  for (int k = 0; k < 4; k++) {
    weft_status st;
    weft_table *out = join(L->table, R->table, lon, ron, (weft_join_kind)k, &st);
    ASSERT_EQ(st, WEFT_OK) << weft_last_error();
    expect_same(jc::rows_of(out), reference(left, right, lon, ron, (weft_join_kind)k), kKinds[k]);
    weft_table_free(out);
  }
}

Cell rand_int(std::mt19937_64 &rng, int range, double null_rate) {
  if (std::bernoulli_distribution(null_rate)(rng)) return std::nullopt;
  return std::to_string(std::uniform_int_distribution<int>(0, range - 1)(rng));
}

Cell rand_str(std::mt19937_64 &rng, int range, double null_rate) {
  static const char *pieces[] = {"a", "β", "", "long-string-over-eight-bytes", ",", "\"", "日本"};
  if (std::bernoulli_distribution(null_rate)(rng)) return std::nullopt;
  int v = std::uniform_int_distribution<int>(0, range - 1)(rng);
  std::string s;
  for (int i = 0; i < 3; i++, v /= 7) s += pieces[v % 7];
  return s;
}

Col ints(const std::string &name, weft_type t, size_t n, int range, double nulls, std::mt19937_64 &rng) {
  Col c{name, t, {}};
  for (size_t i = 0; i < n; i++) c.cells.push_back(rand_int(rng, range, nulls));
  return c;
}

Col strs(const std::string &name, size_t n, int range, double nulls, std::mt19937_64 &rng) {
  Col c{name, WEFT_TYPE_UTF8, {}};
  for (size_t i = 0; i < n; i++) c.cells.push_back(rand_str(rng, range, nulls));
  return c;
}

Col floats(const std::string &name, size_t n, double nulls, std::mt19937_64 &rng) {
  Col c{name, WEFT_TYPE_FLOAT64, {}};
  std::normal_distribution<double> g;
  for (size_t i = 0; i < n; i++)
    c.cells.push_back(std::bernoulli_distribution(nulls)(rng) ? Cell() : Cell(jc::fmt_double(g(rng))));
  return c;
}

Col bools(const std::string &name, size_t n, double nulls, std::mt19937_64 &rng) {
  Col c{name, WEFT_TYPE_BOOL, {}};
  for (size_t i = 0; i < n; i++)
    c.cells.push_back(std::bernoulli_distribution(nulls)(rng)
                          ? Cell()
                          : Cell(std::bernoulli_distribution(0.5)(rng) ? "true" : "false"));
  return c;
}

}  // namespace

TEST(Join, HandWritten) {
  std::vector<Col> left = {{"k", WEFT_TYPE_INT64, {"1", "2", std::nullopt, "3", "1"}},
                           {"v", WEFT_TYPE_UTF8, {"a", "b", "c", "d", "e"}}};
  std::vector<Col> right = {{"k", WEFT_TYPE_INT64, {"1", "1", std::nullopt, "2"}},
                            {"v", WEFT_TYPE_INT32, {"10", "11", "12", "20"}}};
  auto L = jc::build(left), R = jc::build(right);
  weft_status st;
  weft_table *out = join(L->table, R->table, {"k"}, {"k"}, WEFT_JOIN_INNER, &st);
  ASSERT_EQ(st, WEFT_OK) << weft_last_error();
  EXPECT_EQ(jc::names_of(out), (std::vector<std::string>{"k", "v", "v_right"}));
  Rows want = {{"1", "a", "10"}, {"1", "a", "11"}, {"2", "b", "20"}, {"1", "e", "10"}, {"1", "e", "11"}};
  expect_same(jc::rows_of(out), want, "inner");
  weft_table_free(out);
  out = join(L->table, R->table, {"k"}, {"k"}, WEFT_JOIN_ANTI, &st);
  ASSERT_EQ(st, WEFT_OK) << weft_last_error();
  expect_same(jc::rows_of(out), Rows{{std::nullopt, "c"}, {"3", "d"}}, "anti");
  weft_table_free(out);
  out = join(L->table, R->table, {"k"}, {"k"}, WEFT_JOIN_LEFT, &st, "_r");
  ASSERT_EQ(st, WEFT_OK) << weft_last_error();
  EXPECT_EQ(jc::names_of(out), (std::vector<std::string>{"k", "v", "v_r"}));
  EXPECT_EQ(jc::rows_of(out).size(), 7u);
  weft_table_free(out);
}

TEST(Join, RandomIntKeysWithDuplicatesAndNulls) {
  std::mt19937_64 rng(1);
  for (size_t nl : {1u, 7u, 1000u, 40001u}) {
    for (size_t nr : {1u, 13u, 2999u}) {
      std::vector<Col> left = {ints("k", WEFT_TYPE_INT64, nl, 500, 0.05, rng), floats("x", nl, 0.1, rng),
                               strs("s", nl, 50, 0.1, rng), bools("flag", nl, 0.2, rng)};
      std::vector<Col> right = {strs("s", nr, 50, 0.1, rng), ints("key", WEFT_TYPE_INT64, nr, 500, 0.05, rng),
                                ints("w", WEFT_TYPE_INT16, nr, 100, 0.1, rng), bools("b", nr, 0.3, rng)};
      SCOPED_TRACE(std::to_string(nl) + " x " + std::to_string(nr));
      check_all_kinds(left, right, {"k"}, {"key"});
    }
  }
}

TEST(Join, MultiKeyMixedIntegerWidthsAndStrings) {
  std::mt19937_64 rng(2);
  size_t nl = 5000, nr = 3001;
  std::vector<Col> left = {ints("a", WEFT_TYPE_INT32, nl, 20, 0.05, rng), strs("b", nl, 30, 0.05, rng),
                           ints("c", WEFT_TYPE_UINT8, nl, 3, 0.0, rng), floats("x", nl, 0.1, rng)};
  std::vector<Col> right = {ints("a", WEFT_TYPE_INT64, nr, 20, 0.05, rng), strs("b", nr, 30, 0.05, rng),
                            ints("c", WEFT_TYPE_INT16, nr, 3, 0.05, rng), floats("x", nr, 0.1, rng)};
  check_all_kinds(left, right, {"a", "b", "c"}, {"a", "b", "c"});
}

TEST(Join, StringKeys) {
  std::mt19937_64 rng(3);
  size_t nl = 20000, nr = 700;
  std::vector<Col> left = {strs("name", nl, 343, 0.02, rng), ints("v", WEFT_TYPE_INT64, nl, 1000, 0.1, rng)};
  std::vector<Col> right = {strs("name", nr, 343, 0.02, rng), strs("t", nr, 10, 0.3, rng)};
  check_all_kinds(left, right, {"name"}, {"name"});
}

TEST(Join, DateAndTimestampKeys) {
  std::mt19937_64 rng(4);
  size_t nl = 3000, nr = 500;
  std::vector<Col> left = {ints("d", WEFT_TYPE_DATE32, nl, 100, 0.1, rng), ints("t", WEFT_TYPE_TIMESTAMP_US, nl, 5, 0.1, rng)};
  std::vector<Col> right = {ints("d", WEFT_TYPE_DATE32, nr, 100, 0.1, rng), ints("t", WEFT_TYPE_TIMESTAMP_US, nr, 5, 0.1, rng),
                            ints("u", WEFT_TYPE_UINT64, nr, 1000, 0.1, rng)};
  check_all_kinds(left, right, {"d"}, {"d"});
  check_all_kinds(left, right, {"d", "t"}, {"d", "t"});
}

TEST(Join, EmptySides) {
  std::mt19937_64 rng(5);
  for (size_t nl : {0u, 1u, 5u})
    for (size_t nr : {0u, 1u, 5u}) {
      std::vector<Col> left = {ints("k", WEFT_TYPE_INT64, nl, 3, 0.2, rng), strs("s", nl, 5, 0.2, rng)};
      std::vector<Col> right = {ints("k", WEFT_TYPE_INT64, nr, 3, 0.2, rng), strs("s", nr, 5, 0.2, rng)};
      check_all_kinds(left, right, {"k"}, {"k"});
      check_all_kinds(left, right, {"s"}, {"s"});
    }
}

TEST(Join, FloatKeysZeroAndNaN) {
  std::vector<Col> left = {{"f", WEFT_TYPE_FLOAT64, {"0", "-0", "nan", "1.5", std::nullopt}}};
  std::vector<Col> right = {{"f", WEFT_TYPE_FLOAT64, {"-0", "nan", "1.5", std::nullopt}},
                            {"r", WEFT_TYPE_INT64, {"1", "2", "3", "4"}}};
  auto L = jc::build(left), R = jc::build(right);
  weft_status st;
  weft_table *out = join(L->table, R->table, {"f"}, {"f"}, WEFT_JOIN_LEFT, &st);
  ASSERT_EQ(st, WEFT_OK) << weft_last_error();
  Rows got = jc::rows_of(out);
  ASSERT_EQ(got.size(), 5u);
  EXPECT_EQ(got[0][1], Cell("1"));  // 0.0 matches -0.0
  EXPECT_EQ(got[1][1], Cell("1"));
  EXPECT_EQ(got[2][1], Cell("2"));  // NaN matches NaN (Polars' float join)
  EXPECT_EQ(got[3][1], Cell("3"));
  EXPECT_EQ(got[4][1], std::nullopt);
  weft_table_free(out);
}

TEST(Join, SlicedInputs) {
  std::mt19937_64 rng(6);
  size_t n = 3000;
  std::vector<Col> left = {ints("k", WEFT_TYPE_INT64, n, 300, 0.1, rng), strs("s", n, 40, 0.1, rng),
                           bools("b", n, 0.1, rng)};
  std::vector<Col> right = {ints("k", WEFT_TYPE_INT64, n, 300, 0.1, rng), bools("b", n, 0.1, rng),
                            strs("s", n, 40, 0.1, rng)};
  auto L = jc::build(left), R = jc::build(right);
  weft_table *ls, *rs;
  ASSERT_WEFT_OK(weft_table_slice(L->table, 3, 2001, &ls));
  ASSERT_WEFT_OK(weft_table_slice(R->table, 11, 999, &rs));
  auto cut = [](std::vector<Col> cols, size_t off, size_t len) {
    for (auto &c : cols) c.cells = std::vector<Cell>(c.cells.begin() + off, c.cells.begin() + off + len);
    return cols;
  };
  for (int k = 0; k < 4; k++) {
    weft_status st;
    weft_table *out = join(ls, rs, {"k", "s"}, {"k", "s"}, (weft_join_kind)k, &st);
    ASSERT_EQ(st, WEFT_OK) << weft_last_error();
    expect_same(jc::rows_of(out), reference(cut(left, 3, 2001), cut(right, 11, 999), {"k", "s"}, {"k", "s"},
                                            (weft_join_kind)k), kKinds[k]);
    weft_table_free(out);
  }
  weft_table_free(ls);
  weft_table_free(rs);
}

TEST(Join, Errors) {
  std::vector<Col> left = {{"k", WEFT_TYPE_INT64, {"1"}}, {"v_right", WEFT_TYPE_INT64, {"1"}}};
  std::vector<Col> right = {{"name", WEFT_TYPE_UTF8, {"1"}}, {"k", WEFT_TYPE_INT64, {"1"}},
                            {"v", WEFT_TYPE_INT64, {"1"}}, {"f", WEFT_TYPE_FLOAT64, {"1"}}};
  left.push_back({"v", WEFT_TYPE_INT64, {"2"}});
  auto L = jc::build(left), R = jc::build(right);
  weft_status st;
  EXPECT_EQ(join(L->table, R->table, {"k"}, {"name"}, WEFT_JOIN_INNER, &st), nullptr);
  EXPECT_EQ(st, WEFT_ERR_INVALID_ARGUMENT);
  std::string msg = weft_last_error();
  EXPECT_NE(msg.find("\"k\""), std::string::npos) << msg;
  EXPECT_NE(msg.find("\"name\""), std::string::npos) << msg;
  EXPECT_NE(msg.find("utf8"), std::string::npos) << msg;
  join(L->table, R->table, {"k"}, {"f"}, WEFT_JOIN_INNER, &st);
  EXPECT_EQ(st, WEFT_ERR_INVALID_ARGUMENT);
  join(L->table, R->table, {"k"}, {"nope"}, WEFT_JOIN_INNER, &st);
  EXPECT_EQ(st, WEFT_ERR_NOT_FOUND);
  EXPECT_NE(std::string(weft_last_error()).find("nope"), std::string::npos);
  // "v" clashes, and "v" + "_right" clashes again with the left's "v_right".
  join(L->table, R->table, {"k"}, {"k"}, WEFT_JOIN_INNER, &st);
  EXPECT_EQ(st, WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(weft_last_error()).find("v_right"), std::string::npos);
  weft_table *out = join(L->table, R->table, {"k"}, {"k"}, WEFT_JOIN_SEMI, &st);  // no right columns
  EXPECT_EQ(st, WEFT_OK) << weft_last_error();
  weft_table_free(out);
  const char *k = "k";
  EXPECT_EQ(weft_table_join(nullptr, L->table, R->table, 0, &k, &k, WEFT_JOIN_INNER, nullptr, &out),
            WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(weft_table_join(nullptr, L->table, R->table, 1, &k, &k, (weft_join_kind)9, nullptr, &out),
            WEFT_ERR_INVALID_ARGUMENT);
}

TEST(Join, ReportAndStrictDevice) {
  std::vector<Col> left = {{"k", WEFT_TYPE_INT64, {"1", "2"}}};
  auto L = jc::build(left);
  weft_exec *ex;
  ASSERT_WEFT_OK(weft_exec_create(&ex));
  const char *k = "k";
  weft_table *out = nullptr;
  ASSERT_WEFT_OK(weft_table_join(ex, L->table, L->table, 1, &k, &k, WEFT_JOIN_INNER, nullptr, &out));
  const char *text;
  ASSERT_WEFT_OK(weft_exec_report(ex, &text));
  EXPECT_NE(std::string(text).find("join inner"), std::string::npos) << text;
  EXPECT_NE(std::string(text).find("cpu:0"), std::string::npos) << text;
  weft_table_free(out);
  // Another device: the join runs there (test_join_device.cc checks its output) and the
  // report names it; strict mode runs it there too.
  size_t dev;
  if (weft_device_find("opencl:0", &dev) == WEFT_OK) {
    ASSERT_WEFT_OK(weft_exec_set_device(ex, "opencl:0"));
    ASSERT_WEFT_OK(weft_table_join(ex, L->table, L->table, 1, &k, &k, WEFT_JOIN_SEMI, nullptr, &out));
    ASSERT_WEFT_OK(weft_exec_report(ex, &text));
    EXPECT_NE(std::string(text).find("opencl:0"), std::string::npos) << text;
    EXPECT_NE(std::string(text).find("hash table built on 2 right rows"), std::string::npos) << text;
    weft_table_free(out);
    ASSERT_WEFT_OK(weft_exec_set_strict(ex, 1));
    ASSERT_WEFT_OK(weft_table_join(ex, L->table, L->table, 1, &k, &k, WEFT_JOIN_SEMI, nullptr, &out));
    weft_table_free(out);
  }
  weft_exec_free(ex);
}

TEST(Join, UniqueDenseRightKeys) {
  // right keys unique over a small range (the direct table): negative values, nulls on both
  // sides, left keys outside the range, mixed integer widths, left sizes around the probe
  // partition (16384 rows) and the compaction block (65536 rows); and a duplicate that
  // sends the same data to the hash buckets
  std::mt19937_64 rng(5);
  for (size_t nl : {0u, 1u, 16383u, 16385u, 65537u}) {
    for (size_t nr : {1u, 9u, 3001u}) {
      std::vector<int> perm(nr);
      for (size_t i = 0; i < nr; i++) perm[i] = (int)i - (int)nr / 3;
      std::shuffle(perm.begin(), perm.end(), rng);
      Col rk{"k", WEFT_TYPE_INT64, {}};
      for (size_t i = 0; i < nr; i++)
        rk.cells.push_back(i % 17 == 5 ? Cell() : Cell(std::to_string(perm[i])));
      Col lk{"k", WEFT_TYPE_INT32, {}};
      std::uniform_int_distribution<int> pick(-(int)nr / 2, (int)nr + 3);
      for (size_t i = 0; i < nl; i++) lk.cells.push_back(i % 23 == 4 ? Cell() : Cell(std::to_string(pick(rng))));
      std::vector<Col> left = {lk, floats("x", nl, 0.1, rng), strs("s", nl, 50, 0.1, rng), bools("flag", nl, 0.2, rng)};
      std::vector<Col> right = {rk, ints("w", WEFT_TYPE_INT16, nr, 100, 0.1, rng), bools("b", nr, 0.3, rng),
                                strs("t", nr, 40, 0.2, rng)};
      SCOPED_TRACE(std::to_string(nl) + " x " + std::to_string(nr));
      check_all_kinds(left, right, {"k"}, {"k"});
      if (nr > 1 && nl > 0 && nl < 20000) {
        right[0].cells[nr - 1] = right[0].cells[0].has_value() ? right[0].cells[0] : Cell("0");
        check_all_kinds(left, right, {"k"}, {"k"});
      }
    }
  }
}
