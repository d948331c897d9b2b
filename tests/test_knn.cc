// Exact k-NN on every device against a float64 brute force. Integer-valued vectors make
// every distance exact in float32, so ties are real and ids must match exactly (smaller id
// first); float data checks the metrics that normalize.
#include <dirent.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstring>
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
  weft_test_ok(weft_exec_create(&e));
  weft_test_ok(weft_exec_set_device(e, device.c_str()));
  weft_test_ok(weft_exec_set_strict(e, 1));
  weft_status st = weft_index_search(e, ix, nq, q.data(), k, allowed, allowed_bits, r.d.data(), r.i.data());
  const char *rep = "";
  weft_test_ok(weft_exec_report(e, &rep));
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
  weft_test_ok(weft_device_set_memory_limit(dev, 0));
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

// Asserts every query's results are in (reported distance, id) order: D non-decreasing
// (l2) or non-increasing (ip, cosine), equal D with increasing ids, padding last. Returns
// the number of adjacent pairs with equal D (the ties the order had to settle).
size_t expect_distance_then_id_order(const Result &r, size_t k, weft_metric m, const char *what) {
  size_t ties = 0;
  for (size_t q = 0; q < r.i.size() / k && !::testing::Test::HasFailure(); q++) {
    for (size_t j = 1; j < k; j++) {
      size_t a = q * k + j - 1, b = a + 1;
      if (r.i[b] == -1) continue;
      EXPECT_NE(r.i[a], -1) << what << ": padding before a result, query " << q << " rank " << j;
      float da = r.d[a], db = r.d[b];
      if (m == WEFT_METRIC_L2) {
        EXPECT_LE(da, db) << what << ": query " << q << " rank " << j;
      } else {
        EXPECT_GE(da, db) << what << ": query " << q << " rank " << j;
      }
      if (da == db) {
        ties++;
        EXPECT_LT(r.i[a], r.i[b]) << what << ": equal D " << da << " with ids out of order, query "
                                  << q << " rank " << j;
      }
    }
  }
  return ties;
}

// Issue 13 item 5: under l2 the ranking key is |x|^2 - 2 q.x and the reported distance
// |q|^2 + key; two keys 2e-8 apart round to one D = 1.0355, and the larger id (whose key is
// smaller) came first, and at k=1 the larger id was the one kept. Equal reported distances
// go by id, with or without an allowed mask, on owned and borrowed rows.
TEST_P(KnnDevice, EqualReportedL2DistancesAreInIdOrder) {
  size_t dev;
  WEFT_REQUIRE_DEVICE(GetParam(), dev);
  const size_t dim = 2, k = 2;
  const std::vector<float> base = {0.f, std::sqrt(0.0355f + 2e-8f), 0.f, std::sqrt(0.0355f)};
  const std::vector<float> q = {1.f, 0.f};
  std::vector<bool> allow = {true, true};
  auto bits = pack_bits(allow);
  for (int borrowed = 0; borrowed < 2; borrowed++) {
    Index ix(dim, WEFT_METRIC_L2);
    if (borrowed)
      ASSERT_WEFT_OK(weft_index_add_borrowed(ix.ix, 2, base.data(), nullptr, nullptr));
    else
      ASSERT_WEFT_OK(weft_index_add(ix.ix, 2, base.data(), nullptr));
    for (int masked = 0; masked < 2; masked++) {
      auto r = masked ? search(ix.ix, GetParam(), q, dim, k, bits.data(), allow.size())
                      : search(ix.ix, GetParam(), q, dim, k);
      std::string what = std::string(borrowed ? "borrowed" : "owned") + (masked ? ", masked" : "");
      EXPECT_EQ(r.d[0], r.d[1]) << what << ": the example needs the two D to round together";
      EXPECT_EQ(r.i, (std::vector<int64_t>{0, 1})) << what << ": D = " << r.d[0] << ", " << r.d[1];
      // which row makes the top 1 is decided by the distance reported too: the smaller id
      auto one = masked ? search(ix.ix, GetParam(), q, dim, 1, bits.data(), allow.size())
                        : search(ix.ix, GetParam(), q, dim, 1);
      EXPECT_EQ(one.i, (std::vector<int64_t>{0})) << what << ", k=1";
      EXPECT_EQ(one.d[0], r.d[0]) << what << ", k=1";
    }
  }
}

