// Helpers of test_join.cc and test_csv.cc: tables built from std::vectors, and cells read
// back as text so whole tables compare as vectors of strings.
#pragma once
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "table_helpers.h"
#include "test_support.h"

namespace jc {

// Cells, rows and their readers are the table tests' own.
using tt::Cell;
using tt::Rows;
using tt::cell;
using tt::fmt_double;
using tt::names_of;
using tt::rows_of;
using tt::types_of;
using tt::width;

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

inline std::string show(const Cell &c) { return c ? "\"" + *c + "\"" : "null"; }

}  // namespace jc
