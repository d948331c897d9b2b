// The IVF-PQ codec and refine: recall against a float64 brute force on clustered data, refine
// with every list probed is the exact index bit for bit, memory, files (round trip, version 1
// files, truncations, flipped bytes, codes past 2^nbits) and bad input. faiss comparisons and
// thread-count independence are in python/tests/test_ivf_pq.py.
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <set>
#include <string>

#include "test_support.h"

namespace {

std::vector<float> clustered(size_t n, size_t dim, size_t centers, float sigma, uint64_t seed) {
  std::mt19937_64 crng(99), rng(seed);
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

Res search(weft_ivf *ix, const std::vector<float> &q, size_t dim, size_t k, size_t nprobe) {
  size_t nq = q.size() / dim;
  Res r{std::vector<float>(nq * k), std::vector<int64_t>(nq * k)};
  EXPECT_EQ(weft_ivf_search(nullptr, ix, nq, q.data(), k, nprobe, nullptr, 0, r.d.data(),
                            r.i.data()),
            WEFT_OK)
      << weft_last_error();
  return r;
}

Res flat(const std::vector<float> &base, const std::vector<float> &q, size_t dim, size_t k,
         weft_metric m) {
  weft_index *f = nullptr;
  EXPECT_EQ(weft_index_create(dim, m, &f), WEFT_OK);
  EXPECT_EQ(weft_index_add(f, base.size() / dim, base.data(), nullptr), WEFT_OK);
  size_t nq = q.size() / dim;
  Res r{std::vector<float>(nq * k), std::vector<int64_t>(nq * k)};
  weft_exec *ex = nullptr;
  EXPECT_EQ(weft_exec_create(&ex), WEFT_OK);
  EXPECT_EQ(weft_exec_set_device(ex, "cpu"), WEFT_OK);
  EXPECT_EQ(weft_index_search(ex, f, nq, q.data(), k, nullptr, 0, r.d.data(), r.i.data()), WEFT_OK);
  weft_exec_free(ex);
  weft_index_free(f);
  return r;
}

// float64 brute force, l2
std::vector<int64_t> truth_l2(const std::vector<float> &base, const std::vector<float> &q,
                              size_t dim, size_t k) {
  size_t n = base.size() / dim, nq = q.size() / dim;
  std::vector<int64_t> out;
  for (size_t i = 0; i < nq; i++) {
    std::vector<std::pair<double, int64_t>> d(n);
    for (size_t j = 0; j < n; j++) {
      double s = 0;
      for (size_t e = 0; e < dim; e++) {
        double t = (double)q[i * dim + e] - base[j * dim + e];
        s += t * t;
      }
      d[j] = {s, (int64_t)j};
    }
    std::partial_sort(d.begin(), d.begin() + k, d.end());
    for (size_t j = 0; j < k; j++) out.push_back(d[j].second);
  }
  return out;
}

double recall(const std::vector<int64_t> &got, const std::vector<int64_t> &truth, size_t k) {
  size_t hit = 0, nq = truth.size() / k;
  for (size_t q = 0; q < nq; q++) {
    std::set<int64_t> t(truth.begin() + q * k, truth.begin() + (q + 1) * k);
    for (size_t j = 0; j < k; j++) hit += t.count(got[q * k + j]);
  }
  return (double)hit / (double)(nq * k);
}

struct Pq {
  weft_ivf *ix = nullptr;
  Pq(size_t dim, size_t nlist, weft_metric metric, size_t m, size_t nbits, size_t refine = 0) {
    EXPECT_EQ(weft_ivf_create_pq(dim, nlist, metric, m, nbits, &ix), WEFT_OK) << weft_last_error();
    if (refine) {
      EXPECT_EQ(weft_ivf_set_refine(ix, refine), WEFT_OK) << weft_last_error();
    }
  }
  ~Pq() { weft_ivf_free(ix); }
};

std::string read_all(const std::string &path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

// The files' checksum: FNV-1a over each piece's 64-bit words, then its tail bytes.
uint64_t fnv_pieces(const std::string &b, const std::vector<size_t> &pieces) {
  uint64_t h = 0xcbf29ce484222325ULL;
  size_t at = 0;
  for (size_t n : pieces) {
    for (size_t i = 0; i + 8 <= n; i += 8) {
      uint64_t w;
      memcpy(&w, b.data() + at + i, 8);
      h = (h ^ w) * 0x100000001b3ULL;
    }
    for (size_t i = n / 8 * 8; i < n; i++) h = (h ^ (uint8_t)b[at + i]) * 0x100000001b3ULL;
    at += n;
  }
  return h;
}

}  // namespace

TEST(IvfPq, RecallFloorAndRefineRaisesIt) {
  const size_t dim = 32, n = 12000, nq = 100, k = 10, nlist = 40;
  auto x = clustered(n, dim, 60, 0.1f, 1), q = clustered(nq, dim, 60, 0.1f, 2);
  auto truth = truth_l2(x, q, dim, k);
  Pq plain(dim, nlist, WEFT_METRIC_L2, 16, 8), refined(dim, nlist, WEFT_METRIC_L2, 16, 8, 4);
  for (Pq *p : {&plain, &refined}) {
    ASSERT_WEFT_OK(weft_ivf_train(p->ix, 4000, x.data(), 10, 3));
    ASSERT_WEFT_OK(weft_ivf_add(p->ix, n, x.data(), nullptr));
  }
  double r1 = recall(search(plain.ix, q, dim, k, 1).i, truth, k);
  double r8 = recall(search(plain.ix, q, dim, k, 8).i, truth, k);
  double f8 = recall(search(refined.ix, q, dim, k, 8).i, truth, k);
  EXPECT_GE(r1, 0.4);
  EXPECT_GE(r8, 0.5);
  EXPECT_GE(r8, r1);
  EXPECT_GE(f8, r8 + 0.1) << "refine 4";
  EXPECT_GE(f8, 0.9);
  // results best first, ties to the smaller id
  Res r = search(plain.ix, q, dim, k, 8);
  for (size_t i = 0; i < nq; i++)
    for (size_t j = 1; j < k; j++) {
      EXPECT_LE(r.d[i * k + j - 1], r.d[i * k + j]);
      if (r.d[i * k + j - 1] == r.d[i * k + j]) {
        EXPECT_LT(r.i[i * k + j - 1], r.i[i * k + j]);
      }
    }
}

TEST(IvfPq, RefineWithEveryListProbedIsTheExactIndex) {
  const size_t dim = 16, n = 3000, k = 5, nlist = 12;
  auto x = clustered(n, dim, 20, 0.05f, 4), q = clustered(50, dim, 20, 0.05f, 5);
  for (weft_metric m : {WEFT_METRIC_L2, WEFT_METRIC_IP, WEFT_METRIC_COSINE}) {
    Pq p(dim, nlist, m, 4, 6, 1000);  // 5000 candidates: all of them
    ASSERT_WEFT_OK(weft_ivf_train(p.ix, n, x.data(), 5, 0));
    ASSERT_WEFT_OK(weft_ivf_add(p.ix, n, x.data(), nullptr));
    Res a = search(p.ix, q, dim, k, nlist), b = flat(x, q, dim, k, m);
    EXPECT_EQ(a.i, b.i) << "metric " << m;
    EXPECT_EQ(0, memcmp(a.d.data(), b.d.data(), a.d.size() * sizeof(float))) << "metric " << m;
    size_t factor = 0;
    int keeps = 0;
    ASSERT_WEFT_OK(weft_ivf_refine(p.ix, &factor, &keeps));
    EXPECT_EQ(factor, 1000u);
    EXPECT_EQ(keeps, 1);
  }
}

TEST(IvfPq, MemoryIsCodesIdsCodebooksAndTerms) {
  const size_t dim = 32, n = 20000, nlist = 50, m = 8;
  auto x = clustered(n, dim, 50, 0.1f, 6);
  Pq p(dim, nlist, WEFT_METRIC_L2, m, 8);
  ASSERT_WEFT_OK(weft_ivf_train(p.ix, 5000, x.data(), 4, 0));
  for (size_t at = 0; at < n; at += 3000)  // several adds: the lists' slack is trimmed
    ASSERT_WEFT_OK(weft_ivf_add(p.ix, std::min<size_t>(3000, n - at), x.data() + at * dim, nullptr));
  size_t bytes = 0;
  ASSERT_WEFT_OK(weft_ivf_memory_bytes(p.ix, &bytes));
  // and what train derives: the codebooks transposed, l2's terms table (ivf_pq_table.c)
  double want = (double)n * (m + 8) + (double)(nlist + 2 * 256) * dim * 4 +
                (double)nlist * (m * 256 * 4 + 1);
  EXPECT_NEAR((double)bytes, want, 0.05 * want);
}

TEST(IvfPq, BadInputNamesTheArgumentAndValue) {
  weft_ivf *ix = nullptr;
  EXPECT_EQ(weft_ivf_create_pq(32, 4, WEFT_METRIC_L2, 5, 8, &ix), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(weft_last_error()).find("m = 5 sub-quantizers must divide dim = 32"),
            std::string::npos) << weft_last_error();
  EXPECT_EQ(weft_ivf_create_pq(32, 4, WEFT_METRIC_L2, 8, 9, &ix), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(weft_last_error()).find("nbits must be in 4..8 (got 9)"), std::string::npos);
  EXPECT_EQ(weft_ivf_create_pq(32, 4, WEFT_METRIC_L2, 8, 3, &ix), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(weft_ivf_create_pq(32, 4, WEFT_METRIC_L2, 0, 8, &ix), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(weft_ivf_create(32, 4, WEFT_METRIC_L2, WEFT_IVF_PQ, &ix), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(weft_last_error()).find("weft_ivf_create_pq"), std::string::npos);
  EXPECT_EQ(ix, nullptr);
  auto x = clustered(300, 32, 5, 0.1f, 1);
  Pq p(32, 4, WEFT_METRIC_L2, 8, 8);
  EXPECT_EQ(weft_ivf_train(p.ix, 200, x.data(), 2, 0), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(weft_last_error()).find("200 training vectors for nbits = 8"),
            std::string::npos) << weft_last_error();
  std::vector<float> books(256 * 32);
  EXPECT_EQ(weft_ivf_pq_codebooks(p.ix, books.data()), WEFT_ERR_INVALID_ARGUMENT);
  ASSERT_WEFT_OK(weft_ivf_train(p.ix, 300, x.data(), 2, 0));
  ASSERT_WEFT_OK(weft_ivf_pq_codebooks(p.ix, books.data()));
  ASSERT_WEFT_OK(weft_ivf_add(p.ix, 10, x.data(), nullptr));
  EXPECT_EQ(weft_ivf_set_refine(p.ix, 2), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(weft_last_error()).find("k_factor = 2 needs the float32 rows"),
            std::string::npos);
  EXPECT_EQ(weft_ivf_set_refine(p.ix, WEFT_IVF_MAX_REFINE + 1), WEFT_ERR_INVALID_ARGUMENT);
  ASSERT_WEFT_OK(weft_ivf_set_refine(p.ix, 0));  // none: fine without rows
  Pq f(32, 4, WEFT_METRIC_L2, 8, 8);
  weft_ivf *flat_ix = nullptr;
  ASSERT_WEFT_OK(weft_ivf_create(32, 4, WEFT_METRIC_L2, WEFT_IVF_FLAT, &flat_ix));
  EXPECT_EQ(weft_ivf_pq_codebooks(flat_ix, books.data()), WEFT_ERR_INVALID_ARGUMENT);
  size_t m = 9, nbits = 9;
  ASSERT_WEFT_OK(weft_ivf_pq_info(flat_ix, &m, &nbits));
  EXPECT_EQ(m + nbits, 0u);
  weft_ivf_free(flat_ix);
}

TEST(IvfPqFiles, RoundTripTruncationsFlipsAndBadCodes) {
  const size_t dim = 8, n = 600, nlist = 5, k = 4;
  auto x = clustered(n, dim, 9, 0.05f, 7);
  std::string path = ::testing::TempDir() + "/weft_ivfpq_" + std::to_string(getpid()) + ".ivf";
  for (size_t refine : {0, 3}) {
    Pq p(dim, nlist, WEFT_METRIC_IP, 4, 4, refine);
    ASSERT_WEFT_OK(weft_ivf_train(p.ix, n, x.data(), 5, 0));
    ASSERT_WEFT_OK(weft_ivf_add(p.ix, n, x.data(), nullptr));
    ASSERT_WEFT_OK(weft_ivf_save(p.ix, path.c_str()));
    weft_ivf *loaded = nullptr;
    ASSERT_WEFT_OK(weft_ivf_load(path.c_str(), &loaded));
    Res a = search(p.ix, x, dim, k, 2), b = search(loaded, x, dim, k, 2);
    EXPECT_EQ(a.i, b.i);
    EXPECT_EQ(0, memcmp(a.d.data(), b.d.data(), a.d.size() * sizeof(float)));
    size_t m = 0, nbits = 0, factor = 9;
    ASSERT_WEFT_OK(weft_ivf_pq_info(loaded, &m, &nbits));
    ASSERT_WEFT_OK(weft_ivf_refine(loaded, &factor, nullptr));
    EXPECT_EQ(m, 4u);
    EXPECT_EQ(nbits, 4u);
    EXPECT_EQ(factor, refine);
    weft_ivf_free(loaded);
    std::string bytes = read_all(path);
    auto write = [&](const std::string &s) { std::ofstream(path, std::ios::binary) << s; };
    for (size_t len = 0; len < bytes.size(); len += 1 + len / 4) {
      write(bytes.substr(0, len));
      EXPECT_EQ(weft_ivf_load(path.c_str(), &loaded), WEFT_ERR_CORRUPT) << "length " << len;
    }
    std::mt19937_64 rng(11);
    for (int t = 0; t < 60; t++) {
      std::string flipped = bytes;
      size_t at = t < 18 ? (size_t)t * 4 : rng() % bytes.size();
      flipped[at] ^= (char)(1u << (rng() % 8));
      write(flipped);
      EXPECT_EQ(weft_ivf_load(path.c_str(), &loaded), WEFT_ERR_CORRUPT) << "byte " << at;
    }
    // a code past 2^nbits = 16, under a correct checksum: refused, not read out of bounds
    std::vector<size_t> pieces{72, nlist * dim * 4, 16 * dim * 4};
    std::vector<uint64_t> sizes(nlist);
    memcpy(sizes.data(), bytes.data() + pieces[0] + pieces[1] + pieces[2], nlist * 8);
    for (size_t l = 0; l < nlist; l++) pieces.push_back(8);
    size_t first_code = 0;
    for (size_t p = 0; p < pieces.size(); p++) first_code += pieces[p];
    for (size_t l = 0; l < nlist; l++) {
      pieces.push_back(sizes[l] * 4);
      pieces.push_back(sizes[l] * 8);
      if (refine) pieces.push_back(sizes[l] * dim * 4);
    }
    std::string bad = bytes;
    bad[first_code] = (char)200;
    uint64_t sum = fnv_pieces(bad, pieces);
    memcpy(&bad[bad.size() - 8], &sum, 8);
    write(bad);
    EXPECT_EQ(weft_ivf_load(path.c_str(), &loaded), WEFT_ERR_CORRUPT);
    EXPECT_NE(std::string(weft_last_error()).find("pq code past 2^nbits"), std::string::npos)
        << weft_last_error();
  }
  unlink(path.c_str());
}

TEST(IvfPqFiles, VersionOneFilesStillLoad) {
  // a version 1 file is a version 2 flat or sq8 file with 1 in its version field (the words
  // version 2 added are 0 there): written so here, with its checksum made again
  const size_t dim = 6, n = 300, nlist = 4;
  auto x = clustered(n, dim, 5, 0.05f, 9);
  std::string path = ::testing::TempDir() + "/weft_ivfv1_" + std::to_string(getpid()) + ".ivf";
  for (weft_ivf_codec c : {WEFT_IVF_FLAT, WEFT_IVF_SQ8}) {
    weft_ivf *ix = nullptr;
    ASSERT_WEFT_OK(weft_ivf_create(dim, nlist, WEFT_METRIC_L2, c, &ix));
    ASSERT_WEFT_OK(weft_ivf_train(ix, n, x.data(), 4, 0));
    ASSERT_WEFT_OK(weft_ivf_add(ix, n, x.data(), nullptr));
    ASSERT_WEFT_OK(weft_ivf_save(ix, path.c_str()));
    std::string b = read_all(path);
    uint32_t version = 0;
    memcpy(&version, b.data() + 8, 4);
    EXPECT_EQ(version, 2u);
    version = 1;
    memcpy(&b[8], &version, 4);
    size_t cs = c == WEFT_IVF_FLAT ? dim * 4 : dim;
    std::vector<size_t> pieces{72, nlist * dim * 4};
    if (c == WEFT_IVF_SQ8) pieces.push_back(dim * 4), pieces.push_back(dim * 4);
    size_t at = 0;
    for (size_t p : pieces) at += p;
    std::vector<uint64_t> sizes(nlist);
    memcpy(sizes.data(), b.data() + at, nlist * 8);
    for (size_t l = 0; l < nlist; l++) pieces.push_back(8);
    for (size_t l = 0; l < nlist; l++) pieces.push_back(sizes[l] * cs), pieces.push_back(sizes[l] * 8);
    uint64_t sum = fnv_pieces(b, pieces);
    memcpy(&b[b.size() - 8], &sum, 8);
    std::ofstream(path, std::ios::binary) << b;
    weft_ivf *old = nullptr;
    ASSERT_WEFT_OK(weft_ivf_load(path.c_str(), &old));
    Res r1 = search(ix, x, dim, 3, 2), r2 = search(old, x, dim, 3, 2);
    EXPECT_EQ(r1.i, r2.i);
    EXPECT_EQ(0, memcmp(r1.d.data(), r2.d.data(), r1.d.size() * sizeof(float)));
    // a version 1 file claiming pq is refused
    uint32_t pq = WEFT_IVF_PQ;
    memcpy(&b[16], &pq, 4);
    std::ofstream(path, std::ios::binary) << b;
    weft_ivf *bad = nullptr;
    EXPECT_EQ(weft_ivf_load(path.c_str(), &bad), WEFT_ERR_CORRUPT);
    weft_ivf_free(old);
    weft_ivf_free(ix);
  }
  unlink(path.c_str());
}

namespace {
struct Trained {
  std::vector<float> centroids, books;
};

// An l2 pq index (dim 32, nlist 16, m 8) trained on x with niter, and pq_niter when >= 0.
Trained train_pq(const std::vector<float> &x, size_t niter, long pq_niter) {
  const size_t dim = 32, nlist = 16, m = 8;
  weft_ivf *ix = nullptr;
  EXPECT_EQ(weft_ivf_create_pq(dim, nlist, WEFT_METRIC_L2, m, 8, &ix), WEFT_OK);
  if (pq_niter >= 0) {
    EXPECT_EQ(weft_ivf_set_pq_niter(ix, (size_t)pq_niter), WEFT_OK);
  }
  EXPECT_EQ(weft_ivf_train(ix, x.size() / dim, x.data(), niter, 7), WEFT_OK) << weft_last_error();
  Trained t{std::vector<float>(nlist * dim), std::vector<float>(256 * dim)};
  EXPECT_EQ(weft_ivf_centroids(ix, t.centroids.data()), WEFT_OK);
  EXPECT_EQ(weft_ivf_pq_codebooks(ix, t.books.data()), WEFT_OK);
  weft_ivf_free(ix);
  return t;
}
}  // namespace

TEST(IvfPq, PqNiterSetsTheSubQuantizersIterationsAndNotTheCoarseOnes) {
  auto x = clustered(3000, 32, 20, 0.1f, 11);
  Trained unset = train_pq(x, 3, -1), same = train_pq(x, 3, 3), more = train_pq(x, 3, 9);
  Trained coarse9 = train_pq(x, 9, -1);
  EXPECT_EQ(unset.books, same.books);  // until set, train's niter
  EXPECT_EQ(unset.centroids, more.centroids);
  EXPECT_NE(unset.books, more.books);
  EXPECT_NE(coarse9.centroids, more.centroids);
  EXPECT_EQ(more.books, train_pq(x, 3, 9).books);  // and the same settings, the same bits

  weft_ivf *ix = nullptr;
  ASSERT_WEFT_OK(weft_ivf_create_pq(32, 16, WEFT_METRIC_L2, 8, 8, &ix));
  EXPECT_EQ(weft_ivf_set_pq_niter(ix, 1000001), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(weft_last_error()).find("weft_ivf_set_pq_niter: niter must be in "
                                                "0..1000000 (got 1000001)"),
            std::string::npos) << weft_last_error();
  ASSERT_WEFT_OK(weft_ivf_set_pq_niter(ix, 0));
  EXPECT_EQ(weft_ivf_set_pq_niter(nullptr, 3), WEFT_ERR_INVALID_ARGUMENT);
  weft_ivf_free(ix);
  ASSERT_WEFT_OK(weft_ivf_create(32, 16, WEFT_METRIC_L2, WEFT_IVF_SQ8, &ix));
  EXPECT_EQ(weft_ivf_set_pq_niter(ix, 3), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(weft_last_error()).find("codec is sq8, which has no pq sub-quantizers"),
            std::string::npos) << weft_last_error();
  weft_ivf_free(ix);
}
