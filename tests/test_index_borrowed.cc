// weft_index_add_borrowed: the index reads the caller's rows in place, copies them before
// any change, and releases them once. Results must equal those of a copying add exactly.
#include <unistd.h>

#include <cstring>
#include <numeric>
#include <random>

#include "test_support.h"

namespace {

struct Released {
  int calls = 0;
};

void count_release(void *ctx) { static_cast<Released *>(ctx)->calls++; }

std::vector<float> random_rows(size_t n, size_t dim, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> u(-1, 1);
  std::vector<float> v(n * dim);
  for (float &x : v) x = u(rng);
  // a few exact duplicates at distant positions: ties must still go to the smaller id
  for (size_t r = 0; r + 400 < n && r < 40; r += 7)
    std::memcpy(&v[(r + 400) * dim], &v[r * dim], dim * sizeof(float));
  return v;
}

struct Result {
  std::vector<float> d;
  std::vector<int64_t> i;
};

Result search(weft_index *ix, const std::string &device, const std::vector<float> &q,
              size_t dim, size_t k) {
  size_t nq = q.size() / dim;
  Result r{std::vector<float>(nq * k), std::vector<int64_t>(nq * k)};
  TestExec e(device);
  EXPECT_EQ(weft_index_search(e.e, ix, nq, q.data(), k, nullptr, 0, r.d.data(), r.i.data()),
            WEFT_OK)
      << weft_last_error();
  return r;
}

void expect_identical(const Result &a, const Result &b, const char *what) {
  ASSERT_EQ(a.i, b.i) << what;
  ASSERT_EQ(a.d.size(), b.d.size()) << what;
  EXPECT_EQ(std::memcmp(a.d.data(), b.d.data(), a.d.size() * sizeof(float)), 0) << what;
}

struct Index {
  weft_index *ix = nullptr;
  Index(size_t dim, weft_metric m) { EXPECT_EQ(weft_index_create(dim, m, &ix), WEFT_OK); }
  ~Index() { weft_index_free(ix); }
};

size_t size_of(weft_index *ix) {
  size_t n = 0;
  weft_test_ok(weft_index_size(ix, &n));
  return n;
}

}  // namespace

class IndexBorrowed : public ::testing::TestWithParam<std::string> {};

TEST_P(IndexBorrowed, SearchEqualsCopiedAddExactly) {
  size_t dev;
  WEFT_REQUIRE_DEVICE(GetParam(), dev);
  const size_t dim = 19, nb = 1037, nq = 53;
  for (weft_metric m : {WEFT_METRIC_L2, WEFT_METRIC_IP}) {
    auto rows = random_rows(nb, dim, 11 + m), q = random_rows(nq, dim, 12);
    Released rel;
    Index copied(dim, m), borrowed(dim, m);
    ASSERT_WEFT_OK(weft_index_add(copied.ix, nb, rows.data(), nullptr));
    ASSERT_WEFT_OK(weft_index_add_borrowed(borrowed.ix, nb, rows.data(), count_release, &rel));
    EXPECT_EQ(size_of(borrowed.ix), nb);
    for (size_t k : {1, 10, 100, 2000})
      expect_identical(search(borrowed.ix, GetParam(), q, dim, k),
                       search(copied.ix, GetParam(), q, dim, k), "borrowed vs copied");
    EXPECT_EQ(rel.calls, 0);
    weft_index_free(borrowed.ix);
    borrowed.ix = nullptr;
    EXPECT_EQ(rel.calls, 1) << "released once when the index is freed";
  }
}

TEST_P(IndexBorrowed, LaterAddCopiesFirstAndStillEquals) {
  size_t dev;
  WEFT_REQUIRE_DEVICE(GetParam(), dev);
  const size_t dim = 7, nb = 777, more = 300, nq = 31, k = 17;
  auto rows = random_rows(nb, dim, 21), extra = random_rows(more, dim, 22);
  auto q = random_rows(nq, dim, 23);
  std::vector<int64_t> extra_ids(more);
  for (size_t i = 0; i < more; i++) extra_ids[i] = (int64_t)(nb + (more - i) * 5);  // descending
  Released rel;
  Index copied(dim, WEFT_METRIC_L2), borrowed(dim, WEFT_METRIC_L2);
  ASSERT_WEFT_OK(weft_index_add(copied.ix, nb, rows.data(), nullptr));
  std::vector<float> theirs = rows;  // the caller's memory, clobbered once released
  ASSERT_WEFT_OK(weft_index_add_borrowed(borrowed.ix, nb, theirs.data(), count_release, &rel));
  for (weft_index *ix : {copied.ix, borrowed.ix})
    ASSERT_WEFT_OK(weft_index_add(ix, more, extra.data(), extra_ids.data()));
  EXPECT_EQ(rel.calls, 1) << "the add copied the rows and released them";
  std::fill(theirs.begin(), theirs.end(), 1e6f);  // no longer read
  expect_identical(search(borrowed.ix, GetParam(), q, dim, k),
                   search(copied.ix, GetParam(), q, dim, k), "after a later add");
  for (weft_index *ix : {copied.ix, borrowed.ix})
    ASSERT_WEFT_OK(weft_index_add(ix, 2, extra.data(), nullptr));  // sequential ids go on
  expect_identical(search(borrowed.ix, GetParam(), q, dim, k),
                   search(copied.ix, GetParam(), q, dim, k), "after a sequential add");
  EXPECT_EQ(rel.calls, 1);
}

