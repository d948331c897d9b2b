// Helpers of test_table.cc and test_arrow.cc: random tables of every type over memory the
// test owns (with a counted release callback), and cells read back as text so tables compare
// as vectors of strings.
#pragma once
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "test_support.h"

namespace tt {

using Cell = std::optional<std::string>;  // nullopt = null
using Rows = std::vector<std::vector<Cell>>;

const weft_type kAllTypes[] = {
    WEFT_TYPE_BOOL,   WEFT_TYPE_INT8,   WEFT_TYPE_INT16,   WEFT_TYPE_INT32,   WEFT_TYPE_INT64,
    WEFT_TYPE_UINT8,  WEFT_TYPE_UINT16, WEFT_TYPE_UINT32,  WEFT_TYPE_UINT64,  WEFT_TYPE_FLOAT32,
    WEFT_TYPE_FLOAT64, WEFT_TYPE_UTF8,  WEFT_TYPE_DATE32,  WEFT_TYPE_TIMESTAMP_US};

inline size_t width(weft_type t) {
  switch (t) {
    case WEFT_TYPE_INT8: case WEFT_TYPE_UINT8: return 1;
    case WEFT_TYPE_INT16: case WEFT_TYPE_UINT16: return 2;
    case WEFT_TYPE_INT32: case WEFT_TYPE_UINT32: case WEFT_TYPE_FLOAT32: case WEFT_TYPE_DATE32: return 4;
    default: return 8;
  }
}

// Memory of a table made by random_table; `released` counts weft's release callbacks.
struct Owned {
  std::vector<std::vector<uint8_t>> bufs;
  std::vector<std::string> names;
  int released = 0;
  static void release(void *ctx) { ((Owned *)ctx)->released++; }
};

// A table with one column per type in `types` ("c0", "c1", ...), `rows` rows of random
// values, about `null_rate` of them null (no validity bitmap when null_rate is 0).
inline weft_table *random_table(Owned &own, const std::vector<weft_type> &types, int64_t rows,
                                double null_rate, std::mt19937_64 &rng) {
  std::vector<weft_column_view> views;
  own.bufs.reserve(own.bufs.size() + types.size() * 3);
  std::bernoulli_distribution is_null(null_rate), coin(0.5);
  std::uniform_int_distribution<uint64_t> any;
  size_t n = (size_t)rows;
  for (size_t c = 0; c < types.size(); c++) {
    weft_type t = types[c];
    weft_column_view v{};
    v.type = t;
    v.length = rows;
    v.null_count = -1;
    std::vector<uint8_t> valid((n + 7) / 8 + 1, 0), values, data;
    for (size_t i = 0; i < n; i++)
      if (!is_null(rng)) valid[i / 8] |= (uint8_t)(1u << (i % 8));
    if (t == WEFT_TYPE_UTF8) {
      std::vector<int32_t> off{0};
      for (size_t i = 0; i < n; i++) {
        size_t len = any(rng) % 20;  // some empty, some past 12 bytes (string_view inline)
        for (size_t k = 0; k < len; k++) data.push_back((uint8_t)('a' + any(rng) % 26));
        if (i % 7 == 3) {            // a multi-byte character
          data.push_back(0xC3);
          data.push_back(0xA9);
        }
        off.push_back((int32_t)data.size());
      }
      values.resize(off.size() * 4);
      memcpy(values.data(), off.data(), values.size());
      data.push_back(0);
    } else if (t == WEFT_TYPE_BOOL) {
      values.assign((n + 7) / 8 + 1, 0);
      for (size_t i = 0; i < n; i++)
        if (coin(rng)) values[i / 8] |= (uint8_t)(1u << (i % 8));
    } else {
      size_t w = width(t);
      values.resize(n * w + 8);
      for (size_t i = 0; i < n; i++) {
        uint64_t x = any(rng);
        char *p = (char *)values.data() + i * w;
        if (t == WEFT_TYPE_FLOAT64) {
          double d = (double)(int64_t)(x % 2000001) / 7.0 - 1000.0;
          memcpy(p, &d, 8);
        } else if (t == WEFT_TYPE_FLOAT32) {
          float f = (float)(int64_t)(x % 20001) / 3.0f - 100.0f;
          memcpy(p, &f, 4);
        } else {
          memcpy(p, &x, w);  // little endian: the low bytes
        }
      }
    }
    own.bufs.push_back(std::move(valid));
    v.validity = null_rate > 0 ? own.bufs.back().data() : nullptr;
    own.bufs.push_back(std::move(values));
    v.values = own.bufs.back().data();
    own.bufs.push_back(std::move(data));
    v.data = t == WEFT_TYPE_UTF8 ? (const char *)own.bufs.back().data() : nullptr;
    views.push_back(v);
    own.names.push_back("c" + std::to_string(c));
  }
  std::vector<const char *> names;
  for (size_t c = 0; c < types.size(); c++) names.push_back(own.names[own.names.size() - types.size() + c].c_str());
  weft_table *t = nullptr;
  weft_status st = weft_table_from_columns(types.size(), names.data(), views.data(), Owned::release,
                                           &own, &t);
  EXPECT_EQ(st, WEFT_OK) << weft_last_error();
  return t;
}

inline std::vector<weft_type> all_types() {
  return std::vector<weft_type>(std::begin(kAllTypes), std::end(kAllTypes));
}

inline std::string fmt_double(double d) {
  char buf[64];
  snprintf(buf, sizeof buf, "%.17g", d);
  return buf;
}

// Cell (row, c) of a weft table as text (nullopt for null).
inline Cell cell(const weft_table *t, size_t c, int64_t row) {
  weft_column_view v;
  if (weft_table_column(t, c, &v) != WEFT_OK) return std::string("<error>");
  int64_t i = v.offset + row;
  if (v.validity && !((v.validity[i / 8] >> (i % 8)) & 1)) return std::nullopt;
  const char *p = (const char *)v.values;
  switch (v.type) {
    case WEFT_TYPE_BOOL: return std::string(((((const uint8_t *)p)[i / 8] >> (i % 8)) & 1) ? "true" : "false");
    case WEFT_TYPE_INT8: return std::to_string(((const int8_t *)p)[i]);
    case WEFT_TYPE_INT16: return std::to_string(((const int16_t *)p)[i]);
    case WEFT_TYPE_INT32: case WEFT_TYPE_DATE32: return std::to_string(((const int32_t *)p)[i]);
    case WEFT_TYPE_INT64: case WEFT_TYPE_TIMESTAMP_US: return std::to_string(((const int64_t *)p)[i]);
    case WEFT_TYPE_UINT8: return std::to_string(((const uint8_t *)p)[i]);
    case WEFT_TYPE_UINT16: return std::to_string(((const uint16_t *)p)[i]);
    case WEFT_TYPE_UINT32: return std::to_string(((const uint32_t *)p)[i]);
    case WEFT_TYPE_UINT64: return std::to_string(((const uint64_t *)p)[i]);
    case WEFT_TYPE_FLOAT32: return fmt_double(((const float *)p)[i]);
    case WEFT_TYPE_FLOAT64: return fmt_double(((const double *)p)[i]);
    case WEFT_TYPE_UTF8: {
      const int32_t *o = (const int32_t *)p;
      return std::string(v.data + o[i], (size_t)(o[i + 1] - o[i]));
    }
    default: break;  // decimal128: tests/frame/test_decimal.cc reads its values itself
  }
  return std::string("<bad type>");
}

inline int64_t num_rows(const weft_table *t) {
  int64_t n = -1;
  weft_test_ok(weft_table_num_rows(t, &n));
  return n;
}

inline size_t num_cols(const weft_table *t) {
  size_t n = 0;
  weft_test_ok(weft_table_num_columns(t, &n));
  return n;
}

// Rows [from, from + count) of a table (count -1: to the end).
inline Rows rows_of(const weft_table *t, int64_t from = 0, int64_t count = -1) {
  int64_t n = num_rows(t);
  if (count < 0) count = n - from;
  Rows out;
  for (int64_t r = from; r < from + count; r++) {
    out.emplace_back();
    for (size_t c = 0; c < num_cols(t); c++) out.back().push_back(cell(t, c, r));
  }
  return out;
}

inline std::vector<std::string> names_of(const weft_table *t) {
  std::vector<std::string> out;
  for (size_t c = 0; c < num_cols(t); c++) {
    const char *name = nullptr;
    weft_test_ok(weft_table_column_name(t, c, &name));
    out.push_back(name ? name : "<null>");
  }
  return out;
}

inline std::vector<weft_type> types_of(const weft_table *t) {
  std::vector<weft_type> out;
  for (size_t c = 0; c < num_cols(t); c++) {
    weft_column_view v;
    weft_test_ok(weft_table_column(t, c, &v));
    out.push_back(v.type);
  }
  return out;
}

// Frees a table at scope end.
struct TableFree {
  void operator()(weft_table *t) const { weft_table_free(t); }
};
using TablePtr = std::unique_ptr<weft_table, TableFree>;

}  // namespace tt
