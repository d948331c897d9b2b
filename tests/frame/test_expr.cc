// Expressions, select, with_columns and filter against plain loops over the same vectors.
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "expr_helpers.h"
#include "test_support.h"

namespace {

// A table over vectors this struct owns (release = NULL: they outlive the table).
struct Tab {
  std::vector<std::vector<uint8_t>> bufs;
  std::vector<std::string> names;
  std::vector<weft_column_view> views;
  weft_table *t = nullptr;
  int64_t n = -1;
  ~Tab() { weft_table_free(t); }
  uint8_t *buf(size_t bytes) {
    bufs.emplace_back(bytes + 16, 0);
    return bufs.back().data();
  }
  void add_view(const std::string &name, weft_column_view v, const std::vector<bool> *valid) {
    if (valid) {
      auto bits = pack_bits(*valid);
      uint8_t *b = buf(bits.size());
      memcpy(b, bits.data(), bits.size());
      v.validity = b;
    }
    v.null_count = -1;
    names.push_back(name);
    views.push_back(v);
  }
  template <class T>
  void add(const std::string &name, weft_type type, const std::vector<T> &vals,
           const std::vector<bool> *valid = nullptr) {
    weft_column_view v{};
    v.type = type;
    v.length = (int64_t)vals.size();
    uint8_t *b = buf(vals.size() * sizeof(T));
    if (!vals.empty()) memcpy(b, vals.data(), vals.size() * sizeof(T));
    v.values = b;
    add_view(name, v, valid);
  }
  void add_bool(const std::string &name, const std::vector<bool> &vals, const std::vector<bool> *valid = nullptr) {
    weft_column_view v{};
    v.type = WEFT_TYPE_BOOL;
    v.length = (int64_t)vals.size();
    auto bits = pack_bits(vals);
    uint8_t *b = buf(bits.size());
    memcpy(b, bits.data(), bits.size());
    v.values = b;
    add_view(name, v, valid);
  }
  void add_str(const std::string &name, const std::vector<std::string> &vals,
               const std::vector<bool> *valid = nullptr) {
    weft_column_view v{};
    v.type = WEFT_TYPE_UTF8;
    v.length = (int64_t)vals.size();
    std::vector<int32_t> off{0};
    std::string data;
    for (auto &s : vals) data += s, off.push_back((int32_t)data.size());
    uint8_t *o = buf(off.size() * 4), *d = buf(data.size());
    memcpy(o, off.data(), off.size() * 4);
    memcpy(d, data.data(), data.size());
    v.values = o;
    v.data = (const char *)d;
    add_view(name, v, valid);
  }
  weft_table *table() {
    if (!t) {
      std::vector<const char *> cn;
      for (auto &s : names) cn.push_back(s.c_str());
      EXPECT_EQ(weft_table_from_columns(names.size(), cn.data(), views.data(), nullptr, nullptr, &t), WEFT_OK)
          << weft_last_error();
    }
    return t;
  }
};

using namespace ex;  // NOLINT: the builders read like the expressions they build

// One computed column, read back.
struct Res {
  weft_table *t = nullptr;
  weft_column_view v{};
  std::string name;
  ~Res() { weft_table_free(t); }
  bool valid(int64_t i) const { return !v.validity || bit(v.validity, (size_t)(v.offset + i)); }
  template <class T> T get(int64_t i) const { return ((const T *)v.values)[v.offset + i]; }
  bool b(int64_t i) const { return bit((const uint8_t *)v.values, (size_t)(v.offset + i)); }
  std::string s(int64_t i) const {
    const int32_t *o = (const int32_t *)v.values + v.offset;
    return std::string(v.data + o[i], (size_t)(o[i + 1] - o[i]));
  }
};

std::unique_ptr<Res> eval(weft_table *t, E e) {
  auto r = std::make_unique<Res>();
  const weft_expr *xs[] = {e.get()};
  weft_status st = weft_table_select(nullptr, t, 1, xs, &r->t);
  EXPECT_EQ(st, WEFT_OK) << weft_last_error();
  if (st != WEFT_OK) return nullptr;
  weft_test_ok(weft_table_column(r->t, 0, &r->v));
  const char *name;
  weft_test_ok(weft_table_column_name(r->t, 0, &name));
  r->name = name;
  return r;
}

std::string select_error(weft_table *t, E e, weft_status want = WEFT_ERR_INVALID_ARGUMENT) {
  const weft_expr *xs[] = {e.get()};
  weft_table *out = nullptr;
  EXPECT_EQ(weft_table_select(nullptr, t, 1, xs, &out), want);
  weft_table_free(out);
  return weft_last_error();
}

weft_type out_type(weft_table *t, E e) {
  weft_type ty = WEFT_TYPE_BOOL;
  EXPECT_EQ(weft_expr_output(e.get(), t, nullptr, &ty), WEFT_OK) << weft_last_error();
  return ty;
}

const int64_t kSizes[] = {0, 1, 7, 4097, 1000003};

int64_t pymod(int64_t a, int64_t b) {
  int64_t r = a % b;
  return r != 0 && ((r < 0) != (b < 0)) ? r + b : r;
}

TEST(Expr, IntArithmeticAgainstLoops) {
  std::mt19937_64 rng(1);
  for (int64_t n : kSizes) {
    std::vector<int32_t> a(n);
    std::vector<int64_t> b(n);
    for (auto &x : a) x = (int32_t)(rng() % 2001) - 1000;
    for (auto &x : b) x = (int64_t)(rng() % 21) - 10;  // zeros included
    auto va = random_valid(n, 0.1, rng), vb = random_valid(n, 0.2, rng);
    Tab tab;
    tab.add("a", WEFT_TYPE_INT32, a, &va);
    tab.add("b", WEFT_TYPE_INT64, b, &vb);
    weft_table *t = tab.table();
    for (int op = WEFT_OP_ADD; op <= WEFT_OP_MOD; op++) {
      auto e = bin((weft_binary_op)op, col("a"), col("b"));
      auto r = eval(t, e);
      ASSERT_TRUE(r);
      EXPECT_EQ(r->name, "a");
      EXPECT_EQ(r->v.type, op == WEFT_OP_DIV ? WEFT_TYPE_FLOAT64 : WEFT_TYPE_INT64);
      for (int64_t i = 0; i < n; i++) {
        bool valid = va[i] && vb[i] && !(op == WEFT_OP_MOD && b[i] == 0);
        ASSERT_EQ(r->valid(i), valid) << "op " << op << " row " << i;
        if (!valid) continue;
        if (op == WEFT_OP_DIV) {
          double want = (double)a[i] / (double)b[i], got = r->get<double>(i);
          ASSERT_TRUE(got == want || (std::isnan(got) && std::isnan(want))) << i;
        } else {
          int64_t want = op == WEFT_OP_ADD ? a[i] + b[i] : op == WEFT_OP_SUB ? a[i] - b[i]
                       : op == WEFT_OP_MUL ? a[i] * b[i] : pymod(a[i], b[i]);
          ASSERT_EQ(r->get<int64_t>(i), want) << "op " << op << " row " << i;
        }
      }
    }
    // a literal that fits keeps the column's type; int32 arithmetic wraps
    auto r = eval(t, bin(WEFT_OP_MUL, col("a"), lit(3000000)));
    EXPECT_EQ(r->v.type, WEFT_TYPE_INT32);
    for (int64_t i = 0; i < n; i++)
      if (va[i]) { ASSERT_EQ(r->get<int32_t>(i), (int32_t)(uint32_t)((int64_t)a[i] * 3000000)); }
    EXPECT_EQ(r->v.validity == nullptr, n == 0 || std::all_of(va.begin(), va.end(), [](bool x) { return x; }));
  }
}

// Same-type integer arithmetic wraps in the type, as Polars' release builds; % follows Python.
template <class T>
void same_type_ints(weft_type type, uint64_t seed) {
  std::mt19937_64 rng(seed);
  const int64_t n = 70001;
  std::vector<T> a(n), b(n);
  for (int64_t i = 0; i < n; i++) a[i] = (T)rng(), b[i] = (T)(i % 17 == 0 ? 0 : rng());
  auto va = random_valid(n, 0.1, rng);
  Tab tab;
  tab.add("a", type, a, &va);
  tab.add("b", type, b);
  for (int op = WEFT_OP_ADD; op <= WEFT_OP_MOD; op++) {
    if (op == WEFT_OP_DIV) continue;
    auto r = eval(tab.table(), bin((weft_binary_op)op, col("a"), col("b")));
    ASSERT_TRUE(r);
    ASSERT_EQ(r->v.type, type);
    for (int64_t i = 0; i < n; i++) {
      bool valid = va[i] && !(op == WEFT_OP_MOD && b[i] == 0);
      ASSERT_EQ(r->valid(i), valid) << weft_type_name(type) << " op " << op << " row " << i;
      if (!valid) continue;
      T want;
      if (op == WEFT_OP_ADD) want = (T)((uint64_t)a[i] + (uint64_t)b[i]);
      else if (op == WEFT_OP_SUB) want = (T)((uint64_t)a[i] - (uint64_t)b[i]);
      else if (op == WEFT_OP_MUL) want = (T)((uint64_t)a[i] * (uint64_t)b[i]);
      else if (std::is_signed<T>::value) {
        if (b[i] == -1) want = 0;
        else {
          T m = (T)(a[i] % b[i]);
          want = (m != 0 && ((m < 0) != (b[i] < 0))) ? (T)(m + b[i]) : m;
        }
      } else {
        want = (T)(a[i] % b[i]);
      }
      ASSERT_EQ(r->template get<T>(i), want) << weft_type_name(type) << " op " << op << " row " << i;
    }
  }
  if (std::is_signed<T>::value) {
    auto ng = eval(tab.table(), un(WEFT_OP_NEG, col("a")));
    auto ab = eval(tab.table(), un(WEFT_OP_ABS, col("a")));
    for (int64_t i = 0; i < n; i++) {
      if (!va[i]) continue;
      ASSERT_EQ(ng->template get<T>(i), (T)(0 - (uint64_t)a[i]));
      ASSERT_EQ(ab->template get<T>(i), a[i] < 0 ? (T)(0 - (uint64_t)a[i]) : a[i]);
    }
  }
}

TEST(Expr, EveryIntegerTypeWrapsAndMods) {
  same_type_ints<int8_t>(WEFT_TYPE_INT8, 1);
  same_type_ints<int16_t>(WEFT_TYPE_INT16, 2);
  same_type_ints<int32_t>(WEFT_TYPE_INT32, 3);
  same_type_ints<int64_t>(WEFT_TYPE_INT64, 4);
  same_type_ints<uint8_t>(WEFT_TYPE_UINT8, 5);
  same_type_ints<uint16_t>(WEFT_TYPE_UINT16, 6);
  same_type_ints<uint32_t>(WEFT_TYPE_UINT32, 7);
  same_type_ints<uint64_t>(WEFT_TYPE_UINT64, 8);
}

TEST(Expr, FloatArithmeticNaNAndFloat32) {
  std::mt19937_64 rng(2);
  std::normal_distribution<double> d;
  for (int64_t n : kSizes) {
    std::vector<double> a(n);
    std::vector<float> f(n), g(n);
    for (int64_t i = 0; i < n; i++) {
      a[i] = i % 13 == 0 ? NAN : d(rng);
      f[i] = (float)d(rng);
      g[i] = i % 11 == 0 ? 0.0f : (float)d(rng);
    }
    auto va = random_valid(n, 0.1, rng);
    Tab tab;
    tab.add("a", WEFT_TYPE_FLOAT64, a, &va);
    tab.add("f", WEFT_TYPE_FLOAT32, f);
    tab.add("g", WEFT_TYPE_FLOAT32, g);
    weft_table *t = tab.table();
    auto r = eval(t, bin(WEFT_OP_ADD, col("a"), col("f")));
    EXPECT_EQ(r->v.type, WEFT_TYPE_FLOAT64);
    for (int64_t i = 0; i < n; i++) {
      ASSERT_EQ(r->valid(i), (bool)va[i]);
      if (va[i]) {
        double want = a[i] + (double)f[i];
        ASSERT_TRUE(std::isnan(want) ? std::isnan(r->get<double>(i)) : r->get<double>(i) == want);
      }
    }
    auto q = eval(t, bin(WEFT_OP_DIV, col("f"), col("g")));
    EXPECT_EQ(q->v.type, WEFT_TYPE_FLOAT32);
    EXPECT_EQ(q->v.validity, nullptr);
    for (int64_t i = 0; i < n; i++) {
      float want = f[i] / g[i];
      ASSERT_TRUE(std::isnan(want) ? std::isnan(q->get<float>(i)) : q->get<float>(i) == want) << i;
    }
    auto m = eval(t, bin(WEFT_OP_MUL, col("f"), litf(2.5)));
    EXPECT_EQ(m->v.type, WEFT_TYPE_FLOAT32);
    for (int64_t i = 0; i < n; i++) ASSERT_EQ(m->get<float>(i), f[i] * 2.5f);
    auto s = eval(t, un(WEFT_OP_SQRT, col("a")));
    for (int64_t i = 0; i < n; i++)
      if (va[i]) {
        double want = std::sqrt(a[i]);
        ASSERT_TRUE(std::isnan(want) ? std::isnan(s->get<double>(i)) : s->get<double>(i) == want);
      }
    auto ex = eval(t, un(WEFT_OP_EXP, col("f")));
    EXPECT_EQ(ex->v.type, WEFT_TYPE_FLOAT32);
    for (int64_t i = 0; i < n; i++) ASSERT_EQ(ex->get<float>(i), (float)std::exp((double)f[i]));
    auto lg = eval(t, un(WEFT_OP_LOG, un(WEFT_OP_ABS, col("a"))));
    auto ng = eval(t, un(WEFT_OP_NEG, col("a")));
    for (int64_t i = 0; i < n; i++)
      if (va[i] && !std::isnan(a[i])) {
        ASSERT_EQ(lg->get<double>(i), std::log(std::fabs(a[i])));
        ASSERT_EQ(ng->get<double>(i), -a[i]);
      }
  }
}

TEST(Expr, ModAndDivSigns) {
  std::vector<int64_t> a = {7, -7, 7, -7, 0, 5, INT64_MIN};
  std::vector<int64_t> b = {3, 3, -3, -3, 3, 0, -1};
  Tab tab;
  tab.add("a", WEFT_TYPE_INT64, a);
  tab.add("b", WEFT_TYPE_INT64, b);
  std::vector<double> fa = {7.5, -7.5, 7.5, -7.5}, fb = {2, 2, -2, -2};
  tab.add("x", WEFT_TYPE_FLOAT64, std::vector<double>{7.5, -7.5, 7.5, -7.5, 1, 1, 1});
  tab.add("y", WEFT_TYPE_FLOAT64, std::vector<double>{2, 2, -2, -2, 0, 1, 1});
  auto m = eval(tab.table(), bin(WEFT_OP_MOD, col("a"), col("b")));
  std::vector<int64_t> want = {1, 2, -2, -1, 0, 0, 0};
  for (int i = 0; i < 7; i++) {
    EXPECT_EQ(m->valid(i), i != 5) << i;
    if (i != 5) { EXPECT_EQ(m->get<int64_t>(i), want[i]) << i; }
  }
  auto d = eval(tab.table(), bin(WEFT_OP_DIV, col("a"), col("b")));
  EXPECT_TRUE(std::isinf(d->get<double>(5)));  // true division: 5 / 0 = inf, as Polars
  EXPECT_DOUBLE_EQ(d->get<double>(1), -7.0 / 3);
  auto fm = eval(tab.table(), bin(WEFT_OP_MOD, col("x"), col("y")));
  std::vector<double> fw = {1.5, 0.5, -0.5, -1.5};
  for (int i = 0; i < 4; i++) EXPECT_EQ(fm->get<double>(i), fw[i]) << i;
  EXPECT_TRUE(std::isnan(fm->get<double>(4)));
}

TEST(Expr, MixedSignComparisonsAreExact) {
  Tab tab;
  tab.add("u", WEFT_TYPE_UINT64, std::vector<uint64_t>{UINT64_MAX, 0, 5, (1ull << 63) + 1});
  tab.add("s", WEFT_TYPE_INT64, std::vector<int64_t>{-1, -1, 5, INT64_MAX});
  auto lt = eval(tab.table(), bin(WEFT_OP_LT, col("s"), col("u")));
  auto gt = eval(tab.table(), bin(WEFT_OP_GT, col("u"), col("s")));
  auto eq = eval(tab.table(), bin(WEFT_OP_EQ, col("u"), col("s")));
  bool wlt[] = {true, true, false, true}, weq[] = {false, false, true, false};
  for (int i = 0; i < 4; i++) {
    EXPECT_EQ(lt->b(i), wlt[i]) << i;
    EXPECT_EQ(gt->b(i), wlt[i]) << i;
    EXPECT_EQ(eq->b(i), weq[i]) << i;
  }
}

TEST(Expr, NaNComparesLikePolars) {
  Tab tab;
  tab.add("x", WEFT_TYPE_FLOAT64, std::vector<double>{NAN, NAN, 1.0, -INFINITY});
  tab.add("y", WEFT_TYPE_FLOAT64, std::vector<double>{NAN, INFINITY, NAN, -INFINITY});
  auto eq = eval(tab.table(), bin(WEFT_OP_EQ, col("x"), col("y")));
  auto gt = eval(tab.table(), bin(WEFT_OP_GT, col("x"), col("y")));
  bool weq[] = {true, false, false, true}, wgt[] = {false, true, false, false};
  for (int i = 0; i < 4; i++) EXPECT_EQ(eq->b(i), weq[i]) << i;
  for (int i = 0; i < 4; i++) EXPECT_EQ(gt->b(i), wgt[i]) << i;
}

TEST(Expr, KleeneTruthTables) {
  // all 9 (a, b) pairs of true / false / null
  std::vector<bool> a, b, va, vb;
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++) {
      a.push_back(i == 1), va.push_back(i != 2);
      b.push_back(j == 1), vb.push_back(j != 2);
    }
  Tab tab;
  tab.add_bool("a", a, &va);
  tab.add_bool("b", b, &vb);
  weft_table *t = tab.table();
  auto ra = eval(t, bin(WEFT_OP_AND, col("a"), col("b")));
  auto ro = eval(t, bin(WEFT_OP_OR, col("a"), col("b")));
  auto rn = eval(t, un(WEFT_OP_NOT, col("a")));
  auto rz = eval(t, un(WEFT_OP_IS_NULL, col("a")));
  auto rnn = eval(t, un(WEFT_OP_IS_NOT_NULL, col("a")));
  for (int k = 0; k < 9; k++) {
    // -1 = null
    int x = va[k] ? (int)a[k] : -1, y = vb[k] ? (int)b[k] : -1;
    int wand = (x == 0 || y == 0) ? 0 : (x == -1 || y == -1) ? -1 : 1;
    int wor = (x == 1 || y == 1) ? 1 : (x == -1 || y == -1) ? -1 : 0;
    EXPECT_EQ(ra->valid(k) ? (int)ra->b(k) : -1, wand) << x << " & " << y;
    EXPECT_EQ(ro->valid(k) ? (int)ro->b(k) : -1, wor) << x << " | " << y;
    EXPECT_EQ(rn->valid(k) ? (int)rn->b(k) : -1, x == -1 ? -1 : !x);
    EXPECT_TRUE(rz->valid(k));
    EXPECT_EQ(rz->b(k), x == -1);
    EXPECT_EQ(rnn->b(k), x != -1);
  }
  EXPECT_EQ(rz->v.validity, nullptr);
  // a null literal takes bool and is Kleene too
  auto rl = eval(t, bin(WEFT_OP_AND, col("a"), litnull(WEFT_TYPE_BOOL)));
  for (int k = 0; k < 9; k++) EXPECT_EQ(rl->valid(k) ? (int)rl->b(k) : -1, va[k] && !a[k] ? 0 : -1);
}

