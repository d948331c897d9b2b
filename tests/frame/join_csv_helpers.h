// Helpers of test_join.cc and test_csv.cc: tables built from std::vectors, and cells read
// back as text so whole tables compare as vectors of strings.
#pragma once
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "test_support.h"

namespace jc {

using Cell = std::optional<std::string>;  // nullopt = null

// A column given as text cells, stored in weft's layout. Values are parsed from the text:
// ints with stoll, floats with stod, bool "true"/"false", utf8 as is.
struct Col {
  std::string name;
  weft_type type;
  std::vector<Cell> cells;
};

// Owns the buffers of a table made from Cols (release = NULL: they outlive the table).
struct Built {
  std::vector<std::vector<uint8_t>> bufs;
  std::vector<std::string> names;
  weft_table *table = nullptr;
  Built() = default;
  Built(const Built &) = delete;
  ~Built() { weft_table_free(table); }
};

inline size_t width(weft_type t) {
  switch (t) {
    case WEFT_TYPE_INT8: case WEFT_TYPE_UINT8: return 1;
    case WEFT_TYPE_INT16: case WEFT_TYPE_UINT16: return 2;
    case WEFT_TYPE_INT32: case WEFT_TYPE_UINT32: case WEFT_TYPE_FLOAT32: case WEFT_TYPE_DATE32: return 4;
    default: return 8;
  }
}

inline std::unique_ptr<Built> build(const std::vector<Col> &cols) {
  auto b = std::make_unique<Built>();
  std::vector<weft_column_view> views;
  b->bufs.reserve(cols.size() * 3);
  for (const Col &c : cols) {
    size_t n = c.cells.size();
    weft_column_view v{};
    v.type = c.type;
    v.length = (int64_t)n;
    v.null_count = -1;
    std::vector<uint8_t> valid((n + 7) / 8 + 1, 0);
    for (size_t i = 0; i < n; i++)
      if (c.cells[i]) valid[i / 8] |= (uint8_t)(1u << (i % 8));
    std::vector<uint8_t> values, data;
    if (c.type == WEFT_TYPE_UTF8) {
      std::vector<int32_t> off{0};
      for (const Cell &x : c.cells) {
        if (x) data.insert(data.end(), x->begin(), x->end());
        off.push_back((int32_t)data.size());
      }
      values.resize(off.size() * 4);
      memcpy(values.data(), off.data(), values.size());
      data.push_back(0);
    } else if (c.type == WEFT_TYPE_BOOL) {
      values.assign((n + 7) / 8 + 1, 0);
      for (size_t i = 0; i < n; i++)
        if (c.cells[i] && *c.cells[i] == "true") values[i / 8] |= (uint8_t)(1u << (i % 8));
    } else {
      size_t w = width(c.type);
      values.assign(n * w + 8, 0);
      for (size_t i = 0; i < n; i++) {
        if (!c.cells[i]) continue;
        const std::string &s = *c.cells[i];
        char *p = (char *)values.data() + i * w;
        switch (c.type) {
          case WEFT_TYPE_FLOAT64: { double d = std::stod(s); memcpy(p, &d, 8); break; }
          case WEFT_TYPE_FLOAT32: { float f = std::stof(s); memcpy(p, &f, 4); break; }
          case WEFT_TYPE_UINT64: { uint64_t u = std::stoull(s); memcpy(p, &u, 8); break; }
          default: { int64_t x = std::stoll(s); memcpy(p, &x, w); break; }  // little endian
        }
      }
    }
    b->bufs.push_back(std::move(valid));
    v.validity = b->bufs.back().data();
    b->bufs.push_back(std::move(values));
    v.values = b->bufs.back().data();
    b->bufs.push_back(std::move(data));
    v.data = (const char *)b->bufs.back().data();
    views.push_back(v);
    b->names.push_back(c.name);
  }
  std::vector<const char *> names;
  for (auto &s : b->names) names.push_back(s.c_str());
  weft_status st = weft_table_from_columns(cols.size(), names.data(), views.data(), nullptr, nullptr,
                                           &b->table);
  EXPECT_EQ(st, WEFT_OK) << weft_last_error();
  return b;
}

inline std::string fmt_double(double d) {
  char buf[64];
  snprintf(buf, sizeof buf, "%.17g", d);
  return buf;
}

// Cell (row, col) of a weft table as text (nullopt for null).
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
  }
  return std::string("<bad type>");
}

using Rows = std::vector<std::vector<Cell>>;

inline Rows rows_of(const weft_table *t) {
  int64_t n = 0;
  size_t nc = 0;
  weft_table_num_rows(t, &n);
  weft_table_num_columns(t, &nc);
  Rows out((size_t)n);
  for (int64_t r = 0; r < n; r++)
    for (size_t c = 0; c < nc; c++) out[(size_t)r].push_back(cell(t, c, r));
  return out;
}

inline std::vector<std::string> names_of(const weft_table *t) {
  size_t nc = 0;
  weft_table_num_columns(t, &nc);
  std::vector<std::string> out;
  for (size_t c = 0; c < nc; c++) {
    const char *name;
    weft_table_column_name(t, c, &name);
    out.push_back(name);
  }
  return out;
}

inline std::vector<weft_type> types_of(const weft_table *t) {
  size_t nc = 0;
  weft_table_num_columns(t, &nc);
  std::vector<weft_type> out;
  for (size_t c = 0; c < nc; c++) {
    weft_column_view v;
    weft_table_column(t, c, &v);
    out.push_back(v.type);
  }
  return out;
}

inline std::string show(const Cell &c) { return c ? "\"" + *c + "\"" : "null"; }

}  // namespace jc
