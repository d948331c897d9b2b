// weft_last_error() is per thread: threads failing at once, on their own thread (a bad
// device id) or on the pool's workers (a strict cast failing in a chunk a worker evaluates,
// re-raised on the caller), each read their own message, never another thread's.
#include <string>

#include "concurrency_helpers.h"

namespace {

constexpr int64_t kRows = 300000;  // several chunks: the bad value sits in a late one

struct CastTable {
  std::vector<int32_t> offsets;
  std::string data;
  weft_table *table = nullptr;
  // "0", "1", ... with "bad<t>" at row `bad`
  CastTable(int t, int64_t bad) {
    offsets.push_back(0);
    for (int64_t r = 0; r < kRows; r++) {
      data += r == bad ? "bad" + std::to_string(t) : std::to_string(r % 1000);
      offsets.push_back((int32_t)data.size());
    }
    weft_column_view v{};
    v.type = WEFT_TYPE_UTF8;
    v.length = kRows;
    v.values = offsets.data();
    v.data = data.data();
    const char *names[] = {"s"};
    weft_test_ok(weft_table_from_columns(1, names, &v, nullptr, nullptr, &table));
  }
  ~CastTable() { weft_table_free(table); }
};

TEST(ErrorThreads, EachThreadReadsItsOwnMessage) {
  const int threads = 6, rounds = cc::rounds(20);
  cc::Failures fail;
  cc::run_threads(threads, [&](int t) {
    CastTable tab(t, kRows - 1000 - 7919 * t);
    weft_expr *c = nullptr, *cast = nullptr;
    fail.ok(weft_expr_column("s", &c), "column");
    fail.ok(weft_expr_cast(c, WEFT_TYPE_INT64, &cast), "cast");
    weft_exec *e = nullptr;
    fail.ok(weft_exec_create(&e), "exec");
    for (int r = 0; r < rounds; r++) {
      std::string id = "nosuch" + std::to_string(t) + "x" + std::to_string(r);
      weft_status st = weft_exec_set_device(e, id.c_str());
      std::string msg = weft_last_error();
      fail.check(st != WEFT_OK && msg.find(id) != std::string::npos,
                 "thread " + std::to_string(t) + " read \"" + msg + "\", not its device " + id);
      const weft_expr *xs[] = {cast};
      weft_table *out = nullptr;
      st = weft_table_select(nullptr, tab.table, 1, xs, &out);
      weft_table_free(out);
      msg = weft_last_error();
      std::string want = "bad" + std::to_string(t);
      fail.check(st == WEFT_ERR_INVALID_ARGUMENT && msg.find("cannot cast value \"" + want + "\"") != std::string::npos,
                 "thread " + std::to_string(t) + " read \"" + msg + "\", not its cast of " + want);
    }
    weft_exec_free(e);
    weft_expr_free(cast);
    weft_expr_free(c);
  });
  EXPECT_EQ(fail.count(), 0u) << fail.text();
}

}  // namespace