TEST(Expr, ComparisonsEveryType) {
  std::mt19937_64 rng(3);
  for (int64_t n : kSizes) {
    std::vector<int16_t> a(n);
    std::vector<uint64_t> u(n);
    std::vector<double> f(n);
    std::vector<std::string> s(n), s2(n);
    std::vector<int32_t> dt(n);
    const char *words[] = {"", "a", "ab", "b", "é", "日本", "ab\xc3\xa9"};
    for (int64_t i = 0; i < n; i++) {
      a[i] = (int16_t)(rng() % 7) - 3;
      u[i] = rng() % 5;
      f[i] = i % 9 == 0 ? NAN : (double)(rng() % 7) - 3;
      s[i] = words[rng() % 7], s2[i] = words[rng() % 7];
      dt[i] = (int32_t)(rng() % 5);
    }
    auto va = random_valid(n, 0.15, rng), vs = random_valid(n, 0.15, rng);
    Tab tab;
    tab.add("a", WEFT_TYPE_INT16, a, &va);
    tab.add("u", WEFT_TYPE_UINT64, u);
    tab.add("f", WEFT_TYPE_FLOAT64, f);
    tab.add_str("s", s, &vs);
    tab.add_str("s2", s2);
    tab.add("d", WEFT_TYPE_DATE32, dt);
    weft_table *t = tab.table();
    for (int op = WEFT_OP_EQ; op <= WEFT_OP_GE; op++) {
      auto cmp = [op](auto x, auto y) {
        switch (op) {
          case WEFT_OP_EQ: return x == y;
          case WEFT_OP_NE: return x != y;
          case WEFT_OP_LT: return x < y;
          case WEFT_OP_LE: return x <= y;
          case WEFT_OP_GT: return x > y;
          default: return x >= y;
        }
      };
      auto r1 = eval(t, bin((weft_binary_op)op, col("a"), col("f")));
      auto r2 = eval(t, bin((weft_binary_op)op, col("s"), col("s2")));
      auto r3 = eval(t, bin((weft_binary_op)op, col("u"), lit(2)));
      auto r4 = eval(t, bin((weft_binary_op)op, col("d"), col("d")));
      auto r5 = eval(t, bin((weft_binary_op)op, col("a"), col("u")));
      EXPECT_EQ(r1->v.type, WEFT_TYPE_BOOL);
      for (int64_t i = 0; i < n; i++) {
        ASSERT_EQ(r1->valid(i), (bool)va[i]);
        // Polars: NaN == NaN and NaN above every number
        double fi = std::isnan(f[i]) ? INFINITY : f[i];
        if (va[i]) { ASSERT_EQ(r1->b(i), cmp((double)a[i], fi)) << op << " " << i; }
        ASSERT_EQ(r2->valid(i), (bool)vs[i]);
        if (vs[i]) { ASSERT_EQ(r2->b(i), cmp(s[i], s2[i])) << op << " " << s[i] << " " << s2[i]; }
        ASSERT_EQ(r3->b(i), cmp(u[i], (uint64_t)2));
        ASSERT_EQ(r4->b(i), cmp(dt[i], dt[i]));
        if (va[i]) { ASSERT_EQ(r5->b(i), cmp((double)a[i], (double)u[i])); }
      }
    }
  }
}

