// Inputs past 32-bit sizes, reached cheaply: a utf8 column's strings passing 2^31 - 1 bytes
// (its offsets are int32; large_utf8 is not a weft type) in concat, take and join must be a
// clear error naming the operation and the column, never wrapped offsets; an index must
// refuse 2^32 vectors (a k-NN key holds a row's position in 32 bits) before reading them; a
// 3-billion-row table counts its rows in 64 bits. Big inputs are views of untouched anonymous
// pages (read as zeros, never resident) or one short string repeated, so no test needs more
// than a few hundred MB.
#include <sys/mman.h>

#include <cstring>
#include <string>

#include "test_support.h"

namespace {

// Zeroed address space read-only: the kernel maps its zero page, so RSS does not grow.
struct ZeroPages {
  void *p = MAP_FAILED;
  size_t bytes;
  explicit ZeroPages(size_t b) : bytes(b) {
    p = mmap(nullptr, b, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  }
  ~ZeroPages() {
    if (p != MAP_FAILED) munmap(p, bytes);
  }
};

struct TableFree {
  void operator()(weft_table *t) const { weft_table_free(t); }
};
using TablePtr = std::unique_ptr<weft_table, TableFree>;

// A table of one utf8 row of `bytes` bytes at `data`, and an int64 column "i" = 1.
struct OneString {
  int32_t offsets[2];
  int64_t one = 1;
  TablePtr table;
  OneString(const char *data, int32_t bytes) : offsets{0, bytes} {
    weft_column_view v[2] = {};
    v[0].type = WEFT_TYPE_UTF8;
    v[0].length = 1;
    v[0].values = offsets;
    v[0].data = data;
    v[1].type = WEFT_TYPE_INT64;
    v[1].length = 1;
    v[1].values = &one;
    const char *names[] = {"s", "i"};
    weft_table *t = nullptr;
    EXPECT_EQ(weft_table_from_columns(2, names, v, nullptr, nullptr, &t), WEFT_OK) << weft_last_error();
    table.reset(t);
  }
};

std::string error_of(weft_status st) {
  return st == WEFT_OK ? std::string("(no error)") : std::string(weft_last_error());
}

TEST(Limits, ConcatRefusesStringsPastInt32Offsets) {
  const int32_t big = 800 << 20;  // 800 MiB a row, three rows pass 2^31 - 1
  ZeroPages zeros(big);
  ASSERT_NE(zeros.p, MAP_FAILED);
  OneString one((const char *)zeros.p, big);
  ASSERT_TRUE(one.table);
  const weft_table *three[] = {one.table.get(), one.table.get(), one.table.get()};
  weft_table *out = nullptr;
  weft_status st = weft_table_concat(3, three, &out);
  TablePtr keep(out);
  EXPECT_EQ(st, WEFT_ERR_INVALID_ARGUMENT);
  std::string msg = error_of(st);
  EXPECT_NE(msg.find("weft_table_concat: column \"s\" would hold 2516582400 bytes of strings"),
            std::string::npos) << msg;
  EXPECT_EQ(out, nullptr);
}

// take: 5000 copies of a 450,000-byte string (2.25e9 bytes); more than 4096 rows and two
// columns, so the columns are gathered on the pool's threads and the message comes back
// from a worker to the caller.
TEST(Limits, TakeRefusesStringsPastInt32Offsets) {
  std::string s(450000, 'x');
  OneString one(s.data(), (int32_t)s.size());
  std::vector<int64_t> rows(5000, 0);
  weft_table *out = nullptr;
  weft_status st = weft_table_take(one.table.get(), rows.data(), (int64_t)rows.size(), &out);
  TablePtr keep(out);
  EXPECT_EQ(st, WEFT_ERR_INVALID_ARGUMENT);
  std::string msg = error_of(st);
  EXPECT_EQ(msg.rfind("weft_table_take: column \"s\": ", 0), 0u) << msg;
  EXPECT_NE(msg.find("5000 rows"), std::string::npos) << msg;
  // fewer copies go through the same gather, offsets exact
  rows.assign(100, 0);
  ASSERT_WEFT_OK(weft_table_take(one.table.get(), rows.data(), (int64_t)rows.size(), &out));
  keep.reset(out);
  weft_column_view v;
  ASSERT_WEFT_OK(weft_table_column(out, 0, &v));
  EXPECT_EQ(((const int32_t *)v.values)[100], 100 * 450000);
  EXPECT_EQ(memcmp(v.data + 99 * 450000, s.data(), s.size()), 0);
}

TEST(Limits, JoinRefusesStringsPastInt32Offsets) {
  std::string s(450000, 'y');
  OneString right(s.data(), (int32_t)s.size());
  std::vector<int64_t> keys(5000, 1);
  weft_column_view v{};
  v.type = WEFT_TYPE_INT64;
  v.length = (int64_t)keys.size();
  v.values = keys.data();
  const char *names[] = {"i"};
  weft_table *l = nullptr;
  ASSERT_WEFT_OK(weft_table_from_columns(1, names, &v, nullptr, nullptr, &l));
  TablePtr left(l);
  const char *on[] = {"i"};
  weft_table *out = nullptr;
  weft_status st = weft_table_join(nullptr, left.get(), right.table.get(), 1, on, on,
                                   WEFT_JOIN_LEFT, nullptr, &out);
  TablePtr keep(out);
  EXPECT_EQ(st, WEFT_ERR_INVALID_ARGUMENT);
  std::string msg = error_of(st);
  EXPECT_EQ(msg.rfind("weft_table_join: column \"s\": ", 0), 0u) << msg;
}

// 2^32 vectors: refused before a single one is read (the buffer holds one vector).
TEST(Limits, IndexesRefuse2To32VectorsBeforeReadingThem) {
  const size_t n = size_t(1) << 32;
  float one[4] = {1, 2, 3, 4};
  weft_index *ix = nullptr;
  ASSERT_WEFT_OK(weft_index_create(4, WEFT_METRIC_L2, &ix));
  weft_status st = weft_index_add(ix, n, one, nullptr);
  EXPECT_EQ(st, WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(error_of(st).find("weft_index_add: n = 4294967296 exceeds the index limit of 4294967294"),
            std::string::npos) << error_of(st);
  st = weft_index_add_borrowed(ix, n, one, nullptr, nullptr);
  EXPECT_EQ(st, WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(error_of(st).find("weft_index_add_borrowed: n = 4294967296 exceeds"), std::string::npos);
  size_t count = 9;
  ASSERT_WEFT_OK(weft_index_size(ix, &count));
  EXPECT_EQ(count, 0u);
  weft_index_free(ix);

  weft_ivf *ivf = nullptr;
  ASSERT_WEFT_OK(weft_ivf_create(4, 1, WEFT_METRIC_L2, WEFT_IVF_FLAT, &ivf));
  ASSERT_WEFT_OK(weft_ivf_train(ivf, 1, one, 1, 0));
  st = weft_ivf_add(ivf, n, one, nullptr);
  EXPECT_EQ(st, WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(error_of(st).find("weft_ivf_add: n = 4294967296 exceeds the index limit"),
            std::string::npos) << error_of(st);
  weft_ivf_free(ivf);
}

// Three billion rows of a bool column (375 MB of zero pages, all false): counted in 64 bits
// by the lazy aggregate pass; the eager group_by (32-bit row numbers) refuses them, naming
// the count.
TEST(Limits, ThreeBillionRowsCountIn64Bits) {
  const int64_t rows = 3000000000LL;
  ZeroPages zeros((size_t)(rows + 7) / 8);
  ASSERT_NE(zeros.p, MAP_FAILED);
  weft_column_view v{};
  v.type = WEFT_TYPE_BOOL;
  v.length = rows;
  v.values = zeros.p;
  const char *names[] = {"b"};
  weft_table *t = nullptr;
  ASSERT_WEFT_OK(weft_table_from_columns(1, names, &v, nullptr, nullptr, &t));
  TablePtr table(t);
  int64_t n = 0;
  ASSERT_WEFT_OK(weft_table_num_rows(t, &n));
  EXPECT_EQ(n, rows);
  weft_expr *b = nullptr;
  ASSERT_WEFT_OK(weft_expr_column("b", &b));
  weft_agg aggs[] = {{WEFT_AGG_LEN, nullptr, "len"}, {WEFT_AGG_COUNT, b, "count"},
                     {WEFT_AGG_SUM, b, "sum"}};
  // The eager group_by numbers rows in 32 bits: refused, naming the count.
  weft_table *out = nullptr;
  weft_status st = weft_table_group_by(nullptr, t, 0, nullptr, 3, aggs, &out);
  weft_table_free(out);
  EXPECT_EQ(st, WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(error_of(st).find("3000000000 rows; at most 2147483647"), std::string::npos) << error_of(st);
  // A lazy aggregate without keys is one pass over ranges of rows: it counts in 64 bits.
  weft_plan *scan = nullptr, *agg = nullptr;
  ASSERT_WEFT_OK(weft_plan_scan(t, &scan));
  ASSERT_WEFT_OK(weft_plan_group_by(scan, 0, nullptr, 2, aggs, &agg));
  weft_plan_free(scan);
  st = weft_plan_collect(nullptr, agg, &out);
  weft_plan_free(agg);
  weft_expr_free(b);
  ASSERT_WEFT_OK(st);
  TablePtr result(out);
  for (size_t c = 0; c < 2; c++) {
    weft_column_view r;
    ASSERT_WEFT_OK(weft_table_column(out, c, &r));
    ASSERT_EQ(r.length, 1);
    int64_t got = r.type == WEFT_TYPE_UINT32 ? ((const uint32_t *)r.values)[0]
                : r.type == WEFT_TYPE_UINT64 ? (int64_t)((const uint64_t *)r.values)[0]
                                             : ((const int64_t *)r.values)[0];
    EXPECT_EQ(got, rows) << "column " << c << " of type " << weft_type_name(r.type);
  }
}

}  // namespace
