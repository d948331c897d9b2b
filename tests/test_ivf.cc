// k-means and the IVF index against the exact index and a float64 brute force: nprobe =
// nlist must give the exact index's answer bit for bit (flat codec), fewer probes a recall
// floor on clustered data; filters, ids, files and bad input. Thread-count independence is
// checked by python/tests/test_ivf.py (the pool's size is fixed per process).
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <set>
#include <string>

#include "test_support.h"
extern "C" {
#include "vector/kmeans.h"
}

namespace {

struct Ivf {
  weft_ivf *ix = nullptr;
  Ivf(size_t dim, size_t nlist, weft_metric m, weft_ivf_codec c) {
    EXPECT_EQ(weft_ivf_create(dim, nlist, m, c, &ix), WEFT_OK);
  }
  ~Ivf() { weft_ivf_free(ix); }
};

// n points around `centers` gaussian blobs (sigma) of centers uniform in [0, 1)
std::vector<float> clustered(size_t n, size_t dim, size_t centers, float sigma, uint64_t seed) {
  std::mt19937_64 crng(1234), rng(seed);
  std::uniform_real_distribution<float> u(0, 1);
  std::normal_distribution<float> g(0, sigma);
  std::vector<float> c(centers * dim), v(n * dim);
  for (auto &x : c) x = u(crng);
  std::uniform_int_distribution<size_t> pick(0, centers - 1);
  for (size_t i = 0; i < n; i++) {
    size_t k = pick(rng);
    for (size_t d = 0; d < dim; d++) v[i * dim + d] = c[k * dim + d] + g(rng);
  }
  return v;
}

struct Res {
  std::vector<float> d;
  std::vector<int64_t> i;
};

Res ivf_search(weft_ivf *ix, const std::vector<float> &q, size_t dim, size_t k, size_t nprobe,
               const uint8_t *allowed = nullptr, size_t bits = 0, weft_exec *ex = nullptr) {
  size_t nq = q.size() / dim;
  Res r{std::vector<float>(nq * k), std::vector<int64_t>(nq * k)};
  EXPECT_EQ(weft_ivf_search(ex, ix, nq, q.data(), k, nprobe, allowed, bits, r.d.data(),
                            r.i.data()),
            WEFT_OK)
      << weft_last_error();
  return r;
}

Res flat_search(const std::vector<float> &base, const std::vector<int64_t> *ids,
                const std::vector<float> &q, size_t dim, size_t k, weft_metric m,
                const uint8_t *allowed = nullptr, size_t bits = 0) {
  weft_index *f = nullptr;
  EXPECT_EQ(weft_index_create(dim, m, &f), WEFT_OK);
  EXPECT_EQ(weft_index_add(f, base.size() / dim, base.data(), ids ? ids->data() : nullptr), WEFT_OK);
  size_t nq = q.size() / dim;
  Res r{std::vector<float>(nq * k), std::vector<int64_t>(nq * k)};
  weft_exec *ex = nullptr;
  EXPECT_EQ(weft_exec_create(&ex), WEFT_OK);
  EXPECT_EQ(weft_exec_set_device(ex, "cpu"), WEFT_OK);
  EXPECT_EQ(weft_index_search(ex, f, nq, q.data(), k, allowed, bits, r.d.data(), r.i.data()), WEFT_OK);
  weft_exec_free(ex);
  weft_index_free(f);
  return r;
}

double recall(const Res &got, const Res &truth, size_t nq, size_t k) {
  size_t hit = 0;
  for (size_t q = 0; q < nq; q++) {
    std::set<int64_t> t(truth.i.begin() + q * k, truth.i.begin() + (q + 1) * k);
    for (size_t j = 0; j < k; j++) hit += t.count(got.i[q * k + j]);
  }
  return (double)hit / (double)(nq * k);
}

std::string last_error() { return weft_last_error(); }

}  // namespace