TEST(Expr, TypeRulesAndErrors) {
  Tab tab;
  tab.add("i8", WEFT_TYPE_INT8, std::vector<int8_t>{1});
  tab.add("u8", WEFT_TYPE_UINT8, std::vector<uint8_t>{1});
  tab.add("u32", WEFT_TYPE_UINT32, std::vector<uint32_t>{1});
  tab.add("i32", WEFT_TYPE_INT32, std::vector<int32_t>{1});
  tab.add("f32", WEFT_TYPE_FLOAT32, std::vector<float>{1});
  tab.add("i64", WEFT_TYPE_INT64, std::vector<int64_t>{1});
  tab.add_str("s", {"x"});
  tab.add_bool("b", {true});
  tab.add("d", WEFT_TYPE_DATE32, std::vector<int32_t>{1});
  weft_table *t = tab.table();
  EXPECT_EQ(out_type(t, bin(WEFT_OP_ADD, col("i8"), col("i32"))), WEFT_TYPE_INT32);
  EXPECT_EQ(out_type(t, bin(WEFT_OP_ADD, col("u8"), col("u32"))), WEFT_TYPE_UINT32);
  EXPECT_EQ(out_type(t, bin(WEFT_OP_ADD, col("u8"), col("i8"))), WEFT_TYPE_INT64);
  EXPECT_EQ(out_type(t, bin(WEFT_OP_ADD, col("f32"), col("i8"))), WEFT_TYPE_FLOAT32);
  EXPECT_EQ(out_type(t, bin(WEFT_OP_ADD, col("f32"), col("i32"))), WEFT_TYPE_FLOAT64);
  EXPECT_EQ(out_type(t, bin(WEFT_OP_ADD, col("i8"), lit(1))), WEFT_TYPE_INT8);
  EXPECT_EQ(out_type(t, bin(WEFT_OP_ADD, col("i8"), lit(1000))), WEFT_TYPE_INT64);
  EXPECT_EQ(out_type(t, bin(WEFT_OP_ADD, lit(1), col("u32"))), WEFT_TYPE_UINT32);
  EXPECT_EQ(out_type(t, bin(WEFT_OP_ADD, col("u32"), lit(-1))), WEFT_TYPE_INT64);
  EXPECT_EQ(out_type(t, bin(WEFT_OP_ADD, col("i32"), litf(0.5))), WEFT_TYPE_FLOAT64);
  EXPECT_EQ(out_type(t, bin(WEFT_OP_DIV, col("i8"), col("i8"))), WEFT_TYPE_FLOAT64);
  EXPECT_EQ(out_type(t, un(WEFT_OP_SQRT, col("i8"))), WEFT_TYPE_FLOAT64);
  EXPECT_EQ(out_type(t, un(WEFT_OP_STR_LEN, col("s"))), WEFT_TYPE_UINT32);
  EXPECT_EQ(out_type(t, fill(col("i32"), lit(0))), WEFT_TYPE_INT32);
  EXPECT_EQ(out_type(t, fill(col("i32"), litf(0.5))), WEFT_TYPE_FLOAT64);
  const char *name = nullptr;
  E named = bin(WEFT_OP_ADD, lit(1), col("i32")), one = lit(1);  // names live as long as these
  ASSERT_WEFT_OK(weft_expr_output(named.get(), t, &name, nullptr));
  EXPECT_STREQ(name, "i32");
  ASSERT_WEFT_OK(weft_expr_output(one.get(), t, &name, nullptr));
  EXPECT_STREQ(name, "literal");

  std::string m = select_error(t, bin(WEFT_OP_ADD, col("s"), lit(1)));
  EXPECT_NE(m.find("cannot apply + to utf8 column \"s\" and int64 literal"), std::string::npos) << m;
  m = select_error(t, bin(WEFT_OP_AND, col("i32"), col("b")));
  EXPECT_NE(m.find("int32 column \"i32\""), std::string::npos) << m;
  m = select_error(t, bin(WEFT_OP_LT, col("d"), col("s")));
  EXPECT_NE(m.find("date32 column \"d\""), std::string::npos) << m;
  m = select_error(t, un(WEFT_OP_NEG, col("u8")));
  EXPECT_NE(m.find("uint8 column \"u8\""), std::string::npos) << m;
  m = select_error(t, un(WEFT_OP_STR_LEN, col("i8")));
  EXPECT_NE(m.find("str.len_chars"), std::string::npos) << m;
  m = select_error(t, cast(col("s"), WEFT_TYPE_DATE32));
  EXPECT_NE(m.find("cannot cast utf8 column \"s\" to date32"), std::string::npos) << m;
  m = select_error(t, bin(WEFT_OP_ADD, col("nope"), lit(1)), WEFT_ERR_NOT_FOUND);
  EXPECT_NE(m.find("\"nope\""), std::string::npos) << m;
  weft_table *out = nullptr;
  EXPECT_EQ(weft_table_filter(nullptr, t, col("i32").get(), &out), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(weft_last_error()).find("int32, not bool"), std::string::npos) << weft_last_error();
}

