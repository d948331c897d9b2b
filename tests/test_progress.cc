// The progress callback (weft_set_progress): calls at a bounded rate from the calling thread,
// done monotonic and below total until one last call with done == total, nothing for a
// short call, and a nonzero return cancelling the work with WEFT_ERR_CANCELLED and the
// inputs unchanged.
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include "test_support.h"

namespace {

struct Call {
  std::string what;
  uint64_t done, total;
  std::thread::id thread;
};

struct Recorder {
  std::vector<Call> calls;
  size_t cancel_at = SIZE_MAX;  // return nonzero from this call on
  static int fn(void *user, const char *what, uint64_t done, uint64_t total) {
    Recorder *r = (Recorder *)user;
    r->calls.push_back({what, done, total, std::this_thread::get_id()});
    return r->calls.size() > r->cancel_at;
  }
};

// Sets the callback for the scope of a test and clears it after.
struct ProgressScope {
  ProgressScope(Recorder *r, double interval) {
    EXPECT_EQ(weft_set_progress(Recorder::fn, r, interval), WEFT_OK);
  }
  ~ProgressScope() { weft_test_ok(weft_set_progress(nullptr, nullptr, 0)); }
};

// A table of int64 columns "k" (keys in 0..groups-1, scrambled) and "v" over vectors the
// caller keeps.
struct Ints {
  std::vector<int64_t> k, v;
  weft_table *t = nullptr;
  Ints(int64_t rows, int64_t groups) : k((size_t)rows), v((size_t)rows) {
    for (int64_t i = 0; i < rows; i++) {
      k[(size_t)i] = (int64_t)(((uint64_t)i * 2654435761u) % (uint64_t)groups);
      v[(size_t)i] = rows - i;
    }
    weft_column_view cols[2] = {};
    cols[0] = {WEFT_TYPE_INT64, rows, 0, 0, nullptr, k.data(), nullptr};
    cols[1] = {WEFT_TYPE_INT64, rows, 0, 0, nullptr, v.data(), nullptr};
    const char *names[2] = {"k", "v"};
    weft_test_ok(weft_table_from_columns(2, names, cols, nullptr, nullptr, &t));
  }
  ~Ints() { weft_table_free(t); }
};

// The protocol every operation's calls follow.
void check_calls(const Recorder &r, const char *what) {
  ASSERT_FALSE(r.calls.empty()) << what;
  for (size_t i = 0; i < r.calls.size(); i++) {
    const Call &c = r.calls[i];
    EXPECT_EQ(c.what, what);
    EXPECT_EQ(c.thread, std::this_thread::get_id()) << "called from another thread";
    EXPECT_GT(c.total, 0u);
    bool last = i + 1 == r.calls.size();
    if (last) EXPECT_EQ(c.done, c.total) << what << ": the last call says the end";
    else EXPECT_LT(c.done, c.total) << what << ": call " << i;
    if (i > 0) {
      EXPECT_GE(c.done, r.calls[i - 1].done) << what << ": done went back at call " << i;
      EXPECT_GE(c.total, r.calls[i - 1].total) << what << ": total went back at call " << i;
    }
  }
}

TEST(Progress, SortReportsRowsAndEndsAtTotal) {
  Ints in(3000000, 1000000);
  Recorder r;
  ProgressScope scope(&r, 0);
  const char *keys[] = {"k"};
  weft_table *out = nullptr;
  ASSERT_WEFT_OK(weft_table_sort(nullptr, in.t, 1, keys, nullptr, &out));
  weft_table_free(out);
  check_calls(r, "sort");
  EXPECT_GE(r.calls.size(), 3u);
}

TEST(Progress, ShortCallOrLongIntervalCallsNothing) {
  Ints in(3000000, 1000);
  Recorder r;
  ProgressScope scope(&r, 3600);
  const char *keys[] = {"k"};
  weft_table *out = nullptr;
  ASSERT_WEFT_OK(weft_table_sort(nullptr, in.t, 1, keys, nullptr, &out));
  weft_table_free(out);
  EXPECT_TRUE(r.calls.empty());
}

TEST(Progress, NoCallbackNoCalls) {
  Ints in(100000, 10);
  Recorder r;
  { ProgressScope scope(&r, 0); }  // set, then cleared
  const char *keys[] = {"k"};
  weft_table *out = nullptr;
  ASSERT_WEFT_OK(weft_table_sort(nullptr, in.t, 1, keys, nullptr, &out));
  weft_table_free(out);
  EXPECT_TRUE(r.calls.empty());
}

TEST(Progress, OtherThreadsCallsAreNotReported) {
  Ints in(2000000, 1000);
  Recorder r;
  ProgressScope scope(&r, 0);
  std::thread other([&] {
    const char *keys[] = {"k"};
    weft_table *out = nullptr;
    weft_test_ok(weft_table_sort(nullptr, in.t, 1, keys, nullptr, &out));
    weft_table_free(out);
  });
  other.join();
  EXPECT_TRUE(r.calls.empty());
}

TEST(Progress, BadInterval) {
  EXPECT_EQ(weft_set_progress(Recorder::fn, nullptr, -1), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(weft_last_error()).find("min_interval_s"), std::string::npos);
}

// Cancels at the first call: the status, no output, the input as it was, a last call.
template <class F>
void expect_cancel(const char *what, F run) {
  Recorder r;
  r.cancel_at = 0;
  ProgressScope scope(&r, 0);
  weft_status st = run();
  EXPECT_EQ(st, WEFT_ERR_CANCELLED) << what << ": " << weft_status_name(st) << " "
                                    << weft_last_error();
  EXPECT_NE(std::string(weft_last_error()).find("cancelled by the progress callback"),
            std::string::npos) << weft_last_error();
  ASSERT_GE(r.calls.size(), 2u) << what;
  EXPECT_EQ(r.calls.back().done, r.calls.back().total);
  EXPECT_EQ(r.calls.front().what, what);
}

TEST(Progress, CancelTableOperations) {
  Ints in(3000000, 1000000);
  std::vector<int64_t> k0 = in.k, v0 = in.v;
  const char *keys[] = {"k"};
  weft_table *out = (weft_table *)1;
  expect_cancel("sort", [&] { return weft_table_sort(nullptr, in.t, 1, keys, nullptr, &out); });
  EXPECT_EQ(out, nullptr);
  int last[] = {0};
  expect_cancel("sort", [&] {
    return weft_table_sort_nulls(nullptr, in.t, 1, keys, nullptr, last, &out);
  });
  weft_expr *v = nullptr;
  ASSERT_WEFT_OK(weft_expr_column("v", &v));
  weft_agg agg = {WEFT_AGG_SUM, v, "s"};
  expect_cancel("group_by", [&] { return weft_table_group_by(nullptr, in.t, 1, keys, 1, &agg, &out); });
  EXPECT_EQ(out, nullptr);
  Ints right(1000000, 1000000);
  expect_cancel("join", [&] {
    return weft_table_join(nullptr, in.t, right.t, 1, keys, keys, WEFT_JOIN_INNER, nullptr, &out);
  });
  EXPECT_EQ(out, nullptr);
  weft_plan *scan = nullptr, *grouped = nullptr;
  ASSERT_WEFT_OK(weft_plan_scan(in.t, &scan));
  ASSERT_WEFT_OK(weft_plan_sort(scan, 1, keys, nullptr, 0, &grouped));
  expect_cancel("collect", [&] { return weft_plan_collect(nullptr, grouped, &out); });
  EXPECT_EQ(out, nullptr);
  weft_plan_free(scan), weft_plan_free(grouped), weft_expr_free(v);
  EXPECT_EQ(in.k, k0);
  EXPECT_EQ(in.v, v0);
}

TEST(Progress, CollectIsOneScope) {
  Ints in(2000000, 1000000);
  const char *keys[] = {"k"};
  weft_plan *scan = nullptr, *sorted = nullptr;
  ASSERT_WEFT_OK(weft_plan_scan(in.t, &scan));
  ASSERT_WEFT_OK(weft_plan_sort(scan, 1, keys, nullptr, 0, &sorted));
  Recorder r;
  {
    ProgressScope scope(&r, 0);
    weft_table *out = nullptr;
    ASSERT_WEFT_OK(weft_plan_collect(nullptr, sorted, &out));
    weft_table_free(out);
  }
  check_calls(r, "collect");
  weft_plan_free(scan), weft_plan_free(sorted);
}

TEST(Progress, ReadCsv) {
  char path[] = "/tmp/weft_progress_XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  FILE *f = fdopen(fd, "w");
  fputs("a,b,c\n", f);
  for (int i = 0; i < 600000; i++) fprintf(f, "%d,%d.5,s%d\n", i, i % 97, i % 13);
  fclose(f);
  Recorder r;
  {
    ProgressScope scope(&r, 0);
    weft_table *out = nullptr;
    ASSERT_WEFT_OK(weft_read_csv(nullptr, path, nullptr, &out));
    int64_t rows = 0;
    weft_test_ok(weft_table_num_rows(out, &rows));
    EXPECT_EQ(rows, 600000);
    weft_table_free(out);
  }
  check_calls(r, "read_csv");
  weft_table *out = (weft_table *)1;
  expect_cancel("read_csv", [&] { return weft_read_csv(nullptr, path, nullptr, &out); });
  EXPECT_EQ(out, nullptr);
  unlink(path);
}

std::vector<float> random_vectors(size_t n, size_t dim, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d;
  std::vector<float> x(n * dim);
  for (float &v : x) v = d(rng);
  return x;
}

// IVF training runs k-means more than once (the coarse quantizer, then each pq slice): the
// bar's total once grew at each, so it neared its end 17 times. Sized up front, it holds,
// and the work counted is the work done.
TEST(Progress, IvfTrainTotalIsKnownAtTheStart) {
  const size_t dim = 16, n = 60000;
  std::vector<float> x = random_vectors(n, dim, 3);
  for (int pq = 0; pq < 2; pq++) {
    weft_ivf *ivf = nullptr;
    if (pq) ASSERT_WEFT_OK(weft_ivf_create_pq(dim, 32, WEFT_METRIC_L2, 4, 8, &ivf));
    else ASSERT_WEFT_OK(weft_ivf_create(dim, 32, WEFT_METRIC_L2, WEFT_IVF_FLAT, &ivf));
    Recorder r;
    {
      ProgressScope scope(&r, 0);
      ASSERT_WEFT_OK(weft_ivf_train(ivf, n, x.data(), 4, 1));
    }
    check_calls(r, "ivf train");
    ASSERT_GE(r.calls.size(), 3u);
    for (const Call &c : r.calls) EXPECT_EQ(c.total, r.calls[0].total) << "pq " << pq;
    // the coarse k-means: 4 iterations over min(n, 32 x 256); pq: 4 slices of 256 centroids
    uint64_t want = 4 * std::min<uint64_t>(n, 32 * 256);
    if (pq) want += std::min<uint64_t>(n, 256 * 256) * (1 + 4 * 4);
    EXPECT_EQ(r.calls[0].total, want) << "pq " << pq;
    // counted past the total, calls would stick at total - 1 (clamped) until the end
    size_t stuck = 0;
    for (const Call &c : r.calls) stuck += c.done == c.total - 1;
    EXPECT_LE(stuck, 1u) << "pq " << pq;
    weft_ivf_free(ivf);
  }
}

TEST(Progress, VectorIndexes) {
  const size_t dim = 16, n = 200000, nq = 4096;
  std::vector<float> x = random_vectors(n, dim, 1), q = random_vectors(nq, dim, 2);
  // k-means
  std::vector<float> cent(64 * dim);
  std::vector<int64_t> assign(n);
  Recorder r;
  {
    ProgressScope scope(&r, 0);
    ASSERT_WEFT_OK(weft_kmeans(n, dim, x.data(), 64, 5, 7, 0, cent.data(), assign.data()));
  }
  check_calls(r, "kmeans");
  expect_cancel("kmeans", [&] {
    return weft_kmeans(n, dim, x.data(), 64, 5, 7, 0, cent.data(), assign.data());
  });
  // IVF: a cancelled train leaves it untrained, a cancelled add leaves it empty
  weft_ivf *ivf = nullptr;
  ASSERT_WEFT_OK(weft_ivf_create(dim, 64, WEFT_METRIC_L2, WEFT_IVF_FLAT, &ivf));
  expect_cancel("ivf train", [&] { return weft_ivf_train(ivf, n, x.data(), 5, 1); });
  int trained = 1;
  ASSERT_WEFT_OK(weft_ivf_is_trained(ivf, &trained));
  EXPECT_EQ(trained, 0);
  ASSERT_WEFT_OK(weft_ivf_train(ivf, n, x.data(), 5, 1));
  expect_cancel("ivf add", [&] { return weft_ivf_add(ivf, n, x.data(), nullptr); });
  size_t size = 1;
  ASSERT_WEFT_OK(weft_ivf_size(ivf, &size));
  EXPECT_EQ(size, 0u);
  ASSERT_WEFT_OK(weft_ivf_add(ivf, n, x.data(), nullptr));
  std::vector<float> dist(nq * 10);
  std::vector<int64_t> lab(nq * 10);
  Recorder rs;
  {
    ProgressScope scope(&rs, 0);
    ASSERT_WEFT_OK(weft_ivf_search(nullptr, ivf, nq, q.data(), 10, 8, nullptr, 0, dist.data(),
                                   lab.data()));
  }
  check_calls(rs, "ivf search");
  expect_cancel("ivf search", [&] {
    return weft_ivf_search(nullptr, ivf, nq, q.data(), 10, 8, nullptr, 0, dist.data(), lab.data());
  });
  weft_ivf_free(ivf);
  // the exact index: a cancelled add leaves it empty
  weft_index *ix = nullptr;
  ASSERT_WEFT_OK(weft_index_create(dim, WEFT_METRIC_L2, &ix));
  expect_cancel("index add", [&] { return weft_index_add(ix, n, x.data(), nullptr); });
  ASSERT_WEFT_OK(weft_index_size(ix, &size));
  EXPECT_EQ(size, 0u);
  ASSERT_WEFT_OK(weft_index_add(ix, n, x.data(), nullptr));
  expect_cancel("knn search", [&] {
    return weft_index_search(nullptr, ix, nq, q.data(), 10, nullptr, 0, dist.data(), lab.data());
  });
  weft_index_free(ix);
}

}  // namespace
