// Every kernel of a device backend, driven directly through its weft__backend table (dlopen
// of libweft_opencl.so / libweft_cuda.so, no libweft.so), against a host reference: the
// check that used to run inside the CUDA backend at every device open (cuda/cuda_selftest.cu,
// which now keeps only a smoke check that loads no cuBLAS). Here it runs on OpenCL (PoCL on
// a machine without a GPU, so the expectations themselves are proven in CI) and on CUDA when
// a device is there (tools/gpu-check.sh runs it first on a GPU). A backend that is not built
// or finds no device is reported as SKIPPED, never passed.
//
// Inputs are small integers (or halves), so results are exact whatever the order of
// operations: comparisons are exact unless said otherwise. read_csv's and sort_pairs'
// kernels have their own files (test_csv_kernels.cc, test_sort_pairs.cc), with the same
// backend parameters, so they are not repeated here.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <ctime>
#include <cstring>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include "../kernels/describe_blocks.h"
#include "../kernels/expr_program.h"
#include "../kernels/join_hash.h"
#include "backend_test.h"

namespace {

using namespace backend_test;

#define BE_OK(expr) ASSERT_EQ((expr), WEFT_OK) << GetParam().name << ": " #expr ": " << g_message

int bit(const std::vector<uint8_t> &v, size_t i) { return (v[i >> 3] >> (i & 7)) & 1; }
bool same(double a, double b) { return (std::isnan(a) && std::isnan(b)) || a == b; }

// Small integers in [-range, range] from a fixed LCG.
float small_int(uint64_t &state, int range) {
  state = state * 6364136223846793005ull + 1442695040888963407ull;
  return (float)((int)((state >> 33) % (uint64_t)(2 * range + 1)) - range);
}

template <typename T>
::testing::AssertionResult all_equal(const char *what, const std::vector<T> &got,
                                     const std::vector<T> &want) {
  if (got.size() != want.size())
    return ::testing::AssertionFailure() << what << ": " << got.size() << " entries (expected "
                                         << want.size() << ")";
  for (size_t i = 0; i < want.size(); ++i)
    if (!same((double)got[i], (double)want[i]))
      return ::testing::AssertionFailure()
             << what << "[" << i << "] = " << (double)got[i] << " (expected " << (double)want[i]
             << ")";
  return ::testing::AssertionSuccess();
}

weft__reduce_partial host_reduce(const double *x, size_t n, const std::vector<uint8_t> *valid) {
  weft__reduce_partial r = {0.0, NAN, NAN, 0};
  for (size_t i = 0; i < n; ++i) {
    if (valid && !bit(*valid, i)) continue;
    r.sum += x[i];
    r.min = std::fmin(r.min, x[i]);
    r.max = std::fmax(r.max, x[i]);
    r.count += 1;
  }
  return r;
}

::testing::AssertionResult same_reduce(const weft__reduce_partial &got,
                                       const weft__reduce_partial &want) {
  if (same(got.sum, want.sum) && same(got.min, want.min) && same(got.max, want.max) &&
      got.count == want.count)
    return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "got sum " << got.sum << " min " << got.min << " max " << got.max << " count "
         << got.count << ", expected sum " << want.sum << " min " << want.min << " max "
         << want.max << " count " << want.count;
}

// The k-NN key of backend_impl.h, on the host.
uint64_t knn_key(float dist, uint64_t position) {
  uint32_t u;
  if (dist == 0.0f) dist = 0.0f;
  memcpy(&u, &dist, 4);
  u ^= (u >> 31) ? 0xFFFFFFFFu : 0x80000000u;
  return ((uint64_t)u << 32) | position;
}

class BackendKernels : public BackendTest {
 protected:
  std::vector<void *> bufs_;
  void TearDown() override {
    if (be_)
      for (void *b : bufs_) be_->buffer_free(0, b);
  }
  // A device buffer freed at the end of the test, filled from `src` when given.
  void *buf(size_t bytes, const void *src = nullptr) {
    void *h = nullptr;
    weft_status s = be_->buffer_alloc(0, bytes ? bytes : 8, &h);
    EXPECT_EQ(s, WEFT_OK) << GetParam().name << ": buffer_alloc(" << bytes << "): " << g_message;
    if (!h) return nullptr;
    bufs_.push_back(h);
    if (src && bytes) {
      EXPECT_EQ(be_->buffer_write(0, h, 0, src, bytes, 1), WEFT_OK) << g_message;
    }
    return h;
  }
  template <typename T>
  void *up(const std::vector<T> &v) {
    return buf(v.size() * sizeof(T), v.data());
  }
  template <typename T>
  std::vector<T> down(const void *h, size_t count, size_t offset_bytes = 0) {
    std::vector<T> v(count);
    if (count) {
      EXPECT_EQ(be_->buffer_read(0, h, offset_bytes, v.data(), count * sizeof(T), 1), WEFT_OK)
          << GetParam().name << ": buffer_read: " << g_message;
    }
    return v;
  }
  // One inner-product tile of small integers (so every sum is exact) through knn_tile and
  // knn_sort, each query's k best keys checked against the host's.
  void check_ip_tile(size_t nq, size_t nb, size_t dim, size_t k, uint64_t state) {
    std::vector<float> q(nq * dim), x(nb * dim), norms(nb, 0.0f);
    for (float &v : q) v = small_int(state, 3);
    for (float &v : x) v = small_int(state, 3);
    void *dq = up(q), *dx = up(x), *dn = up(norms), *dscratch = buf(nq * nb * 4);
    std::vector<uint64_t> empty(nq * k, WEFT_KNN_EMPTY);
    void *din = up(empty), *dout = buf(nq * k * 8);
    ASSERT_FALSE(HasFailure());
    weft__knn_tile tile;
    memset(&tile, 0, sizeof tile);
    tile.nq = nq, tile.nb = nb, tile.dim = dim, tile.k = k, tile.metric = WEFT__KNN_IP;
    tile.queries = dq, tile.base = dx, tile.base_norms = dn, tile.scratch = dscratch;
    tile.list_in = din, tile.list_out = dout;
    BE_OK(be_->knn_tile(0, &tile));
    BE_OK(be_->knn_sort(0, nq, k, dout));
    std::vector<uint64_t> got = down<uint64_t>(dout, nq * k), want;
    for (size_t i = 0; i < nq; ++i) {
      want.clear();
      for (size_t j = 0; j < nb; ++j) {
        float s = 0.0f;
        for (size_t d = 0; d < dim; ++d) s += q[i * dim + d] * x[j * dim + d];
        want.push_back(knn_key(-s, j));
      }
      std::sort(want.begin(), want.end());
      for (size_t r = 0; r < k; ++r)
        ASSERT_EQ(got[i * k + r], want[r]) << "query " << i << " rank " << r;
    }
  }
};

// ---- elementwise, buffers, reduce ----

// float32 over enough rows that reduce runs its largest grid with grid-stride loops.
TEST_P(BackendKernels, Float32AxpyCopyBitmapZeroNullsReduce) {
  const size_t n = 300007, nb = (n + 7) / 8;
  std::vector<float> x(n), y(n), want(n);
  std::vector<uint8_t> va(nb), vb(nb), vwant(nb);
  for (size_t i = 0; i < n; ++i) {
    x[i] = (float)((long)((i * 7919) % 2001) - 1000);
    y[i] = (float)(i % 13);
    want[i] = 2.0f * x[i] + y[i];
  }
  for (size_t i = 0; i < nb; ++i) {
    va[i] = (uint8_t)(0xFF ^ (i * 31));
    vb[i] = (uint8_t)(0xFF ^ (i * 17 + 5));
    vwant[i] = va[i] & vb[i];
  }
  void *dx = up(x), *dy = up(y), *dout = buf(n * 4), *dcopy = buf(n * 4);
  void *dva = up(va), *dvb = up(vb), *dvout = buf(nb);
  ASSERT_FALSE(HasFailure());
  BE_OK(be_->axpy(0, WEFT_FLOAT32, n, 2.0, dx, dy, dout));
  EXPECT_TRUE(all_equal("axpy f32", down<float>(dout, n), want));

  // buffer_copy at offsets, read back without blocking, then synchronize
  std::vector<float> copied(n - 5), copy_want(want.begin() + 5, want.end());
  BE_OK(be_->buffer_copy(0, dcopy, 0, dout, 5 * 4, (n - 5) * 4));
  BE_OK(be_->buffer_read(0, dcopy, 0, copied.data(), (n - 5) * 4, 0));
  BE_OK(be_->synchronize(0));
  EXPECT_TRUE(all_equal("copy", copied, copy_want));

  BE_OK(be_->bitmap_and(0, nb, dva, dvb, dvout));
  EXPECT_TRUE(all_equal("bitmap_and", down<uint8_t>(dvout, nb), vwant));

  for (size_t i = 0; i < n; ++i)
    if (!bit(vwant, i)) want[i] = 0.0f;
  BE_OK(be_->zero_nulls(0, WEFT_FLOAT32, n, dvout, dout));
  EXPECT_TRUE(all_equal("zero_nulls f32", down<float>(dout, n), want));

  std::vector<double> xd(x.begin(), x.end());
  weft__reduce_partial got;
  BE_OK(be_->reduce(0, WEFT_FLOAT32, n, dx, dvout, &got));
  EXPECT_TRUE(same_reduce(got, host_reduce(xd.data(), n, &vwant))) << "reduce f32";
  BE_OK(be_->reduce(0, WEFT_FLOAT32, n, dx, nullptr, &got));
  EXPECT_TRUE(same_reduce(got, host_reduce(xd.data(), n, nullptr))) << "reduce f32, no bitmap";
  BE_OK(be_->reduce(0, WEFT_FLOAT32, 0, dx, nullptr, &got));
  EXPECT_TRUE(same_reduce(got, host_reduce(xd.data(), 0, nullptr))) << "reduce, n = 0";
}

// float64 with NaN values: min/max skip them, the sum is NaN, count includes them.
TEST_P(BackendKernels, Float64AxpyZeroNullsReduceWithNaN) {
  const size_t n = 5000, nb = (n + 7) / 8;
  std::vector<double> x(n), y(n), want(n);
  std::vector<uint8_t> valid(nb);
  for (size_t i = 0; i < n; ++i) {
    x[i] = (double)((i * 7919) % 5003) * 0.5 - 1000.0;
    y[i] = (double)(i % 11) * 0.25;
  }
  x[7] = NAN;
  x[4001] = NAN;
  for (size_t i = 0; i < nb; ++i) valid[i] = (uint8_t)(i % 3 ? 0xFF : 0x5A);
  for (size_t i = 0; i < n; ++i) want[i] = bit(valid, i) ? 0.5 * x[i] + y[i] : 0.0;
  void *dx = up(x), *dy = up(y), *dout = buf(n * 8), *dvalid = up(valid);
  ASSERT_FALSE(HasFailure());
  BE_OK(be_->axpy(0, WEFT_FLOAT64, n, 0.5, dx, dy, dout));
  BE_OK(be_->zero_nulls(0, WEFT_FLOAT64, n, dvalid, dout));
  EXPECT_TRUE(all_equal("axpy f64 + zero_nulls f64", down<double>(dout, n), want));
  weft__reduce_partial got;
  BE_OK(be_->reduce(0, WEFT_FLOAT64, n, dx, nullptr, &got));
  EXPECT_TRUE(same_reduce(got, host_reduce(x.data(), n, nullptr))) << "reduce f64";
  BE_OK(be_->reduce(0, WEFT_FLOAT64, n, dx, dvalid, &got));
  EXPECT_TRUE(same_reduce(got, host_reduce(x.data(), n, &valid))) << "reduce f64, bitmap";
}

// The backend is called from any thread (the host's pool): four threads at once on device 0,
// each with its own buffers, every result exact.
TEST_P(BackendKernels, SeveralThreadsAtOnce) {
  std::atomic<int> bad{0};
  std::vector<std::string> why(4);
  auto work = [&](int t) {
    const size_t n = 70001 + (size_t)t * 1000;
    std::vector<float> x(n), y(n), out(n);
    for (size_t i = 0; i < n; ++i) x[i] = (float)((i * 31 + t) % 97), y[i] = (float)t;
    void *dx = nullptr, *dy = nullptr, *dout = nullptr;
    for (int round = 0; round < 8 && !bad; ++round) {
      weft_status s = WEFT_OK;
      if (!dx) {
        s = be_->buffer_alloc(0, n * 4, &dx);
        if (s == WEFT_OK) s = be_->buffer_alloc(0, n * 4, &dy);
        if (s == WEFT_OK) s = be_->buffer_alloc(0, n * 4, &dout);
        if (s == WEFT_OK) s = be_->buffer_write(0, dx, 0, x.data(), n * 4, 1);
        if (s == WEFT_OK) s = be_->buffer_write(0, dy, 0, y.data(), n * 4, 1);
      }
      if (s == WEFT_OK) s = be_->axpy(0, WEFT_FLOAT32, n, (double)round, dx, dy, dout);
      if (s == WEFT_OK) s = be_->buffer_read(0, dout, 0, out.data(), n * 4, 1);
      weft__reduce_partial r;
      if (s == WEFT_OK) s = be_->reduce(0, WEFT_FLOAT32, n, dx, nullptr, &r);
      if (s != WEFT_OK) {
        why[t] = "call failed: " + g_message;
        bad++;
        break;
      }
      double sum = 0;
      for (size_t i = 0; i < n; ++i) {
        sum += x[i];
        if (out[i] != (float)round * x[i] + y[i]) {
          why[t] = "axpy row " + std::to_string(i) + " round " + std::to_string(round);
          bad++;
          break;
        }
      }
      if (!bad && (r.sum != sum || r.count != n)) {
        why[t] = "reduce sum " + std::to_string(r.sum) + " (expected " + std::to_string(sum) + ")";
        bad++;
      }
    }
    for (void *p : {dx, dy, dout})
      if (p) be_->buffer_free(0, p);
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) threads.emplace_back(work, t);
  for (auto &th : threads) th.join();
  for (int t = 0; t < 4; ++t) EXPECT_TRUE(why[t].empty()) << "thread " << t << ": " << why[t];
}

// ---- k-NN ----

// knn_tile over two tiles (2500 rows, then 500), list ping-pong, then knn_sort, against the
// host. Values in [-2, 2]: many exact distance ties, which the keys break by position.
// k = 4000 > 3000 rows leaves empties; L2 runs with an allowed bitset and a NaN norm, IP
// without. On CUDA the inner products are cuBLAS's (the first GPU run proves its loader).
TEST_P(BackendKernels, KnnTwoTilesThenSort) {
  const size_t nq = 5, dim = 7, tile_rows[2] = {2500, 500}, total = 3000, kmax = 4000;
  uint64_t state = 11;
  std::vector<float> q(nq * dim), x(total * dim), norms(total);
  std::vector<uint8_t> allowed((total + 7) / 8);
  for (float &v : q) v = small_int(state, 2);
  for (float &v : x) v = small_int(state, 2);
  for (size_t j = 0; j < total; ++j) {
    float s = 0.0f;
    for (size_t d = 0; d < dim; ++d) s += x[j * dim + d] * x[j * dim + d];
    norms[j] = s;
  }
  norms[1234] = NAN;
  for (size_t i = 0; i < allowed.size(); ++i) allowed[i] = (uint8_t)(0xB7 ^ (i * 29));
  void *dq = up(q), *dallowed = up(allowed);
  void *dscratch = buf(nq * tile_rows[0] * 4);
  void *dlist[2] = {buf(nq * kmax * 8), buf(nq * kmax * 8)};
  ASSERT_FALSE(HasFailure());
  std::vector<uint64_t> empty(nq * kmax, WEFT_KNN_EMPTY), keys;
  for (size_t k : {(size_t)1, (size_t)100, kmax})
    for (int metric = 0; metric < 2; ++metric) {
      const bool use_allowed = metric == 0;
      SCOPED_TRACE(std::string(metric == 0 ? "L2" : "IP") + " k=" + std::to_string(k));
      BE_OK(be_->buffer_write(0, dlist[0], 0, empty.data(), nq * k * 8, 1));
      size_t row0 = 0;
      for (int t = 0; t < 2; ++t) {
        weft__knn_tile tile;
        memset(&tile, 0, sizeof tile);
        tile.nq = nq, tile.nb = tile_rows[t], tile.dim = dim, tile.k = k;
        tile.metric = metric == 0 ? WEFT__KNN_L2 : WEFT__KNN_IP;
        tile.queries = dq;
        // a tile starts at a row of the base: a sub-buffer handle is not portable, so each
        // tile gets its own copy of its rows (as the host stages partitions)
        void *tb = buf(tile_rows[t] * dim * 4, x.data() + row0 * dim);
        void *tn = buf(tile_rows[t] * 4, norms.data() + row0);
        tile.base = tb;
        tile.base_norms = tn;
        // `allowed` is indexed by position (position0 + j): the whole bitset
        tile.allowed = use_allowed ? dallowed : nullptr;
        tile.position0 = row0;
        tile.scratch = dscratch;
        tile.list_in = dlist[t];
        tile.list_out = dlist[t ^ 1];
        BE_OK(be_->knn_tile(0, &tile));
        row0 += tile_rows[t];
      }
      BE_OK(be_->knn_sort(0, nq, k, dlist[0]));
      std::vector<uint64_t> got = down<uint64_t>(dlist[0], nq * k);
      for (size_t i = 0; i < nq; ++i) {
        keys.clear();
        for (size_t j = 0; j < total; ++j) {
          if (use_allowed && !bit(allowed, j)) continue;
          float ip = 0.0f;
          for (size_t d = 0; d < dim; ++d) ip += q[i * dim + d] * x[j * dim + d];
          float dist = metric == 0 ? norms[j] - 2.0f * ip : -ip;
          if (!std::isnan(dist)) keys.push_back(knn_key(dist, j));
        }
        std::sort(keys.begin(), keys.end());
        for (size_t r = 0; r < k; ++r) {
          uint64_t want = r < keys.size() ? keys[r] : WEFT_KNN_EMPTY;
          ASSERT_EQ(got[i * k + r], want) << "list[" << i << "][" << r << "]";
        }
      }
    }
}

// The inner products on sizes that are no multiples of any tile (70 x 131 x 33): with
// k = 131 every distance of every query comes back, each checked against the host.
TEST_P(BackendKernels, KnnOddSizesEveryDistance) { check_ip_tile(70, 131, 33, 131, 7); }

// Without cuBLAS (WEFT_CUBLAS_LIBRARY naming a missing file: its own ctest entry, see
// tests/CMakeLists.txt) a CUDA device keeps k-NN on the portable weft_knn_gemm (the CPU's
// and OpenCL's rounding order): every distance exact, and the backend's note says why.
TEST_P(BackendKernels, KnnWithoutCublasRunsThePortableGemm) {
  const char *lib = getenv("WEFT_CUBLAS_LIBRARY");
  if (std::string(GetParam().name) != "cuda") GTEST_SKIP() << "cuBLAS is the CUDA backend's";
  if (!lib || !*lib || access(lib, F_OK) == 0)
    GTEST_SKIP() << "runs with WEFT_CUBLAS_LIBRARY naming a missing file (ctest: "
                    "cuda_knn_without_cublas)";
  check_ip_tile(9, 37, 5, 6, 5);
  ASSERT_NE(be_->knn_note, nullptr);
  const char *note = be_->knn_note(0);
  ASSERT_NE(note, nullptr);
  EXPECT_NE(std::string(note).find("cuBLAS is off"), std::string::npos) << note;
}

// Host <-> device copies of pageable memory past the pinned staging chunk (4 MiB a chunk on
// CUDA) and a device-to-device copy, byte for byte.
TEST_P(BackendKernels, LargeCopiesThroughStaging) {
  const size_t n = 9u << 20;
  std::vector<uint8_t> src(n), back(n, 0), twice(n, 0);
  for (size_t i = 0; i < n; ++i) src[i] = (uint8_t)(i * 131 + (i >> 13));
  void *a = up(src), *b = buf(n);
  ASSERT_FALSE(HasFailure());
  BE_OK(be_->buffer_read(0, a, 0, back.data(), n, 1));
  EXPECT_EQ(back, src);
  BE_OK(be_->buffer_copy(0, b, 0, a, 0, n));
  BE_OK(be_->buffer_read(0, b, 0, twice.data(), n, 1));
  EXPECT_EQ(twice, src);
}

// ---- expressions (kernels/expr_eval.kern) ----

class ExprKernels : public BackendKernels {
 protected:
  static constexpr size_t n = 1003, nb = (n + 7) / 8;
  const size_t r0 = WK_EXPR_REGION_BYTES(32, n), r1 = WK_EXPR_REGION_BYTES(1, n);
  const size_t r2 = WK_EXPR_REGION_BYTES(64, n), in_bytes = r0 + r1 + r2;
  std::vector<int32_t> c0 = std::vector<int32_t>(n);  // int32, null where i % 3 == 0
  std::vector<double> c1 = std::vector<double>(n);    // float64 halves in [-4, 4], no nulls
  void *dprog = nullptr, *din = nullptr, *dout = nullptr, *dvalid = nullptr, *derr = nullptr;

