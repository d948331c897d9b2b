// Helpers of test_sort.cc and test_group_by.cc: random columns of every type as text cells
// (built and read back with join_csv_helpers.h), and a reference order over cells.
#pragma once
#include <cmath>
#include <random>

#include "join_csv_helpers.h"

namespace gs {

using jc::Cell;
using jc::Col;

// n cells of `type`, about null_rate of them null, values from `distinct` choices (so keys
// repeat), floats with NaN sometimes.
inline std::vector<Cell> random_cells(weft_type type, size_t n, double null_rate, int distinct,
                                      std::mt19937_64 &rng) {
  std::bernoulli_distribution is_null(null_rate);
  std::uniform_int_distribution<int> pick(0, distinct - 1);
  std::vector<Cell> out(n);
  for (size_t i = 0; i < n; i++) {
    if (is_null(rng)) continue;
    int k = pick(rng);
    switch (type) {
      case WEFT_TYPE_BOOL: out[i] = (k & 1) ? "true" : "false"; break;
      case WEFT_TYPE_UTF8: {
        std::string s = "k" + std::to_string(k * 7919 % 1000);
        if (k % 5 == 0) s += "_longer_string_" + std::to_string(k);
        if (k % 11 == 0) s = "";  // the empty string is not null
        out[i] = s;
        break;
      }
      case WEFT_TYPE_FLOAT32: case WEFT_TYPE_FLOAT64:
        out[i] = k % 13 == 0 ? std::string("nan") : jc::fmt_double((k - distinct / 2) * 0.25);
        break;
      case WEFT_TYPE_UINT8: case WEFT_TYPE_UINT16: case WEFT_TYPE_UINT32:
        out[i] = std::to_string(k % 200);
        break;
      case WEFT_TYPE_UINT64: out[i] = std::to_string((uint64_t)k * 1000000007ULL + (k % 3 ? 0 : (1ULL << 63))); break;
      case WEFT_TYPE_INT8: out[i] = std::to_string(k % 200 - 100); break;
      case WEFT_TYPE_INT64: case WEFT_TYPE_TIMESTAMP_US:
        out[i] = std::to_string((int64_t)((uint64_t)(k - distinct / 2) * 1000003ULL * (k % 4 ? 1 : 1000000000ULL)));  // wraps on purpose
        break;
      default: out[i] = std::to_string(k - distinct / 2); break;
    }
  }
  return out;
}

inline bool is_float(weft_type t) { return t == WEFT_TYPE_FLOAT32 || t == WEFT_TYPE_FLOAT64; }
inline bool is_unsigned(weft_type t) { return t >= WEFT_TYPE_UINT8 && t <= WEFT_TYPE_UINT64; }

// Order of two non-null cells of one type: -1, 0, 1 (NaN above every number).
inline int cmp_cells(weft_type t, const std::string &a, const std::string &b) {
  if (t == WEFT_TYPE_UTF8 || t == WEFT_TYPE_BOOL) return a < b ? -1 : (b < a ? 1 : 0);
  if (is_float(t)) {
    double x = std::stod(a), y = std::stod(b);
    if (t == WEFT_TYPE_FLOAT32) x = (float)x, y = (float)y;
    bool xn = std::isnan(x), yn = std::isnan(y);
    if (xn || yn) return (int)xn - (int)yn;
    return (x > y) - (x < y);
  }
  if (is_unsigned(t)) {
    uint64_t x = std::stoull(a), y = std::stoull(b);
    return (x > y) - (x < y);
  }
  int64_t x = std::stoll(a), y = std::stoll(b);
  return (x > y) - (x < y);
}

inline const char *type_label(weft_type t) { return weft_type_name(t); }

inline const std::vector<weft_type> &all_types() {
  static const std::vector<weft_type> types = {
      WEFT_TYPE_BOOL,   WEFT_TYPE_INT8,    WEFT_TYPE_INT16,   WEFT_TYPE_INT32,  WEFT_TYPE_INT64,
      WEFT_TYPE_UINT8,  WEFT_TYPE_UINT16,  WEFT_TYPE_UINT32,  WEFT_TYPE_UINT64, WEFT_TYPE_FLOAT32,
      WEFT_TYPE_FLOAT64, WEFT_TYPE_UTF8,   WEFT_TYPE_DATE32,  WEFT_TYPE_TIMESTAMP_US};
  return types;
}

// A row-number column (int64, no nulls) so the order of equal keys is visible.
inline Col row_ids(size_t n) {
  Col c{"rowid", WEFT_TYPE_INT64, std::vector<Cell>(n)};
  for (size_t i = 0; i < n; i++) c.cells[i] = std::to_string(i);
  return c;
}

// s: utf8 strings that share their first 8 bytes in many ways (the sort's radix prefix), with
// nulls; k: int32 with 3 values; rowid. 20000 rows.
inline std::vector<Col> shared_prefix_strings() {
  std::vector<std::string> vals = {"", "a", "abcdefgh", "abcdefg", "abcdefgh ", "abcdefghb", "abcdefgha",
                                   "abcdefghab", "abcdefgh\x01", "zzzzzzzzzz", "zzzzzzzz", "\xc3\xa9t\xc3\xa9"};
  std::mt19937_64 rng(4);
  size_t n = 20000;
  Col s{"s", WEFT_TYPE_UTF8, {}}, k{"k", WEFT_TYPE_INT32, {}};
  for (size_t i = 0; i < n; i++) {
    s.cells.push_back(i % 97 == 3 ? Cell() : Cell(vals[rng() % vals.size()]));
    k.cells.push_back(std::to_string(rng() % 3));
  }
  return {s, k, row_ids(n)};
}

}  // namespace gs
