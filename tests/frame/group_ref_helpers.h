// Reference grouping and aggregation over text cells, shared by test_group_by.cc and
// test_group_device.cc.
#pragma once
#include <set>
#include <unordered_map>

#include "group_sort_helpers.h"

namespace gs {

// The text of a key cell with NaN of any sign made one value, and -0 made 0, as weft groups
// them.
inline Cell key_text(weft_type t, const Cell &c) {
  if (c && gs::is_float(t) && std::isnan(std::stod(*c))) return std::string("nan");
  if (c && gs::is_float(t) && std::stod(*c) == 0) return std::string("0");
  return c;
}

struct RefGroups {
  std::vector<size_t> first;             // first row of each group
  std::vector<std::vector<size_t>> rows; // rows of each group
};

inline RefGroups ref_groups(const std::vector<Col> &cols, const std::vector<size_t> &keys, size_t n) {
  RefGroups g;
  std::unordered_map<std::string, size_t> index;  // key cells joined, each length-prefixed
  std::string key;
  for (size_t r = 0; r < n; r++) {
    key.clear();
    for (size_t k : keys) {
      Cell c = key_text(cols[k].type, cols[k].cells[r]);
      key += c ? std::to_string(c->size()) + ":" + *c : std::string("N");
    }
    auto it = index.find(key);
    if (it == index.end()) {
      it = index.emplace(key, g.first.size()).first;
      g.first.push_back(r);
      g.rows.emplace_back();
    }
    g.rows[it->second].push_back(r);
  }
  return g;
}

// The reference of one aggregation over the cells of one group.
inline Cell ref_agg(weft_agg_kind kind, weft_type t, const std::vector<Cell> &cells) {
  std::vector<std::string> vals;
  for (const Cell &c : cells)
    if (c) vals.push_back(*c);
  switch (kind) {
    case WEFT_AGG_LEN: return std::to_string(cells.size());
    case WEFT_AGG_COUNT: return std::to_string(vals.size());
    case WEFT_AGG_FIRST: return cells.front();
    case WEFT_AGG_LAST: return cells.back();
    case WEFT_AGG_N_UNIQUE: {
      std::set<Cell> seen;
      for (const Cell &c : cells) seen.insert(key_text(t, c));
      return std::to_string(seen.size());
    }
    case WEFT_AGG_SUM: {
      if (t == WEFT_TYPE_BOOL) {
        size_t n = 0;
        for (auto &v : vals) n += v == "true";
        return std::to_string(n);
      }
      if (gs::is_float(t)) {
        double s = 0;
        for (auto &v : vals) s += std::stod(v);
        return jc::fmt_double(s);
      }
      if (gs::is_unsigned(t)) {
        uint64_t s = 0;
        for (auto &v : vals) s += std::stoull(v);
        return std::to_string(s);
      }
      uint64_t s = 0;  // wraps like weft's int64 sum
      for (auto &v : vals) s += (uint64_t)std::stoll(v);
      return std::to_string((int64_t)s);
    }
    case WEFT_AGG_MIN: case WEFT_AGG_MAX: {
      const std::string *best = nullptr;
      bool all_nan = !vals.empty();
      for (auto &v : vals) {
        if (gs::is_float(t) && std::isnan(std::stod(v))) continue;
        all_nan = false;
        int r = best ? gs::cmp_cells(t, v, *best) : 0;
        if (!best || (kind == WEFT_AGG_MIN ? r < 0 : r > 0)) best = &v;
      }
      if (all_nan && gs::is_float(t)) return std::string("nan");
      if (!best) return std::nullopt;
      return *best;
    }
    default: {  // mean, std, var as float64
      std::vector<double> x;
      for (auto &v : vals)
        x.push_back(t == WEFT_TYPE_BOOL ? (v == "true") : gs::is_unsigned(t) ? (double)std::stoull(v)
                                                                           : std::stod(v));
      if (kind == WEFT_AGG_MEAN) {
        if (x.empty()) return std::nullopt;
        double s = 0;
        for (double d : x) s += d;
        return jc::fmt_double(s / (double)x.size());
      }
      if (x.size() < 2) return std::nullopt;
      double m = 0, m2 = 0;
      for (double d : x) m += d;
      m /= (double)x.size();
      for (double d : x) m2 += (d - m) * (d - m);
      double var = m2 / (double)(x.size() - 1);
      return jc::fmt_double(kind == WEFT_AGG_VAR ? var : std::sqrt(var));
    }
  }
}

inline bool near_cell(const Cell &got, const Cell &want, weft_type out_type) {
  if (!got || !want || !gs::is_float(out_type)) return got == want;
  double a = std::stod(*got), b = std::stod(*want);
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  double tol = out_type == WEFT_TYPE_FLOAT32 ? 1e-5 : 1e-9;
  return std::fabs(a - b) <= tol * std::max({1.0, std::fabs(a), std::fabs(b)});
}

}  // namespace gs