TEST(Expr, ToString) {
  auto text = [](E e) {
    const char *s = nullptr;
    EXPECT_EQ(weft_expr_to_string(e.get(), &s), WEFT_OK);
    return std::string(s);  // copied while e lives
  };
  EXPECT_EQ(text(bin(WEFT_OP_GT, col("v"), litf(0.5))), "[(col(\"v\")) > (0.5)]");
  EXPECT_EQ(text(alias(un(WEFT_OP_IS_NULL, col("v")), "w")), "col(\"v\").is_null().alias(\"w\")");
  EXPECT_EQ(text(cast(lit(2), WEFT_TYPE_FLOAT32)), "2.strict_cast(float32)");
  EXPECT_EQ(text(litf(1)), "1.0");
  EXPECT_EQ(text(contains(lits("a"), "b")), "\"a\".str.contains(\"b\")");
}

TEST(Expr, CastsNumericAndFailing) {
  std::vector<int64_t> v = {1, -5, 300, 0};
  std::vector<bool> valid = {true, true, true, false};
  Tab tab;
  tab.add("x", WEFT_TYPE_INT64, v, &valid);
  tab.add("f", WEFT_TYPE_FLOAT64, std::vector<double>{1.9, -2.7, 1e30, NAN});
  tab.add_str("s", {"12", "-3", "abc", ""}, &valid);
  tab.add_str("g", {"1.5", "1e3", "-inf", "x"}, &valid);
  tab.add("d", WEFT_TYPE_DATE32, std::vector<int32_t>{0, -1, 19000, 1});
  tab.add("ts", WEFT_TYPE_TIMESTAMP_US, std::vector<int64_t>{0, -1, 86400000001, 5});
  weft_table *t = tab.table();
  std::string m = select_error(t, cast(col("x"), WEFT_TYPE_INT8));
  EXPECT_NE(m.find("cannot cast value 300 of column \"x\" from int64 to int8"), std::string::npos) << m;
  m = select_error(t, cast(col("x"), WEFT_TYPE_UINT32));
  EXPECT_NE(m.find("value -5"), std::string::npos) << m;
  m = select_error(t, cast(col("s"), WEFT_TYPE_INT64));
  EXPECT_NE(m.find("cannot cast value \"abc\" of column \"s\" from utf8 to int64"), std::string::npos) << m;
  m = select_error(t, cast(col("f"), WEFT_TYPE_INT32));
  EXPECT_NE(m.find("1e+30"), std::string::npos) << m;
  // the null row of x (value 0) and the failing rows of others are fine when masked
  auto r = eval(t, cast(col("x"), WEFT_TYPE_INT16));
  EXPECT_EQ(r->get<int16_t>(2), 300);
  EXPECT_FALSE(r->valid(3));
  auto sf = eval(t, cast(col("x"), WEFT_TYPE_UTF8));
  EXPECT_EQ(sf->s(0), "1");
  EXPECT_EQ(sf->s(1), "-5");
  EXPECT_FALSE(sf->valid(3));
  auto ff = eval(t, cast(col("f"), WEFT_TYPE_UTF8));
  EXPECT_EQ(ff->s(0), "1.9");
  EXPECT_EQ(ff->s(2), "1e+30");
  EXPECT_EQ(ff->s(3), "NaN");
  auto gi = eval(t, cast(col("g"), WEFT_TYPE_FLOAT64));
  EXPECT_EQ(gi->get<double>(0), 1.5);
  EXPECT_EQ(gi->get<double>(1), 1000);
  EXPECT_TRUE(std::isinf(gi->get<double>(2)));
  EXPECT_FALSE(gi->valid(3));
  auto fi = eval(t, cast(bin(WEFT_OP_MUL, col("f"), lit(1)), WEFT_TYPE_BOOL));
  EXPECT_TRUE(fi->b(0));
  auto tr = eval(t, cast(bin(WEFT_OP_LT, col("f"), lit(0)), WEFT_TYPE_INT32));
  EXPECT_EQ(tr->get<int32_t>(0), 0);
  EXPECT_EQ(tr->get<int32_t>(1), 1);
  Tab t2;
  t2.add("f", WEFT_TYPE_FLOAT64, std::vector<double>{1.9, -2.7});
  auto trunc = eval(t2.table(), cast(col("f"), WEFT_TYPE_INT8));
  EXPECT_EQ(trunc->get<int8_t>(0), 1);
  EXPECT_EQ(trunc->get<int8_t>(1), -2);
  auto dts = eval(t, cast(col("d"), WEFT_TYPE_TIMESTAMP_US));
  EXPECT_EQ(dts->get<int64_t>(1), -86400000000LL);
  auto tsd = eval(t, cast(col("ts"), WEFT_TYPE_DATE32));
  EXPECT_EQ(tsd->get<int32_t>(0), 0);
  EXPECT_EQ(tsd->get<int32_t>(1), -1);  // floor: the day before the epoch
  EXPECT_EQ(tsd->get<int32_t>(2), 1);
  auto di = eval(t, cast(col("d"), WEFT_TYPE_INT64));
  EXPECT_EQ(di->get<int64_t>(2), 19000);
}

