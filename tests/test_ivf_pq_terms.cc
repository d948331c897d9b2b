// The pq codec's precomputed list terms (ivf_pq_table.c, faiss's precomputed table): an
// index that keeps them and one past the budget (WEFT_TEST_IVF_PQ_TERMS_MAX_BYTES = 0: each
// scan makes its list's terms) give the same ids and distance bits, on data with exact ties
// (duplicated rows), k past the lists' sizes, filters and every list probed; so do mapped
// loads, which make each list's terms at its first scan, searched from two threads at once.
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

#include "test_support.h"

namespace {

const size_t kDim = 16, kM = 4, kNbits = 5, kNlist = 20, kN = 400, kNq = 30;

// Small integer coordinates, every fourth row a copy of the one before: exact ties.
std::vector<float> tied_rows(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> v(0, 3);
  std::vector<float> x(n * kDim);
  for (size_t i = 0; i < n; i++)
    for (size_t d = 0; d < kDim; d++)
      x[i * kDim + d] = i % 4 == 3 ? x[(i - 1) * kDim + d] : (float)v(rng);
  return x;
}

struct Budget {  // the terms' budget while an index is trained or loaded
  explicit Budget(const char *bytes) { setenv("WEFT_TEST_IVF_PQ_TERMS_MAX_BYTES", bytes, 1); }
  ~Budget() { unsetenv("WEFT_TEST_IVF_PQ_TERMS_MAX_BYTES"); }
};

weft_ivf *build(weft_metric metric, size_t refine, const std::vector<float> &x) {
  weft_ivf *ix = nullptr;
  EXPECT_EQ(weft_ivf_create_pq(kDim, kNlist, metric, kM, kNbits, &ix), WEFT_OK) << weft_last_error();
  if (refine) {
    EXPECT_EQ(weft_ivf_set_refine(ix, refine), WEFT_OK) << weft_last_error();
  }
  EXPECT_EQ(weft_ivf_train(ix, kN, x.data(), 6, 3), WEFT_OK) << weft_last_error();
  EXPECT_EQ(weft_ivf_add(ix, kN, x.data(), nullptr), WEFT_OK) << weft_last_error();
  return ix;
}

struct Res {
  std::vector<float> d;
  std::vector<int64_t> i;
};

// Every (k, nprobe, filter) setting's results, one after another.
Res search_all(weft_ivf *ix, const std::vector<float> &q) {
  std::vector<uint8_t> every_third((kN + 7) / 8, 0);
  for (size_t id = 0; id < kN; id += 3) every_third[id / 8] |= (uint8_t)(1u << (id % 8));
  Res all;
  for (size_t k : {7, 60})  // 60: past every list's rows (about 20)
    for (size_t nprobe : {size_t(1), size_t(3), kNlist})
      for (const uint8_t *allowed : {(const uint8_t *)nullptr, (const uint8_t *)every_third.data()}) {
        std::vector<float> d(kNq * k);
        std::vector<int64_t> i(kNq * k);
        EXPECT_EQ(weft_ivf_search(nullptr, ix, kNq, q.data(), k, nprobe, allowed,
                                  allowed ? kN : 0, d.data(), i.data()),
                  WEFT_OK)
            << weft_last_error();
        all.d.insert(all.d.end(), d.begin(), d.end());
        all.i.insert(all.i.end(), i.begin(), i.end());
      }
  return all;
}

void expect_same(const Res &a, const Res &b, const std::string &what) {
  EXPECT_EQ(a.i, b.i) << what;
  ASSERT_EQ(a.d.size(), b.d.size()) << what;
  EXPECT_EQ(0, memcmp(a.d.data(), b.d.data(), a.d.size() * sizeof(float))) << what;
}

size_t memory(const weft_ivf *ix) {
  size_t b = 0;
  EXPECT_EQ(weft_ivf_memory_bytes(ix, &b), WEFT_OK);
  return b;
}

}  // namespace

TEST(IvfPqTerms, TableAndFallbackGiveTheSameIdsAndBits) {
  auto x = tied_rows(kN, 1), q = tied_rows(kNq, 2);
  std::string path = ::testing::TempDir() + "/weft_ivfpq_terms_" + std::to_string(getpid()) + ".ivf";
  for (weft_metric metric : {WEFT_METRIC_L2, WEFT_METRIC_IP})
    for (size_t refine : {0, 4}) {
      std::string what = "metric " + std::to_string(metric) + " refine " + std::to_string(refine);
      weft_ivf *kept = build(metric, refine, x), *made = nullptr;
      {
        Budget none("0");
        made = build(metric, refine, x);
      }
      // the same training, and the table where l2 asks for it (nlist x m x ksub floats and a
      // state byte a list) and only there
      std::vector<float> c1(kNlist * kDim), c2(kNlist * kDim);
      ASSERT_WEFT_OK(weft_ivf_centroids(kept, c1.data()));
      ASSERT_WEFT_OK(weft_ivf_centroids(made, c2.data()));
      ASSERT_EQ(c1, c2) << what;
      const size_t table = metric == WEFT_METRIC_L2 ? kNlist * (kM * (1u << kNbits) * 4 + 1) : 0;
      EXPECT_EQ(memory(kept) - memory(made), table) << what;
      Res a = search_all(kept, q), b = search_all(made, q);
      expect_same(a, b, what + ": table against fallback");

      ASSERT_WEFT_OK(weft_ivf_save(kept, path.c_str()));
      for (const char *budget : {"", "0"}) {  // mapped: each list's terms at its first scan
        Budget env(budget);
        weft_ivf *mapped = nullptr;
        ASSERT_WEFT_OK(weft_ivf_load_mapped(path.c_str(), &mapped));
        Res r1, r2;
        std::thread t1([&] { r1 = search_all(mapped, q); }), t2([&] { r2 = search_all(mapped, q); });
        t1.join(), t2.join();
        expect_same(a, r1, what + ": mapped, budget '" + budget + "', thread 1");
        expect_same(a, r2, what + ": mapped, budget '" + budget + "', thread 2");
        expect_same(a, search_all(mapped, q), what + ": mapped, budget '" + budget + "', again");
        weft_ivf_free(mapped);
      }
      weft_ivf_free(kept);
      weft_ivf_free(made);
    }
  unlink(path.c_str());
}
