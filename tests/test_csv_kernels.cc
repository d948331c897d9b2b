// The backends' read_csv kernels (kernels/csv_parse.kern) on their own, through each backend
// library's weft__backend table (dlopen, no libweft.so): seven records with hand-worked
// values (once the CUDA backend's built-in self-test; now this file is the one copy, run on
// OpenCL everywhere and on CUDA by tools/gpu-check.sh); then two
// chunks of 65536 records whose starts the host computes. A backend that is not built or
// finds no device is reported as skipped.
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "../kernels/csv_parse.h"
#include "backend_test.h"

namespace {

using namespace backend_test;

// One parse of `text` (chunks starting at `chunk_start`) on device 0; the results back.
struct Parsed {
  std::vector<uint64_t> starts, col_off;
  std::vector<uint8_t> out, valid, flags;
};

class CsvKernels : public BackendTest {
 protected:
  std::vector<void *> bufs_;

  void SetUp() override {
    BackendTest::SetUp();
    if (IsSkipped()) return;
    ASSERT_NE(be_->csv_records, nullptr) << GetParam().name << " has no csv_records";
    ASSERT_NE(be_->csv_fields, nullptr) << GetParam().name << " has no csv_fields";
  }
  void TearDown() override {
    for (void *b : bufs_) be_->buffer_free(0, b);
  }
  void *up(const void *src, size_t bytes) {
    void *h = nullptr;
    EXPECT_EQ(be_->buffer_alloc(0, bytes ? bytes : 8, &h), WEFT_OK) << g_message;
    if (h) bufs_.push_back(h);
    if (h && src && bytes) {
      EXPECT_EQ(be_->buffer_write(0, h, 0, src, bytes, 1), WEFT_OK) << g_message;
    }
    return h;
  }
  void down(void *h, void *dst, size_t bytes) {
    ASSERT_EQ(be_->buffer_read(0, h, 0, dst, bytes, 1), WEFT_OK) << g_message;
  }