TEST_P(IndexBorrowed, RemoveOfATailKeepsBorrowingAndOfAMiddleCopies) {
  size_t dev;
  WEFT_REQUIRE_DEVICE(GetParam(), dev);
  const size_t dim = 5, nb = 501, nq = 29, k = 9;
  auto rows = random_rows(nb, dim, 31), q = random_rows(nq, dim, 32);
  Released rel;
  Index copied(dim, WEFT_METRIC_IP), borrowed(dim, WEFT_METRIC_IP);
  std::vector<float> theirs = rows;
  ASSERT_WEFT_OK(weft_index_add(copied.ix, nb, rows.data(), nullptr));
  ASSERT_WEFT_OK(weft_index_add_borrowed(borrowed.ix, nb, theirs.data(), count_release, &rel));
  int64_t tail[] = {500, 499, 12345};
  size_t removed = 0;
  for (weft_index *ix : {copied.ix, borrowed.ix}) {
    ASSERT_WEFT_OK(weft_index_remove(ix, 3, tail, &removed));
    EXPECT_EQ(removed, 2u);
  }
  EXPECT_EQ(rel.calls, 0) << "the rows kept are a prefix: still borrowed";
  expect_identical(search(borrowed.ix, GetParam(), q, dim, k),
                   search(copied.ix, GetParam(), q, dim, k), "after removing a tail");
  int64_t middle[] = {3, 250};
  for (weft_index *ix : {copied.ix, borrowed.ix})
    ASSERT_WEFT_OK(weft_index_remove(ix, 2, middle, nullptr));
  EXPECT_EQ(rel.calls, 1);
  std::fill(theirs.begin(), theirs.end(), -7.0f);
  expect_identical(search(borrowed.ix, GetParam(), q, dim, k),
                   search(copied.ix, GetParam(), q, dim, k), "after removing from the middle");
  EXPECT_EQ(size_of(borrowed.ix), nb - 4);
}

INSTANTIATE_TEST_SUITE_P(AllDevices, IndexBorrowed, ::testing::ValuesIn(all_device_params()),
                         param_name);

TEST(IndexBorrowedFiles, SaveWritesTheRowsAndLoadOwnsThem) {
  const size_t dim = 12, nb = 333, nq = 10, k = 5;
  auto rows = random_rows(nb, dim, 41), q = random_rows(nq, dim, 42);
  Released rel;
  Index borrowed(dim, WEFT_METRIC_L2);
  std::vector<float> theirs = rows;
  ASSERT_WEFT_OK(weft_index_add_borrowed(borrowed.ix, nb, theirs.data(), count_release, &rel));
  std::string path = ::testing::TempDir() + "/weft_borrowed_" + std::to_string(getpid()) + ".wft";
  ASSERT_WEFT_OK(weft_index_save(borrowed.ix, path.c_str()));
  Result want = search(borrowed.ix, "cpu", q, dim, k);
  weft_index_free(borrowed.ix);
  borrowed.ix = nullptr;
  EXPECT_EQ(rel.calls, 1);
  std::fill(theirs.begin(), theirs.end(), 0.0f);
  Index loaded(dim, WEFT_METRIC_L2);
  weft_index_free(loaded.ix);
  ASSERT_WEFT_OK(weft_index_load(path.c_str(), &loaded.ix));
  unlink(path.c_str());
  expect_identical(search(loaded.ix, "cpu", q, dim, k), want, "loaded");
  ASSERT_WEFT_OK(weft_index_add(loaded.ix, 1, rows.data(), nullptr));  // owned: grows
  EXPECT_EQ(size_of(loaded.ix), nb + 1);
}

