// weft_read_csv / weft_write_csv: round trips of every type, inference, malformed files,
// and a large file parsed in many chunks compared value by value with what was written.
#include <cmath>
#include <fstream>
#include <sstream>

#include "csv_opts.h"
#include "join_csv_helpers.h"

using jc::Cell;
using jc::Col;
using jc::Rows;

namespace {

// ctest runs tests as parallel processes: the pid keeps their files apart.
std::string temp_path(const std::string &name) {
  return ::testing::TempDir() + "weft_csv_" + std::to_string(getpid()) + "_" + name;
}

std::string write_file(const std::string &name, const std::string &text) {
  std::string path = temp_path(name);
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

std::string read_file(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

weft_table *read(const std::string &path, const weft_csv_options *o, weft_status *st) {
  weft_table *t = nullptr;
  *st = weft_read_csv(nullptr, path.c_str(), o, &t);
  return t;
}

weft_table *read_ok(const std::string &path, const weft_csv_options *o = nullptr) {
  weft_status st;
  weft_table *t = read(path, o, &st);
  EXPECT_EQ(st, WEFT_OK) << weft_last_error();
  return t;
}

// The error of reading `text`; expects a failure with `status`.
std::string read_error(const std::string &text, weft_status status, const weft_csv_options *o = nullptr) {
  std::string path = write_file("bad.csv", text);
  weft_status st;
  weft_table *t = read(path, o, &st);
  EXPECT_EQ(st, status) << "for: " << text;
  weft_table_free(t);
  return weft_last_error();
}

void expect_rows(const weft_table *t, const Rows &want) {
  Rows got = jc::rows_of(t);
  ASSERT_EQ(got.size(), want.size());
  for (size_t r = 0; r < got.size(); r++) {
    ASSERT_EQ(got[r].size(), want[r].size()) << "row " << r;
    for (size_t c = 0; c < got[r].size(); c++)
      EXPECT_EQ(got[r][c], want[r][c]) << "row " << r << " col " << c << ": got " << jc::show(got[r][c])
                                       << " want " << jc::show(want[r][c]);
  }
}

}  // namespace

TEST(Csv, RoundTripEveryTypeWithNulls) {
  std::mt19937_64 rng(7);
  const std::vector<std::string> texts = {"plain", "a,b", "say \"hi\"", "line\nbreak", "crlf\r\nend",
                                          "日本語 ß", "", " spaces ", "\"", ",", "NA", "trailing\\"};
  const std::vector<double> floats = {0.1, 1.0, -0.0, 1e300, 2.2250738585072014e-308, NAN, INFINITY, -INFINITY,
                                      123456789012345678.0, 3.141592653589793, -2.5e-8, 1e22, 1e23};
  size_t n = 1000;
  std::vector<Col> cols = {{"b", WEFT_TYPE_BOOL, {}},      {"i8", WEFT_TYPE_INT8, {}},
                           {"i16", WEFT_TYPE_INT16, {}},   {"i32", WEFT_TYPE_INT32, {}},
                           {"i64", WEFT_TYPE_INT64, {}},   {"u8", WEFT_TYPE_UINT8, {}},
                           {"u16", WEFT_TYPE_UINT16, {}},  {"u32", WEFT_TYPE_UINT32, {}},
                           {"u64", WEFT_TYPE_UINT64, {}},  {"f32", WEFT_TYPE_FLOAT32, {}},
                           {"f64", WEFT_TYPE_FLOAT64, {}}, {"s", WEFT_TYPE_UTF8, {}},
                           {"d", WEFT_TYPE_DATE32, {}},    {"t", WEFT_TYPE_TIMESTAMP_US, {}}};
  std::uniform_int_distribution<int64_t> any64(INT64_MIN, INT64_MAX);
  std::uniform_int_distribution<int> pick(0, 1 << 30);
  for (size_t r = 0; r < n; r++) {
    bool null = r % 7 == 3;
    auto add = [&](size_t c, std::string v) { cols[c].cells.push_back(null && (r + c) % 2 ? Cell() : Cell(v)); };
    add(0, pick(rng) % 2 ? "true" : "false");
    add(1, std::to_string((int8_t)pick(rng)));
    add(2, std::to_string((int16_t)pick(rng)));
    add(3, std::to_string((int32_t)any64(rng)));
    add(4, std::to_string(r < 2 ? (r ? INT64_MIN : INT64_MAX) : any64(rng)));
    add(5, std::to_string((uint8_t)pick(rng)));
    add(6, std::to_string((uint16_t)pick(rng)));
    add(7, std::to_string((uint32_t)any64(rng)));
    add(8, std::to_string(r == 0 ? UINT64_MAX : (uint64_t)any64(rng)));
    add(9, jc::fmt_double((float)std::ldexp((double)pick(rng), pick(rng) % 60 - 30)));
    add(10, jc::fmt_double(r < floats.size() ? floats[r] : std::ldexp((double)any64(rng), pick(rng) % 200 - 100)));
    add(11, texts[r % texts.size()]);
    add(12, std::to_string(pick(rng) % 100000 - 40000));
    add(13, std::to_string(any64(rng) % ((int64_t)1 << 55)));
  }
  auto b = jc::build(cols);
  std::string path = temp_path("every_type.csv");
  ASSERT_WEFT_OK(weft_write_csv(b->table, path.c_str()));
  Opts o;
  for (auto &c : cols) o.override_type(c.name, c.type);
  weft_table *t = read_ok(path, o.get());
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(jc::names_of(t), jc::names_of(b->table));
  EXPECT_EQ(jc::types_of(t), jc::types_of(b->table));
  expect_rows(t, jc::rows_of(b->table));
  weft_table_free(t);

  // Inferred: ints become int64, floats float64; the values are the same.
  t = read_ok(path);
  std::vector<weft_type> want = {WEFT_TYPE_BOOL,  WEFT_TYPE_INT64,   WEFT_TYPE_INT64, WEFT_TYPE_INT64,
                                 WEFT_TYPE_INT64, WEFT_TYPE_INT64,   WEFT_TYPE_INT64, WEFT_TYPE_INT64,
                                 WEFT_TYPE_FLOAT64 /* u64 above INT64_MAX */, WEFT_TYPE_FLOAT64,
                                 WEFT_TYPE_FLOAT64, WEFT_TYPE_UTF8, WEFT_TYPE_DATE32, WEFT_TYPE_TIMESTAMP_US};
  EXPECT_EQ(jc::types_of(t), want);
  Rows got = jc::rows_of(t), orig = jc::rows_of(b->table);
  for (size_t r = 0; r < n; r++)
    for (size_t c : {0u, 1u, 4u, 7u, 10u, 11u, 12u, 13u}) ASSERT_EQ(got[r][c], orig[r][c]) << r << "," << c;
  weft_table_free(t);
}

TEST(Csv, WrittenText) {
  std::vector<Col> cols = {{"s", WEFT_TYPE_UTF8, {"a,b", "", std::nullopt, "q\"x"}},
                           {"f", WEFT_TYPE_FLOAT64, {"1", "0.1", "nan", std::nullopt}},
                           {"d", WEFT_TYPE_DATE32, {"0", "-1", "18628", std::nullopt}},
                           {"t", WEFT_TYPE_TIMESTAMP_US, {"0", "-1", "1609459200000001", std::nullopt}}};
  auto b = jc::build(cols);
  std::string path = temp_path("text.csv");
  ASSERT_WEFT_OK(weft_write_csv(b->table, path.c_str()));
  EXPECT_EQ(read_file(path),
            "s,f,d,t\n"
            "\"a,b\",1.0,1970-01-01,1970-01-01T00:00:00.000000\n"
            "\"\",0.1,1969-12-31,1969-12-31T23:59:59.999999\n"
            ",NaN,2021-01-01,2021-01-01T00:00:00.000001\n"
            "\"q\"\"x\",,,\n");
  // Written again over the same path: replaced whole, no temporary file left beside it.
  std::vector<Col> small = {{"only", WEFT_TYPE_INT32, {"5"}}};
  auto b2 = jc::build(small);
  ASSERT_WEFT_OK(weft_write_csv(b2->table, path.c_str()));
  EXPECT_EQ(read_file(path), "only\n5\n");
  EXPECT_EQ(weft_write_csv(b2->table, (temp_path("no_such_dir") + "/x.csv").c_str()), WEFT_ERR_IO);
  EXPECT_NE(std::string(weft_last_error()).find("no_such_dir"), std::string::npos) << weft_last_error();
}

TEST(Csv, Inference) {
  std::string path = write_file("infer.csv",
                                "\xEF\xBB\xBF" "a,b,c,d,e,f,g,h\r\n"
                                "1,1.5,true,2021-01-02,2021-01-02 03:04:05.5,x,,\"7\"\r\n"
                                "-7,1e3,FALSE,1970-01-01,2021-01-02T00:00:00,,,8\r\n"
                                "3,inf,True,2000-02-29,1970-01-01T00:00:01.123456789,\"y,\"\"z\"\"\",,9\r\n");
  weft_table *t = read_ok(path);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(jc::names_of(t), (std::vector<std::string>{"a", "b", "c", "d", "e", "f", "g", "h"}));
  EXPECT_EQ(jc::types_of(t), (std::vector<weft_type>{WEFT_TYPE_INT64, WEFT_TYPE_FLOAT64, WEFT_TYPE_BOOL,
                                                     WEFT_TYPE_DATE32, WEFT_TYPE_TIMESTAMP_US, WEFT_TYPE_UTF8,
                                                     WEFT_TYPE_UTF8, WEFT_TYPE_INT64}));
  expect_rows(t, Rows{{"1", "1.5", "true", "18629", "1609556645500000", "x", std::nullopt, "7"},
                      {"-7", "1000", "false", "0", "1609545600000000", std::nullopt, std::nullopt, "8"},
                      {"3", "inf", "true", "11016", "1123456", "y,\"z\"", std::nullopt, "9"}});
  weft_table_free(t);

  // int then float widens; a date and a timestamp together, or bool and int, stay text.
  path = write_file("widen.csv", "a,b,c,d\n1,2021-01-01,true,\n2.5,2021-01-01 00:00:00,1,\"\"\n");
  t = read_ok(path);
  EXPECT_EQ(jc::types_of(t), (std::vector<weft_type>{WEFT_TYPE_FLOAT64, WEFT_TYPE_UTF8, WEFT_TYPE_UTF8, WEFT_TYPE_UTF8}));
  expect_rows(t, Rows{{"1", "2021-01-01", "true", std::nullopt}, {"2.5", "2021-01-01 00:00:00", "1", ""}});
  weft_table_free(t);
}

TEST(Csv, OptionsHeaderNullsDelimiterOverrides) {
  std::string path = write_file("opts.csv", "001;NA;x\n002;-;y\n\n003;4;\n");
  Opts o;
  o.o.has_header = 0;
  o.o.delimiter = ';';
  o.o.null_values = "NA,-";
  o.override_type("column_1", WEFT_TYPE_UTF8);
  weft_table *t = read_ok(path, o.get());
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(jc::names_of(t), (std::vector<std::string>{"column_1", "column_2", "column_3"}));
  EXPECT_EQ(jc::types_of(t), (std::vector<weft_type>{WEFT_TYPE_UTF8, WEFT_TYPE_INT64, WEFT_TYPE_UTF8}));
  // A blank line is a row of nulls, as Polars.
  expect_rows(t, Rows{{"001", std::nullopt, "x"}, {"002", std::nullopt, "y"},
                      {std::nullopt, std::nullopt, std::nullopt}, {"003", "4", std::nullopt}});
  weft_table_free(t);

  path = write_file("dups.csv", "a,a,,a\n1,2,3,4");  // no final newline
  t = read_ok(path);
  EXPECT_EQ(jc::names_of(t), (std::vector<std::string>{"a", "a_duplicated_0", "", "a_duplicated_1"}));
  expect_rows(t, Rows{{"1", "2", "3", "4"}});
  weft_table_free(t);

  path = write_file("header_only.csv", "x,y\n");
  t = read_ok(path);
  EXPECT_EQ(jc::types_of(t), (std::vector<weft_type>{WEFT_TYPE_UTF8, WEFT_TYPE_UTF8}));
  expect_rows(t, Rows{});
  weft_table_free(t);

  // One column: null rows are blank lines and must round trip.
  std::vector<Col> one = {{"v", WEFT_TYPE_INT64, {"1", std::nullopt, "3", std::nullopt}}};
  auto b = jc::build(one);
  path = temp_path("one.csv");
  ASSERT_WEFT_OK(weft_write_csv(b->table, path.c_str()));
  t = read_ok(path);
  expect_rows(t, jc::rows_of(b->table));
  weft_table_free(t);

  // Narrow overrides check their range.
  path = write_file("narrow.csv", "a\n1\n300\n");
  Opts narrow;
  narrow.override_type("a", WEFT_TYPE_INT8);
  std::string msg = read_error("a\n1\n300\n", WEFT_ERR_CORRUPT, narrow.get());
  EXPECT_NE(msg.find("line 3"), std::string::npos) << msg;
  EXPECT_NE(msg.find("int8"), std::string::npos) << msg;
}

TEST(Csv, MalformedInputs) {
  std::string msg = read_error("a,b\n1,2\n3\n", WEFT_ERR_CORRUPT);
  EXPECT_NE(msg.find("line 3"), std::string::npos) << msg;
  EXPECT_NE(msg.find("expected 2 fields"), std::string::npos) << msg;
  EXPECT_NE(msg.find("found 1"), std::string::npos) << msg;
  msg = read_error("a,b\n1,2\n3,4,5\n", WEFT_ERR_CORRUPT);
  EXPECT_NE(msg.find("line 3"), std::string::npos) << msg;
  EXPECT_NE(msg.find("found 3"), std::string::npos) << msg;
  // A quoted newline counts as a line of the file.
  msg = read_error("a,b\n\"x\ny\",2\n\"open,3\n", WEFT_ERR_CORRUPT);
  EXPECT_NE(msg.find("line 4"), std::string::npos) << msg;
  EXPECT_NE(msg.find("never closed"), std::string::npos) << msg;
  msg = read_error("a,b\n\"x\"y,2\n", WEFT_ERR_CORRUPT);
  EXPECT_NE(msg.find("line 2"), std::string::npos) << msg;

  weft_csv_options o{};
  ASSERT_EQ(weft_csv_options_init(&o), WEFT_OK);
  o.infer_rows = 2;
  msg = read_error("n,s\n1,a\n2,b\nthree,c\n", WEFT_ERR_CORRUPT, &o);
  EXPECT_NE(msg.find("line 4"), std::string::npos) << msg;
  EXPECT_NE(msg.find("column \"n\""), std::string::npos) << msg;
  EXPECT_NE(msg.find("\"three\""), std::string::npos) << msg;
  EXPECT_NE(msg.find("override"), std::string::npos) << msg;

  read_error("", WEFT_ERR_CORRUPT);
  weft_status st;
  EXPECT_EQ(read(temp_path("does_not_exist.csv"), nullptr, &st), nullptr);
  EXPECT_EQ(st, WEFT_ERR_IO);
  EXPECT_NE(std::string(weft_last_error()).find("does_not_exist"), std::string::npos);
  Opts bad;
  bad.override_type("nope", WEFT_TYPE_INT64);
  msg = read_error("a\n1\n", WEFT_ERR_NOT_FOUND, bad.get());
  EXPECT_NE(msg.find("nope"), std::string::npos);

  // An error deep in a later chunk names its own line; the earliest error wins.
  std::string big = "k,v\n";
  for (int i = 0; i < 200000; i++) big += std::to_string(i) + ",x\n";
  big += "oops,y\n";
  for (int i = 0; i < 100000; i++) big += std::to_string(i) + ",x\n";
  big += "1,2,3\n";
  msg = read_error(big, WEFT_ERR_CORRUPT);
  EXPECT_NE(msg.find("line 200002"), std::string::npos) << msg;
}

TEST(Csv, LargeFileInManyChunks) {
  std::mt19937_64 rng(8);
  size_t n = 1000003;
  std::vector<int64_t> ks(n);
  std::vector<double> xs(n);
  std::vector<std::string> ss(n);
  std::string text = "k,x,s,b,d\n";
  text.reserve(n * 40);
  char buf[64];
  for (size_t i = 0; i < n; i++) {
    ks[i] = (int64_t)(rng() % 2000000) - 1000000;
    xs[i] = std::ldexp((double)(rng() % 1000000007), -(int)(rng() % 40));
    bool tricky = i % 1000 == 999 || (i > 65530 && i < 65540);
    ss[i] = tricky ? "multi\nline, \"quoted\"" : "s" + std::to_string(i % 977);
    text += std::to_string(ks[i]) + ",";
    snprintf(buf, sizeof buf, "%.17g", xs[i]);
    text += buf;
    text += ",";
    if (tricky) text += "\"multi\nline, \"\"quoted\"\"\"";
    else text += ss[i];
    text += i % 3 ? ",true," : ",,";
    text += i % 5 ? "2020-01-0" + std::to_string(1 + i % 9) : "";
    text += i % 2 ? "\r\n" : "\n";
  }
  std::string path = write_file("large.csv", text);
  weft_exec *ex;
  ASSERT_WEFT_OK(weft_exec_create(&ex));
  weft_table *t = nullptr;
  ASSERT_WEFT_OK(weft_read_csv(ex, path.c_str(), nullptr, &t));
  const char *report;
  ASSERT_WEFT_OK(weft_exec_report(ex, &report));
  EXPECT_NE(std::string(report).find("chunks"), std::string::npos) << report;
  weft_exec_free(ex);
  int64_t rows;
  weft_test_ok(weft_table_num_rows(t, &rows));
  ASSERT_EQ(rows, (int64_t)n);
  EXPECT_EQ(jc::types_of(t), (std::vector<weft_type>{WEFT_TYPE_INT64, WEFT_TYPE_FLOAT64, WEFT_TYPE_UTF8,
                                                     WEFT_TYPE_BOOL, WEFT_TYPE_DATE32}));
  weft_column_view k, x, s, b, d;
  weft_test_ok(weft_table_column(t, 0, &k));
  weft_test_ok(weft_table_column(t, 1, &x));
  weft_test_ok(weft_table_column(t, 2, &s));
  weft_test_ok(weft_table_column(t, 3, &b));
  weft_test_ok(weft_table_column(t, 4, &d));
  EXPECT_EQ(b.null_count, (int64_t)((n + 2) / 3));
  for (size_t i = 0; i < n; i++) {
    ASSERT_EQ(((const int64_t *)k.values)[i], ks[i]) << i;
    ASSERT_EQ(((const double *)x.values)[i], xs[i]) << i;
    const int32_t *o = (const int32_t *)s.values;
    ASSERT_EQ(std::string(s.data + o[i], (size_t)(o[i + 1] - o[i])), ss[i]) << i;
    ASSERT_EQ(bit(b.validity, i), i % 3 != 0) << i;
    ASSERT_EQ(d.validity == nullptr || bit(d.validity, i), i % 5 != 0) << i;
    if (i % 5) {
      ASSERT_EQ(((const int32_t *)d.values)[i], 18262 + (int32_t)(i % 9)) << i;
    }
  }
  // Written back and read again: the same table.
  std::string again = temp_path("large_again.csv");
  ASSERT_WEFT_OK(weft_write_csv(t, again.c_str()));
  weft_table *t2 = read_ok(again);
  ASSERT_NE(t2, nullptr);
  for (int64_t r0 = 0; r0 < rows; r0 += 100000) {
    weft_table *a, *b2;
    ASSERT_WEFT_OK(weft_table_slice(t, r0, 100000, &a));
    ASSERT_WEFT_OK(weft_table_slice(t2, r0, 100000, &b2));
    ASSERT_EQ(jc::rows_of(a), jc::rows_of(b2)) << "rows from " << r0;
    weft_table_free(a);
    weft_table_free(b2);
  }
  weft_table_free(t2);
  weft_table_free(t);
  std::remove(path.c_str());
  std::remove(again.c_str());
}

TEST(Csv, RandomTextRoundTripAcrossChunks) {
  std::mt19937_64 rng(9);
  const std::vector<std::string> alphabet = {"a", ",", "\"", "\n", "\r", " ", "é", "\r\n", "x\"\"", ";"};
  size_t n = 150001;  // several 64k-row chunks
  std::vector<Col> cols = {{"text", WEFT_TYPE_UTF8, {}}, {"n", WEFT_TYPE_INT64, {}}, {"more", WEFT_TYPE_UTF8, {}}};
  for (size_t r = 0; r < n; r++) {
    for (size_t c : {0u, 2u}) {
      if (rng() % 10 == 0) {
        cols[c].cells.push_back(std::nullopt);
        continue;
      }
      std::string s;
      for (size_t len = rng() % 8; len; len--) s += alphabet[rng() % alphabet.size()];
      cols[c].cells.push_back(s);
    }
    cols[1].cells.push_back(std::to_string((int64_t)(rng() % 1000) - 500));
  }
  auto b = jc::build(cols);
  std::string path = temp_path("random_text.csv");
  ASSERT_WEFT_OK(weft_write_csv(b->table, path.c_str()));
  Opts o;
  o.override_type("text", WEFT_TYPE_UTF8).override_type("more", WEFT_TYPE_UTF8);
  weft_table *t = read_ok(path, o.get());
  ASSERT_NE(t, nullptr);
  expect_rows(t, jc::rows_of(b->table));
  weft_table_free(t);
  std::remove(path.c_str());
}

namespace {

// The options struct can grow: struct_size says which fields the caller knows.
TEST(Csv, OptionsStructSize) {
  weft_csv_options o{};
  ASSERT_EQ(weft_csv_options_init(&o), WEFT_OK);
  EXPECT_EQ(o.struct_size, sizeof o);
  EXPECT_EQ(o.delimiter, ',');
  EXPECT_EQ(o.has_header, 1);
  o.delimiter = ';';
  std::string path = write_file("semi.csv", "a;b\n1;x\n2;y\n");
  weft_table *t = read_ok(path, &o);
  int64_t rows = -1;
  ASSERT_EQ(weft_table_num_rows(t, &rows), WEFT_OK);
  EXPECT_EQ(rows, 2);
  weft_table_free(t);

  weft_csv_options zero{};  // struct_size left 0: refused with what to do
  std::string msg = read_error("a\n1\n", WEFT_ERR_INVALID_ARGUMENT, &zero);
  EXPECT_NE(msg.find("struct_size is 0"), std::string::npos) << msg;
  EXPECT_NE(msg.find("weft_csv_options_init"), std::string::npos) << msg;
  o.struct_size = sizeof o + 8;  // a caller built against a newer weft.h
  msg = read_error("a\n1\n", WEFT_ERR_INVALID_ARGUMENT, &o);
  EXPECT_NE(msg.find("struct_size is " + std::to_string(sizeof o + 8)), std::string::npos) << msg;
  EXPECT_EQ(weft_csv_options_init(nullptr), WEFT_ERR_INVALID_ARGUMENT);
}

}  // namespace