  void SetUp() override {
    BackendKernels::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    ASSERT_NE(be_->expr_eval, nullptr);
    std::vector<uint8_t> in(in_bytes, 0);
    for (size_t i = 0; i < n; ++i) {
      c0[i] = (int32_t)((i * 7919) % 2001) - 1000;
      c1[i] = (double)(i % 17) * 0.5 - 4.0;
      if (i % 3 != 0) in[r0 + i / 8] |= (uint8_t)(1u << (i % 8));
    }
    memcpy(in.data(), c0.data(), n * 4);
    memcpy(in.data() + r0 + r1, c1.data(), n * 8);
    dprog = buf(WK_EXPR_PROGRAM_BYTES);
    din = up(in);
    dout = buf(n * 8);
    dvalid = buf(nb);
    const uint32_t zero = 0;
    derr = buf(4, &zero);
  }
  // The program of `code` over the two columns (int32 with validity, float64 without).
  static std::vector<int64_t> program(std::vector<int64_t> code, int64_t out_type,
                                      int64_t checked) {
    std::vector<int64_t> w = {(int64_t)code.size() / 2, 2, out_type, checked,
                              WK_T_INT32 | 1 << 8, 32, WK_T_FLOAT64, 64};
    w.insert(w.end(), code.begin(), code.end());
    w.resize(WK_EXPR_PROGRAM_BYTES / 8, 0);
    return w;
  }
  void run(const std::vector<int64_t> &prog, int mode, bool with_valid = true) {
    ASSERT_EQ(be_->buffer_write(0, dprog, 0, prog.data(), WK_EXPR_PROGRAM_BYTES, 1), WEFT_OK);
    weft__expr_launch l = {n, n, mode, dprog, din, dout, with_valid ? dvalid : nullptr, derr};
    ASSERT_EQ(be_->expr_eval(0, &l), WEFT_OK) << g_message;
  }
  static constexpr int64_t load0 = WK_OP_LOAD, load1 = WK_OP_LOAD | 1 << 8;
};

// c1 + (double)c0 * c1 as values (null where c0 is).
TEST_P(ExprKernels, ArithmeticValues) {
  run(program({load1, 0, load0, 0, WK_OP_I2F, 0, load1, 0, WK_OP_MUL_F, 0, WK_OP_ADD_F, 0},
              WK_T_FLOAT64, 0),
      WK_EXPR_MODE_VALUES);
  if (HasFatalFailure()) return;
  std::vector<double> out = down<double>(dout, n);
  std::vector<uint8_t> valid = down<uint8_t>(dvalid, nb);
  for (size_t i = 0; i < n; ++i) {
    ASSERT_EQ(bit(valid, i), i % 3 != 0) << "validity of row " << i;
    if (i % 3) {
      ASSERT_EQ(out[i], c1[i] + (double)c0[i] * c1[i]) << "row " << i;
    }
  }
}

// c0 % 3 == 0 as a filter mask (null rows are dropped).
TEST_P(ExprKernels, FilterMask) {
  run(program({load0, 0, WK_OP_LIT | 1 << 16, 3, WK_OP_MOD_I, 0, WK_OP_LIT | 1 << 16, 0,
               WK_OP_CMP_I | WK_CMP_EQ << 8, 0},
              WK_T_BOOL, 0),
      WK_EXPR_MODE_MASK, false);
  if (HasFatalFailure()) return;
  std::vector<uint8_t> mask = down<uint8_t>(dout, nb);
  for (size_t i = 0; i < n; ++i) {
    int want = i % 3 != 0 && ((c0[i] % 3) + 3) % 3 == 0;
    ASSERT_EQ(bit(mask, i), want) << "mask bit " << i;
  }
}

// A checked cast of c1 to int8 raises the error flag only when a value is out of range.
TEST_P(ExprKernels, CheckedCastRaisesTheFlag) {
  run(program({load1, 0, WK_OP_CAST_F2I | WK_T_INT8 << 8, 0}, WK_T_INT8, 1), WK_EXPR_MODE_VALUES);
  if (HasFatalFailure()) return;
  EXPECT_EQ(down<uint32_t>(derr, 1)[0], 0u) << "a cast of values in [-4, 4] to int8 raised the flag";
  std::vector<int8_t> small = down<int8_t>(dout, n);
  for (size_t i = 0; i < n; ++i) ASSERT_EQ(small[i], (int8_t)c1[i]) << "row " << i;
  // c1 * 64 reaches -256: out of int8
  run(program({load1, 0, WK_OP_LIT | 1 << 16, 0x4050000000000000LL /* 64.0 */, WK_OP_MUL_F, 0,
               WK_OP_CAST_F2I | WK_T_INT8 << 8, 0},
              WK_T_INT8, 1),
      WK_EXPR_MODE_VALUES);
  if (HasFatalFailure()) return;
  EXPECT_EQ(down<uint32_t>(derr, 1)[0], 1u) << "a cast of -256 to int8 did not raise the flag";
}

// when/then/otherwise, floor division, rint, date parts and date shifts against host loops
// (the CPU evaluator's expr_when.c, expr_numeric.c and expr_temporal.c).
TEST_P(ExprKernels, WhenFloorDivRoundAndDates) {
  const int64_t lit0 = WK_OP_LIT | 1 << 16;
  // when(c0 > 0).then(c1).otherwise((double)c0)
  run(program({load0, 0, lit0, 0, WK_OP_CMP_I | WK_CMP_GT << 8, 0, load1, 0, load0, 0, WK_OP_I2F, 0,
               WK_OP_WHEN, 0},
              WK_T_FLOAT64, 0),
      WK_EXPR_MODE_VALUES);
  if (HasFatalFailure()) return;
  std::vector<double> w = down<double>(dout, n);
  std::vector<uint8_t> valid = down<uint8_t>(dvalid, nb);
  for (size_t i = 0; i < n; ++i) {
    bool ok = i % 3 != 0, take = ok && c0[i] > 0;
    ASSERT_EQ(bit(valid, i), take || ok) << "when: validity of row " << i;
    if (take || ok) {
      ASSERT_EQ(w[i], take ? c1[i] : (double)c0[i]) << "when: row " << i;
    }
  }
  // c0 // -7 (int64): toward -inf
  run(program({load0, 0, lit0, -7, WK_OP_FLOORDIV_I, 0}, WK_T_INT64, 0), WK_EXPR_MODE_VALUES);
  if (HasFatalFailure()) return;
  std::vector<int64_t> q = down<int64_t>(dout, n);
  for (size_t i = 1; i < n; i += 3) ASSERT_EQ(q[i], (int64_t)std::floor(c0[i] / -7.0)) << c0[i];
  // rint(c1): ties to even
  run(program({load1, 0, WK_OP_ROUND_F, 0}, WK_T_FLOAT64, 0), WK_EXPR_MODE_VALUES);
  if (HasFatalFailure()) return;
  std::vector<double> r = down<double>(dout, n);
  for (size_t i = 0; i < n; ++i) ASSERT_EQ(r[i], std::rint(c1[i])) << c1[i];
  // c0 as days since the epoch: year, weekday, and c0 - 1 hour (the day before)
  for (int part : {WK_DT_YEAR, WK_DT_WEEKDAY}) {
    run(program({load0, 0, WK_OP_DT_PART | part << 8, 0}, WK_T_INT32, 0), WK_EXPR_MODE_VALUES);
    if (HasFatalFailure()) return;
    std::vector<int32_t> y = down<int32_t>(dout, n);
    for (size_t i = 1; i < n; i += 3) {
      time_t secs = (time_t)c0[i] * 86400;
      struct tm tm;
      gmtime_r(&secs, &tm);
      int want = part == WK_DT_YEAR ? tm.tm_year + 1900 : (tm.tm_wday == 0 ? 7 : tm.tm_wday);
      ASSERT_EQ(y[i], want) << "part " << part << " of day " << c0[i];
    }
  }
  run(program({load0, 0, lit0, -3600000000LL, WK_OP_TSHIFT | 1 << 16, 1, WK_OP_NORM | WK_T_DATE32 << 8, 0},
              WK_T_DATE32, 0),
      WK_EXPR_MODE_VALUES);
  if (HasFatalFailure()) return;
  std::vector<int32_t> d = down<int32_t>(dout, n);
  for (size_t i = 1; i < n; i += 3) ASSERT_EQ(d[i], c0[i] - 1) << "day " << c0[i] << " less an hour";
}

// ---- grouping (kernels/group_hash.kern, group_agg.kern) ----

// Driven as host/frame/group/group_device.c and agg_device.c drive them: 3000 rows of a
// two-word key (401 values and a null flag), grouped; group ids and first rows against a host
// loop numbering groups in first appearance; then rows sorted by group (two radix passes:
// more than 256 groups), cut into chunks of 3 rows, and per group a float sum, an int64 max,
// a mean's sum and count, and var/std's Welford (m2) merged in chunk order as the host does.
class GroupKernels : public BackendKernels {
 protected:
  void SetUp() override {
    BackendKernels::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    ASSERT_NE(be_->group_kernel, nullptr);
  }
  void gk(weft__group_kernel k, uint64_t n, uint64_t a, uint64_t b, uint64_t c,
          std::vector<void *> bufs) {
    weft__group_launch l{};
    l.kernel = k, l.n = n, l.a = a, l.b = b, l.c = c;
    for (size_t i = 0; i < bufs.size() && i < 6; i++) l.buf[i] = bufs[i];
    ASSERT_EQ(be_->group_kernel(0, &l), WEFT_OK) << "group kernel " << (int)k << ": " << g_message;
  }
  void gscan(void *x, uint64_t m) {
    uint64_t tiles = (m + WEFT_GROUP_TILE - 1) / WEFT_GROUP_TILE;
    if (tiles <= 1) return gk(WEFT__GK_SCAN_APPLY, 1, m, 0, 0, {x});
    void *sums = buf(tiles * 4);
    gk(WEFT__GK_SCAN_SUM, tiles, m, 0, 0, {x, sums});
    if (HasFatalFailure()) return;
    gscan(sums, tiles);
    if (HasFatalFailure()) return;
    gk(WEFT__GK_SCAN_APPLY, tiles, m, 1, 0, {x, sums});
  }
};

#define G_OK(call)                  \
  do {                              \
    call;                           \
    if (HasFatalFailure()) return;  \
  } while (0)

TEST_P(GroupKernels, IdsSortAndAggregates) {
  const size_t n = 3000, W = 2;
  const uint64_t nslots = 8192;
  std::vector<uint64_t> keys(n * W);
  std::vector<double> vals(n);
  std::vector<int64_t> ivals(n);
  std::vector<uint32_t> want_gid(n), want_first;
  std::vector<std::pair<uint64_t, uint64_t>> seen;
  for (size_t i = 0; i < n; ++i) {
    bool null = i % 31 == 0;
    keys[i * W] = null ? 0 : (uint64_t)(i * 7919 % 401) * 0x9e3779b97f4a7c15ULL;
    keys[i * W + 1] = null;
    vals[i] = (double)i * 0.37 - 500.0;
    ivals[i] = (int64_t)((i * 2654435761u) % 100000) - 50000;
    std::pair<uint64_t, uint64_t> k(keys[i * W], keys[i * W + 1]);
    size_t g = std::find(seen.begin(), seen.end(), k) - seen.begin();
    if (g == seen.size()) seen.push_back(k), want_first.push_back((uint32_t)i);
    want_gid[i] = (uint32_t)g;
  }
  const size_t G = seen.size();
  void *kd = up(keys), *slots = buf(nslots * 4), *smin = buf(nslots * 4), *rslot = buf(n * 4);
  void *mark = buf((n + 1) * 4), *first = buf(n * 4), *gid = buf(n * 4);
  ASSERT_FALSE(HasFailure());
  G_OK(gk(WEFT__GK_FILL32, nslots, 0, 0, 0, {slots}));
  G_OK(gk(WEFT__GK_FILL32, nslots, UINT32_MAX, 0, 0, {smin}));
  G_OK(gk(WEFT__GK_INSERT, n, W, nslots - 1, 0, {kd, slots, smin, rslot}));
  G_OK(gk(WEFT__GK_MARK, n, 0, 0, 0, {nullptr, nullptr, smin, rslot, mark}));
  G_OK(gscan(mark, n + 1));
  G_OK(gk(WEFT__GK_NUMBER, n, 0, 0, 0, {first, nullptr, smin, rslot, mark, gid}));
  ASSERT_EQ(down<uint32_t>(mark, 1, n * 4)[0], G) << "groups";
  ASSERT_TRUE(all_equal("group id", down<uint32_t>(gid, n), want_gid));
  ASSERT_TRUE(all_equal("first row", down<uint32_t>(first, G), want_first));

  const uint64_t tiles = (n + WEFT_GROUP_TILE - 1) / WEFT_GROUP_TILE;
  void *start = buf((G + 1) * 4), *ids2 = buf(n * 4), *rows_a = buf(n * 4), *rows_b = buf(n * 4);
  void *hist = buf(tiles * 256 * 4), *vd = buf(n * 8), *out = buf(G * 24);
  ASSERT_FALSE(HasFailure());
  G_OK(gk(WEFT__GK_FILL32, G + 1, 0, 0, 0, {start}));
  G_OK(gk(WEFT__GK_COUNT, n, 0, 0, 0, {gid, start}));
  G_OK(gscan(start, G + 1));
  void *ids = gid, *rin = nullptr, *rout = rows_a;
  for (uint64_t shift = 0; shift < 16; shift += 8) {  // G - 1 >= 256: two passes
    G_OK(gk(WEFT__GK_RADIX_HIST, tiles, n, shift, 0, {ids, hist}));
    G_OK(gscan(hist, tiles * 256));
    G_OK(gk(WEFT__GK_RADIX_SCATTER, tiles, n, shift, rin != nullptr, {ids, hist, rin, ids2, rout}));
    std::swap(ids, ids2);
    rin = rout;
    rout = rout == rows_a ? rows_b : rows_a;
  }
  // chunks of 3 rows (the host uses 2048): partials merged in chunk order
  const uint64_t C = 3;
  void *chunk0 = buf((G + 1) * 4);
  ASSERT_FALSE(HasFailure());
  G_OK(gk(WEFT__GK_CHUNK_COUNT, G, C, 0, 0, {start, chunk0}));
  G_OK(gscan(chunk0, G + 1));
  const uint32_t chunks = down<uint32_t>(chunk0, 1, G * 4)[0];
  std::vector<std::vector<size_t>> members(G);
  for (size_t i = 0; i < n; ++i) members[want_gid[i]].push_back(i);
  size_t want_chunks = 0;
  std::vector<double> want_sum(G, 0.0), want_mean_sum(G, 0.0), want_m2(G, 0.0), want_wmean(G, 0.0);
  std::vector<int64_t> want_max(G, INT64_MIN);
  for (size_t g = 0; g < G; ++g) {
    want_chunks += (members[g].size() + C - 1) / C;
    uint64_t cnt = 0;
    for (size_t j = 0; j < members[g].size(); j += C) {
      double part = 0.0, pd = 0.0, pm2 = 0.0;
      uint64_t pn = 0;
      for (size_t k = j; k < j + C && k < members[g].size(); ++k) {
        double x = vals[members[g][k]];
        part += x;
        want_max[g] = std::max(want_max[g], ivals[members[g][k]]);
        double delta = x - pd;  // Welford within the chunk
        pd += delta / (double)++pn;
        pm2 += delta * (x - pd);
      }
      want_sum[g] += part;
      if (cnt == 0) {  // Chan et al. across chunks, in chunk order
        want_wmean[g] = pd, want_m2[g] = pm2, cnt = pn;
      } else {
        double tot = (double)(cnt + pn), delta = pd - want_wmean[g];
        want_wmean[g] += delta * (double)pn / tot;
        want_m2[g] += pm2 + delta * delta * (double)cnt * (double)pn / tot;
        cnt += pn;
      }
    }
    want_mean_sum[g] = want_sum[g];
  }
  ASSERT_EQ(chunks, want_chunks) << "chunks";
  void *row0 = buf(((size_t)chunks + 1) * 4), *part = buf((size_t)chunks * 24);
  ASSERT_FALSE(HasFailure());
  G_OK(gk(WEFT__GK_CHUNK_MAP, G, C, chunks, n, {start, chunk0, row0}));
  ASSERT_EQ(be_->buffer_write(0, vd, 0, vals.data(), n * 8, 1), WEFT_OK);
  auto agg = [&](int kind, char cls) {
    gk(WEFT__GK_AGG, chunks, kind, (uint64_t)cls, 0, {row0, rin, vd, nullptr, part});
    if (!HasFatalFailure()) gk(WEFT__GK_AGG_MERGE, G, kind, (uint64_t)cls, chunks, {chunk0, part, out});
    return down<uint64_t>(out, 3 * G);
  };
  auto as_double = [&](const std::vector<uint64_t> &acc, size_t word) {
    std::vector<double> d(G);
    memcpy(d.data(), acc.data() + word * G, G * 8);
    return d;
  };
  std::vector<uint64_t> acc = agg(WEFT_AGG_SUM, 'f');
  if (HasFatalFailure()) return;
  EXPECT_TRUE(all_equal("float sum by chunks", as_double(acc, 0), want_sum));
  acc = agg(WEFT_AGG_MEAN, 'f');
  if (HasFatalFailure()) return;
  EXPECT_TRUE(all_equal("mean: sum by chunks", as_double(acc, 0), want_mean_sum));
  for (size_t g = 0; g < G; ++g) ASSERT_EQ(acc[2 * G + g], members[g].size()) << "mean: count of group " << g;
  for (int kind : {WEFT_AGG_VAR, WEFT_AGG_STD}) {
    acc = agg(kind, 'f');
    if (HasFatalFailure()) return;
    std::vector<double> mean = as_double(acc, 0), m2 = as_double(acc, 1);
    for (size_t g = 0; g < G; ++g) {
      // the same operations in the same order: equal but for contraction a device compiler
      // may do (the CUDA build turns it off), so a relative 1e-12
      ASSERT_NEAR(mean[g], want_wmean[g], 1e-12 * std::fabs(want_wmean[g]) + 1e-300)
          << (kind == WEFT_AGG_VAR ? "var" : "std") << ": Welford mean of group " << g;
      ASSERT_NEAR(m2[g], want_m2[g], 1e-12 * std::fabs(want_m2[g]) + 1e-300)
          << (kind == WEFT_AGG_VAR ? "var" : "std") << ": m2 of group " << g;
      ASSERT_EQ(acc[2 * G + g], members[g].size());
    }
  }
  ASSERT_EQ(be_->buffer_write(0, vd, 0, ivals.data(), n * 8, 1), WEFT_OK);
  acc = agg(WEFT_AGG_MAX, 'i');
  if (HasFatalFailure()) return;
  for (size_t g = 0; g < G; ++g) {
    ASSERT_EQ((int64_t)acc[g], want_max[g]) << "int64 max of group " << g;
    ASSERT_EQ(acc[2 * G + g], members[g].size()) << "values of group " << g;
  }
}

// ---- hash join (kernels/join_hash.kern) ----

// Driven in the order of host/frame/join/join_device.c: 3001 right rows of two-word keys from
// a small range (duplicates, every 13th row null) are built into a table, radix-grouped 4 bits
// a pass, and probed by 5003 left rows (a scan over 3 chunks of 2048, so two scan levels)
// for every join kind; the (left, right) pairs must be the host reference's, in left order
// with matches in right order, written in two slices as the host writes a big output.
class JoinKernels : public BackendKernels {
 protected:
  void SetUp() override {
    BackendKernels::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    ASSERT_NE(be_->launch, nullptr);
  }
  // One kernel through the table's launch entry, with its args struct.
  template <typename Args>
  weft_status launch(weft__kernel kernel, const Args &args) {
    weft__launch l = {kernel, &args};
    return be_->launch(0, &l);
  }
  void scan(void *data, size_t n, uint64_t *total) {
    size_t chunks = (n + WK_JOIN_SCAN_CHUNK - 1) / WK_JOIN_SCAN_CHUNK;
    void *sums = buf(chunks * 8);
    ASSERT_EQ(launch(WEFT__K_SCAN_CHUNKS, weft__scan_chunks_args{n, data, sums}), WEFT_OK)
        << g_message;
    if (chunks > 1) {
      scan(sums, chunks, total);
      if (HasFatalFailure()) return;
      ASSERT_EQ(launch(WEFT__K_SCAN_ADD, weft__scan_add_args{n, data, sums}), WEFT_OK)
          << g_message;
    } else if (total) {
      *total = down<uint64_t>(sums, 1)[0];
    }
  }
};

TEST_P(JoinKernels, EveryKindAgainstTheHost) {
  const size_t nr = 3001, nl = 5003, words = 2;
  std::vector<uint64_t> rk(nr * words), lk(nl * words);
  std::vector<uint8_t> rv(nr), lv(nl);
  for (size_t r = 0; r < nr; ++r) {
    rk[r * words] = (r * 7919) % 101, rk[r * words + 1] = (r * 31) % 3;
    rv[r] = r % 13 != 5;
  }
  for (size_t l = 0; l < nl; ++l) {
    lk[l * words] = (l * 104729) % 131, lk[l * words + 1] = (l * 17) % 4;
    lv[l] = l % 11 != 3;
  }
  std::map<std::pair<uint64_t, uint64_t>, std::vector<int64_t>> index;
  for (size_t r = 0; r < nr; ++r)
    if (rv[r]) index[{rk[r * words], rk[r * words + 1]}].push_back((int64_t)r);
  size_t slots = 16;
  while (slots < nr * 2) slots *= 2;
  const size_t chunks = (nr + WK_JOIN_RADIX_CHUNK - 1) / WK_JOIN_RADIX_CHUNK;
  void *drk = up(rk), *drv = up(rv), *dlk = up(lk), *dlv = up(lv);
  void *owner = buf(slots * 4), *start = buf(slots * 4), *end = buf(slots * 4);
  void *slot[2] = {buf(nr * 4), buf(nr * 4)}, *row[2] = {buf(nr * 4), buf(nr * 4)};
  void *hist = buf(WK_JOIN_RADIX_DIGITS * chunks * 8), *match = buf(nl * 4), *count = buf(nl * 8);
  ASSERT_FALSE(HasFailure());
  BE_OK(launch(WEFT__K_JOIN_CLEAR, weft__join_clear_args{slots, owner, start, end}));
  BE_OK(launch(WEFT__K_JOIN_INSERT,
               weft__join_insert_args{nr, words, drk, drv, slots, owner, slot[0], row[0]}));
  unsigned bits = 1;
  while (((size_t)1 << (bits - 1)) < slots) bits++;
  int cur = 0;
  for (unsigned shift = 0; shift < bits; shift += WK_JOIN_RADIX_BITS, cur ^= 1) {
    BE_OK(launch(WEFT__K_JOIN_RADIX_COUNT, weft__join_radix_count_args{nr, shift, slot[cur], hist}));
    scan(hist, WK_JOIN_RADIX_DIGITS * chunks, nullptr);
    if (HasFatalFailure()) return;
    BE_OK(launch(WEFT__K_JOIN_RADIX_SCATTER,
                 weft__join_radix_scatter_args{nr, shift, slot[cur], row[cur], hist,
                                               slot[cur ^ 1], row[cur ^ 1]}));
  }
  BE_OK(launch(WEFT__K_JOIN_BOUNDS, weft__join_bounds_args{nr, slots, slot[cur], start, end}));
  for (int kind = WEFT_JOIN_INNER; kind <= WEFT_JOIN_ANTI; ++kind) {
    SCOPED_TRACE("join kind " + std::to_string(kind));
    std::vector<int64_t> want_l, want_r;
    for (size_t l = 0; l < nl; ++l) {
      auto it = lv[l] ? index.find({lk[l * words], lk[l * words + 1]}) : index.end();
      bool hit = it != index.end();
      if (kind == WEFT_JOIN_SEMI || kind == WEFT_JOIN_ANTI) {
        if (hit == (kind == WEFT_JOIN_SEMI)) want_l.push_back((int64_t)l);
        continue;
      }
      if (hit)
        for (int64_t r : it->second) want_l.push_back((int64_t)l), want_r.push_back(r);
      else if (kind == WEFT_JOIN_LEFT)
        want_l.push_back((int64_t)l), want_r.push_back(-1);
    }
    bool pairs = kind == WEFT_JOIN_INNER || kind == WEFT_JOIN_LEFT;
    weft__join_probe p = {nl, words, slots, kind, dlk, dlv, drk, owner, start, end, row[cur],
                          match, count, nullptr, nullptr, 0, 0, 0};
    BE_OK(launch(WEFT__K_JOIN_PROBE_COUNT, p));
    uint64_t total = 0;
    scan(count, nl, &total);
    if (HasFatalFailure()) return;
    ASSERT_EQ(total, want_l.size()) << "output rows";
    p.out_left = buf(total * 8 + 8);
    if (pairs) p.out_right = buf(total * 8 + 8);
    ASSERT_FALSE(HasFailure());
    // the left rows in two slices: rows [0, h) from output row 0, rows [h, nl) from
    // output row offset[h]
    const size_t h = nl / 3;
    const uint64_t base = down<uint64_t>(count, 1, h * 8)[0];
    std::vector<int64_t> got_l(total + 1), got_r(total + 1);
    size_t from[2] = {0, h}, rows[2] = {h, nl - h};
    uint64_t first[2] = {0, base}, last[2] = {base, total};
    for (int s = 0; s < 2; ++s) {
      p.emit_row0 = from[s], p.emit_rows = rows[s], p.emit_base = first[s];
      BE_OK(launch(WEFT__K_JOIN_EMIT, p));
      size_t bytes = (size_t)(last[s] - first[s]) * 8;
      if (!bytes) continue;
      BE_OK(be_->buffer_read(0, p.out_left, 0, got_l.data() + first[s], bytes, 1));
      if (pairs) {
        BE_OK(be_->buffer_read(0, p.out_right, 0, got_r.data() + first[s], bytes, 1));
      }
    }
    got_l.resize(total), got_r.resize(pairs ? total : 0);
    EXPECT_TRUE(all_equal("left row", got_l, want_l));
    if (pairs) {
      EXPECT_TRUE(all_equal("right row", got_r, want_r));
    }
  }
}

// ---- the launch entry ----

// A kernel id the backend does not have is WEFT_ERR_UNSUPPORTED, the id in the message, and
// queues nothing: a new operation adds ids (backend_impl.h's weft__kernel), not entries.
TEST_P(BackendKernels, LaunchOfAnUnknownKernelIsUnsupported) {
  ASSERT_NE(be_->launch, nullptr) << GetParam().name << " has no launch entry";
  const uint32_t ids[] = {0x7fff, 0x1ff, 0};
  for (uint32_t id : ids) {
    char hex[16];
    snprintf(hex, sizeof hex, "0x%x", id);
    SCOPED_TRACE(hex);
    uint64_t args[8] = {};
    weft__launch l = {(weft__kernel)id, args};
    g_message.clear();
    EXPECT_EQ(be_->launch(0, &l), WEFT_ERR_UNSUPPORTED) << g_message;
    EXPECT_NE(g_message.find(hex), std::string::npos) << g_message;
  }
  // the device still works afterwards
  std::vector<uint64_t> data = {3, 1, 4};
  void *d = up(data), *sums = buf(8);
  ASSERT_FALSE(HasFailure());
  weft__scan_chunks_args a = {data.size(), d, sums};
  weft__launch l = {WEFT__K_SCAN_CHUNKS, &a};
  BE_OK(be_->launch(0, &l));
  EXPECT_TRUE(all_equal("scanned", down<uint64_t>(d, 3), std::vector<uint64_t>{0, 3, 4}));
  EXPECT_EQ(down<uint64_t>(sums, 1)[0], 8u);
}

// ---- describe (kernels/describe_blocks.kern) ----

// What host/frame/describe/describe_stats.c does to a block, written out again: row i of a
// block goes to lane i % 32, each lane sums its rows in order, the lanes are added by the
// tree 16, 8, 4, 2, 1; min and max take -0.0 before +0.0; integer types keep integer min/max.
static double lane_tree_ref(std::vector<double> lanes) {
  for (size_t w = WK_DESC_LANES / 2; w > 0; w /= 2)
    for (size_t l = 0; l < w; ++l) lanes[l] = lanes[l] + lanes[l + w];
  return lanes[0];
}

static bool before_ref(double a, double b) {
  return a < b || (a == b && std::signbit(a) && !std::signbit(b));
}

void desc_ref(const std::vector<double> &x, const std::vector<bool> &ok, bool ints,
              std::vector<uint64_t> &out) {
  size_t n = x.size(), nb = (n + WK_DESC_BLOCK - 1) / WK_DESC_BLOCK;
  out.assign(nb * WK_DESC_WORDS, 0);
  for (size_t b = 0; b < nb; ++b) {
    std::vector<double> sums(WK_DESC_LANES, 0.0), sq(WK_DESC_LANES, 0.0);
    uint64_t valid = 0, nan = 0, m = 0;
    double lo = 0, hi = 0;
    size_t r0 = b * WK_DESC_BLOCK, r1 = std::min(n, r0 + WK_DESC_BLOCK);
    for (size_t r = r0; r < r1; ++r) {
      if (!ok[r]) continue;
      valid++;
      if (x[r] != x[r]) {
        nan++;
        continue;
      }
      sums[(r - r0) % WK_DESC_LANES] += x[r];
      if (m == 0 || before_ref(x[r], lo)) lo = x[r];
      if (m == 0 || before_ref(hi, x[r])) hi = x[r];
      m++;
    }
    double sum = 0, mean = 0, m2 = 0;
    if (m) {
      sum = lane_tree_ref(sums);
      mean = sum / (double)m;
      for (size_t r = r0; !ints && r < r1; ++r) {
        if (!ok[r] || x[r] != x[r]) continue;
        double d = x[r] - mean;
        sq[(r - r0) % WK_DESC_LANES] += d * d;
      }
      m2 = ints ? 0.0 : lane_tree_ref(sq);
    }
    uint64_t *o = &out[b * WK_DESC_WORDS];
    o[WK_DESC_VALID] = valid, o[WK_DESC_NAN] = nan, o[WK_DESC_KEPT] = m;
    memcpy(&o[WK_DESC_SUM], &sum, 8), memcpy(&o[WK_DESC_MEAN], &mean, 8);
    memcpy(&o[WK_DESC_M2], &m2, 8);
    if (ints) {
      o[WK_DESC_MIN] = (uint64_t)(int64_t)lo, o[WK_DESC_MAX] = (uint64_t)(int64_t)hi;
    } else {
      memcpy(&o[WK_DESC_MIN], &lo, 8), memcpy(&o[WK_DESC_MAX], &hi, 8);
    }
  }
}

// 5003 float64 rows (three blocks, the last partial) of halves with nulls and NaN, and 4100
// date32 rows whose validity starts at bit 3 of its first byte; every word compared by bits.
TEST_P(BackendKernels, DescribeBlocksFloat64AndDate32) {
  ASSERT_NE(be_->describe_blocks, nullptr);
  for (int ints = 0; ints < 2; ++ints) {
    SCOPED_TRACE(ints ? "date32" : "float64");
    const size_t n = ints ? 4100 : 5003;
    const unsigned bit0 = ints ? 3 : 0;
    std::vector<double> x(n), f64(n);
    std::vector<bool> ok(n);
    std::vector<uint8_t> valid((n + bit0 + 7) / 8, 0);
    std::vector<int32_t> days(n);
    for (size_t i = 0; i < n; ++i) {
      ok[i] = i % 7 != 3;
      if (ok[i]) valid[(i + bit0) / 8] |= (uint8_t)(1u << ((i + bit0) % 8));
      days[i] = (int32_t)((i * 37) % 1001) - 500;
      f64[i] = i % 11 == 5 ? NAN : (double)((int)((i * 53) % 997) - 498) * 0.5;
      // the last block: only zeros of both signs (and NaN), whose min and max (-0.0, +0.0)
      // must not depend on the order lanes meet in
      if (i >= 2 * WK_DESC_BLOCK && f64[i] == f64[i]) f64[i] = i % 3 ? -0.0 : 0.0;
      x[i] = ints ? (double)days[i] : f64[i];
    }
    std::vector<uint64_t> want;
    desc_ref(x, ok, ints, want);
    void *dv = ints ? up(days) : up(f64), *dvalid = up(valid), *dout = buf(want.size() * 8);
    ASSERT_FALSE(HasFailure());
    weft__describe_launch l = {n, ints ? WK_DESC_DATE32 : WK_DESC_F64, bit0, dv, dvalid, dout};
    BE_OK(be_->describe_blocks(0, &l));
    std::vector<uint64_t> got = down<uint64_t>(dout, want.size());
    for (size_t i = 0; i < want.size(); ++i)
      ASSERT_EQ(got[i], want[i]) << "block " << i / WK_DESC_WORDS << " word " << i % WK_DESC_WORDS;
  }
}

// Every other type describe takes: the narrow and wide integers, unsigned, float32 and bool
// (read through doubles, the float path) and timestamps (the integer path), 4500 rows with
// the validity starting at bit 5, and once with no validity at all.
TEST_P(BackendKernels, DescribeBlocksEveryType) {
  ASSERT_NE(be_->describe_blocks, nullptr);
  const size_t n = 4500;
  const unsigned bit0 = 5;
  struct Case {
    int type;
    size_t width;
    const char *name;
  };
  const Case cases[] = {{WK_DESC_BOOL, 0, "bool"}, {WK_DESC_I8, 1, "int8"},   {WK_DESC_I16, 2, "int16"},
                        {WK_DESC_I32, 4, "int32"}, {WK_DESC_I64, 8, "int64"}, {WK_DESC_U8, 1, "uint8"},
                        {WK_DESC_U16, 2, "uint16"}, {WK_DESC_U32, 4, "uint32"},
                        {WK_DESC_U64, 8, "uint64"}, {WK_DESC_F32, 4, "float32"},
                        {WK_DESC_TS, 8, "timestamp"}};
  for (const Case &c : cases)
    for (int with_valid = 0; with_valid < 2; ++with_valid) {
      SCOPED_TRACE(std::string(c.name) + (with_valid ? " with nulls" : " without validity"));
      std::vector<double> x(n);
      std::vector<bool> ok(n, true);
      std::vector<uint8_t> valid((n + bit0 + 7) / 8, 0), values;
      values.assign(c.type == WK_DESC_BOOL ? valid.size() : n * c.width, 0);
      for (size_t i = 0; i < n; ++i) {
        ok[i] = !with_valid || i % 5 != 2;
        if (ok[i]) valid[(i + bit0) / 8] |= (uint8_t)(1u << ((i + bit0) % 8));
        int64_t v = (int64_t)((i * 7919) % 241) - 120;  // fits int8
        uint8_t *at = values.data() + i * c.width;
        switch (c.type) {
          case WK_DESC_BOOL:
            v = (i * 13) % 3 == 0;
            if (v) values[(i + bit0) / 8] |= (uint8_t)(1u << ((i + bit0) % 8));
            break;
          case WK_DESC_I8: { int8_t t = (int8_t)v; memcpy(at, &t, 1); break; }
          case WK_DESC_I16: { v *= 200; int16_t t = (int16_t)v; memcpy(at, &t, 2); break; }
          case WK_DESC_I32: { v *= 1000003; int32_t t = (int32_t)v; memcpy(at, &t, 4); break; }
          case WK_DESC_I64: case WK_DESC_TS: { v *= 1000000007LL; memcpy(at, &v, 8); break; }
          case WK_DESC_U8: { v += 120; uint8_t t = (uint8_t)v; memcpy(at, &t, 1); break; }
          case WK_DESC_U16: { v = (v + 120) * 250; uint16_t t = (uint16_t)v; memcpy(at, &t, 2); break; }
          case WK_DESC_U32: { v = (v + 120) * 16000000; uint32_t t = (uint32_t)v; memcpy(at, &t, 4); break; }
          case WK_DESC_U64: { v = (v + 120) << 40; uint64_t t = (uint64_t)v; memcpy(at, &t, 8); break; }
          case WK_DESC_F32: {
            float f = i % 97 == 1 ? NAN : (float)v * 0.25f;
            memcpy(at, &f, 4);
            x[i] = f;
            continue;
          }
        }
        x[i] = (double)v;
      }
      std::vector<uint64_t> want;
      desc_ref(x, ok, c.type == WK_DESC_TS, want);
      void *dv = up(values), *dvalid = with_valid ? up(valid) : nullptr, *dout = buf(want.size() * 8);
      ASSERT_FALSE(HasFailure());
      weft__describe_launch l = {n, c.type, bit0, dv, dvalid, dout};
      BE_OK(be_->describe_blocks(0, &l));
      std::vector<uint64_t> got = down<uint64_t>(dout, want.size());
      for (size_t i = 0; i < want.size(); ++i)
        ASSERT_EQ(got[i], want[i]) << "block " << i / WK_DESC_WORDS << " word " << i % WK_DESC_WORDS;
    }
}

INSTANTIATE_TEST_SUITE_P(Backends, BackendKernels, all_backends(), backend_name);
INSTANTIATE_TEST_SUITE_P(Backends, ExprKernels, all_backends(), backend_name);
INSTANTIATE_TEST_SUITE_P(Backends, GroupKernels, all_backends(), backend_name);
INSTANTIATE_TEST_SUITE_P(Backends, JoinKernels, all_backends(), backend_name);

}  // namespace