TEST(IndexBorrowedFiles, EmptiedByRemoveThenBorrowedAgainReleasesTheFirst) {
  const size_t dim = 4, nb = 10;
  auto a = random_rows(nb, dim, 51), b = random_rows(nb, dim, 52);
  Released ra, rb;
  Index ix(dim, WEFT_METRIC_L2);
  ASSERT_WEFT_OK(weft_index_add_borrowed(ix.ix, nb, a.data(), count_release, &ra));
  std::vector<int64_t> all(nb);
  std::iota(all.begin(), all.end(), 0);
  ASSERT_WEFT_OK(weft_index_remove(ix.ix, nb, all.data(), nullptr));
  EXPECT_EQ(ra.calls, 0);  // a tail (all of it): still borrowed, nothing read
  ASSERT_WEFT_OK(weft_index_add_borrowed(ix.ix, nb, b.data(), count_release, &rb));
  EXPECT_EQ(ra.calls, 1);
  EXPECT_EQ(rb.calls, 0);
  std::vector<float> d(1);
  std::vector<int64_t> l(1);
  ASSERT_WEFT_OK(weft_index_search(nullptr, ix.ix, 1, b.data() + 3 * dim, 1, nullptr, 0, d.data(),
                                   l.data()));
  EXPECT_EQ(l[0], 13) << "sequential ids go on from the removed ones";
  EXPECT_NEAR(d[0], 0.0f, 1e-5f);  // |q|^2 + |x|^2 - 2 q.x rounds
}

TEST(IndexBorrowedBadInput, RefusedNamingTheArgumentAndNothingReleased) {
  const size_t dim = 6, nb = 20;
  auto rows = random_rows(nb, dim, 61);
  Released rel;
  {
    Index cosine(dim, WEFT_METRIC_COSINE);
    EXPECT_EQ(weft_index_add_borrowed(cosine.ix, nb, rows.data(), count_release, &rel),
              WEFT_ERR_INVALID_ARGUMENT);
    EXPECT_NE(std::string(weft_last_error()).find("cosine"), std::string::npos) << weft_last_error();
    EXPECT_EQ(size_of(cosine.ix), 0u);
  }
  Index ix(dim, WEFT_METRIC_L2);
  EXPECT_EQ(weft_index_add_borrowed(nullptr, nb, rows.data(), count_release, &rel),
            WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(weft_index_add_borrowed(ix.ix, nb, nullptr, count_release, &rel),
            WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(weft_last_error()).find("vectors is NULL"), std::string::npos);
  EXPECT_EQ(weft_index_add_borrowed(ix.ix, 0, rows.data(), count_release, &rel),
            WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(weft_last_error()).find("n is 0"), std::string::npos);
  const float *misaligned = reinterpret_cast<const float *>(
      reinterpret_cast<const char *>(rows.data()) + 1);
  EXPECT_EQ(weft_index_add_borrowed(ix.ix, 2, misaligned, count_release, &rel),
            WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(weft_last_error()).find("not aligned"), std::string::npos) << weft_last_error();
  std::vector<float> bad = rows;
  bad[7 * dim + 2] = NAN;
  EXPECT_EQ(weft_index_add_borrowed(ix.ix, nb, bad.data(), count_release, &rel),
            WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(weft_last_error()).find("row 7"), std::string::npos) << weft_last_error();
  bad[7 * dim + 2] = 1e19f;  // squared norm past FLT_MAX / 4
  EXPECT_EQ(weft_index_add_borrowed(ix.ix, nb, bad.data(), count_release, &rel),
            WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(size_of(ix.ix), 0u);
  ASSERT_WEFT_OK(weft_index_add(ix.ix, 1, rows.data(), nullptr));
  EXPECT_EQ(weft_index_add_borrowed(ix.ix, nb, rows.data(), count_release, &rel),
            WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(weft_last_error()).find("holds 1 vectors"), std::string::npos)
      << weft_last_error();
  EXPECT_EQ(size_of(ix.ix), 1u);
  EXPECT_EQ(rel.calls, 0) << "a refused borrow is not released";
  // release may be NULL
  Index plain(dim, WEFT_METRIC_IP);
  ASSERT_WEFT_OK(weft_index_add_borrowed(plain.ix, nb, rows.data(), nullptr, nullptr));
  ASSERT_WEFT_OK(weft_index_add(plain.ix, 1, rows.data(), nullptr));
  EXPECT_EQ(size_of(plain.ix), nb + 1);
}