TEST(Expr, CastsRoundTripAllNumericTypes) {
  std::mt19937_64 rng(5);
  const int64_t n = 1000003;
  std::vector<int64_t> v(n);
  for (auto &x : v) x = (int64_t)(rng() % 200) - 100;
  auto valid = random_valid(n, 0.1, rng);
  Tab tab;
  tab.add("v", WEFT_TYPE_INT64, v, &valid);
  weft_table *t = tab.table();
  weft_type types[] = {WEFT_TYPE_INT8, WEFT_TYPE_INT16, WEFT_TYPE_INT32, WEFT_TYPE_FLOAT32, WEFT_TYPE_FLOAT64,
                       WEFT_TYPE_UTF8};
  for (weft_type ty : types) {
    auto r = eval(t, cast(cast(col("v"), ty), WEFT_TYPE_INT64));
    ASSERT_TRUE(r) << weft_type_name(ty);
    for (int64_t i = 0; i < n; i++) {
      ASSERT_EQ(r->valid(i), (bool)valid[i]);
      if (valid[i]) { ASSERT_EQ(r->get<int64_t>(i), v[i]) << weft_type_name(ty) << " " << i; }
    }
  }
  std::string m = select_error(t, cast(col("v"), WEFT_TYPE_UINT8));
  EXPECT_NE(m.find("of column \"v\" from int64 to uint8"), std::string::npos) << m;
  // one bad value in the last partition: still found, still named
  Tab late;
  v[n - 2] = 1000;
  std::vector<bool> all(n, true);
  late.add("late", WEFT_TYPE_INT64, v, &all);
  m = select_error(late.table(), alias(cast(col("late"), WEFT_TYPE_INT8), "x"));
  EXPECT_NE(m.find("cannot cast value 1000 of column \"late\" from int64 to int8"), std::string::npos) << m;
}

