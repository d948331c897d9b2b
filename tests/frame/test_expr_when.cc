// The newer expression families through the C API, against plain loops: when/then/otherwise,
// is_in, floor division, round/floor/ceil, date parts (against gmtime_r), durations, and
// str.contains / str.replace with a regex (against std::regex on patterns both read alike).
#include <cmath>
#include <cstring>
#include <ctime>
#include <limits>
#include <memory>
#include <random>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "expr_helpers.h"
#include "test_support.h"

namespace {

using namespace ex;  // NOLINT: the builders read like the expressions they build

// A table of int64 / float64 / date32 / utf8 columns over vectors it owns.
struct T {
  std::vector<std::vector<uint8_t>> bufs;
  std::vector<std::string> names;
  std::vector<weft_column_view> views;
  weft_table *t = nullptr;
  ~T() { weft_table_free(t); }
  uint8_t *buf(size_t n) { bufs.emplace_back(n + 16, 0); return bufs.back().data(); }
  template <class V>
  void add(const char *name, weft_type type, const std::vector<V> &v, const std::vector<bool> &valid) {
    weft_column_view c{};
    c.type = type;
    c.length = (int64_t)v.size();
    uint8_t *b = buf(v.size() * sizeof(V));
    if (!v.empty()) memcpy(b, v.data(), v.size() * sizeof(V));
    c.values = b;
    set(name, c, valid);
  }
  void add_str(const char *name, const std::vector<std::string> &v, const std::vector<bool> &valid) {
    weft_column_view c{};
    c.type = WEFT_TYPE_UTF8;
    c.length = (int64_t)v.size();
    std::vector<int32_t> off{0};
    std::string data;
    for (auto &s : v) data += s, off.push_back((int32_t)data.size());
    uint8_t *o = buf(off.size() * 4), *d = buf(data.size());
    memcpy(o, off.data(), off.size() * 4);
    memcpy(d, data.data(), data.size());
    c.values = o;
    c.data = (const char *)d;
    set(name, c, valid);
  }
  void set(const char *name, weft_column_view c, const std::vector<bool> &valid) {
    auto bits = pack_bits(valid);
    uint8_t *b = buf(bits.size());
    if (!bits.empty()) memcpy(b, bits.data(), bits.size());
    c.validity = b;
    c.null_count = -1;
    names.push_back(name);
    views.push_back(c);
  }
  weft_table *table() {
    if (!t) {
      std::vector<const char *> cn;
      for (auto &s : names) cn.push_back(s.c_str());
      weft_test_ok(weft_table_from_columns(names.size(), cn.data(), views.data(), nullptr, nullptr, &t));
    }
    return t;
  }
};

struct Col {
  weft_table *t = nullptr;
  weft_column_view v{};
  ~Col() { weft_table_free(t); }
  bool valid(int64_t i) const { return !v.validity || bit(v.validity, (size_t)(v.offset + i)); }
  template <class V> V get(int64_t i) const { return ((const V *)v.values)[v.offset + i]; }
  bool b(int64_t i) const { return bit((const uint8_t *)v.values, (size_t)(v.offset + i)); }
  std::string s(int64_t i) const {
    const int32_t *o = (const int32_t *)v.values + v.offset;
    return std::string(v.data + o[i], (size_t)(o[i + 1] - o[i]));
  }
};

std::unique_ptr<Col> eval(weft_table *t, E e) {
  auto r = std::make_unique<Col>();
  const weft_expr *xs[] = {e.get()};
  EXPECT_EQ(weft_table_select(nullptr, t, 1, xs, &r->t), WEFT_OK) << weft_last_error();
  weft_test_ok(weft_table_column(r->t, 0, &r->v));
  return r;
}

E when(E c, E t, E o) {
  weft_expr *e = nullptr;
  weft_test_ok(weft_expr_when(c.get(), t.get(), o ? o.get() : nullptr, &e));
  return wrap(e);
}
E rx(E a, const char *p) {
  weft_expr *e = nullptr;
  weft_test_ok(weft_expr_str_contains_pattern(a.get(), p, 0, &e));
  return wrap(e);
}

const int64_t kSizes[] = {0, 1, 17, 4097, 10001};

TEST(ExprWhen, WhenIsInFloorDivAgainstLoops) {
  std::mt19937_64 rng(7);
  for (int64_t n : kSizes) {
    std::vector<int64_t> a(n), b(n);
    for (auto &x : a) x = (int64_t)(rng() % 41) - 20;
    for (auto &x : b) x = (int64_t)(rng() % 9) - 4;
    if (n > 2) a[0] = std::numeric_limits<int64_t>::min(), b[0] = -1;
    auto va = random_valid(n, 0.2, rng), vb = random_valid(n, 0.2, rng);
    T tab;
    tab.add("a", WEFT_TYPE_INT64, a, va);
    tab.add("b", WEFT_TYPE_INT64, b, vb);
    auto w = eval(tab.table(), when(bin(WEFT_OP_GT, col("a"), lit(0)), col("a"), col("b")));
    auto wn = eval(tab.table(), when(bin(WEFT_OP_GT, col("a"), lit(0)), col("b"), nullptr));
    const int64_t set[] = {3, -4, 17, 3};
    weft_expr *ie = nullptr;
    weft_test_ok(weft_expr_is_in(col("a").get(), WEFT_TYPE_INT64, set, 4, &ie));
    auto in = eval(tab.table(), wrap(ie));
    auto fd = eval(tab.table(), bin(WEFT_OP_FLOORDIV, col("a"), col("b")));
    std::set<int64_t> s(std::begin(set), std::end(set));
    for (int64_t i = 0; i < n; i++) {
      bool cond = va[i] && a[i] > 0;
      ASSERT_EQ(w->valid(i), cond ? va[i] : (bool)vb[i]) << i;
      if (w->valid(i)) {
        ASSERT_EQ(w->get<int64_t>(i), cond ? a[i] : b[i]) << i;
      }
      ASSERT_EQ(wn->valid(i), cond && vb[i]) << i;
      ASSERT_EQ(in->valid(i), (bool)va[i]);
      if (va[i]) {
        ASSERT_EQ(in->b(i), s.count(a[i]) > 0) << i;
      }
      bool ok = va[i] && vb[i] && b[i] != 0;
      ASSERT_EQ(fd->valid(i), ok) << i;
      if (!ok) continue;
      int64_t q = b[i] == -1 ? (int64_t)(0 - (uint64_t)a[i]) : a[i] / b[i];
      if (b[i] != -1 && a[i] % b[i] != 0 && ((a[i] < 0) != (b[i] < 0))) q--;
      ASSERT_EQ(fd->get<int64_t>(i), q) << a[i] << " // " << b[i];
    }
  }
}

TEST(ExprWhen, RoundFloorCeilAndDateParts) {
  std::mt19937_64 rng(11);
  std::normal_distribution<double> nd(0, 50);
  for (int64_t n : kSizes) {
    std::vector<double> f(n);
    std::vector<int32_t> d(n);
    for (auto &x : f) x = std::round(nd(rng) * 8) / 8;  // many exact ties
    for (auto &x : d) x = (int32_t)((int64_t)(rng() % 200000) - 100000);
    auto vf = random_valid(n, 0.1, rng), vd = random_valid(n, 0.1, rng);
    T tab;
    tab.add("f", WEFT_TYPE_FLOAT64, f, vf);
    tab.add("d", WEFT_TYPE_DATE32, d, vd);
    weft_expr *r2 = nullptr;
    weft_test_ok(weft_expr_round(col("f").get(), 2, &r2));
    auto rr = eval(tab.table(), wrap(r2));
    auto fl = eval(tab.table(), un(WEFT_OP_FLOOR, col("f")));
    auto ce = eval(tab.table(), un(WEFT_OP_CEIL, col("f")));
    auto y = eval(tab.table(), un(WEFT_OP_DT_YEAR, col("d")));
    auto m = eval(tab.table(), un(WEFT_OP_DT_MONTH, col("d")));
    auto dd = eval(tab.table(), un(WEFT_OP_DT_DAY, col("d")));
    auto wd = eval(tab.table(), un(WEFT_OP_DT_WEEKDAY, col("d")));
    weft_expr *dur = nullptr;
    weft_test_ok(weft_expr_literal_duration(-3600000000LL, &dur));  // minus one hour
    auto sh = eval(tab.table(), bin(WEFT_OP_ADD, col("d"), wrap(dur)));
    for (int64_t i = 0; i < n; i++) {
      if (vf[i]) {
        ASSERT_EQ(rr->get<double>(i), std::rint(f[i] * 100) / 100) << f[i];
        ASSERT_EQ(fl->get<double>(i), std::floor(f[i]));
        ASSERT_EQ(ce->get<double>(i), std::ceil(f[i]));
      }
      if (!vd[i]) {
        ASSERT_FALSE(y->valid(i));
        continue;
      }
      time_t secs = (time_t)d[i] * 86400;
      struct tm tm;
      gmtime_r(&secs, &tm);
      ASSERT_EQ(y->get<int32_t>(i), tm.tm_year + 1900) << d[i];
      ASSERT_EQ(m->get<int8_t>(i), tm.tm_mon + 1) << d[i];
      ASSERT_EQ(dd->get<int8_t>(i), tm.tm_mday) << d[i];
      ASSERT_EQ(wd->get<int8_t>(i), tm.tm_wday == 0 ? 7 : tm.tm_wday) << d[i];
      ASSERT_EQ(sh->get<int32_t>(i), d[i] - 1) << d[i];
    }
  }
}

TEST(ExprWhen, RegexContainsAndReplaceAgainstStdRegex) {
  weft_expr *probe = nullptr;
  if (weft_expr_str_contains_pattern(col("s").get(), "a.", 0, &probe) == WEFT_ERR_UNSUPPORTED) {
    EXPECT_NE(std::string(weft_last_error()).find("weft was built without PCRE2"), std::string::npos);
    GTEST_SKIP() << "weft was built without PCRE2";
  }
  weft_expr_free(probe);
  std::mt19937_64 rng(3);
  const char alphabet[] = "abcx1 9.";
  for (int64_t n : kSizes) {
    std::vector<std::string> s(n);
    for (auto &x : s)
      for (int k = (int)(rng() % 9); k > 0; k--) x += alphabet[rng() % (sizeof alphabet - 1)];
    auto valid = random_valid(n, 0.1, rng);
    T tab;
    tab.add_str("s", s, valid);
    const char *pats[] = {"a[bc]+", "^x", "\\d\\d", "c$", "(ab|x1)", "a.c"};
    for (const char *p : pats) {
      auto r = eval(tab.table(), rx(col("s"), p));
      std::regex re(p);
      for (int64_t i = 0; i < n; i++) {
        if (valid[i]) {
          ASSERT_EQ(r->b(i), std::regex_search(s[i], re)) << p << " on " << s[i];
        }
      }
    }
    weft_expr *rep = nullptr;
    weft_test_ok(weft_expr_str_replace(col("s").get(), "([ab])(\\d)", "$2$1", 0, -1, &rep));
    auto r = eval(tab.table(), wrap(rep));
    std::regex re("([ab])(\\d)");
    for (int64_t i = 0; i < n; i++) {
      if (valid[i]) {
        ASSERT_EQ(r->s(i), std::regex_replace(s[i], re, "$2$1")) << s[i];
      }
    }
  }
}

TEST(ExprWhen, ErrorsNameTheCallAndTheValue) {
  weft_expr *e = nullptr;
  weft_status st = weft_expr_str_contains_pattern(col("s").get(), "a(b", 0, &e);
  std::string msg = weft_last_error();
  if (st != WEFT_ERR_UNSUPPORTED) {  // a build without PCRE2 says so instead (test above)
    EXPECT_EQ(st, WEFT_ERR_INVALID_ARGUMENT);
    EXPECT_NE(msg.find("str.contains(\"a(b\")"), std::string::npos) << msg;
    EXPECT_NE(msg.find("offset 3"), std::string::npos) << msg;
  }
  EXPECT_EQ(weft_expr_str_contains_pattern(col("s").get(), "(a)\\1", 0, &e), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(weft_last_error()).find("backreferences"), std::string::npos);
  EXPECT_EQ(weft_expr_str_contains_pattern(col("s").get(), "a(?!b)", 0, &e), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(weft_last_error()).find("lookaround"), std::string::npos);
  EXPECT_EQ(weft_expr_round(col("f").get(), -1, &e), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(weft_last_error()).find("decimals"), std::string::npos);
  const char *strs[] = {"a", nullptr};
  EXPECT_EQ(weft_expr_is_in(col("s").get(), WEFT_TYPE_UTF8, strs, 2, &e), WEFT_ERR_INVALID_ARGUMENT);
  // plain text needs no regex engine in any build
  weft_test_ok(weft_expr_str_contains_pattern(col("s").get(), "a(b", 1, &e));
  weft_expr_free(e);
  T tab;
  tab.add("i", WEFT_TYPE_INT64, std::vector<int64_t>{1}, {true});
  weft_type ty;
  EXPECT_EQ(weft_expr_output(un(WEFT_OP_DT_TOTAL_DAYS, col("i")).get(), tab.table(), nullptr, &ty),
            WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(weft_last_error()).find("dt.total_days"), std::string::npos);
  const double fs[] = {1.5};
  EXPECT_EQ(weft_expr_output(wrap([&] { weft_expr *x = nullptr; weft_test_ok(weft_expr_is_in(col("i").get(), WEFT_TYPE_FLOAT64, fs, 1, &x)); return x; }()).get(),
                             tab.table(), nullptr, &ty), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(weft_last_error()).find("is_in"), std::string::npos);
}

}  // namespace
