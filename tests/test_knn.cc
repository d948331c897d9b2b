// Exact k-NN on every device against a float64 brute force. Integer-valued vectors make
// every distance exact in float32, so ties are real and ids must match exactly (smaller id
// first); float data checks the metrics that normalize.
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <numeric>
#include <thread>
#include <tuple>
#include <unistd.h>

#include "test_support.h"

namespace {

struct Index {
  weft_index *ix = nullptr;
  Index(size_t dim, weft_metric m) { EXPECT_EQ(weft_index_create(dim, m, &ix), WEFT_OK); }
  ~Index() { weft_index_free(ix); }
};

std::vector<float> int_vectors(size_t n, size_t dim, std::mt19937_64 &rng, int range = 4) {
  std::uniform_int_distribution<int> u(-range, range);
  std::vector<float> v(n * dim);
  for (auto &x : v) x = (float)u(rng);
  return v;
}

std::vector<float> float_vectors(size_t n, size_t dim, std::mt19937_64 &rng) {
  std::normal_distribution<float> g;
  std::vector<float> v(n * dim);
  for (auto &x : v) x = g(rng);
  return v;
}

struct Result {
  std::vector<float> d;
  std::vector<int64_t> i;
};

// float64 brute force; ties by smaller id; padding -1 / +-inf.
Result reference(const std::vector<float> &base, const std::vector<int64_t> &ids,
                 const std::vector<float> &q, size_t dim, size_t k, weft_metric m,
                 const std::vector<bool> *allowed_by_id = nullptr) {
  size_t nb = ids.size(), nq = q.size() / dim;
  Result r{std::vector<float>(nq * k), std::vector<int64_t>(nq * k)};
  for (size_t qi = 0; qi < nq; qi++) {
    std::vector<std::pair<double, int64_t>> c;
    double qn = 0;
    for (size_t j = 0; j < dim; j++) qn += (double)q[qi * dim + j] * q[qi * dim + j];
    for (size_t b = 0; b < nb; b++) {
      if (allowed_by_id && ((size_t)ids[b] >= allowed_by_id->size() || !(*allowed_by_id)[ids[b]])) continue;
      double dot = 0, bn = 0, l2 = 0;
      for (size_t j = 0; j < dim; j++) {
        double x = base[b * dim + j], y = q[qi * dim + j];
        dot += x * y, bn += x * x, l2 += (x - y) * (x - y);
      }
      double key = m == WEFT_METRIC_L2 ? l2 : m == WEFT_METRIC_IP ? -dot : -dot / std::sqrt(bn * qn);
      c.push_back({key, ids[b]});
    }
    std::sort(c.begin(), c.end());
    for (size_t j = 0; j < k; j++) {
      bool has = j < c.size();
      r.i[qi * k + j] = has ? c[j].second : -1;
      double pad = m == WEFT_METRIC_L2 ? INFINITY : -INFINITY;
      r.d[qi * k + j] = has ? (float)(m == WEFT_METRIC_L2 ? c[j].first : -c[j].first) : (float)pad;
    }
  }
  return r;
}

Result search(weft_index *ix, const std::string &device, const std::vector<float> &q, size_t dim,
              size_t k, const uint8_t *allowed = nullptr, size_t allowed_bits = 0) {
  size_t nq = q.size() / dim;
  Result r{std::vector<float>(nq * k, 12345.f), std::vector<int64_t>(nq * k, 777)};
  weft_exec *e = nullptr;
  weft_exec_create(&e);
  weft_exec_set_device(e, device.c_str());
  weft_exec_set_strict(e, 1);
  weft_status st = weft_index_search(ix, e, nq, q.data(), k, allowed, allowed_bits, r.d.data(), r.i.data());
  const char *rep = "";
  weft_exec_report(e, &rep);
  EXPECT_EQ(st, WEFT_OK) << weft_last_error() << "\n" << rep;
  weft_exec_free(e);
  return r;
}

void expect_same(const Result &got, const Result &want, bool exact_ids, const char *what) {
  ASSERT_EQ(got.i.size(), want.i.size());
  for (size_t j = 0; j < got.i.size(); j++) {
    if (exact_ids) {
      ASSERT_EQ(got.i[j], want.i[j]) << what << " at " << j;
    }
    if (std::isinf(want.d[j])) {
      ASSERT_EQ(got.d[j], want.d[j]) << what << " padding at " << j;
      ASSERT_EQ(got.i[j], -1) << what << " padding at " << j;
    } else {
      ASSERT_NEAR(got.d[j], want.d[j], 1e-4 * (1 + std::fabs(want.d[j]))) << what << " at " << j;
    }
  }
}

}  // namespace

using KnnParam = std::tuple<std::string, size_t>;  // device, k
class Knn : public ::testing::TestWithParam<KnnParam> {};