TEST(Expr, StringOpsMultiByte) {
  std::vector<std::string> s = {"Héllo", "", "日本語", "ABCabc", "naïve café", "x"};
  std::vector<bool> valid = {true, true, true, true, true, false};
  Tab tab;
  tab.add_str("s", s, &valid);
  weft_table *t = tab.table();
  auto len = eval(t, un(WEFT_OP_STR_LEN, col("s")));
  std::vector<uint32_t> want = {5, 0, 3, 6, 10};
  for (int i = 0; i < 5; i++) EXPECT_EQ(len->get<uint32_t>(i), want[i]) << i;
  EXPECT_FALSE(len->valid(5));
  auto lo = eval(t, un(WEFT_OP_STR_LOWER, col("s")));
  auto up = eval(t, un(WEFT_OP_STR_UPPER, col("s")));
  EXPECT_EQ(lo->s(0), "héllo");
#ifdef WEFT_HAVE_ICU_FOR_TESTS
  EXPECT_EQ(up->s(0), "HÉLLO");  // Unicode's mappings, as Polars (python/tests/test_str_case.py)
  EXPECT_EQ(up->s(4), "NAÏVE CAFÉ");
#endif
  EXPECT_EQ(lo->s(3), "abcabc");
  EXPECT_EQ(up->s(2), "日本語");
  EXPECT_FALSE(up->valid(5));
  auto c = eval(t, contains(col("s"), "é"));
  auto sw = eval(t, starts(col("s"), "日本"));
  auto ce = eval(t, contains(col("s"), ""));
  for (int i = 0; i < 5; i++) {
    EXPECT_EQ(c->b(i), s[i].find("é") != std::string::npos) << i;
    EXPECT_EQ(sw->b(i), s[i].rfind("日本", 0) == 0) << i;
    EXPECT_TRUE(ce->b(i));
  }
  auto eq = eval(t, bin(WEFT_OP_EQ, col("s"), lits("日本語")));
  EXPECT_TRUE(eq->b(2));
  EXPECT_FALSE(eq->b(0));
  auto f = eval(t, fill(col("s"), lits("none")));
  EXPECT_EQ(f->s(5), "none");
  EXPECT_EQ(f->s(2), "日本語");
  EXPECT_EQ(f->v.validity, nullptr);
}

TEST(Expr, LongStringsAcrossPartitions) {
  std::mt19937_64 rng(6);
  const int64_t n = 1000003;
  std::vector<std::string> s(n);
  for (auto &x : s) x = std::string(rng() % 6, 'A' + (char)(rng() % 26)) + "é";
  auto valid = random_valid(n, 0.05, rng);
  Tab tab;
  tab.add_str("s", s, &valid);
  auto lo = eval(tab.table(), un(WEFT_OP_STR_LOWER, col("s")));
  for (int64_t i = 0; i < n; i++) {
    ASSERT_EQ(lo->valid(i), (bool)valid[i]);
    if (!valid[i]) continue;
    std::string w = s[i];
    for (char &ch : w)
      if (ch >= 'A' && ch <= 'Z') ch = (char)(ch + 32);
    ASSERT_EQ(lo->s(i), w) << i;
  }
}

TEST(Expr, FillNullAndNullLiterals) {
  std::vector<int32_t> a = {1, 2, 3, 4};
  std::vector<int32_t> b = {10, 20, 30, 40};
  std::vector<bool> va = {true, false, true, false}, vb = {true, true, false, false};
  Tab tab;
  tab.add("a", WEFT_TYPE_INT32, a, &va);
  tab.add("b", WEFT_TYPE_INT32, b, &vb);
  weft_table *t = tab.table();
  auto r = eval(t, fill(col("a"), col("b")));
  EXPECT_EQ(r->get<int32_t>(0), 1);
  EXPECT_EQ(r->get<int32_t>(1), 20);
  EXPECT_TRUE(r->valid(2));
  EXPECT_FALSE(r->valid(3));
  auto n = eval(t, bin(WEFT_OP_ADD, col("b"), litnull(WEFT_TYPE_INT64)));
  EXPECT_EQ(n->v.type, WEFT_TYPE_INT32);
  for (int i = 0; i < 4; i++) EXPECT_FALSE(n->valid(i));
  auto l = eval(t, lit(7));
  EXPECT_EQ(l->name, "literal");
  EXPECT_EQ(l->v.length, 4);
  EXPECT_EQ(l->get<int64_t>(3), 7);
  auto ab = eval(t, un(WEFT_OP_ABS, bin(WEFT_OP_SUB, lit(0), col("b"))));
  EXPECT_EQ(ab->get<int32_t>(1), 20);
}