  Parsed parse(const std::string &text, size_t rows,
               const std::vector<uint32_t> &types, const std::vector<size_t> &width,
               const std::string &nulls, const std::vector<uint32_t> &null_off) {
    Parsed p;
    size_t ncols = types.size(), out_bytes = 0;
    for (size_t k = 0; k < ncols; k++)
      p.col_off.push_back(out_bytes), out_bytes += (width[k] * rows + 7) & ~(size_t)7;
    weft__csv_launch l = {rows, text.size(), ',', (unsigned)ncols,
                          (unsigned)null_off.size() - 1, up(text.data(), text.size()),
                          up(nullptr, WK_CSV_SCRATCH_BYTES(text.size())), up(nullptr, 8 * rows),
                          up(types.data(), 4 * ncols), up(p.col_off.data(), 8 * ncols),
                          up(nullptr, out_bytes), up(nullptr, ncols * rows), up(nullptr, rows),
                          up(null_off.data(), 4 * null_off.size()), up(nulls.data(), nulls.size() + 1)};
    EXPECT_EQ(be_->csv_records(0, &l), WEFT_OK) << g_message;
    EXPECT_EQ(be_->csv_fields(0, &l), WEFT_OK) << g_message;
    p.starts.resize(rows), p.out.resize(out_bytes), p.valid.resize(ncols * rows), p.flags.resize(rows);
    down(l.starts, p.starts.data(), 8 * rows);
    down(l.out, p.out.data(), out_bytes);
    down(l.valid, p.valid.data(), ncols * rows);
    down(l.flags, p.flags.data(), rows);
    return p;
  }
};

TEST_P(CsvKernels, TheCudaSelfTestCase) {
  const char *recs[] = {"12,0.5,true,2020-02-29,2020-01-01 00:00:01.5,\"a,\"\"b\"\"\"\n",
                        "-7,1e3,FALSE,1970-01-01,1970-01-01T00:00:00,\"line\nbreak\"\n",
                        ",NA,,,,\n",
                        "\n",
                        "1,0.1e-320,true,2000-01-01,2000-01-01 00:00:00,x\n",
                        "1,2,3\n",
                        "9223372036854775807,-2.5e-3,false,1999-12-31,1969-12-31 23:59:59.999999,\"q\"\r\n"};
  const size_t rows = 7, ncols = 6;
  std::string text;
  std::vector<uint64_t> want_start;
  for (const char *r : recs) want_start.push_back(text.size()), text += r;
  Parsed p = parse(text, rows,
                   {WK_CSV_I64, WK_CSV_F64, WK_CSV_BOOL, WK_CSV_DATE32, WK_CSV_TS, WK_CSV_TEXT},
                   {8, 8, 1, 4, 8, 16}, "NA", {0, 2});
  EXPECT_EQ(p.starts, want_start);
  EXPECT_EQ(p.flags, (std::vector<uint8_t>{0, 0, 0, 0, 1, 1, 0}));
  const size_t ok_rows[] = {0, 1, 2, 3, 6};
  const uint8_t want_valid[6][7] = {{1, 1, 0, 0, 0, 0, 1}, {1, 1, 0, 0, 0, 0, 1},
                                    {1, 1, 0, 0, 0, 0, 1}, {1, 1, 0, 0, 0, 0, 1},
                                    {1, 1, 0, 0, 0, 0, 1}, {1, 1, 1, 1, 0, 0, 1}};
  for (size_t k = 0; k < ncols; k++)
    for (size_t r : ok_rows) EXPECT_EQ(p.valid[k * rows + r], want_valid[k][r]) << "column " << k << " row " << r;
  auto at = [&](size_t k, size_t r, size_t w) { return p.out.data() + p.col_off[k] + r * w; };
  const int64_t want_i[] = {12, -7, 0, 0, 0, 0, INT64_MAX};
  const double want_f[] = {0.5, 1000.0, 0, 0, 0, 0, -2.5e-3};
  const uint8_t want_b[] = {1, 0, 0, 0, 0, 0, 0};
  const int32_t want_d[] = {18321, 0, 0, 0, 0, 0, 10956};
  const int64_t want_t[] = {1577836801500000LL, 0, 0, 0, 0, 0, -1};
  const char *want_s[] = {"a,\"\"b\"\"", "line\nbreak", "", "", "", "", "q"};
  const uint64_t want_bits[] = {3, 2, 0, 0, 0, 0, 2};
  for (size_t r : ok_rows) {
    int64_t i, t;
    double f;
    int32_t d;
    uint64_t e[2];
    memcpy(&i, at(0, r, 8), 8), memcpy(&f, at(1, r, 8), 8), memcpy(&d, at(3, r, 4), 4);
    memcpy(&t, at(4, r, 8), 8), memcpy(e, at(5, r, 16), 16);
    EXPECT_EQ(i, want_i[r]) << "row " << r;
    EXPECT_EQ(memcmp(&f, &want_f[r], 8), 0) << "row " << r << ": " << f;
    EXPECT_EQ(*at(2, r, 1), want_b[r]) << "row " << r;
    EXPECT_EQ(d, want_d[r]) << "row " << r;
    EXPECT_EQ(t, want_t[r]) << "row " << r;
    size_t len = (size_t)(e[1] >> 2);
    ASSERT_LE(e[0] + len, text.size()) << "row " << r;
    EXPECT_EQ(text.substr(e[0], len), want_s[r]) << "row " << r;
    EXPECT_EQ(e[1] & 3, want_bits[r]) << "row " << r;
  }
}

// The CUDA self-test's second input: 3000 records, two groups of blocks.
TEST_P(CsvKernels, TheCudaSelfTestTwoGroups) {
  std::string big;
  std::vector<uint64_t> want;
  for (int r = 0; r < 3000; r++) {
    want.push_back(big.size());
    big += std::to_string(r) + ",\"" + std::string((size_t)(r * 37) % 1000, '\n') + "\"\"x\"\n";
  }
  ASSERT_GT(big.size(), (size_t)WK_CSV_BLOCK_BYTES * WK_CSV_CHAIN_GROUP);
  Parsed p = parse(big, want.size(), {WK_CSV_I64, WK_CSV_TEXT}, {8, 16}, "", {0});
  EXPECT_EQ(p.starts, want);
  for (size_t r = 0; r < want.size(); r++) ASSERT_EQ(p.flags[r], 0) << "record " << r;
}

// Record starts found over many blocks of bytes against a host walk: quoted fields with line
// breaks, doubled quotes and delimiters, some longer than a block, quotes inside unquoted
// fields and after closed ones, CRLF, blank lines, a last record without a line break; the
// int column and every flag (all records well formed but the "a"b ones) checked too.
TEST_P(CsvKernels, RecordStartsAcrossBlocks) {
  std::mt19937_64 rng(5);
  const size_t rows = WK_CSV_CHUNK_ROWS + 1001;
  std::string text;
  std::vector<uint64_t> want;
  std::vector<uint8_t> want_flag;
  for (size_t r = 0; r < rows; r++) {
    want.push_back(text.size());
    std::string f;
    uint8_t flag = 0;
    switch (rng() % 8) {
      case 0: f = "\"x\ny\""; break;
      case 1: f = "\"" + std::string(rng() % 9000, '\n') + "\"\"\n,\""; break;
      case 2: f = "pl\"ain\""; break;
      case 3: f = "\"a\"b\""; flag = 1; break; /* text after a closing quote; the last quote is text */
      case 4: f = "\"\""; break;
      default: f = "z"; break;
    }
    text += std::to_string(r) + "," + f;
    want_flag.push_back(flag);
    if (r + 1 < rows) text += rng() % 2 ? "\r\n" : "\n";
  }
  Parsed p = parse(text, rows, {WK_CSV_I64, WK_CSV_TEXT}, {8, 16}, "", {0});
  ASSERT_EQ(p.starts.size(), want.size());
  for (size_t r = 0; r < rows; r++) {
    ASSERT_EQ(p.starts[r], want[r]) << "record " << r;
    ASSERT_EQ(p.flags[r], want_flag[r]) << "record " << r;
    int64_t v;
    memcpy(&v, p.out.data() + p.col_off[0] + 8 * r, 8);
    if (!want_flag[r]) {
      ASSERT_EQ(v, (int64_t)r) << "record " << r;
    }
  }
}

// The narrow and unsigned integers at their limits, float32 by way of the exact fast path,
// nulls zeroed; a value past its type's range (each type once) flags the record for the host.
TEST_P(CsvKernels, NarrowIntegersAndFloat32) {
  const char *recs[] = {"-128,-32768,-2147483648,0,0,0,0,0.5\n",
                        "127,32767,2147483647,255,65535,4294967295,18446744073709551615,-1.25\n",
                        ",,,,,,,\n",
                        "128,0,0,0,0,0,0,0\n",
                        "0,0,0,-1,0,0,0,0\n",
                        "1,2,3,4,5,6,7,3e2\n",
                        "0,32768,0,0,0,0,0,0\n",
                        "0,0,0,0,65536,0,0,0\n",
                        "0,0,2147483648,0,0,0,0,0\n",
                        "0,0,0,0,0,4294967296,0,0\n",
                        "-5,-300,-70000,200,60000,4000000000,9000000000,0.1\n"};
  const size_t rows = sizeof recs / sizeof *recs, ncols = 8;
  std::string text;
  for (const char *r : recs) text += r;
  Parsed p = parse(text, rows,
                   {WK_CSV_I8, WK_CSV_I16, WK_CSV_I32, WK_CSV_U8, WK_CSV_U16, WK_CSV_U32,
                    WK_CSV_U64, WK_CSV_F32},
                   {1, 2, 4, 1, 2, 4, 8, 4}, "", {0});
  if (HasFatalFailure()) return;
  EXPECT_EQ(p.flags, (std::vector<uint8_t>{0, 0, 0, 1, 1, 0, 1, 1, 1, 1, 0}));
  auto at = [&](size_t k, size_t r, size_t w) { return p.out.data() + p.col_off[k] + r * w; };
  struct Want {
    int8_t i8;
    int16_t i16;
    int32_t i32;
    uint8_t u8;
    uint16_t u16;
    uint32_t u32;
    uint64_t u64;
    float f32;
  };
  const std::map<size_t, Want> want = {
      {0, {-128, -32768, INT32_MIN, 0, 0, 0, 0, 0.5f}},
      {1, {127, 32767, INT32_MAX, 255, 65535, UINT32_MAX, UINT64_MAX, -1.25f}},
      {2, {0, 0, 0, 0, 0, 0, 0, 0.0f}},
      {5, {1, 2, 3, 4, 5, 6, 7, 300.0f}},
      {10, {-5, -300, -70000, 200, 60000, 4000000000u, 9000000000ull, (float)0.1}}};
  for (const auto &[r, w] : want) {
    Want g;
    memcpy(&g.i8, at(0, r, 1), 1), memcpy(&g.i16, at(1, r, 2), 2), memcpy(&g.i32, at(2, r, 4), 4);
    memcpy(&g.u8, at(3, r, 1), 1), memcpy(&g.u16, at(4, r, 2), 2), memcpy(&g.u32, at(5, r, 4), 4);
    memcpy(&g.u64, at(6, r, 8), 8), memcpy(&g.f32, at(7, r, 4), 4);
    EXPECT_EQ(g.i8, w.i8) << "row " << r;
    EXPECT_EQ(g.i16, w.i16) << "row " << r;
    EXPECT_EQ(g.i32, w.i32) << "row " << r;
    EXPECT_EQ(g.u8, w.u8) << "row " << r;
    EXPECT_EQ(g.u16, w.u16) << "row " << r;
    EXPECT_EQ(g.u32, w.u32) << "row " << r;
    EXPECT_EQ(g.u64, w.u64) << "row " << r;
    EXPECT_EQ(memcmp(&g.f32, &w.f32, 4), 0) << "row " << r << ": " << g.f32;
    for (size_t k = 0; k < ncols; k++)
      EXPECT_EQ(p.valid[k * rows + r], r == 2 ? 0 : 1) << "column " << k << " row " << r;
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, CsvKernels, all_backends(), backend_name);

}  // namespace