// Many near ties: each vector stored 6 times, perturbed by a few ulps, under shuffled ids,
// searched by queries whose large |q|^2 rounds neighbouring keys to one reported l2 distance.
TEST_P(KnnDevice, NearTiesAreInDistanceThenIdOrderAllMetrics) {
  size_t dev;
  WEFT_REQUIRE_DEVICE(GetParam(), dev);
  std::mt19937_64 rng(13);
  const size_t dim = 16, distinct = 300, copies = 6, nb = distinct * copies, nq = 40;
  auto proto = float_vectors(distinct, dim, rng);
  std::uniform_int_distribution<int> ulps(-4, 4);
  std::vector<float> base(nb * dim);
  for (size_t c = 0; c < copies; c++)
    for (size_t i = 0; i < distinct * dim; i++) {
      float x = proto[i];
      for (int u = ulps(rng); u != 0; u += u > 0 ? -1 : 1)
        x = std::nextafter(x, u > 0 ? INFINITY : -INFINITY);
      base[c * distinct * dim + i] = c == 0 ? proto[i] : x;  // copy 0 and its exact twin below
    }
  std::copy(proto.begin(), proto.begin() + dim, base.begin() + distinct * dim);  // an exact tie
  std::vector<int64_t> ids(nb);
  std::iota(ids.begin(), ids.end(), 0);
  std::shuffle(ids.begin(), ids.end(), rng);
  auto q = float_vectors(nq, dim, rng);
  for (size_t i = 0; i < nq * dim; i++) q[i] += 40.f;  // |q|^2 ~ 25600: D's ulp ~ 0.002
  for (size_t j = 0; j < dim; j++) q[j] = proto[j];     // a query on a stored vector
  std::vector<bool> allow(nb);
  for (size_t i = 0; i < nb; i++) allow[i] = i % 3 != 1;
  auto bits = pack_bits(allow);
  std::vector<float> sorted_base(nb * dim);  // by id, for the borrowed index (ids 0..nb-1)
  for (size_t p = 0; p < nb; p++)
    std::copy(base.begin() + p * dim, base.begin() + (p + 1) * dim,
              sorted_base.begin() + ids[p] * dim);
  for (size_t k : {(size_t)10, (size_t)100, nb + 5}) {
    for (weft_metric m : {WEFT_METRIC_L2, WEFT_METRIC_IP, WEFT_METRIC_COSINE}) {
      const char *mn = m == WEFT_METRIC_L2 ? "l2" : m == WEFT_METRIC_IP ? "ip" : "cosine";
      for (int borrowed = 0; borrowed < 2; borrowed++) {
        if (borrowed && m == WEFT_METRIC_COSINE) continue;  // cosine does not borrow
        Index ix(dim, m);
        if (borrowed)
          ASSERT_WEFT_OK(weft_index_add_borrowed(ix.ix, nb, sorted_base.data(), nullptr, nullptr));
        else
          ASSERT_WEFT_OK(weft_index_add(ix.ix, nb, base.data(), ids.data()));
        for (int masked = 0; masked < 2; masked++) {
          auto r = masked ? search(ix.ix, GetParam(), q, dim, k, bits.data(), allow.size())
                          : search(ix.ix, GetParam(), q, dim, k);
          std::string what = std::string(mn) + (borrowed ? " borrowed" : "") +
                             (masked ? " masked" : "") + " k=" + std::to_string(k);
          size_t ties = expect_distance_then_id_order(r, k, m, what.c_str());
          if (m == WEFT_METRIC_L2) {
            EXPECT_GT(ties, nq) << what << ": too few ties to test";
          }
          if (masked) {
            for (auto id : r.i) EXPECT_TRUE(id == -1 || allow[id]) << what << ": id " << id;
          }
          if (::testing::Test::HasFailure()) return;
        }
      }
    }
  }
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
  weft_test_ok(weft_device_count(&n));
  for (size_t d = 1; d < n; d++) {
    weft_device_info info;
    weft_test_ok(weft_device_get_info(d, &info));
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
  weft_test_ok(weft_index_size(loaded, &count));
  weft_test_ok(weft_index_dim(loaded, &d));
  weft_test_ok(weft_index_metric(loaded, &m));
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
  EXPECT_EQ(weft_index_search(nullptr, ix.ix, 1, v, 0, nullptr, 0, d, l), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(weft_last_error()).find("k must be"), std::string::npos);
  float qnan[4] = {0, INFINITY, 0, 0};
  EXPECT_EQ(weft_index_search(nullptr, ix.ix, 1, qnan, 1, nullptr, 0, d, l), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(weft_last_error()).find("queries"), std::string::npos);
  EXPECT_EQ(weft_index_search(nullptr, ix.ix, 1, v, 1, nullptr, 0, nullptr, l), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(weft_index_search(nullptr, nullptr, 1, v, 1, nullptr, 0, d, l), WEFT_ERR_INVALID_ARGUMENT);
  Index cos(4, WEFT_METRIC_COSINE);
  float zero[4] = {0, 0, 0, 0};
  EXPECT_EQ(weft_index_add(cos.ix, 1, zero, nullptr), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(weft_last_error()).find("zeros"), std::string::npos);
  // an empty index answers with padding
  Index empty(4, WEFT_METRIC_IP);
  ASSERT_WEFT_OK(weft_index_search(nullptr, empty.ix, 1, v, 3, nullptr, 0, d, l));
  for (int j = 0; j < 3; j++) {
    EXPECT_EQ(l[j], -1);
    EXPECT_EQ(d[j], -INFINITY);
  }
}

// ---------------------------------------------------------------------------- ids

namespace {

std::string last_error() { return weft_last_error(); }

size_t index_size(const weft_index *ix) {
  size_t n = 0;
  EXPECT_EQ(weft_index_size(ix, &n), WEFT_OK);
  return n;
}

}  // namespace

TEST(KnnIds, SequentialIdsStopBeforeInt64Max) {
  Index ix(2, WEFT_METRIC_L2);
  float v[8] = {0, 0, 10, 0, 20, 0, 30, 0};
  int64_t near_max[1] = {INT64_MAX - 3};
  ASSERT_WEFT_OK(weft_index_add(ix.ix, 1, v, near_max));
  // three sequential ids from INT64_MAX - 2 would reach INT64_MAX: refused, nothing added
  EXPECT_EQ(weft_index_add(ix.ix, 3, v + 2, nullptr), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(last_error().find("ids is NULL"), std::string::npos) << last_error();
  EXPECT_NE(last_error().find("9223372036854775805"), std::string::npos) << last_error();
  EXPECT_EQ(index_size(ix.ix), 1u);
  // two fit: INT64_MAX - 2 and INT64_MAX - 1, the largest id
  ASSERT_WEFT_OK(weft_index_add(ix.ix, 2, v + 2, nullptr));
  EXPECT_EQ(weft_index_add(ix.ix, 1, v + 6, nullptr), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(last_error().find("9223372036854775806"), std::string::npos) << last_error();
  EXPECT_EQ(index_size(ix.ix), 3u);
  float q[2] = {21, 0};
  float d[4];
  int64_t l[4];
  ASSERT_WEFT_OK(weft_index_search(nullptr, ix.ix, 1, q, 4, nullptr, 0, d, l));
  EXPECT_EQ(l[0], INT64_MAX - 1);
  EXPECT_EQ(l[1], INT64_MAX - 2);
  EXPECT_EQ(l[2], INT64_MAX - 3);
  EXPECT_EQ(l[3], -1);
  // user ids below the largest still go in; the sequence stays exhausted
  int64_t low[1] = {7};
  ASSERT_WEFT_OK(weft_index_add(ix.ix, 1, v + 6, low));
  EXPECT_EQ(weft_index_add(ix.ix, 1, v + 6, nullptr), WEFT_ERR_INVALID_ARGUMENT);
  // and after a save and a load
  std::string path = ::testing::TempDir() + "/weft_ids_" + std::to_string(getpid()) + ".wft";
  ASSERT_WEFT_OK(weft_index_save(ix.ix, path.c_str()));
  weft_index *loaded = nullptr;
  ASSERT_WEFT_OK(weft_index_load(path.c_str(), &loaded));
  EXPECT_EQ(weft_index_add(loaded, 1, v, nullptr), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(index_size(loaded), 4u);
  weft_index_free(loaded);
  unlink(path.c_str());
}

TEST(KnnIds, OutOfRangeUserIdsAreRefusedByValue) {
  Index ix(2, WEFT_METRIC_IP);
  float v[4] = {1, 2, 3, 4};
  // INT64_MAX would leave the next sequential id past int64
  int64_t top[2] = {1, INT64_MAX};
  EXPECT_EQ(weft_index_add(ix.ix, 2, v, top), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(last_error().find("ids[1] = 9223372036854775807"), std::string::npos) << last_error();
  int64_t unsorted_top[2] = {INT64_MAX, 1};
  EXPECT_EQ(weft_index_add(ix.ix, 2, v, unsorted_top), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(last_error().find("ids[0] = 9223372036854775807"), std::string::npos) << last_error();
  // -1 pads search results: it, and every negative id, is refused
  int64_t pad[2] = {3, -1}, lowest[2] = {INT64_MIN, 0};
  EXPECT_EQ(weft_index_add(ix.ix, 2, v, pad), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(last_error().find("ids[1] = -1"), std::string::npos) << last_error();
  EXPECT_EQ(weft_index_add(ix.ix, 2, v, lowest), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(last_error().find("-9223372036854775808"), std::string::npos) << last_error();
  EXPECT_EQ(index_size(ix.ix), 0u);
  int64_t largest[2] = {0, INT64_MAX - 1};
  ASSERT_WEFT_OK(weft_index_add(ix.ix, 2, v, largest));
  EXPECT_EQ(weft_index_add(ix.ix, 1, v, nullptr), WEFT_ERR_INVALID_ARGUMENT);
}

TEST(KnnIds, UnsortedAndInterleavedIdsAreMergedInOrder) {
  // adds in every order: ascending after the held ids, descending, interleaving them
  std::mt19937_64 rng(11);
  const size_t dim = 5;
  Index ix(dim, WEFT_METRIC_L2);
  std::vector<float> all;
  std::vector<int64_t> all_ids;
  auto add = [&](std::vector<int64_t> ids) {
    auto v = int_vectors(ids.size(), dim, rng);
    ASSERT_WEFT_OK(weft_index_add(ix.ix, ids.size(), v.data(), ids.data()));
    all.insert(all.end(), v.begin(), v.end());
    all_ids.insert(all_ids.end(), ids.begin(), ids.end());
  };
  add({10, 20, 30});
  add({40, 50});
  add({5, 3, 1});
  add({25, 2, 60, 15});
  add({0});
  ASSERT_WEFT_OK(weft_index_add(ix.ix, 2, all.data(), nullptr));  // ids 61, 62
  all.insert(all.end(), all.begin(), all.begin() + 2 * dim);
  all_ids.push_back(61), all_ids.push_back(62);
  int64_t dup[2] = {50, 7};
  EXPECT_EQ(weft_index_add(ix.ix, 2, all.data(), dup), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(last_error().find("ids[0] = 50 is already"), std::string::npos) << last_error();
  int64_t twice[3] = {9, 8, 9};
  EXPECT_EQ(weft_index_add(ix.ix, 3, all.data(), twice), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(last_error().find("ids[0] and ids[2]"), std::string::npos) << last_error();
  EXPECT_EQ(index_size(ix.ix), all_ids.size());
  auto q = int_vectors(20, dim, rng);
  size_t k = all_ids.size() + 2;
  expect_same(search(ix.ix, "cpu", q, dim, k), reference(all, all_ids, q, dim, k, WEFT_METRIC_L2),
              true, "merged");
}

// ---------------------------------------------------------------------------- float32 range

TEST(KnnBadInput, NormsOutsideFloat32AreRefusedByRowAndValue) {
  // cosine: a subnormal row normalizes to inf, NaN or nothing; a 1e30 row's |x|^2 overflows
  Index cos(4, WEFT_METRIC_COSINE);
  float ok_and_tiny[8] = {1, 2, 3, 4, 1e-40f, 0, 0, 0};
  EXPECT_EQ(weft_index_add(cos.ix, 2, ok_and_tiny, nullptr), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(last_error().find("vectors: row 1 has squared norm 9.9"), std::string::npos)
      << last_error();
  float tiny_row[8] = {1, 2, 3, 4, 3e-39f, 3e-39f, 3e-39f, 3e-39f};
  EXPECT_EQ(weft_index_add(cos.ix, 2, tiny_row, nullptr), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(last_error().find("row 1"), std::string::npos) << last_error();
  float huge[4] = {1e30f, 1e30f, 0, 0};
  EXPECT_EQ(weft_index_add(cos.ix, 1, huge, nullptr), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(last_error().find("row 0 has squared norm 2e+60"), std::string::npos) << last_error();
  EXPECT_EQ(index_size(cos.ix), 0u);
  float fine[8] = {1e-15f, 2e-15f, 0, 0, 1e15f, 0, 3e15f, 0};
  ASSERT_WEFT_OK(weft_index_add(cos.ix, 2, fine, nullptr));
  float d[2];
  int64_t l[2];
  EXPECT_EQ(weft_index_search(nullptr, cos.ix, 1, ok_and_tiny + 4, 2, nullptr, 0, d, l),
            WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(last_error().find("queries: row 0"), std::string::npos) << last_error();
  EXPECT_EQ(weft_index_search(nullptr, cos.ix, 1, huge, 2, nullptr, 0, d, l), WEFT_ERR_INVALID_ARGUMENT);
  ASSERT_WEFT_OK(weft_index_search(nullptr, cos.ix, 1, fine, 2, nullptr, 0, d, l));
  EXPECT_EQ(l[0], 0);
  EXPECT_NEAR(d[0], 1.0f, 1e-6);

  // l2 and ip: |x|^2 past float32 made rows vanish from results (inf - inf)
  for (weft_metric m : {WEFT_METRIC_L2, WEFT_METRIC_IP}) {
    Index ix(4, m);
    float rows[8] = {1, 2, 3, 4, 1e19f, 1e19f, 0, 0};
    EXPECT_EQ(weft_index_add(ix.ix, 2, rows, nullptr), WEFT_ERR_INVALID_ARGUMENT);
    EXPECT_NE(last_error().find("vectors: row 1 has squared norm 2e+38"), std::string::npos)
        << last_error();
    EXPECT_EQ(index_size(ix.ix), 0u);
    float big[8] = {1, 2, 3, 4, 1e18f, -1e18f, 0, 0};  // |x|^2 = 2e36: every distance finite
    ASSERT_WEFT_OK(weft_index_add(ix.ix, 2, big, nullptr));
    float q[4] = {-1e18f, 1e18f, 0, 0};
    ASSERT_WEFT_OK(weft_index_search(nullptr, ix.ix, 1, q, 2, nullptr, 0, d, l));
    EXPECT_TRUE(std::isfinite(d[0]) && std::isfinite(d[1]));
    EXPECT_EQ(l[0] + l[1], 1);
    float qbig[4] = {0, 0, 2e19f, 0};
    EXPECT_EQ(weft_index_search(nullptr, ix.ix, 1, qbig, 2, nullptr, 0, d, l), WEFT_ERR_INVALID_ARGUMENT);
    EXPECT_NE(last_error().find("queries: row 0 has squared norm 4e+38"), std::string::npos)
        << last_error();
  }
}

// ---------------------------------------------------------------------------- files

namespace {

std::string make_temp_dir() {
  std::string t = ::testing::TempDir() + "/weft_knn_XXXXXX";
  std::vector<char> buf(t.begin(), t.end());
  buf.push_back('\0');
  EXPECT_NE(mkdtemp(buf.data()), nullptr);
  return buf.data();
}

std::vector<std::string> list_dir(const std::string &dir) {
  std::vector<std::string> names;
  if (DIR *d = opendir(dir.c_str())) {
    while (dirent *e = readdir(d))
      if (std::string(e->d_name) != "." && std::string(e->d_name) != "..") names.push_back(e->d_name);
    closedir(d);
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string read_file(const std::string &path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

}  // namespace

TEST(KnnFiles, ConcurrentSavesToOnePathEachWriteTheirOwnFile) {
  std::string dir = make_temp_dir(), path = dir + "/index.wft";
  std::mt19937_64 rng(12);
  const size_t dim = 16, threads = 6;
  std::vector<Index *> ixs;
  for (size_t t = 0; t < threads; t++) {
    ixs.push_back(new Index(dim, WEFT_METRIC_L2));
    auto v = float_vectors(500 * (t + 1), dim, rng);
    ASSERT_WEFT_OK(weft_index_add(ixs[t]->ix, 500 * (t + 1), v.data(), nullptr));
  }
  std::vector<weft_status> got(threads * 10, WEFT_OK);
  std::vector<std::string> why(threads * 10);
  std::vector<std::thread> ts;
  for (size_t t = 0; t < threads; t++)
    ts.emplace_back([&, t] {
      for (size_t r = 0; r < 10; r++) {
        got[t * 10 + r] = weft_index_save(ixs[t]->ix, path.c_str());
        why[t * 10 + r] = weft_last_error();
      }
    });
  for (auto &t : ts) t.join();
  for (size_t i = 0; i < got.size(); i++) EXPECT_EQ(got[i], WEFT_OK) << why[i];
  weft_index *loaded = nullptr;
  ASSERT_WEFT_OK(weft_index_load(path.c_str(), &loaded));  // whole: one of the six
  EXPECT_EQ(index_size(loaded) % 500, 0u);
  weft_index_free(loaded);
  EXPECT_EQ(list_dir(dir), std::vector<std::string>{"index.wft"});
  for (auto *ix : ixs) delete ix;
  unlink(path.c_str());
  rmdir(dir.c_str());
}

TEST(KnnFiles, FailedSaveLeavesTheOldFileAndNoTemporary) {
  std::string dir = make_temp_dir(), path = dir + "/index.wft";
  std::mt19937_64 rng(13);
  const size_t dim = 8;
  Index small(dim, WEFT_METRIC_L2), big(dim, WEFT_METRIC_L2);
  auto v = float_vectors(2000, dim, rng);
  ASSERT_WEFT_OK(weft_index_add(small.ix, 3, v.data(), nullptr));
  ASSERT_WEFT_OK(weft_index_add(big.ix, 2000, v.data(), nullptr));
  ASSERT_WEFT_OK(weft_index_save(small.ix, path.c_str()));
  ASSERT_EQ(chmod(path.c_str(), 0640), 0);
  const std::string before = read_file(path);

  // a write that fails half way (the file size limit: EFBIG, also for root)
  struct rlimit old_limit;
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &old_limit), 0);
  struct rlimit low = old_limit;
  low.rlim_cur = 4096;
  void (*old_handler)(int) = signal(SIGXFSZ, SIG_IGN);
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &low), 0);
  weft_status st = weft_index_save(big.ix, path.c_str());
  std::string why = last_error();
  setrlimit(RLIMIT_FSIZE, &old_limit);
  signal(SIGXFSZ, old_handler);
  EXPECT_EQ(st, WEFT_ERR_IO) << why;
  EXPECT_NE(why.find(path), std::string::npos) << why;
  EXPECT_EQ(read_file(path), before);
  EXPECT_EQ(list_dir(dir), std::vector<std::string>{"index.wft"});

  // a directory that does not let us create the temporary file (root ignores modes)
  if (geteuid() != 0) {
    ASSERT_EQ(chmod(dir.c_str(), 0500), 0);
    EXPECT_EQ(weft_index_save(big.ix, path.c_str()), WEFT_ERR_IO);
    EXPECT_NE(last_error().find(path), std::string::npos) << last_error();
    chmod(dir.c_str(), 0700);
    EXPECT_EQ(read_file(path), before);
    EXPECT_EQ(list_dir(dir), std::vector<std::string>{"index.wft"});
  }
  // a directory that does not exist
  EXPECT_EQ(weft_index_save(big.ix, (dir + "/missing/index.wft").c_str()), WEFT_ERR_IO);
  EXPECT_NE(last_error().find("missing/index.wft"), std::string::npos) << last_error();

  // a save that works replaces the file and keeps its permissions
  ASSERT_WEFT_OK(weft_index_save(big.ix, path.c_str()));
  struct stat sb;
  ASSERT_EQ(stat(path.c_str(), &sb), 0);
  EXPECT_EQ(sb.st_mode & 0777, 0640u);
  EXPECT_EQ(list_dir(dir), std::vector<std::string>{"index.wft"});
  unlink(path.c_str());
  rmdir(dir.c_str());
}

TEST(KnnFiles, LoadingADirectoryOrFifoIsAnIoError) {
  std::string dir = make_temp_dir();
  weft_index *loaded = nullptr;
  EXPECT_EQ(weft_index_load(dir.c_str(), &loaded), WEFT_ERR_IO);
  EXPECT_NE(last_error().find("'" + dir + "' is a directory"), std::string::npos) << last_error();
  EXPECT_EQ(loaded, nullptr);
  std::string fifo = dir + "/pipe";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_EQ(weft_index_load(fifo.c_str(), &loaded), WEFT_ERR_IO);  // without waiting for a writer
  EXPECT_NE(last_error().find("not a regular file"), std::string::npos) << last_error();
  unlink(fifo.c_str());
  rmdir(dir.c_str());
}

// ---------------------------------------------------------------------------- threads

TEST(KnnIndex, SizeAndDimWhileAnotherThreadAdds) {
  // weft_index_size and weft_index_dim take the index lock: under TSan an unlocked read of
  // the count races the add
  const size_t dim = 6, batch = 10, batches = 300;
  Index ix(dim, WEFT_METRIC_L2);
  std::vector<float> v(batch * dim, 1.0f);
  std::atomic<bool> done{false};
  std::thread adder([&] {
    for (size_t b = 0; b < batches; b++) EXPECT_EQ(weft_index_add(ix.ix, batch, v.data(), nullptr), WEFT_OK);
    done = true;
  });
  size_t last = 0, reads = 0;
  while (!done || reads == 0) {
    size_t n = 0, d = 0;
    ASSERT_WEFT_OK(weft_index_size(ix.ix, &n));
    ASSERT_WEFT_OK(weft_index_dim(ix.ix, &d));
    EXPECT_EQ(d, dim);
    EXPECT_EQ(n % batch, 0u);
    EXPECT_GE(n, last);
    last = n;
    reads++;
  }
  adder.join();
  EXPECT_EQ(index_size(ix.ix), batch * batches);
}

// ---------------------------------------------------------------------------- memory

namespace {

// The resident-set high-water mark, reset to the current resident set; false where the
// kernel does not let a process reset it.
bool reset_peak_rss() {
  FILE *f = fopen("/proc/self/clear_refs", "w");
  if (!f) return false;
  bool ok = fputs("5", f) >= 0;
  return fclose(f) == 0 && ok;
}

double status_mib(const char *key) {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind(key, 0) == 0) return std::stod(line.substr(strlen(key) + 1)) / 1024.0;
  return NAN;
}

}  // namespace

TEST(KnnMemory, AddOutOfIdOrderCopiesTheRowsOnce) {
  const size_t dim = 128, n = 100000;  // 49 MiB
  std::vector<float> v(n * dim);
  for (size_t i = 0; i < v.size(); i++) v[i] = (float)(i % 97);
  std::vector<int64_t> ids(n);
  for (size_t i = 0; i < n; i++) ids[i] = (int64_t)(n - i) * 2;  // descending
  Index ix(dim, WEFT_METRIC_COSINE);  // before the measure: the runtime loads its backends
  if (!reset_peak_rss()) GTEST_SKIP() << "cannot reset the peak RSS (/proc/self/clear_refs)";
  double before = status_mib("VmRSS:");
  ASSERT_WEFT_OK(weft_index_add(ix.ix, n, v.data(), ids.data()));
  double grew = status_mib("VmHWM:") - before, rows = n * dim * sizeof(float) / 1048576.0;
  // the index's own copy, its ids and norms (1/32 and 1/128 of it), ASan's shadow (1/8)
  EXPECT_LT(grew, 1.3 * rows) << "peak RSS grew " << grew << " MiB adding " << rows << " MiB";
  float d[1];
  int64_t l[1];
  ASSERT_WEFT_OK(weft_index_search(nullptr, ix.ix, 1, v.data() + 5 * dim, 1, nullptr, 0, d, l));
  size_t row = n - (size_t)l[0] / 2;
  EXPECT_EQ(row % 97, 5u) << "id " << l[0];  // row r holds (128 r + j) % 97: row 5 again
}

#if defined(__SANITIZE_ADDRESS__)
#define WEFT_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define WEFT_TEST_ASAN 1
#endif
#endif

TEST(KnnMemory, CosineSearchNormalizesEachPartitionNotAllQueries) {
#ifdef WEFT_TEST_ASAN
  GTEST_SKIP() << "ASan's quarantine keeps every freed partition buffer resident";
#endif
  const size_t dim = 128, nq = 100000, k = 1;  // queries: 49 MiB
  std::vector<float> q(nq * dim);
  for (size_t i = 0; i < q.size(); i++) q[i] = (float)(i % 89) - 40.0f;
  std::vector<float> d(nq * k);
  std::vector<int64_t> l(nq * k);
  Index ix(dim, WEFT_METRIC_COSINE);
  ASSERT_WEFT_OK(weft_index_add(ix.ix, 64, q.data(), nullptr));
  ASSERT_WEFT_OK(weft_index_search(nullptr, ix.ix, 1000, q.data(), k, nullptr, 0, d.data(), l.data()));
  if (!reset_peak_rss()) GTEST_SKIP() << "cannot reset the peak RSS (/proc/self/clear_refs)";
  double before = status_mib("VmRSS:");
  ASSERT_WEFT_OK(weft_index_search(nullptr, ix.ix, nq, q.data(), k, nullptr, 0, d.data(), l.data()));
  double grew = status_mib("VmHWM:") - before, queries = nq * dim * sizeof(float) / 1048576.0;
  EXPECT_LT(grew, 0.2 * queries) << "peak RSS grew " << grew << " MiB searching " << queries
                                 << " MiB of queries";
  for (size_t i = 0; i < 64; i++) EXPECT_EQ(l[i], (int64_t)i);
}
