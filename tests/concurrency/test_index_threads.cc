// Many threads searching one index while others add and remove vectors: the flat index (fp32
// and bf16 scans, with and without an allowed bitset) and IVF (flat and sq8 codecs). The
// vectors the writers add lie far from every query, so each search's answer is the answer
// over the base rows alone, whatever the writers have done by then: the searches compare,
// bit for bit, with a single-threaded search made before the threads start. At the end the
// index holds exactly the base rows again.
#include <unistd.h>

#include <cstring>
#include <string>
#include <random>

#include "concurrency_helpers.h"

namespace {

constexpr size_t kDim = 24;
constexpr size_t kBase = 3000;
constexpr size_t kK = 7;
constexpr size_t kQueries = 5;
constexpr int kSearchers = 6;
constexpr int kWriters = 2;
constexpr int64_t kFarIds = 1000000;

std::vector<float> random_rows(size_t n, float offset, std::mt19937_64 &rng) {
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  std::vector<float> v(n * kDim);
  for (auto &x : v) x = u(rng) + offset;
  return v;
}

// Search answers of one batch.
struct Answer {
  std::vector<float> dist;
  std::vector<int64_t> labels;
  bool operator==(const Answer &o) const {
    return labels == o.labels && memcmp(dist.data(), o.dist.data(), dist.size() * 4) == 0;
  }
};

// An allowed bitset over ids (every third id left out); the far ids are past its end.
std::vector<uint8_t> allowed_bits() {
  std::vector<uint8_t> bits((kBase + 7) / 8, 0);
  for (size_t i = 0; i < kBase; i++)
    if (i % 3) bits[i / 8] |= (uint8_t)(1u << (i % 8));
  return bits;
}

// What a searcher or writer does, for either kind of index.
struct Ops {
  std::function<weft_status(weft_exec *, const float *, const uint8_t *, size_t, Answer &)> search;
  std::function<weft_status(size_t, const float *, const int64_t *)> add;
  std::function<weft_status(size_t, const int64_t *, size_t *)> remove;
  std::function<size_t()> size;
};

// `reference` answers the single-threaded searches (default: ops itself; a mapped index is
// checked against its file loaded into memory, so that its lists are first prepared by the
// threads, under contention).
void hammer(const Ops &ops, const std::vector<float> &queries, bool bf16_too,
            const Ops *reference = nullptr) {
  std::vector<uint8_t> allowed = allowed_bits();
  const Ops &ref = reference ? *reference : ops;
  // The references: one thread, before any writer.
  Answer want_all, want_allowed;
  {
    TestExec ex("cpu");
    ASSERT_WEFT_OK(weft_exec_set_precision(ex.e, WEFT_PRECISION_FP32));
    ASSERT_WEFT_OK(ref.search(ex.e, queries.data(), nullptr, 0, want_all));
    ASSERT_WEFT_OK(ref.search(ex.e, queries.data(), allowed.data(), kBase, want_allowed));
  }
  for (size_t i = 0; i < want_all.labels.size(); i++) ASSERT_LT(want_all.labels[i], (int64_t)kBase);
  cc::Failures fail;
  const int searches = cc::rounds(40), writes = cc::rounds(30);
  std::atomic<int> writers_left{kWriters};
  cc::run_threads(kSearchers + kWriters, [&](int t) {
    if (t < kWriters) {  // add a batch of far rows, search-visible, then remove it
      std::mt19937_64 rng(100 + t);
      for (int r = 0; r < writes; r++) {
        size_t n = 1 + rng() % 40;
        std::vector<float> rows = random_rows(n, 50.f + (float)t, rng);
        std::vector<int64_t> ids(n);
        for (size_t i = 0; i < n; i++) ids[i] = kFarIds + t * 100000 + r * 64 + (int64_t)i;
        if (!fail.ok(ops.add(n, rows.data(), ids.data()), "add")) break;
        size_t removed = 0;
        if (!fail.ok(ops.remove(n, ids.data(), &removed), "remove")) break;
        fail.check(removed == n, "removed " + std::to_string(removed) + " of " + std::to_string(n));
        fail.check(ops.size() >= kBase, "size below the base rows");
      }
      writers_left.fetch_sub(1);
      return;
    }
    TestExec ex("cpu");
    // half the searchers ask for the bf16 candidate pass (its packed copy is rebuilt by the
    // searches after each add or remove), half for fp32
    bool bf16 = bf16_too && t % 2;
    fail.ok(weft_exec_set_precision(ex.e, bf16 ? WEFT_PRECISION_BF16 : WEFT_PRECISION_FP32), "precision");
    for (int r = 0; r < searches || writers_left.load() > 0; r++) {
      bool filtered = (r + t) % 3 == 0;
      Answer got;
      if (!fail.ok(ops.search(ex.e, queries.data(), filtered ? allowed.data() : nullptr,
                              filtered ? kBase : 0, got),
                   "search"))
        break;
      if (!fail.check(got == (filtered ? want_allowed : want_all),
                      "thread " + std::to_string(t) + " round " + std::to_string(r) +
                          (bf16 ? " bf16" : " fp32") + (filtered ? " filtered" : "") +
                          ": the answer differs from the single-threaded one"))
        break;
      if (r > 100000) break;
    }
  });
  EXPECT_EQ(fail.count(), 0u) << fail.text();
  EXPECT_EQ(ops.size(), kBase);
  TestExec ex("cpu");
  Answer after;
  ASSERT_WEFT_OK(ops.search(ex.e, queries.data(), nullptr, 0, after));
  EXPECT_TRUE(after == want_all);
}

TEST(IndexThreads, FlatSearchesWhileOthersAddAndRemove) {
  for (weft_metric metric : {WEFT_METRIC_L2, WEFT_METRIC_IP}) {
    SCOPED_TRACE(metric == WEFT_METRIC_L2 ? "l2" : "ip");
    std::mt19937_64 rng(7);
    std::vector<float> base = random_rows(kBase, 0.f, rng), queries = random_rows(kQueries, 0.f, rng);
    if (metric == WEFT_METRIC_IP)  // far rows must score low: the queries point away from them
      for (auto &q : queries) q = -std::abs(q);
    weft_index *ix = nullptr;
    ASSERT_WEFT_OK(weft_index_create(kDim, metric, &ix));
    ASSERT_WEFT_OK(weft_index_add(ix, kBase, base.data(), nullptr));
    Ops ops;
    ops.search = [&](weft_exec *e, const float *q, const uint8_t *allowed, size_t bits, Answer &a) {
      a.dist.assign(kQueries * kK, 0);
      a.labels.assign(kQueries * kK, 0);
      return weft_index_search(e, ix, kQueries, q, kK, allowed, bits, a.dist.data(), a.labels.data());
    };
    ops.add = [&](size_t n, const float *v, const int64_t *ids) { return weft_index_add(ix, n, v, ids); };
    ops.remove = [&](size_t n, const int64_t *ids, size_t *removed) {
      return weft_index_remove(ix, n, ids, removed);
    };
    ops.size = [&] {
      size_t n = 0;
      weft_test_ok(weft_index_size(ix, &n));
      return n;
    };
    hammer(ops, queries, true);
    weft_index_free(ix);
  }
}

Ops ivf_ops(weft_ivf *ivf) {
  Ops ops;
  // nprobe 3: the far rows land in some list; the answer must still be the base rows'.
  ops.search = [ivf](weft_exec *e, const float *q, const uint8_t *allowed, size_t bits, Answer &a) {
    a.dist.assign(kQueries * kK, 0);
    a.labels.assign(kQueries * kK, 0);
    return weft_ivf_search(e, ivf, kQueries, q, kK, 3, allowed, bits, a.dist.data(), a.labels.data());
  };
  ops.add = [ivf](size_t n, const float *v, const int64_t *ids) { return weft_ivf_add(ivf, n, v, ids); };
  ops.remove = [ivf](size_t n, const int64_t *ids, size_t *removed) {
    return weft_ivf_remove(ivf, n, ids, removed);
  };
  ops.size = [ivf] {
    size_t n = 0, bytes = 0;
    weft_test_ok(weft_ivf_size(ivf, &n));
    weft_test_ok(weft_ivf_memory_bytes(ivf, &bytes));
    return n;
  };
  return ops;
}

TEST(IndexThreads, IvfSearchesWhileOthersAddAndRemove) {
  for (weft_ivf_codec codec : {WEFT_IVF_FLAT, WEFT_IVF_SQ8}) {
    SCOPED_TRACE(codec == WEFT_IVF_FLAT ? "flat" : "sq8");
    std::mt19937_64 rng(11);
    std::vector<float> base = random_rows(kBase, 0.f, rng), queries = random_rows(kQueries, 0.f, rng);
    const size_t nlist = 16;
    weft_ivf *ivf = nullptr;
    ASSERT_WEFT_OK(weft_ivf_create(kDim, nlist, WEFT_METRIC_L2, codec, &ivf));
    ASSERT_WEFT_OK(weft_ivf_train(ivf, kBase, base.data(), 4, 1));
    ASSERT_WEFT_OK(weft_ivf_add(ivf, kBase, base.data(), nullptr));
    hammer(ivf_ops(ivf), queries, false);
    weft_ivf_free(ivf);
  }
}

// A mapped index (weft_ivf_load_mapped): its lists are prepared (norms computed) by whichever
// search reaches them first, while the first add copies every list into memory and unmaps
// the file under the writers' lock: the answers stay those of the file loaded into memory.
TEST(IndexThreads, MappedIvfPreparesListsUnderContention) {
  for (weft_ivf_codec codec : {WEFT_IVF_FLAT, WEFT_IVF_SQ8}) {
    SCOPED_TRACE(codec == WEFT_IVF_FLAT ? "flat" : "sq8");
    std::mt19937_64 rng(13);
    std::vector<float> base = random_rows(kBase, 0.f, rng), queries = random_rows(kQueries, 0.f, rng);
    weft_ivf *built = nullptr, *plain = nullptr, *mapped = nullptr;
    ASSERT_WEFT_OK(weft_ivf_create(kDim, 16, WEFT_METRIC_L2, codec, &built));
    ASSERT_WEFT_OK(weft_ivf_train(built, kBase, base.data(), 4, 1));
    ASSERT_WEFT_OK(weft_ivf_add(built, kBase, base.data(), nullptr));
    std::string path = ::testing::TempDir() + "/weft_mapped_" + std::to_string(getpid()) + ".ivf";
    ASSERT_WEFT_OK(weft_ivf_save(built, path.c_str()));
    weft_ivf_free(built);
    ASSERT_WEFT_OK(weft_ivf_load(path.c_str(), &plain));
    ASSERT_WEFT_OK(weft_ivf_load_mapped(path.c_str(), &mapped));
    Ops reference = ivf_ops(plain);
    hammer(ivf_ops(mapped), queries, false, &reference);
    weft_ivf_free(mapped);
    weft_ivf_free(plain);
    unlink(path.c_str());
  }
}

// The first calls of a process made by many threads at once (ctest runs each test in its own
// process): what is set up lazily on first use (the inner-product kernel's choice, the bf16
// pass's cost ratio, the thread pool) is set up under contention. Every thread builds the
// same index and must get the same answer.
TEST(IndexThreads, FirstSearchesOfAProcessStartTogether) {
  const int threads = 8;
  std::vector<Answer> got(threads);
  cc::Failures fail;
  cc::run_threads(threads, [&](int t) {
    std::mt19937_64 rng(21);
    std::vector<float> base = random_rows(600, 0.f, rng), queries = random_rows(kQueries, 0.f, rng);
    weft_index *ix = nullptr;
    if (!fail.ok(weft_index_create(kDim, WEFT_METRIC_L2, &ix), "create")) return;
    fail.ok(weft_index_add(ix, 600, base.data(), nullptr), "add");
    weft_exec *e = nullptr;
    fail.ok(weft_exec_create(&e), "exec");
    fail.ok(weft_exec_set_precision(e, t % 2 ? WEFT_PRECISION_BF16 : WEFT_PRECISION_AUTO), "precision");
    got[t].dist.assign(kQueries * kK, 0);
    got[t].labels.assign(kQueries * kK, 0);
    fail.ok(weft_index_search(e, ix, kQueries, queries.data(), kK, nullptr, 0, got[t].dist.data(),
                              got[t].labels.data()),
            "search");
    weft_exec_free(e);
    weft_index_free(ix);
  });
  EXPECT_EQ(fail.count(), 0u) << fail.text();
  for (int t = 1; t < threads; t++) EXPECT_TRUE(got[t] == got[0]) << "thread " << t;
}

}  // namespace
