// Helpers of the lazy-plan tests: owned expressions and plans, random tables whose keys
// repeat (with nulls and NaN), and tables compared as text cells with their names and types.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "../frame/group_sort_helpers.h"

namespace pl {

using jc::Col;
using jc::Rows;

struct ExprFree {
  void operator()(weft_expr *e) const { weft_expr_free(e); }
};
using Expr = std::shared_ptr<weft_expr>;

inline Expr own(weft_status st, weft_expr *e) {
  EXPECT_EQ(st, WEFT_OK) << weft_last_error();
  return Expr(e, ExprFree());
}
inline Expr col(const char *name) {
  weft_expr *e = nullptr;
  weft_status st = weft_expr_column(name, &e);
  return own(st, e);
}
inline Expr lit(int64_t v) {
  weft_expr *e = nullptr;
  weft_status st = weft_expr_literal_int64(v, &e);
  return own(st, e);
}
inline Expr litf(double v) {
  weft_expr *e = nullptr;
  weft_status st = weft_expr_literal_float64(v, &e);
  return own(st, e);
}
inline Expr bin(weft_binary_op op, const Expr &a, const Expr &b) {
  weft_expr *e = nullptr;
  weft_status st = weft_expr_binary(op, a.get(), b.get(), &e);
  return own(st, e);
}
inline Expr un(weft_unary_op op, const Expr &a) {
  weft_expr *e = nullptr;
  weft_status st = weft_expr_unary(op, a.get(), &e);
  return own(st, e);
}
inline Expr alias(const Expr &a, const char *name) {
  weft_expr *e = nullptr;
  weft_status st = weft_expr_alias(a.get(), name, &e);
  return own(st, e);
}
inline std::string text_of(const Expr &e) {
  const char *s = nullptr;
  EXPECT_EQ(weft_expr_to_string(e.get(), &s), WEFT_OK);
  return s ? s : "";
}
inline std::vector<const weft_expr *> raw(const std::vector<Expr> &v) {
  std::vector<const weft_expr *> out;
  for (auto &e : v) out.push_back(e.get());
  return out;
}

struct PlanFree {
  void operator()(weft_plan *p) const { weft_plan_free(p); }
};
using Plan = std::shared_ptr<weft_plan>;
inline Plan own_plan(weft_status st, weft_plan *p) {
  EXPECT_EQ(st, WEFT_OK) << weft_last_error();
  return Plan(p, PlanFree());
}
using Table = tt::TablePtr;

// Left table: k (int32 key, 6 values), g (utf8 key, 4 values), v (float64 with NaN),
// i (int64), b (bool); about null_rate of each column null.
inline std::vector<Col> left_cols(size_t n, double null_rate, std::mt19937_64 &rng) {
  return {{"k", WEFT_TYPE_INT32, gs::random_cells(WEFT_TYPE_INT32, n, null_rate, 6, rng)},
          {"g", WEFT_TYPE_UTF8, gs::random_cells(WEFT_TYPE_UTF8, n, null_rate, 4, rng)},
          {"v", WEFT_TYPE_FLOAT64, gs::random_cells(WEFT_TYPE_FLOAT64, n, null_rate, 40, rng)},
          {"i", WEFT_TYPE_INT64, gs::random_cells(WEFT_TYPE_INT64, n, null_rate, 1000, rng)},
          {"b", WEFT_TYPE_BOOL, gs::random_cells(WEFT_TYPE_BOOL, n, null_rate, 2, rng)}};
}

// Right table: k (int64 key), w (utf8), v (float64: clashes with the left's v).
inline std::vector<Col> right_cols(size_t n, double null_rate, std::mt19937_64 &rng) {
  return {{"k", WEFT_TYPE_INT64, gs::random_cells(WEFT_TYPE_INT32, n, null_rate, 6, rng)},
          {"w", WEFT_TYPE_UTF8, gs::random_cells(WEFT_TYPE_UTF8, n, null_rate, 9, rng)},
          {"v", WEFT_TYPE_FLOAT64, gs::random_cells(WEFT_TYPE_FLOAT64, n, null_rate, 40, rng)}};
}

inline Plan scan(const weft_table *t) {
  weft_plan *p = nullptr;
  weft_status st = weft_plan_scan(t, &p);
  return own_plan(st, p);
}

inline Table collect(const Plan &p, weft_exec *exec = nullptr) {
  weft_table *t = nullptr;
  weft_status st = weft_plan_collect(exec, p.get(), &t);
  EXPECT_EQ(st, WEFT_OK) << weft_last_error();
  return Table(t);
}

inline std::string explain(const Plan &p, const weft_exec *exec = nullptr) {
  const char *text = nullptr;
  weft_status st = weft_plan_explain(exec, p.get(), &text);
  EXPECT_EQ(st, WEFT_OK) << weft_last_error();
  return text ? text : "";
}

// Names, types and every cell equal.
inline void expect_same(const weft_table *got, const weft_table *want, const std::string &what) {
  ASSERT_TRUE(got && want) << what;
  EXPECT_EQ(jc::names_of(got), jc::names_of(want)) << what;
  EXPECT_EQ(jc::types_of(got), jc::types_of(want)) << what;
  Rows g = jc::rows_of(got), w = jc::rows_of(want);
  ASSERT_EQ(g.size(), w.size()) << what;
  for (size_t r = 0; r < g.size(); r++) ASSERT_EQ(g[r], w[r]) << what << ": row " << r;
}

// Line number (0-based) of the first line of `text` containing `needle`, or -1.
// Tables equal cell for cell, row by row, except in the columns `loose` names (float sums
// added in another order): there within a relative 1e-9, NaN matching NaN.
inline void expect_close(const weft_table *got, const weft_table *want, const std::string &what,
                         bool (*loose)(const std::string &)) {
  ASSERT_TRUE(got && want) << what;
  ASSERT_EQ(jc::names_of(got), jc::names_of(want)) << what;
  EXPECT_EQ(jc::types_of(got), jc::types_of(want)) << what;
  Rows g = jc::rows_of(got), w = jc::rows_of(want);
  ASSERT_EQ(g.size(), w.size()) << what;
  auto names = jc::names_of(got);
  for (size_t row = 0; row < g.size(); row++)
    for (size_t c = 0; c < names.size(); c++) {
      const auto &a = g[row][c], &b = w[row][c];
      if (!loose(names[c]) || !a || !b) {
        EXPECT_EQ(a, b) << what << ": " << names[c];
        continue;
      }
      double x = std::strtod(a->c_str(), nullptr), y = std::strtod(b->c_str(), nullptr);
      if (std::isnan(x) || std::isnan(y)) {
        EXPECT_TRUE(std::isnan(x) && std::isnan(y)) << what << ": " << names[c] << " " << *a << " vs " << *b;
        continue;
      }
      EXPECT_NEAR(x, y, 1e-9 * std::max(1.0, std::fabs(y))) << what << ": " << names[c];
    }
}

inline int line_of(const std::string &text, const std::string &needle) {
  int line = 0;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    if (text.substr(start, end - start).find(needle) != std::string::npos) return line;
    start = end + 1;
    line++;
  }
  return -1;
}

// Leading spaces of line `n` of `text`.
inline int indent_of(const std::string &text, int n) {
  size_t start = 0;
  for (int i = 0; i < n; i++) start = text.find('\n', start) + 1;
  int k = 0;
  while (start + k < text.size() && text[start + k] == ' ') k++;
  return k;
}

}  // namespace pl