TEST_P(Knn, ExactOnIntegerDataWithTiesAllMetrics) {
  auto [device, k] = GetParam();
  size_t dev;
  WEFT_REQUIRE_DEVICE(device, dev);
  std::mt19937_64 rng(k);
  const size_t dim = 13, nb = k > 1000 ? 5003 : 2011, nq = 7;
  auto base = int_vectors(nb, dim, rng, 2);  // small range: many exact ties
  auto q = int_vectors(nq, dim, rng, 2);
  std::vector<int64_t> ids(nb);
  std::iota(ids.begin(), ids.end(), 0);
  for (weft_metric m : {WEFT_METRIC_L2, WEFT_METRIC_IP}) {
    Index ix(dim, m);
    ASSERT_WEFT_OK(weft_index_add(ix.ix, nb, base.data(), nullptr));
    expect_same(search(ix.ix, device, q, dim, k), reference(base, ids, q, dim, k, m), true,
                m == WEFT_METRIC_L2 ? "l2" : "ip");
  }
}

TEST_P(Knn, UserIdsAllowedMaskPaddingAndRemove) {
  auto [device, k] = GetParam();
  size_t dev;
  WEFT_REQUIRE_DEVICE(device, dev);
  std::mt19937_64 rng(100 + k);
  const size_t dim = 130, nb = 3001, nq = 5;
  auto base = int_vectors(nb, dim, rng);
  auto q = int_vectors(nq, dim, rng);
  std::vector<int64_t> ids(nb);
  for (size_t i = 0; i < nb; i++) ids[i] = (int64_t)((i * 7919) % 100003);  // shuffled, sparse
  Index ix(dim, WEFT_METRIC_L2);
  // added in two batches, the second interleaving the first
  ASSERT_WEFT_OK(weft_index_add(ix.ix, nb / 2, base.data(), ids.data()));
  ASSERT_WEFT_OK(weft_index_add(ix.ix, nb - nb / 2, base.data() + nb / 2 * dim, ids.data() + nb / 2));
  expect_same(search(ix.ix, device, q, dim, k), reference(base, ids, q, dim, k, WEFT_METRIC_L2), true, "ids");

  std::vector<bool> allow(100003);
  for (size_t i = 0; i < allow.size(); i++) allow[i] = (i % 3) == 0;
  auto bits = pack_bits(allow);
  expect_same(search(ix.ix, device, q, dim, k, bits.data(), allow.size()),
              reference(base, ids, q, dim, k, WEFT_METRIC_L2, &allow), true, "allowed");
  std::vector<uint8_t> none(bits.size(), 0);
  auto empty = search(ix.ix, device, q, dim, k, none.data(), allow.size());
  for (auto id : empty.i) ASSERT_EQ(id, -1);

  // remove half; the rest must still be found exactly
  std::vector<int64_t> gone(ids.begin(), ids.begin() + nb / 2);
  size_t removed = 0;
  ASSERT_WEFT_OK(weft_index_remove(ix.ix, gone.size(), gone.data(), &removed));
  EXPECT_EQ(removed, gone.size());
  std::vector<float> kept_base(base.begin() + nb / 2 * dim, base.end());
  std::vector<int64_t> kept_ids(ids.begin() + nb / 2, ids.end());
  expect_same(search(ix.ix, device, q, dim, k), reference(kept_base, kept_ids, q, dim, k, WEFT_METRIC_L2),
              true, "after remove");
}

TEST_P(Knn, CosineAndIpOnFloatData) {
  auto [device, k] = GetParam();
  size_t dev;
  WEFT_REQUIRE_DEVICE(device, dev);
  std::mt19937_64 rng(200 + k);
  const size_t dim = 64, nb = 2500, nq = 9;
  auto base = float_vectors(nb, dim, rng), q = float_vectors(nq, dim, rng);
  std::vector<int64_t> ids(nb);
  std::iota(ids.begin(), ids.end(), 0);
  for (weft_metric m : {WEFT_METRIC_COSINE, WEFT_METRIC_IP, WEFT_METRIC_L2}) {
    Index ix(dim, m);
    ASSERT_WEFT_OK(weft_index_add(ix.ix, nb, base.data(), nullptr));
    auto got = search(ix.ix, device, q, dim, k);
    auto want = reference(base, ids, q, dim, k, m);
    // ids may differ only where float32 rounding makes two distances a near tie
    expect_same(got, want, false, "float data");
    size_t differ = 0;
    for (size_t j = 0; j < got.i.size(); j++) differ += got.i[j] != want.i[j];
    EXPECT_LE(differ, got.i.size() / 50 + 1);
  }
}