TEST(Expr, SlicedTablesRespectOffsets) {
  std::mt19937_64 rng(11);
  const int64_t n = 70001;
  std::vector<int32_t> a(n);
  std::vector<bool> b(n);
  std::vector<std::string> s(n);
  for (int64_t i = 0; i < n; i++) a[i] = (int32_t)(rng() % 100), b[i] = rng() & 1, s[i] = std::to_string(i);
  auto va = random_valid(n, 0.2, rng);
  Tab tab;
  tab.add("a", WEFT_TYPE_INT32, a, &va);
  tab.add_bool("b", b, &va);
  tab.add_str("s", s, &va);
  for (int64_t off : {1, 3, 1029}) {
    weft_table *sl;
    ASSERT_WEFT_OK(weft_table_slice(tab.table(), off, n - off - 5, &sl));
    int64_t m = n - off - 5;
    auto r = eval(sl, bin(WEFT_OP_ADD, col("a"), lit(1)));
    auto nb = eval(sl, un(WEFT_OP_NOT, col("b")));
    auto up = eval(sl, bin(WEFT_OP_EQ, col("s"), lits("100")));
    for (int64_t i = 0; i < m; i++) {
      ASSERT_EQ(r->valid(i), (bool)va[off + i]);
      if (va[off + i]) {
        ASSERT_EQ(r->get<int32_t>(i), a[off + i] + 1);
        ASSERT_EQ(nb->b(i), !b[off + i]);
        ASSERT_EQ(up->b(i), s[off + i] == "100");
      }
    }
    E pred = bin(WEFT_OP_LT, col("a"), lit(50));
    weft_table *f;
    ASSERT_WEFT_OK(weft_table_filter(nullptr, sl, pred.get(), &f));
    weft_column_view cs;
    ASSERT_WEFT_OK(weft_table_column(f, 2, &cs));
    int64_t j = 0;
    for (int64_t i = 0; i < m; i++) {
      if (!(va[off + i] && a[off + i] < 50)) continue;
      const int32_t *o = (const int32_t *)cs.values + cs.offset;
      ASSERT_EQ(std::string(cs.data + o[j], o[j + 1] - o[j]), s[off + i]);
      j++;
    }
    ASSERT_EQ(j, cs.length);
    weft_table_free(f);
    weft_table_free(sl);
  }
}

TEST(Select, SharesColumnsAndNamesOutputs) {
  std::vector<double> v = {1, 2, 3};
  Tab tab;
  tab.add("v", WEFT_TYPE_FLOAT64, v);
  tab.add("w", WEFT_TYPE_INT64, std::vector<int64_t>{4, 5, 6});
  weft_table *t = tab.table();
  weft_column_view orig;
  ASSERT_WEFT_OK(weft_table_column(t, 0, &orig));
  E e1 = col("v"), e2 = alias(bin(WEFT_OP_MUL, col("w"), lit(2)), "w2"), e3 = alias(col("v"), "v_again");
  const weft_expr *xs[] = {e1.get(), e2.get(), e3.get()};
  weft_table *out;
  ASSERT_WEFT_OK(weft_table_select(nullptr, t, 3, xs, &out));
  weft_column_view a, b, c;
  ASSERT_WEFT_OK(weft_table_column(out, 0, &a));
  ASSERT_WEFT_OK(weft_table_column(out, 1, &b));
  ASSERT_WEFT_OK(weft_table_column(out, 2, &c));
  EXPECT_EQ(a.values, orig.values);
  EXPECT_EQ(c.values, orig.values);
  EXPECT_EQ(((const int64_t *)b.values)[2], 12);
  const char *name;
  ASSERT_WEFT_OK(weft_table_column_name(out, 1, &name));
  EXPECT_STREQ(name, "w2");
  ASSERT_WEFT_OK(weft_table_column_name(out, 2, &name));
  EXPECT_STREQ(name, "v_again");
  weft_table_free(out);
  // the shared buffers outlive the source table's handle
  E dup1 = col("v"), dup2 = bin(WEFT_OP_ADD, col("v"), lit(1));
  const weft_expr *dups[] = {dup1.get(), dup2.get()};
  EXPECT_EQ(weft_table_select(nullptr, t, 2, dups, &out), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(weft_last_error()).find("\"v\" appears twice"), std::string::npos) << weft_last_error();
  // with_columns: replace in place and append
  E r1 = bin(WEFT_OP_ADD, col("v"), lit(1)), r2 = alias(col("w"), "z");
  const weft_expr *wc[] = {r1.get(), r2.get()};
  ASSERT_WEFT_OK(weft_table_with_columns(nullptr, t, 2, wc, &out));
  size_t ncols;
  ASSERT_WEFT_OK(weft_table_num_columns(out, &ncols));
  EXPECT_EQ(ncols, 3u);
  ASSERT_WEFT_OK(weft_table_column(out, 0, &a));
  EXPECT_EQ(((const double *)a.values)[0], 2.0);
  ASSERT_WEFT_OK(weft_table_column(out, 1, &b));
  ASSERT_WEFT_OK(weft_table_column(out, 2, &c));
  EXPECT_EQ(b.values, c.values);
  ASSERT_WEFT_OK(weft_table_column_name(out, 2, &name));
  EXPECT_STREQ(name, "z");
  weft_table_free(out);
}

