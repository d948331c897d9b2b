// weft_read_csv on every device found: the table a device parses equals the CPU's, cell for
// cell (float bits, null slots, text bytes), on random files with every type, nulls (empty
// fields and null strings), quoted fields holding delimiters, line breaks and doubled quotes,
// CRLF, blank lines, with and without a header, type overrides, one row, an empty body, sizes
// above one 64k-record chunk, floats only strtod gives exactly; malformed files fail with the
// CPU's status and message (line and column); a small memory cap parses in slices, a cap
// below one chunk falls back (strict: fails); auto keeps small files on the CPU.
#include <unistd.h>

#include <cinttypes>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "csv_opts.h"
#include "test_support.h"

namespace {

struct TableFree {
  void operator()(weft_table *t) const { weft_table_free(t); }
};
using TablePtr = std::unique_ptr<weft_table, TableFree>;

std::string write_file(const std::string &name, const std::string &text) {
  std::string path = ::testing::TempDir() + "weft_csvdev_" + std::to_string(getpid()) + "_" + name;
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

struct Result {
  weft_status st;
  std::string error, report;
  size_t last;
  TablePtr t;
};

Result read_on(const std::string &device, const std::string &path, Opts &o, int strict = 1) {
  TestExec ex(device, strict);
  weft_table *t = nullptr;
  Result r;
  r.st = weft_read_csv(ex.e, path.c_str(), o.get(), &t);
  r.error = r.st == WEFT_OK ? "" : weft_last_error();
  r.report = ex.report();
  r.last = ex.last_device();
  r.t.reset(t);
  return r;
}

// Every cell equal: fixed-width values by their bytes (null slots hold 0 on both), bools by
// their bit, text by its bytes, validity alike.
void expect_identical(const weft_table *got, const weft_table *want, const std::string &what) {
  ASSERT_NE(got, nullptr) << what;
  ASSERT_NE(want, nullptr) << what;
  size_t gc = 0, wc = 0;
  int64_t gr = 0, wr = 0;
  ASSERT_WEFT_OK(weft_table_num_columns(got, &gc));
  ASSERT_WEFT_OK(weft_table_num_columns(want, &wc));
  ASSERT_WEFT_OK(weft_table_num_rows(got, &gr));
  ASSERT_WEFT_OK(weft_table_num_rows(want, &wr));
  ASSERT_EQ(gc, wc) << what;
  ASSERT_EQ(gr, wr) << what;
  for (size_t c = 0; c < wc; c++) {
    const char *gn, *wn;
    ASSERT_WEFT_OK(weft_table_column_name(got, c, &gn));
    ASSERT_WEFT_OK(weft_table_column_name(want, c, &wn));
    EXPECT_STREQ(gn, wn) << what;
    weft_column_view g, w;
    ASSERT_WEFT_OK(weft_table_column(got, c, &g));
    ASSERT_WEFT_OK(weft_table_column(want, c, &w));
    ASSERT_EQ(g.type, w.type) << what << ", column " << wn;
    int bad = 0;
    for (int64_t r = 0; r < wr && bad < 5; r++) {
      int64_t gi = g.offset + r, wi = w.offset + r;
      bool gv = !g.validity || bit(g.validity, gi), wv = !w.validity || bit(w.validity, wi);
      std::string at = what + ", column " + wn + ", row " + std::to_string(r);
      if (gv != wv) {
        ADD_FAILURE() << at << ": valid " << gv << " (cpu " << wv << ")";
        bad++;
        continue;
      }
      if (w.type == WEFT_TYPE_BOOL) {
        if (wv && bit((const uint8_t *)g.values, gi) != bit((const uint8_t *)w.values, wi))
          ADD_FAILURE() << at << ": bool differs", bad++;
      } else if (w.type == WEFT_TYPE_UTF8) {
        const int32_t *go = (const int32_t *)g.values, *wo = (const int32_t *)w.values;
        std::string gs(g.data + go[gi], (size_t)(go[gi + 1] - go[gi]));
        std::string ws(w.data + wo[wi], (size_t)(wo[wi + 1] - wo[wi]));
        if (gs != ws) ADD_FAILURE() << at << ": \"" << gs << "\" (cpu \"" << ws << "\")", bad++;
      } else {
        size_t width = w.type == WEFT_TYPE_INT8 || w.type == WEFT_TYPE_UINT8     ? 1
                       : w.type == WEFT_TYPE_INT16 || w.type == WEFT_TYPE_UINT16 ? 2
                       : w.type == WEFT_TYPE_INT32 || w.type == WEFT_TYPE_UINT32 ||
                               w.type == WEFT_TYPE_FLOAT32 || w.type == WEFT_TYPE_DATE32
                           ? 4
                           : 8;
        const char *gp = (const char *)g.values + gi * width, *wp = (const char *)w.values + wi * width;
        if (memcmp(gp, wp, width)) {
          uint64_t a = 0, b = 0;
          memcpy(&a, gp, width), memcpy(&b, wp, width);
          ADD_FAILURE() << at << ": bytes " << std::hex << a << " (cpu " << b << ")";
          bad++;
        }
      }
    }
  }
}

// A random CSV: int64, float64, bool, date, timestamp, text, an int column read as int16
// and a float column read as float32 (overrides), nulls as empty fields and "NA".
struct Gen {
  std::mt19937_64 rng;
  bool crlf, blank_lines, header;
  explicit Gen(uint64_t seed, bool crlf_, bool blanks, bool header_)
      : rng(seed), crlf(crlf_), blank_lines(blanks), header(header_) {}
  size_t pick(size_t n) { return (size_t)(rng() % n); }
  std::string quote(const std::string &s) {
    std::string q = "\"";
    for (char ch : s) q += ch == '"' ? std::string("\"\"") : std::string(1, ch);
    return q + "\"";
  }
  std::string num(int64_t v) { return std::to_string(v); }
  std::string flt() {
    char b[64];
    switch (pick(12)) {
      case 0: snprintf(b, sizeof b, "%.17g", std::ldexp((double)(rng() >> 11), (int)pick(200) - 100)); break;
      case 1: return "0.1e-320";
      case 2: return "12345678901234567890.5";
      case 3: return pick(2) ? "nan" : "-Infinity";
      case 4: return "1e23";
      case 5: snprintf(b, sizeof b, "%d.%02d", (int)pick(100000) - 50000, (int)pick(100)); break;
      case 6: snprintf(b, sizeof b, "%de%d", (int)pick(1000), (int)pick(40) - 20); break;
      case 7: return quote("2.5");
      case 8: snprintf(b, sizeof b, "%.6g", (double)(int64_t)(rng() >> 20) / 1024.0); break;
      case 9: return "+.5";
      case 10: return "-0.0";
      default: snprintf(b, sizeof b, "%.15g", (double)(int64_t)(rng() >> 12) * 1e-9); break;
    }
    return b;
  }
  std::string date(bool with_time) {
    char b[64];
    int y = 1 + (int)pick(9998), m = 1 + (int)pick(12), d = 1 + (int)pick(28);
    if (!with_time) {
      snprintf(b, sizeof b, "%04d-%02d-%02d", y, m, d);
      return b;
    }
    snprintf(b, sizeof b, "%04d-%02d-%02d%c%02d:%02d:%02d", y, m, d, pick(2) ? 'T' : ' ',
             (int)pick(24), (int)pick(60), (int)pick(60));
    std::string s = b;
    if (pick(2)) {
      size_t digits = 1 + pick(9);
      s += '.';
      for (size_t i = 0; i < digits; i++) s += (char)('0' + pick(10));
    }
    return s;
  }
  std::string text() {
    static const char *pool[] = {"plain", "a,b", "say \"hi\"", "line\nbreak", "crlf\r\nin", "",
                                 " spaces ", "\"", ",", "NA", "tr\"ue", "日本語", "x,\"y\"\n,z"};
    if (pick(20) == 0) return "in\"ner\"\""; /* quotes inside an unquoted field are text */
    std::string s = pool[pick(sizeof pool / sizeof *pool)];
    bool must = s.find_first_of(",\"\n\r") != std::string::npos || s.empty();
    return must || pick(4) == 0 ? quote(s) : s;
  }
  std::string field(int col) {
    size_t k = pick(10);
    if (k == 0) return "";
    if (k == 1) return "NA";
    switch (col) {
      case 0: return pick(5) ? num((int64_t)(rng() >> 2) - ((int64_t)1 << 61)) : (pick(2) ? "+7" : "-0");
      case 1: return flt();
      case 2: { static const char *b[] = {"true", "False", "TRUE", "false"}; return b[pick(4)]; }
      case 3: return pick(8) ? date(false) : quote(date(false));
      case 4: return date(true);
      case 5: return text();
      case 6: return num((int64_t)pick(65536) - 32768);
      default: return flt();
    }
  }
  std::string file(size_t rows) {
    const char *eol = crlf ? "\r\n" : "\n";
    std::string s;
    if (header) s += std::string("i,f,b,d,t,s,h,g") + eol;
    for (size_t r = 0; r < rows; r++) {
      if (blank_lines && pick(50) == 0) {
        s += eol;
        continue;
      }
      for (int c = 0; c < 8; c++) s += (c ? "," : "") + field(c);
      s += eol;
    }
    return s;
  }
};

class CsvDevice : public DeviceParamTest {
 protected:
  // Reads on the device (strict: a fallback fails) and on the CPU: equal tables, or equal
  // status and message; the report names the device that parsed.
  Result check(const std::string &path, Opts &o, const std::string &what) {
    Result got = read_on(GetParam(), path, o);
    Result want = read_on("cpu", path, o);
    EXPECT_EQ(got.st, want.st) << what << ": " << got.error << " (cpu: " << want.error << ")";
    EXPECT_EQ(got.error, want.error) << what;
    if (want.st == WEFT_OK) expect_identical(got.t.get(), want.t.get(), what);
    if (on_device && got.st == WEFT_OK) {
      EXPECT_NE(got.report.find(GetParam() + ": records split and parsed on the device"),
                std::string::npos) << what << "\n" << got.report;
      EXPECT_EQ(got.last, dev_index) << what;
    }
    return got;
  }
};

TEST_P(CsvDevice, RandomFilesEqualCpu) {
  const size_t sizes[] = {1, 2, 257, 5000, 65536 + 3, 140001};
  uint64_t seed = 1;
  for (size_t n : sizes)
    for (int variant = 0; variant < 4; variant++) {
      if (n > 5000 && variant % 2) continue; /* the big ones twice, not four times */
      bool crlf = variant & 1, header = variant != 2, blanks = variant >= 2;
      Gen g(seed++, crlf, blanks, header);
      std::string path = write_file("random.csv", g.file(n));
      Opts o;
      o.o.has_header = header;
      o.nulls = variant == 3 ? "NA,-" : "NA";
      std::string h = header ? "h" : "column_7", f = header ? "g" : "column_8";
      o.names = {h, f};
      o.types = {WEFT_TYPE_INT16, WEFT_TYPE_FLOAT32};
      std::string what = std::to_string(n) + " rows, variant " + std::to_string(variant);
      Result r = check(path, o, what);
      ASSERT_EQ(r.st, WEFT_OK) << what << ": " << r.error;
      if (n < 257) continue; /* a few rows may all be null: then the column is utf8 */
      weft_column_view v;
      ASSERT_WEFT_OK(weft_table_column(r.t.get(), 1, &v));
      EXPECT_EQ(v.type, WEFT_TYPE_FLOAT64) << what;
      ASSERT_WEFT_OK(weft_table_column(r.t.get(), 4, &v));
      EXPECT_EQ(v.type, WEFT_TYPE_TIMESTAMP_US) << what;
      unlink(path.c_str());
    }
}

TEST_P(CsvDevice, OverridesOfEveryType) {
  // every numeric width from text in range, and a column forced to utf8
  std::string text = "a,b,c,d,e,f,g,h,i\n";
  std::mt19937_64 rng(9);
  for (int r = 0; r < 3000; r++) {
    char line[256];
    snprintf(line, sizeof line, "%d,%d,%ld,%u,%u,%u,%llu,%d,%s\n", (int)(rng() % 256) - 128,
             (int)(rng() % 65536) - 32768, (long)(int32_t)rng(), (unsigned)(rng() % 256),
             (unsigned)(rng() % 65536), (unsigned)rng(), (unsigned long long)rng(),
             (int)(rng() % 1000), r % 7 ? "1.25" : "");
    text += line;
  }
  std::string path = write_file("overrides.csv", text);
  Opts o;
  o.names = {"a", "b", "c", "d", "e", "f", "g", "h", "i"};
  o.types = {WEFT_TYPE_INT8,   WEFT_TYPE_INT16,  WEFT_TYPE_INT32, WEFT_TYPE_UINT8, WEFT_TYPE_UINT16,
             WEFT_TYPE_UINT32, WEFT_TYPE_UINT64, WEFT_TYPE_UTF8,  WEFT_TYPE_FLOAT32};
  check(path, o, "overrides");
  // a value out of an override's range: the CPU's error
  std::string bad = text + "1,2,3,4,5,6,7,8,9\n300,2,3,4,5,6,7,8,9\n";
  std::string path2 = write_file("overrides_bad.csv", bad);
  Result r = check(path2, o, "out of range");
  EXPECT_EQ(r.st, WEFT_ERR_CORRUPT);
  EXPECT_NE(r.error.find("line 3003, column \"a\""), std::string::npos) << r.error;
  unlink(path.c_str()), unlink(path2.c_str());
}

TEST_P(CsvDevice, FloatsOnlyStrtodGivesExactly) {
  std::string text = "x\n";
  const char *hard[] = {"0.1e-320", "12345678901234567", "1.2345678901234567890123", "1e23",
                        "9007199254740993", "2.2250738585072011e-308", "4.9e-324", "1e-400",
                        "1e400", "0.30000000000000004", "123456789012345678901234567890"};
  for (int r = 0; r < 70000; r++) text += std::string(hard[r % 11]) + (r % 3 ? "" : "0") + "\n";
  std::string path = write_file("strtod.csv", text);
  Opts o;
  Result r = check(path, o, "strtod");
  if (on_device) {
    EXPECT_EQ(r.report.find("; 0 records parsed again"), std::string::npos) << r.report;
  }
  unlink(path.c_str());
}

TEST_P(CsvDevice, SmallFiles) {
  const std::string files[] = {"a,b\n", "a,b\n1,x\n", "a\n\n\n", "a,b\r\n1,\"\"\r\n", "1,2\n",
                               "a,b\n1,2", "a,b\n,\n", "a,b,c\n\"q\"\"\",2,\n", "x\n\"\"\n", "",
                               "\xEF\xBB\xBF" "a,b\n1,2\n", "a,b\n1,\"2\n"};
  int i = 0;
  for (const std::string &text : files) {
    std::string path = write_file("small.csv", text);
    Opts o;
    o.o.has_header = i != 4;
    check(path, o, "small file " + std::to_string(i++));
    unlink(path.c_str());
  }
}

TEST_P(CsvDevice, MalformedFilesFailAsOnCpu) {
  std::string good;
  for (int r = 0; r < 70000; r++) good += std::to_string(r) + "," + std::to_string(r * 0.5) + ",s\n";
  const std::string bad[] = {
      "a,b,c\n" + good + "1,2\n" + good,                 // too few fields, in chunk 2
      "a,b,c\n" + good + "1,2,3,4\n",                    // too many
      "a,b,c\n" + good + "1,x,3\n" + good,               // a value that does not parse
      "a,b,c\n1,2,\"open\n" + good,                      // a quote never closed
      "a,b,c\n" + good + "1,2,\"q\"x\n",                 // text after a closing quote
      "a,b,c\n" + good + "1,\"2\"\"\",3\n",              // doubled quote in a number
      "a,b,c\n" + good + "7,2,3\n1,2\n" + "1,x,3\n",     // two errors: the first one wins
  };
  int i = 0;
  for (const std::string &text : bad) {
    std::string path = write_file("bad.csv", text);
    Opts o;
    Result r = check(path, o, "malformed " + std::to_string(i));
    EXPECT_NE(r.st, WEFT_OK) << "malformed " << i;
    EXPECT_NE(r.error.find("line "), std::string::npos) << r.error;
    unlink(path.c_str());
    i++;
  }
}

TEST_P(CsvDevice, MemoryCapSlicesOrFallsBack) {
  if (!on_device) GTEST_SKIP() << "the CPU has no device memory cap to exceed";
  Gen g(77, false, true, true);
  std::string path = write_file("cap.csv", g.file(200000));
  Opts o;
  o.nulls = "NA";
  weft_device_info info;
  ASSERT_WEFT_OK(weft_device_get_info(dev_index, &info));
  // room for about one chunk (64k records of ~110 bytes, and their results) at a time
  ASSERT_WEFT_OK(weft_device_set_memory_limit(dev_index, info.memory_used_bytes + (20u << 20)));
  Result r = check(path, o, "one chunk a slice");
  EXPECT_EQ(r.report.find("(1 slice)"), std::string::npos) << r.report;
  // an error in the third slice: the CPU's message
  std::string bad = write_file("cap_bad.csv", g.file(140000) + "1,2\n");
  Result e = check(bad, o, "an error in a later slice");
  EXPECT_EQ(e.st, WEFT_ERR_CORRUPT) << e.error;
  unlink(bad.c_str());
  // not one chunk: falls back (strict: the error)
  ASSERT_WEFT_OK(weft_device_set_memory_limit(dev_index, info.memory_used_bytes + 4096));
  Result fb = read_on(GetParam(), path, o, 0);
  Result want = read_on("cpu", path, o);
  ASSERT_EQ(fb.st, WEFT_OK) << fb.error;
  expect_identical(fb.t.get(), want.t.get(), "cap below a chunk");
  EXPECT_NE(fb.report.find(GetParam() + ": fell back to cpu: device " + GetParam()), std::string::npos)
      << fb.report;
  EXPECT_EQ(fb.last, 0u);
  Result strict = read_on(GetParam(), path, o, 1);
  EXPECT_EQ(strict.st, WEFT_ERR_DEVICE_MEMORY) << strict.error;
  EXPECT_NE(strict.error.find("limit"), std::string::npos) << strict.error;
  EXPECT_EQ(strict.t, nullptr);
  ASSERT_WEFT_OK(weft_device_set_memory_limit(dev_index, 0));
  ASSERT_WEFT_OK(weft_device_get_info(dev_index, &info));
  EXPECT_EQ(info.memory_used_bytes, 0u) << "read_csv left device memory accounted";
  unlink(path.c_str());
}

INSTANTIATE_TEST_SUITE_P(Devices, CsvDevice, ::testing::ValuesIn(all_device_params()), param_name);

TEST(CsvDeviceAuto, SmallFileStaysOnCpu) {
  std::string path = write_file("auto.csv", "a,b\n1,2\n3,4\n");
  Opts o;
  Result r = read_on("auto", path, o);
  ASSERT_EQ(r.st, WEFT_OK) << r.error;
  EXPECT_NE(r.report.find("device cpu:0: auto, small input"), std::string::npos) << r.report;
  EXPECT_EQ(r.last, 0u);
  unlink(path.c_str());
}

}  // namespace