INSTANTIATE_TEST_SUITE_P(AllDevices, Knn,
                         ::testing::Combine(::testing::ValuesIn(all_device_params()),
                                            ::testing::Values<size_t>(1, 10, 100, 1024, 4096)),
                         [](const ::testing::TestParamInfo<KnnParam> &info) {
                           std::string s = std::get<0>(info.param) + "_k" +
                                           std::to_string(std::get<1>(info.param));
                           for (char &c : s)
                             if (!isalnum((unsigned char)c)) c = '_';
                           return s;
                         });

class KnnDevice : public ::testing::TestWithParam<std::string> {};

TEST_P(KnnDevice, BaseLargerThanMemoryCapIsStreamedInShards) {
  size_t dev;
  WEFT_REQUIRE_DEVICE(GetParam(), dev);
  std::mt19937_64 rng(5);
  const size_t dim = 32, nb = 40000, nq = 33, k = 10;  // base: 5 MB, cap: 2 MB
  auto base = int_vectors(nb, dim, rng), q = int_vectors(nq, dim, rng);
  std::vector<int64_t> ids(nb);
  std::iota(ids.begin(), ids.end(), 0);
  Index ix(dim, WEFT_METRIC_L2);
  ASSERT_WEFT_OK(weft_index_add(ix.ix, nb, base.data(), nullptr));
  ASSERT_WEFT_OK(weft_device_set_memory_limit(dev, 2 << 20));
  auto got = search(ix.ix, GetParam(), q, dim, k);
  weft_device_set_memory_limit(dev, 0);
  expect_same(got, reference(base, ids, q, dim, k, WEFT_METRIC_L2), true, "streamed");
}

TEST_P(KnnDevice, ConcurrentSearchesOnOneIndex) {
  size_t dev;
  WEFT_REQUIRE_DEVICE(GetParam(), dev);
  std::mt19937_64 rng(6);
  const size_t dim = 16, nb = 5000, nq = 20, k = 10;
  auto base = int_vectors(nb, dim, rng), q = int_vectors(nq, dim, rng);
  Index ix(dim, WEFT_METRIC_L2);
  ASSERT_WEFT_OK(weft_index_add(ix.ix, nb, base.data(), nullptr));
  Result one = search(ix.ix, GetParam(), q, dim, k);
  std::vector<Result> many(6);
  std::vector<std::thread> ts;
  for (size_t t = 0; t < many.size(); t++)
    ts.emplace_back([&, t] { many[t] = search(ix.ix, GetParam(), q, dim, k); });
  for (auto &t : ts) t.join();
  for (auto &r : many) EXPECT_EQ(r.i, one.i);
}

INSTANTIATE_TEST_SUITE_P(AllDevices, KnnDevice, ::testing::ValuesIn(all_device_params()), param_name);

TEST(KnnAcrossDevices, SameIdsOnEveryDevice) {
  std::mt19937_64 rng(7);
  const size_t dim = 24, nb = 6000, nq = 16, k = 50;
  auto base = int_vectors(nb, dim, rng, 1), q = int_vectors(nq, dim, rng, 1);
  Index ix(dim, WEFT_METRIC_L2);
  ASSERT_WEFT_OK(weft_index_add(ix.ix, nb, base.data(), nullptr));
  Result cpu = search(ix.ix, "cpu", q, dim, k);
  size_t n = 0;
  weft_device_count(&n);
  for (size_t d = 1; d < n; d++) {
    weft_device_info info;
    weft_device_get_info(d, &info);
    Result other = search(ix.ix, info.id, q, dim, k);
    EXPECT_EQ(other.i, cpu.i) << info.id;
    EXPECT_EQ(other.d, cpu.d) << info.id;
  }
}

