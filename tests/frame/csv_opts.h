// weft_csv_options built in a test: type overrides by column name and the null strings, kept
// alive beside the struct that points into them.
#pragma once
#include <string>
#include <vector>

#include "test_support.h"
#include "weft.h"

struct Opts {
  weft_csv_options o{};
  std::vector<std::string> names;
  std::vector<const char *> cnames;
  std::vector<weft_type> types;
  std::string nulls;  // "" keeps the reader's default
  Opts() { weft_test_ok(weft_csv_options_init(&o)); }
  Opts &override_type(const std::string &name, weft_type t) {
    names.push_back(name);
    types.push_back(t);
    return *this;
  }
  const weft_csv_options *get() {
    cnames.clear();
    for (auto &n : names) cnames.push_back(n.c_str());
    o.n_overrides = names.size();
    o.override_names = cnames.data();
    o.override_types = types.data();
    if (!nulls.empty()) o.null_values = nulls.c_str();
    return &o;
  }
};