TEST(Filter, EveryColumnTypeAndPredicates) {
  std::mt19937_64 rng(7);
  for (int64_t n : kSizes) {
    std::vector<int64_t> k(n);
    std::vector<int8_t> i8(n);
    std::vector<float> f(n);
    std::vector<bool> bl(n);
    std::vector<std::string> s(n);
    for (int64_t i = 0; i < n; i++) {
      k[i] = (int64_t)(rng() % 100);
      i8[i] = (int8_t)rng();
      f[i] = (float)i;
      bl[i] = rng() & 1;
      s[i] = std::to_string(i) + (i % 3 ? "é" : "");
    }
    auto vk = random_valid(n, 0.1, rng), vb = random_valid(n, 0.1, rng), vs = random_valid(n, 0.1, rng);
    Tab tab;
    tab.add("k", WEFT_TYPE_INT64, k, &vk);
    tab.add("i8", WEFT_TYPE_INT8, i8);
    tab.add("f", WEFT_TYPE_FLOAT32, f);
    tab.add_bool("b", bl, &vb);
    tab.add_str("s", s, &vs);
    std::vector<bool> none(n, false);
    tab.add_bool("all_null", std::vector<bool>(n, true), &none);
    weft_table *t = tab.table();
    struct Case { E pred; std::function<bool(int64_t)> keep; };
    std::vector<Case> cases = {
        {bin(WEFT_OP_LT, col("k"), lit(30)), [&](int64_t i) { return vk[i] && k[i] < 30; }},
        {litb(true), [](int64_t) { return true; }},
        {litb(false), [](int64_t) { return false; }},
        {col("all_null"), [](int64_t) { return false; }},
        {bin(WEFT_OP_OR, col("b"), bin(WEFT_OP_GT, col("k"), lit(90))),
         [&](int64_t i) { return (vb[i] && bl[i]) || (vk[i] && k[i] > 90); }},
    };
    for (size_t ci = 0; ci < cases.size(); ci++) {
      weft_table *out;
      ASSERT_WEFT_OK(weft_table_filter(nullptr, t, cases[ci].pred.get(), &out));
      std::vector<int64_t> rows;
      for (int64_t i = 0; i < n; i++)
        if (cases[ci].keep(i)) rows.push_back(i);
      int64_t got_rows;
      ASSERT_WEFT_OK(weft_table_num_rows(out, &got_rows));
      ASSERT_EQ(got_rows, (int64_t)rows.size()) << "case " << ci << " n " << n;
      weft_column_view ck, c8, cf, cb, cs;
      weft_test_ok(weft_table_column(out, 0, &ck)), weft_test_ok(weft_table_column(out, 1, &c8)), weft_test_ok(weft_table_column(out, 2, &cf));
      weft_test_ok(weft_table_column(out, 3, &cb)), weft_test_ok(weft_table_column(out, 4, &cs));
      for (size_t j = 0; j < rows.size(); j++) {
        int64_t r = rows[j];
        auto ok = [&](const weft_column_view &v) { return !v.validity || bit(v.validity, v.offset + j); };
        ASSERT_EQ(ok(ck), (bool)vk[r]);
        if (vk[r]) { ASSERT_EQ(((const int64_t *)ck.values)[ck.offset + j], k[r]); }
        ASSERT_EQ(((const int8_t *)c8.values)[c8.offset + j], i8[r]);
        ASSERT_EQ(((const float *)cf.values)[cf.offset + j], f[r]);
        ASSERT_EQ(ok(cb), (bool)vb[r]);
        if (vb[r]) { ASSERT_EQ(bit((const uint8_t *)cb.values, cb.offset + j), (bool)bl[r]); }
        ASSERT_EQ(ok(cs), (bool)vs[r]);
        const int32_t *o = (const int32_t *)cs.values + cs.offset;
        if (vs[r]) { ASSERT_EQ(std::string(cs.data + o[j], o[j + 1] - o[j]), s[r]); }
      }
      weft_table_free(out);
    }
  }
}

TEST(Filter, CompactionBlocksSlicesAndDensities) {
  // the compaction works 65536 rows (1024 mask words) a block: sizes around a block, slices
  // at odd bit offsets, and predicates keeping every row of some words and none of others
  std::mt19937_64 rng(21);
  for (int64_t n : {63, 64, 65, 65535, 65536, 65537, 131073}) {
    std::vector<int16_t> h(n);
    std::vector<double> d(n);
    std::vector<bool> bl(n);
    for (int64_t i = 0; i < n; i++) h[i] = (int16_t)rng(), d[i] = (double)(rng() % 1000), bl[i] = rng() & 1;
    auto vd = random_valid(n, 0.05, rng), vb = random_valid(n, 0.3, rng);
    Tab tab;
    tab.add("h", WEFT_TYPE_INT16, h);
    tab.add("d", WEFT_TYPE_FLOAT64, d, &vd);
    tab.add_bool("b", bl, &vb);
    for (int64_t off : {0, 3, 61}) {
      int64_t m = n - off - (off ? 2 : 0);
      weft_table *sl;
      ASSERT_WEFT_OK(weft_table_slice(tab.table(), off, m, &sl));
      // (row / 100) % 3 != 0 keeps runs of whole words; d < 990 keeps almost everything
      std::vector<std::pair<E, std::function<bool(int64_t)>>> cases;
      cases.push_back({bin(WEFT_OP_LT, col("d"), litf(990.0)), [&](int64_t r) { return vd[r] && d[r] < 990; }});
      cases.push_back({bin(WEFT_OP_GT, col("d"), litf(997.0)), [&](int64_t r) { return vd[r] && d[r] > 997; }});
      cases.push_back({col("b"), [&](int64_t r) { return vb[r] && bl[r]; }});
      for (auto &c : cases) {
        weft_table *out;
        ASSERT_WEFT_OK(weft_table_filter(nullptr, sl, c.first.get(), &out));
        weft_column_view ch, cd, cb;
        weft_test_ok(weft_table_column(out, 0, &ch)), weft_test_ok(weft_table_column(out, 1, &cd)), weft_test_ok(weft_table_column(out, 2, &cb));
        int64_t j = 0;
        for (int64_t i = 0; i < m; i++) {
          int64_t r = off + i;
          if (!c.second(r)) continue;
          ASSERT_LT(j, ch.length);
          ASSERT_EQ(((const int16_t *)ch.values)[ch.offset + j], h[r]) << n << " " << off << " " << j;
          bool okd = !cd.validity || bit(cd.validity, cd.offset + j);
          ASSERT_EQ(okd, (bool)vd[r]);
          if (okd) { ASSERT_EQ(((const double *)cd.values)[cd.offset + j], d[r]); }
          bool okb = !cb.validity || bit(cb.validity, cb.offset + j);
          ASSERT_EQ(okb, (bool)vb[r]) << n << " " << off << " " << j;
          if (okb) { ASSERT_EQ(bit((const uint8_t *)cb.values, cb.offset + j), (bool)bl[r]); }
          j++;
        }
        ASSERT_EQ(j, ch.length);
        weft_table_free(out);
      }
      weft_table_free(sl);
    }
  }
}

}  // namespace