TEST(KnnFiles, SaveLoadRoundTripAndCorruption) {
  std::mt19937_64 rng(8);
  const size_t dim = 8, nb = 1000;
  auto base = float_vectors(nb, dim, rng);
  std::vector<int64_t> ids(nb);
  for (size_t i = 0; i < nb; i++) ids[i] = (int64_t)(nb - i) * 3;
  Index ix(dim, WEFT_METRIC_COSINE);
  ASSERT_WEFT_OK(weft_index_add(ix.ix, nb, base.data(), ids.data()));
  std::string path = ::testing::TempDir() + "/weft_index_" + std::to_string(getpid()) + ".wft";
  ASSERT_WEFT_OK(weft_index_save(ix.ix, path.c_str()));
  weft_index *loaded = nullptr;
  ASSERT_WEFT_OK(weft_index_load(path.c_str(), &loaded));
  size_t count = 0, d = 0;
  weft_metric m;
  weft_index_size(loaded, &count);
  weft_index_dim(loaded, &d);
  weft_index_metric(loaded, &m);
  EXPECT_EQ(count, nb);
  EXPECT_EQ(d, dim);
  EXPECT_EQ(m, WEFT_METRIC_COSINE);
  auto q = float_vectors(5, dim, rng);
  EXPECT_EQ(search(loaded, "cpu", q, dim, 10).i, search(ix.ix, "cpu", q, dim, 10).i);
  // the next automatic id continues after the largest
  std::vector<float> one(dim, 1.0f);
  ASSERT_WEFT_OK(weft_index_add(loaded, 1, one.data(), nullptr));
  weft_index_free(loaded);

  std::string bytes;
  {
    std::ifstream f(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(f), {});
  }
  auto write = [&](const std::string &b) { std::ofstream(path, std::ios::binary) << b; };
  write(bytes.substr(0, bytes.size() - 100));
  EXPECT_EQ(weft_index_load(path.c_str(), &loaded), WEFT_ERR_CORRUPT);
  EXPECT_NE(std::string(weft_last_error()).find("truncated"), std::string::npos) << weft_last_error();
  std::string flipped = bytes;
  flipped[200] ^= 0x10;
  write(flipped);
  EXPECT_EQ(weft_index_load(path.c_str(), &loaded), WEFT_ERR_CORRUPT);
  EXPECT_NE(std::string(weft_last_error()).find("checksum"), std::string::npos) << weft_last_error();
  write("not an index at all, but long enough to hold a header of sixty-four bytes......");
  EXPECT_EQ(weft_index_load(path.c_str(), &loaded), WEFT_ERR_CORRUPT);
  EXPECT_NE(std::string(weft_last_error()).find("magic"), std::string::npos) << weft_last_error();
  unlink(path.c_str());
  EXPECT_EQ(weft_index_load(path.c_str(), &loaded), WEFT_ERR_IO);
  EXPECT_EQ(weft_index_save(ix.ix, "/nonexistent-dir/x.wft"), WEFT_ERR_IO);
}

TEST(KnnBadInput, ErrorsNameTheArgument) {
  Index ix(4, WEFT_METRIC_L2);
  weft_index *bad = nullptr;
  EXPECT_EQ(weft_index_create(0, WEFT_METRIC_L2, &bad), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(weft_last_error()).find("dim"), std::string::npos);
  EXPECT_EQ(weft_index_create(4, (weft_metric)9, &bad), WEFT_ERR_INVALID_ARGUMENT);
  float v[8] = {1, 2, 3, 4, 5, 6, NAN, 8};
  EXPECT_EQ(weft_index_add(ix.ix, 2, v, nullptr), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(weft_last_error()).find("row 1, column 2"), std::string::npos) << weft_last_error();
  v[6] = 7;
  int64_t dup[2] = {5, 5}, neg[2] = {-1, 3};
  EXPECT_EQ(weft_index_add(ix.ix, 2, v, dup), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(weft_last_error()).find("twice"), std::string::npos);
  EXPECT_EQ(weft_index_add(ix.ix, 2, v, neg), WEFT_ERR_INVALID_ARGUMENT);
  ASSERT_WEFT_OK(weft_index_add(ix.ix, 2, v, nullptr));
  int64_t again[1] = {1};
  EXPECT_EQ(weft_index_add(ix.ix, 1, v, again), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(weft_last_error()).find("already"), std::string::npos);
  float d[4];
  int64_t l[4];
  EXPECT_EQ(weft_index_search(ix.ix, nullptr, 1, v, 0, nullptr, 0, d, l), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(weft_last_error()).find("k must be"), std::string::npos);
  float qnan[4] = {0, INFINITY, 0, 0};
  EXPECT_EQ(weft_index_search(ix.ix, nullptr, 1, qnan, 1, nullptr, 0, d, l), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(weft_last_error()).find("queries"), std::string::npos);
  EXPECT_EQ(weft_index_search(ix.ix, nullptr, 1, v, 1, nullptr, 0, nullptr, l), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(weft_index_search(nullptr, nullptr, 1, v, 1, nullptr, 0, d, l), WEFT_ERR_INVALID_ARGUMENT);
  Index cos(4, WEFT_METRIC_COSINE);
  float zero[4] = {0, 0, 0, 0};
  EXPECT_EQ(weft_index_add(cos.ix, 1, zero, nullptr), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(weft_last_error()).find("zeros"), std::string::npos);
  // an empty index answers with padding
  Index empty(4, WEFT_METRIC_IP);
  ASSERT_WEFT_OK(weft_index_search(empty.ix, nullptr, 1, v, 3, nullptr, 0, d, l));
  for (int j = 0; j < 3; j++) {
    EXPECT_EQ(l[j], -1);
    EXPECT_EQ(d[j], -INFINITY);
  }
}