TEST(KMeans, SameSeedSameBitsAndCentersFound) {
  const size_t dim = 16, n = 6000, k = 20;
  auto x = clustered(n, dim, k, 0.01f, 3);
  std::vector<float> c1(k * dim), c2(k * dim), c3(k * dim);
  std::vector<int64_t> a1(n), a2(n);
  ASSERT_WEFT_OK(weft_kmeans(n, dim, x.data(), k, 20, 7, 0, c1.data(), a1.data()));
  ASSERT_WEFT_OK(weft_kmeans(n, dim, x.data(), k, 20, 7, 0, c2.data(), a2.data()));
  EXPECT_EQ(0, memcmp(c1.data(), c2.data(), c1.size() * sizeof(float)));
  EXPECT_EQ(a1, a2);
  ASSERT_WEFT_OK(weft_kmeans(n, dim, x.data(), k, 20, 8, 0, c3.data(), nullptr));
  EXPECT_NE(0, memcmp(c1.data(), c3.data(), c1.size() * sizeof(float)));
  // each assignment is the nearest centroid (float64 check, ties aside)
  for (size_t i = 0; i < n; i += 37) {
    double best = INFINITY;
    for (size_t c = 0; c < k; c++) {
      double s = 0;
      for (size_t d = 0; d < dim; d++) {
        double t = (double)x[i * dim + d] - c1[c * dim + d];
        s += t * t;
      }
      best = std::min(best, s);
    }
    double mine = 0;
    for (size_t d = 0; d < dim; d++) {
      double t = (double)x[i * dim + d] - c1[a1[i] * dim + d];
      mine += t * t;
    }
    EXPECT_LE(mine, best * (1 + 1e-4) + 1e-9) << "point " << i;
  }
  // the centroids are the cluster means: within-cluster spread is tiny next to the centers'
  double inertia = 0;
  for (size_t i = 0; i < n; i++)
    for (size_t d = 0; d < dim; d++) {
      double t = (double)x[i * dim + d] - c1[a1[i] * dim + d];
      inertia += t * t;
    }
  EXPECT_LT(inertia / n, 0.2) << "mean squared distance to the centroid";
}

TEST(KMeans, EveryClusterEndsWithPointsAfterADuplicateStart) {
  // 1000 copies of one point and 200 points around it: the start draws mostly copies, equal
  // centroids send every point to the first of them, and the others come out empty (the
  // split's own rule is checked exactly below). At the end every cluster holds points and
  // no two centroids are equal.
  const size_t dim = 4, n = 1200, k = 8;
  std::mt19937_64 rng(2);
  std::normal_distribution<float> g(0, 1);
  std::vector<float> x(n * dim, 1.0f);
  for (size_t i = 1000; i < n; i++)
    for (size_t d = 0; d < dim; d++) x[i * dim + d] = 1.0f + g(rng);
  std::vector<float> c(k * dim);
  std::vector<int64_t> a(n);
  ASSERT_WEFT_OK(weft_kmeans(n, dim, x.data(), k, 25, 1, 0, c.data(), a.data()));
  for (float v : c) EXPECT_TRUE(std::isfinite(v));
  std::vector<size_t> size(k, 0);
  for (int64_t v : a) size[(size_t)v]++;
  for (size_t j = 0; j < k; j++) EXPECT_GT(size[j], 0u) << "cluster " << j;
  for (size_t i = 0; i < k; i++)
    for (size_t j = i + 1; j < k; j++)
      EXPECT_NE(0, memcmp(&c[i * dim], &c[j * dim], dim * sizeof(float))) << i << " " << j;
}

TEST(KMeans, SplitCopiesTheLargestNudgedApartAndHalvesIt) {
  // faiss's rule, exactly: c_empty = c_big * (1 +- eps), c_big * (1 -+ eps) by dimension
  const size_t dim = 3, k = 4;
  std::vector<float> c = {9, 9, 9, 1, 2, 3, 9, 9, 9, 4, 5, 6};
  std::vector<size_t> size = {0, 10, 0, 10};  // two empty; the largest of equal sizes is the first
  weft__kmeans_split_empty(c.data(), size.data(), k, dim);
  const float e = 1.0f / 1024.0f;
  // cluster 0 split cluster 1 (10 -> 5 + 5); cluster 2 then split cluster 3, now the largest
  EXPECT_EQ(size, (std::vector<size_t>{5, 5, 5, 5}));
  const float want[] = {1 * (1 + e), 2 * (1 - e), 3 * (1 + e), 1 * (1 - e), 2 * (1 + e),
                        3 * (1 - e), 4 * (1 + e), 5 * (1 - e), 6 * (1 + e), 4 * (1 - e),
                        5 * (1 + e), 6 * (1 - e)};
  for (size_t i = 0; i < k * dim; i++) EXPECT_EQ(c[i], want[i]) << i;
}

TEST(KMeans, BadInputNamesTheArgument) {
  std::vector<float> x(10 * 2, 1.0f), c(20 * 2);
  EXPECT_EQ(weft_kmeans(10, 2, x.data(), 20, 5, 0, 0, c.data(), nullptr), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(last_error().find("n = 10"), std::string::npos) << last_error();
  x[7] = NAN;
  EXPECT_EQ(weft_kmeans(10, 2, x.data(), 2, 5, 0, 0, c.data(), nullptr), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(last_error().find("row 3"), std::string::npos) << last_error();
}

class IvfExact : public ::testing::TestWithParam<weft_metric> {};

TEST_P(IvfExact, AllListsProbedIsTheFlatIndexBitForBit) {
  const weft_metric m = GetParam();
  const size_t dim = 12, n = 3001, nlist = 37, k = 17;
  // integer values: many exact ties, which must go to the smaller id as in the flat index
  std::mt19937_64 rng(5);
  std::uniform_int_distribution<int> u(-3, 3);
  std::vector<float> x(n * dim), q(203 * dim);
  for (auto &v : x) v = (float)u(rng);
  for (auto &v : q) v = (float)u(rng);
  for (size_t i = 0; i < n; i++) x[i * dim] = x[i * dim] == 0 ? 1.0f : x[i * dim];  // cosine: no zero rows
  for (size_t i = 0; i < q.size() / dim; i++) q[i * dim] = 2.0f;
  std::vector<int64_t> ids(n);
  for (size_t i = 0; i < n; i++) ids[i] = (int64_t)((i * 7919) % 100003);
  Ivf ix(dim, nlist, m, WEFT_IVF_FLAT);
  ASSERT_WEFT_OK(weft_ivf_train(ix.ix, n, x.data(), 10, 0));
  // two adds, the second with ids below the first's, so lists must be re-ordered by id
  ASSERT_WEFT_OK(weft_ivf_add(ix.ix, n / 2, x.data() + (n - n / 2) * dim, ids.data() + (n - n / 2)));
  ASSERT_WEFT_OK(weft_ivf_add(ix.ix, n - n / 2, x.data(), ids.data()));
  std::vector<float> xr(x.begin() + (n - n / 2) * dim, x.end());
  xr.insert(xr.end(), x.begin(), x.begin() + (n - n / 2) * dim);
  std::vector<int64_t> idr(ids.begin() + (n - n / 2), ids.end());
  idr.insert(idr.end(), ids.begin(), ids.begin() + (n - n / 2));
  Res want = flat_search(xr, &idr, q, dim, k, m);
  Res got = ivf_search(ix.ix, q, dim, k, nlist);
  EXPECT_EQ(got.i, want.i);
  EXPECT_EQ(0, memcmp(got.d.data(), want.d.data(), got.d.size() * sizeof(float)));
  // a filter, applied inside the scans, gives the filtered flat answer too
  std::vector<uint8_t> allowed(100003 / 8 + 1, 0);
  for (size_t i = 0; i < n; i += 3) allowed[ids[i] >> 3] |= (uint8_t)(1u << (ids[i] & 7));
  Res wf = flat_search(xr, &idr, q, dim, k, m, allowed.data(), 100003);
  Res gf = ivf_search(ix.ix, q, dim, k, nlist, allowed.data(), 100003);
  EXPECT_EQ(gf.i, wf.i);
}

INSTANTIATE_TEST_SUITE_P(Metrics, IvfExact,
                         ::testing::Values(WEFT_METRIC_L2, WEFT_METRIC_IP, WEFT_METRIC_COSINE));

TEST(Ivf, RecallFloorsOnClusteredData) {
  const size_t dim = 32, n = 20000, nq = 300, nlist = 64, k = 10;
  auto x = clustered(n, dim, 100, 0.05f, 1);
  auto q = clustered(nq, dim, 100, 0.05f, 2);
  Res truth = flat_search(x, nullptr, q, dim, k, WEFT_METRIC_L2);
  for (weft_ivf_codec c : {WEFT_IVF_FLAT, WEFT_IVF_SQ8}) {
    Ivf ix(dim, nlist, WEFT_METRIC_L2, c);
    ASSERT_WEFT_OK(weft_ivf_train(ix.ix, n, x.data(), 25, 0));
    ASSERT_WEFT_OK(weft_ivf_add(ix.ix, n, x.data(), nullptr));
    size_t count = 0;
    weft_test_ok(weft_ivf_size(ix.ix, &count));
    EXPECT_EQ(count, n);
    double r1 = recall(ivf_search(ix.ix, q, dim, k, 1), truth, nq, k);
    double r8 = recall(ivf_search(ix.ix, q, dim, k, 8), truth, nq, k);
    double r64 = recall(ivf_search(ix.ix, q, dim, k, 64), truth, nq, k);
    EXPECT_GE(r1, 0.5) << "codec " << c;
    EXPECT_GE(r8, 0.9) << "codec " << c;
    EXPECT_GE(r8, r1);
    EXPECT_GE(r64, c == WEFT_IVF_FLAT ? 1.0 : 0.9) << "codec " << c;
  }
}

TEST(Ivf, OnePercentFilterStillReturnsKAndSaysSo) {
  const size_t dim = 16, n = 20000, nlist = 100, k = 10;
  auto x = clustered(n, dim, 50, 0.05f, 4);
  auto q = clustered(50, dim, 50, 0.05f, 5);
  Ivf ix(dim, nlist, WEFT_METRIC_L2, WEFT_IVF_SQ8);
  ASSERT_WEFT_OK(weft_ivf_train(ix.ix, n, x.data(), 10, 0));
  ASSERT_WEFT_OK(weft_ivf_add(ix.ix, n, x.data(), nullptr));
  std::vector<uint8_t> allowed(n / 8 + 1, 0);
  std::mt19937_64 rng(9);
  std::set<int64_t> ok;
  while (ok.size() < n / 100) ok.insert((int64_t)(rng() % n));
  for (int64_t id : ok) allowed[id >> 3] |= (uint8_t)(1u << (id & 7));
  weft_exec *ex = nullptr;
  ASSERT_WEFT_OK(weft_exec_create(&ex));
  Res r = ivf_search(ix.ix, q, dim, k, 1, allowed.data(), n, ex);
  for (int64_t id : r.i) {
    ASSERT_GE(id, 0);
    EXPECT_TRUE(ok.count(id)) << id;
  }
  const char *report = nullptr;
  ASSERT_WEFT_OK(weft_exec_report(ex, &report));
  EXPECT_NE(std::string(report).find("probed more lists in centroid order"), std::string::npos)
      << report;
  // fewer allowed ids than k: every list probed, padded with -1 and +inf
  std::vector<uint8_t> three(n / 8 + 1, 0);
  for (int64_t id : {5, 500, 5000}) three[id >> 3] |= (uint8_t)(1u << (id & 7));
  Res p = ivf_search(ix.ix, q, dim, k, 2, three.data(), n, ex);
  for (size_t j = 0; j < k; j++) {
    if (j < 3) {
      EXPECT_GE(p.i[j], 0);
    } else {
      EXPECT_EQ(p.i[j], -1);
      EXPECT_TRUE(std::isinf(p.d[j]));
    }
  }
  ASSERT_WEFT_OK(weft_exec_report(ex, &report));
  EXPECT_NE(std::string(report).find("padded with id -1"), std::string::npos) << report;
  weft_exec_free(ex);
}

TEST(Ivf, RemoveAndUserIds) {
  const size_t dim = 8, n = 2000, nlist = 16, k = 5;
  auto x = clustered(n, dim, 20, 0.05f, 6);
  std::vector<int64_t> ids(n);
  for (size_t i = 0; i < n; i++) ids[i] = (int64_t)(n - i) * 10;
  Ivf ix(dim, nlist, WEFT_METRIC_L2, WEFT_IVF_FLAT);
  ASSERT_WEFT_OK(weft_ivf_train(ix.ix, n, x.data(), 5, 0));
  ASSERT_WEFT_OK(weft_ivf_add(ix.ix, n, x.data(), ids.data()));
  EXPECT_EQ(weft_ivf_add(ix.ix, 1, x.data(), ids.data() + 4), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(last_error().find(std::to_string(ids[4])), std::string::npos) << last_error();
  std::vector<int64_t> gone(ids.begin(), ids.begin() + 1000);
  gone.push_back(7);  // not in the index: ignored
  size_t removed = 0;
  ASSERT_WEFT_OK(weft_ivf_remove(ix.ix, gone.size(), gone.data(), &removed));
  EXPECT_EQ(removed, 1000u);
  Res r = ivf_search(ix.ix, std::vector<float>(x.begin(), x.begin() + 100 * dim), dim, k, nlist);
  std::vector<float> rest(x.begin() + 1000 * dim, x.end());
  std::vector<int64_t> rest_ids(ids.begin() + 1000, ids.end());
  Res want = flat_search(rest, &rest_ids, std::vector<float>(x.begin(), x.begin() + 100 * dim),
                         dim, k, WEFT_METRIC_L2);
  EXPECT_EQ(r.i, want.i);
  // the next sequential id follows the largest ever added
  ASSERT_WEFT_OK(weft_ivf_add(ix.ix, 1, x.data(), nullptr));
  Res one = ivf_search(ix.ix, std::vector<float>(x.begin(), x.begin() + dim), dim, 1, nlist);
  EXPECT_EQ(one.i[0], (int64_t)n * 10 + 1);
}

TEST(Ivf, BadInputNamesTheArgumentAndValue) {
  const size_t dim = 4;
  std::vector<float> x(100 * dim, 1.0f), d(10);
  std::vector<int64_t> l(10);
  for (size_t i = 0; i < x.size(); i++) x[i] = (float)(i % 13);
  weft_ivf *bad = nullptr;
  EXPECT_EQ(weft_ivf_create(dim, 0, WEFT_METRIC_L2, WEFT_IVF_FLAT, &bad), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(last_error().find("nlist"), std::string::npos);
  EXPECT_EQ(weft_ivf_create(dim, 4, WEFT_METRIC_L2, (weft_ivf_codec)7, &bad), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(last_error().find("codec 7"), std::string::npos) << last_error();
  Ivf ix(dim, 8, WEFT_METRIC_L2, WEFT_IVF_SQ8);
  EXPECT_EQ(weft_ivf_search(nullptr, ix.ix, 1, x.data(), 1, 1, nullptr, 0, d.data(), l.data()),
            WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(last_error().find("not trained"), std::string::npos) << last_error();
  EXPECT_EQ(weft_ivf_add(ix.ix, 1, x.data(), nullptr), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(last_error().find("not trained"), std::string::npos) << last_error();
  EXPECT_EQ(weft_ivf_train(ix.ix, 5, x.data(), 5, 0), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(last_error().find("5 training vectors for nlist = 8"), std::string::npos) << last_error();
  ASSERT_WEFT_OK(weft_ivf_train(ix.ix, 100, x.data(), 5, 0));
  for (size_t nprobe : {0, 9}) {
    EXPECT_EQ(weft_ivf_search(nullptr, ix.ix, 1, x.data(), 1, nprobe, nullptr, 0, d.data(), l.data()),
              WEFT_ERR_INVALID_ARGUMENT);
    EXPECT_NE(last_error().find("nprobe must be in 1..nlist = 8 (got " + std::to_string(nprobe)),
              std::string::npos) << last_error();
  }
  std::vector<float> q(dim, 0.5f);
  q[2] = INFINITY;
  EXPECT_EQ(weft_ivf_search(nullptr, ix.ix, 1, q.data(), 1, 1, nullptr, 0, d.data(), l.data()),
            WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(last_error().find("column 2 is inf"), std::string::npos) << last_error();
  EXPECT_EQ(weft_ivf_add(ix.ix, 1, q.data(), nullptr), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(last_error().find("weft_ivf_add: vectors: row 0"), std::string::npos) << last_error();
  // strict mode with a device: refused, naming it; not strict: reported, run on the CPU
  weft_exec *ex = nullptr;
  ASSERT_WEFT_OK(weft_exec_create(&ex));
  if (weft_exec_set_device(ex, "opencl") == WEFT_OK) {
    ASSERT_WEFT_OK(weft_exec_set_strict(ex, 1));
    EXPECT_EQ(weft_ivf_search(ex, ix.ix, 1, x.data(), 1, 1, nullptr, 0, d.data(), l.data()),
              WEFT_ERR_UNSUPPORTED);
    EXPECT_NE(last_error().find("no device kernels"), std::string::npos) << last_error();
    ASSERT_WEFT_OK(weft_exec_set_strict(ex, 0));
    ASSERT_WEFT_OK(weft_ivf_search(ex, ix.ix, 1, x.data(), 1, 1, nullptr, 0, d.data(), l.data()));
    const char *report = nullptr;
    ASSERT_WEFT_OK(weft_exec_report(ex, &report));
    EXPECT_NE(std::string(report).find("ran on cpu:0"), std::string::npos) << report;
  }
  weft_exec_free(ex);
}

TEST(IvfFiles, RoundTripTruncationsAndFlippedBytes) {
  const size_t dim = 6, n = 700, nlist = 9, k = 4;
  auto x = clustered(n, dim, 9, 0.05f, 7);
  std::string path = ::testing::TempDir() + "/weft_ivf_" + std::to_string(getpid()) + ".ivf";
  for (weft_ivf_codec c : {WEFT_IVF_FLAT, WEFT_IVF_SQ8}) {
    Ivf ix(dim, nlist, WEFT_METRIC_COSINE, c);
    ASSERT_WEFT_OK(weft_ivf_train(ix.ix, n, x.data(), 5, 0));
    std::vector<int64_t> ids(n);
    for (size_t i = 0; i < n; i++) ids[i] = (int64_t)(3 * n - 3 * i);
    ASSERT_WEFT_OK(weft_ivf_add(ix.ix, n, x.data(), ids.data()));
    ASSERT_WEFT_OK(weft_ivf_save(ix.ix, path.c_str()));
    weft_ivf *loaded = nullptr;
    ASSERT_WEFT_OK(weft_ivf_load(path.c_str(), &loaded));
    Res a = ivf_search(ix.ix, x, dim, k, 3), b = ivf_search(loaded, x, dim, k, 3);
    EXPECT_EQ(a.i, b.i);
    EXPECT_EQ(0, memcmp(a.d.data(), b.d.data(), a.d.size() * sizeof(float)));
    ASSERT_WEFT_OK(weft_ivf_add(loaded, 1, x.data(), nullptr));  // next id after the largest
    Res one = ivf_search(loaded, std::vector<float>(x.begin(), x.begin() + dim), dim, 2, nlist);
    EXPECT_TRUE(one.i[0] == (int64_t)(3 * n + 1) || one.i[1] == (int64_t)(3 * n + 1));
    weft_ivf_free(loaded);
    // the flat index's loader refuses it by its magic
    weft_index *flat = nullptr;
    EXPECT_EQ(weft_index_load(path.c_str(), &flat), WEFT_ERR_CORRUPT);

    std::string bytes;
    {
      std::ifstream f(path, std::ios::binary);
      bytes.assign(std::istreambuf_iterator<char>(f), {});
    }
    auto write = [&](const std::string &s) { std::ofstream(path, std::ios::binary) << s; };
    for (size_t len = 0; len < bytes.size(); len += 1 + len / 4) {
      write(bytes.substr(0, len));
      EXPECT_EQ(weft_ivf_load(path.c_str(), &loaded), WEFT_ERR_CORRUPT) << "length " << len;
      EXPECT_EQ(loaded, nullptr);
    }
    std::mt19937_64 rng(11);
    for (int t = 0; t < 60; t++) {
      std::string flipped = bytes;
      size_t at = t < 20 ? (size_t)t * 4 : rng() % bytes.size();  // the header's fields too
      flipped[at] ^= (char)(1u << (rng() % 8));
      write(flipped);
      EXPECT_EQ(weft_ivf_load(path.c_str(), &loaded), WEFT_ERR_CORRUPT) << "byte " << at;
      EXPECT_EQ(loaded, nullptr);
    }
  }
  unlink(path.c_str());
  weft_ivf *loaded = nullptr;
  EXPECT_EQ(weft_ivf_load(path.c_str(), &loaded), WEFT_ERR_IO);
}

// An untrained index allocates its lists only: the centroids (nlist x dim floats, 256 GiB
// here) come with training. Found by the fuzzer: an 82-byte file whose header claimed an
// untrained index of many wide lists made weft_ivf_load allocate 240 GB before it checked
// the file's size.
TEST(IvfFiles, UntrainedHeaderAllocatesNoCentroids) {
  weft_ivf *wide = nullptr;
  ASSERT_WEFT_OK(weft_ivf_create(1u << 20, 1u << 16, WEFT_METRIC_L2, WEFT_IVF_FLAT, &wide));
  int trained = 1;
  ASSERT_WEFT_OK(weft_ivf_is_trained(wide, &trained));
  EXPECT_EQ(trained, 0);
  std::vector<float> c(1);
  EXPECT_EQ(weft_ivf_centroids(wide, c.data()), WEFT_ERR_INVALID_ARGUMENT);
  std::string path = ::testing::TempDir() + "/weft_ivf_wide_" + std::to_string(getpid()) + ".ivf";
  ASSERT_WEFT_OK(weft_ivf_save(wide, path.c_str()));
  weft_ivf_free(wide);
  weft_ivf *loaded = nullptr;
  ASSERT_WEFT_OK(weft_ivf_load(path.c_str(), &loaded));
  size_t dim = 0, nlist = 0;
  weft_metric metric;
  weft_ivf_codec codec;
  ASSERT_WEFT_OK(weft_ivf_info(loaded, &dim, &nlist, &metric, &codec));
  EXPECT_EQ(dim, 1u << 20);
  EXPECT_EQ(nlist, 1u << 16);
  weft_ivf_free(loaded);
  {  // one byte more: refused before anything is allocated
    std::ofstream(path, std::ios::binary | std::ios::app) << 'x';
  }
  EXPECT_EQ(weft_ivf_load(path.c_str(), &loaded), WEFT_ERR_CORRUPT);
  EXPECT_NE(std::string(weft_last_error()).find("untrained"), std::string::npos) << weft_last_error();
  EXPECT_EQ(loaded, nullptr);
  // Training a small index still works (the tables are allocated then).
  weft_ivf *small = nullptr;
  ASSERT_WEFT_OK(weft_ivf_create(2, 2, WEFT_METRIC_L2, WEFT_IVF_SQ8, &small));
  const float v[8] = {0, 0, 1, 1, 10, 10, 11, 11};
  ASSERT_WEFT_OK(weft_ivf_train(small, 4, v, 5, 1));
  ASSERT_WEFT_OK(weft_ivf_add(small, 4, v, nullptr));
  float d[2];
  int64_t l[2];
  ASSERT_WEFT_OK(weft_ivf_search(nullptr, small, 1, v + 4, 2, 2, nullptr, 0, d, l));
  EXPECT_EQ(l[0], 2);
  weft_ivf_free(small);
  unlink(path.c_str());
}
