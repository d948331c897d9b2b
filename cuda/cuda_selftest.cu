/* Self-test run at each device's first use: each kernel, the buffer paths, one cublasSgemm
 * and k-NN, compared with a host reference. cuBLAS is opened here (cuda_cublas.cu), so the
 * first run on a GPU proves its loader; when it cannot be opened (or the device gets no
 * handle), the cuBLAS checks are left out and k-NN is checked on weft_knn_gemm, which the
 * device then uses.
 * Inputs are small integers (or halves), so every result is exact whatever the order of
 * operations or FMA contraction: comparisons are exact.
 * A failure names the check and the device, e.g.
 * "cuda: self-test 'axpy f32' failed on device 0 (NVIDIA H100): out[17] = 3 (expected 4)". */
#include "cuda_internal.h"

#include "csv_parse.h"
#include "describe_blocks.h"
#include "expr_program.h"
#include "join_hash.h"

#include <algorithm>
#include <map>
#include <math.h>
#include <new>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <string>
#include <vector>

namespace {

struct Ctx {
  int dev;
  std::vector<void *> buffers;
  explicit Ctx(int d) : dev(d) {}
  ~Ctx() {
    for (void *p : buffers) wc_buffer_free(dev, p);
  }
  Ctx(const Ctx &) = delete;
  Ctx &operator=(const Ctx &) = delete;
};

weft_status fail(int dev, const char *check, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

weft_status fail(int dev, const char *check, const char *fmt, ...) {
  char detail[WEFT_REASON_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(detail, sizeof detail, fmt, ap);
  va_end(ap);
  return wc_error(WEFT_ERR_DEVICE, "cuda: self-test '%s' failed on device %d (%s): %s", check, dev,
                  wc_device_name(dev), detail);
}

/* A backend call of the self-test failed: keep its message, naming the check. */
weft_status failed_call(int dev, const char *check, weft_status s) {
  char inner[WEFT_REASON_MAX];
  const char *m = wc_last_message();
  if (strncmp(m, "cuda: ", 6) == 0) m += 6;
  snprintf(inner, sizeof inner, "%s", m);
  return wc_error(s, "cuda: self-test '%s' failed on device %d (%s): %s", check, dev,
                  wc_device_name(dev), inner);
}

#define ST(check, expr)                                      \
  do {                                                       \
    weft_status st_s_ = (expr);                              \
    if (st_s_ != WEFT_OK) return failed_call(dev, (check), st_s_); \
  } while (0)

weft_status alloc(Ctx &c, const char *check, size_t bytes, void **out) {
  int dev = c.dev;
  ST(check, wc_buffer_alloc(dev, bytes, out));
  c.buffers.push_back(*out);
  return WEFT_OK;
}

bool same(double a, double b) { return (isnan(a) && isnan(b)) || a == b; }

template <typename T>
weft_status compare(int dev, const char *check, const char *what, const std::vector<T> &got,
                    const std::vector<T> &want) {
  for (size_t i = 0; i < want.size(); ++i)
    if (!same((double)got[i], (double)want[i]))
      return fail(dev, check, "%s[%zu] = %.17g (expected %.17g)", what, i, (double)got[i],
                  (double)want[i]);
  return WEFT_OK;
}

int bit(const std::vector<uint8_t> &v, size_t i) { return (v[i >> 3] >> (i & 7)) & 1; }

weft__reduce_partial host_reduce(const double *x, size_t n, const std::vector<uint8_t> *valid) {
  weft__reduce_partial r = {0.0, NAN, NAN, 0};
  for (size_t i = 0; i < n; ++i) {
    if (valid && !bit(*valid, i)) continue;
    r.sum += x[i];
    r.min = fmin(r.min, x[i]);
    r.max = fmax(r.max, x[i]);
    r.count += 1;
  }
  return r;
}

weft_status compare_reduce(int dev, const char *check, const weft__reduce_partial &got,
                           const weft__reduce_partial &want) {
  if (!same(got.sum, want.sum) || !same(got.min, want.min) || !same(got.max, want.max) ||
      got.count != want.count)
    return fail(dev, check,
                "got sum %.17g min %.17g max %.17g count %llu, expected sum %.17g min %.17g "
                "max %.17g count %llu",
                got.sum, got.min, got.max, (unsigned long long)got.count, want.sum, want.min,
                want.max, (unsigned long long)want.count);
  return WEFT_OK;
}

/* Copies of pageable memory large enough to go through the pinned staging chunks
 * (cuda_memory.cu: 4 MiB each, two of them), an odd size so the last chunk is partial, to an
 * offset; written without blocking then read back, then read back again with a copy on the
 * device in between. */
weft_status test_staging(Ctx &c) {
  const int dev = c.dev;
  const char *check = "staged copies";
  const size_t n = ((size_t)9 << 20) + 4097, off = 3;
  std::vector<uint8_t> src(n), got(n), again(n);
  for (size_t i = 0; i < n; ++i) src[i] = (uint8_t)(i * 2654435761u >> 13);
  void *d0, *d1;
  WC_TRY(alloc(c, "alloc", n + off, &d0));
  WC_TRY(alloc(c, "alloc", n, &d1));
  ST(check, wc_buffer_write(dev, d0, off, src.data(), n, 0));
  ST(check, wc_buffer_read(dev, d0, off, got.data(), n, 1));
  ST(check, wc_buffer_copy(dev, d1, 0, d0, off, n));
  ST(check, wc_buffer_read(dev, d1, 0, again.data(), n, 0));
  ST(check, wc_synchronize(dev));
  for (size_t i = 0; i < n; ++i)
    if (got[i] != src[i] || again[i] != src[i])
      return fail(dev, check, "byte %zu: %u then %u (expected %u)", i, got[i], again[i], src[i]);
  return WEFT_OK;
}

/* float32 path over enough rows that reduce runs 1024 blocks with grid-stride loops. */
weft_status test_f32(Ctx &c) {
  const int dev = c.dev;
  const size_t n = 300007, nb = (n + 7) / 8;
  std::vector<float> x(n), y(n), out(n), want(n);
  std::vector<uint8_t> va(nb), vb(nb), vout(nb), vwant(nb);
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
  void *dx, *dy, *dout, *dcopy, *dva, *dvb, *dvout;
  WC_TRY(alloc(c, "alloc", n * 4, &dx));
  WC_TRY(alloc(c, "alloc", n * 4, &dy));
  WC_TRY(alloc(c, "alloc", n * 4, &dout));
  WC_TRY(alloc(c, "alloc", n * 4, &dcopy));
  WC_TRY(alloc(c, "alloc", nb, &dva));
  WC_TRY(alloc(c, "alloc", nb, &dvb));
  WC_TRY(alloc(c, "alloc", nb, &dvout));
  ST("write", wc_buffer_write(dev, dx, 0, x.data(), n * 4, 0));
  ST("write", wc_buffer_write(dev, dy, 0, y.data(), n * 4, 0));
  ST("write", wc_buffer_write(dev, dva, 0, va.data(), nb, 0));
  ST("write", wc_buffer_write(dev, dvb, 0, vb.data(), nb, 1));

  ST("axpy f32", wc_axpy(dev, WEFT_FLOAT32, n, 2.0, dx, dy, dout));
  ST("axpy f32", wc_buffer_read(dev, dout, 0, out.data(), n * 4, 1));
  WC_TRY(compare(dev, "axpy f32", "out", out, want));

  /* buffer_copy at offsets: dcopy[0..n-5) = out[5..n), read back async + synchronize. */
  std::vector<float> copied(n - 5), copy_want(want.begin() + 5, want.end());
  ST("copy", wc_buffer_copy(dev, dcopy, 0, dout, 5 * 4, (n - 5) * 4));
  ST("copy", wc_buffer_read(dev, dcopy, 0, copied.data(), (n - 5) * 4, 0));
  ST("copy", wc_synchronize(dev));
  WC_TRY(compare(dev, "copy", "dst", copied, copy_want));

  ST("bitmap_and", wc_bitmap_and(dev, nb, dva, dvb, dvout));
  ST("bitmap_and", wc_buffer_read(dev, dvout, 0, vout.data(), nb, 1));
  WC_TRY(compare(dev, "bitmap_and", "out", vout, vwant));

  for (size_t i = 0; i < n; ++i)
    if (!bit(vwant, i)) want[i] = 0.0f;
  ST("zero_nulls f32", wc_zero_nulls(dev, WEFT_FLOAT32, n, dvout, dout));
  ST("zero_nulls f32", wc_buffer_read(dev, dout, 0, out.data(), n * 4, 1));
  WC_TRY(compare(dev, "zero_nulls f32", "out", out, want));

  std::vector<double> xd(x.begin(), x.end());
  weft__reduce_partial got;
  ST("reduce f32", wc_reduce(dev, WEFT_FLOAT32, n, dx, dvout, &got));
  WC_TRY(compare_reduce(dev, "reduce f32", got, host_reduce(xd.data(), n, &vwant)));
  ST("reduce f32 (no bitmap)", wc_reduce(dev, WEFT_FLOAT32, n, dx, nullptr, &got));
  WC_TRY(compare_reduce(dev, "reduce f32 (no bitmap)", got, host_reduce(xd.data(), n, nullptr)));
  ST("reduce (n = 0)", wc_reduce(dev, WEFT_FLOAT32, 0, dx, nullptr, &got));
  WC_TRY(compare_reduce(dev, "reduce (n = 0)", got, host_reduce(xd.data(), 0, nullptr)));
  return WEFT_OK;
}

/* float64 path, with NaN values: min/max skip them, the sum is NaN, count includes them. */
weft_status test_f64(Ctx &c) {
  const int dev = c.dev;
  const size_t n = 5000, nb = (n + 7) / 8;
  std::vector<double> x(n), y(n), out(n), want(n);
  std::vector<uint8_t> valid(nb);
  for (size_t i = 0; i < n; ++i) {
    x[i] = (double)((i * 7919) % 5003) * 0.5 - 1000.0;
    y[i] = (double)(i % 11) * 0.25;
  }
  x[7] = NAN;
  x[4001] = NAN;
  for (size_t i = 0; i < n; ++i) want[i] = 0.5 * x[i] + y[i];
  for (size_t i = 0; i < nb; ++i) valid[i] = (uint8_t)(i % 3 ? 0xFF : 0x5A);
  for (size_t i = 0; i < n; ++i) {
    if (!bit(valid, i)) want[i] = 0.0;
  }
  void *dx, *dy, *dout, *dvalid;
  WC_TRY(alloc(c, "alloc", n * 8, &dx));
  WC_TRY(alloc(c, "alloc", n * 8, &dy));
  WC_TRY(alloc(c, "alloc", n * 8, &dout));
  WC_TRY(alloc(c, "alloc", nb, &dvalid));
  ST("write", wc_buffer_write(dev, dx, 0, x.data(), n * 8, 0));
  ST("write", wc_buffer_write(dev, dy, 0, y.data(), n * 8, 0));
  ST("write", wc_buffer_write(dev, dvalid, 0, valid.data(), nb, 0));
  ST("axpy f64", wc_axpy(dev, WEFT_FLOAT64, n, 0.5, dx, dy, dout));
  ST("zero_nulls f64", wc_zero_nulls(dev, WEFT_FLOAT64, n, dvalid, dout));
  ST("axpy f64", wc_buffer_read(dev, dout, 0, out.data(), n * 8, 1));
  WC_TRY(compare(dev, "axpy f64 + zero_nulls f64", "out", out, want));

  weft__reduce_partial got;
  ST("reduce f64", wc_reduce(dev, WEFT_FLOAT64, n, dx, nullptr, &got));
  WC_TRY(compare_reduce(dev, "reduce f64", got, host_reduce(x.data(), n, nullptr)));
  return WEFT_OK;
}

/* C (m x n) = A (m x k) * B (k x n), column-major, odd sizes. */
weft_status test_sgemm(Ctx &c) {
  const int dev = c.dev;
  const int m = 33, n = 17, k = 65;
  std::vector<float> a((size_t)m * k), b((size_t)k * n), out((size_t)m * n), want((size_t)m * n);
  for (size_t i = 0; i < a.size(); ++i) a[i] = (float)((long)(i % 7) - 3);
  for (size_t i = 0; i < b.size(); ++i) b[i] = (float)((long)(i % 5) - 2);
  for (int j = 0; j < n; ++j)
    for (int i = 0; i < m; ++i) {
      float s = 0.0f;
      for (int p = 0; p < k; ++p) s += a[(size_t)p * m + i] * b[(size_t)j * k + p];
      want[(size_t)j * m + i] = s;
    }
  void *da, *db, *dc;
  WC_TRY(alloc(c, "alloc", a.size() * 4, &da));
  WC_TRY(alloc(c, "alloc", b.size() * 4, &db));
  WC_TRY(alloc(c, "alloc", out.size() * 4, &dc));
  ST("write", wc_buffer_write(dev, da, 0, a.data(), a.size() * 4, 0));
  ST("write", wc_buffer_write(dev, db, 0, b.data(), b.size() * 4, 0));
  const wc_cublas_api *blas = nullptr;
  cublasHandle_t h;
  ST("sgemm", wc_cublas(dev, &blas, &h));
  const float alpha = 1.0f, beta = 0.0f;
  weft_status s = WEFT_OK;
  cublasStatus_t cs = blas->sgemm(h, CUBLAS_OP_N, CUBLAS_OP_N, m, n, k, &alpha, (const float *)da,
                                 m, (const float *)db, k, &beta, (float *)dc, m);
  if (cs != CUBLAS_STATUS_SUCCESS) s = wc_fail(dev, "cublasSgemm", cs);
  ST("sgemm", s);
  ST("sgemm", wc_buffer_read(dev, dc, 0, out.data(), out.size() * 4, 1));
  WC_TRY(compare(dev, "sgemm", "C", out, want));
  return WEFT_OK;
}

/* Small integers, so inner products and distances are exact whatever the summation order. */
float small_int(uint64_t &state, int range) {
  state = state * 6364136223846793005ull + 1442695040888963407ull;
  return (float)((int)((state >> 33) % (uint64_t)(2 * range + 1)) - range);
}

/* The inner products by cuBLAS (knn_tile's; unless `blas` is false) and by the portable
 * weft_knn_gemm (OpenCL's), both against the host, on sizes that are no multiples of the
 * 64 x 64 x 16 tiles. */
weft_status test_knn_gemm(Ctx &c, bool blas) {
  const int dev = c.dev;
  const size_t nq = 70, nb = 131, dim = 33;
  uint64_t state = 7;
  std::vector<float> q(nq * dim), x(nb * dim), want(nq * nb), got(nq * nb);
  for (float &v : q) v = small_int(state, 3);
  for (float &v : x) v = small_int(state, 3);
  for (size_t i = 0; i < nq; ++i)
    for (size_t j = 0; j < nb; ++j) {
      float s = 0.0f;
      for (size_t d = 0; d < dim; ++d) s += q[i * dim + d] * x[j * dim + d];
      want[i * nb + j] = s;
    }
  void *dq, *dx, *dout;
  WC_TRY(alloc(c, "alloc", q.size() * 4, &dq));
  WC_TRY(alloc(c, "alloc", x.size() * 4, &dx));
  WC_TRY(alloc(c, "alloc", want.size() * 4, &dout));
  ST("write", wc_buffer_write(dev, dq, 0, q.data(), q.size() * 4, 0));
  ST("write", wc_buffer_write(dev, dx, 0, x.data(), x.size() * 4, 0));
  if (blas) {
    ST("knn gemm (cuBLAS)", wc_knn_inner_products(dev, nq, nb, dim, dq, dx, dout));
    ST("knn gemm (cuBLAS)", wc_buffer_read(dev, dout, 0, got.data(), got.size() * 4, 1));
    WC_TRY(compare(dev, "knn gemm (cuBLAS)", "ip", got, want));
  }
  ST("knn gemm (weft_knn_gemm)", wc_knn_gemm_portable(dev, nq, nb, dim, dq, dx, dout));
  ST("knn gemm (weft_knn_gemm)", wc_buffer_read(dev, dout, 0, got.data(), got.size() * 4, 1));
  WC_TRY(compare(dev, "knn gemm (weft_knn_gemm)", "ip", got, want));
  /* fractional values: the portable kernel must give the CPU's bits (fma in order of dim) */
  for (float &v : q) v = small_int(state, 1000) / 997.0f;
  for (float &v : x) v = small_int(state, 1000) / 991.0f;
  for (size_t i = 0; i < nq; ++i)
    for (size_t j = 0; j < nb; ++j) {
      float s = 0.0f;
      for (size_t d = 0; d < dim; ++d) s = fmaf(q[i * dim + d], x[j * dim + d], s);
      want[i * nb + j] = s;
    }
  ST("write", wc_buffer_write(dev, dq, 0, q.data(), q.size() * 4, 0));
  ST("write", wc_buffer_write(dev, dx, 0, x.data(), x.size() * 4, 0));
  ST("knn gemm (weft_knn_gemm, fma order)", wc_knn_gemm_portable(dev, nq, nb, dim, dq, dx, dout));
  ST("knn gemm (weft_knn_gemm, fma order)",
     wc_buffer_read(dev, dout, 0, got.data(), got.size() * 4, 1));
  WC_TRY(compare(dev, "knn gemm (weft_knn_gemm, fma order)", "ip", got, want));
  return WEFT_OK;
}

/* The key of backend_impl.h, on the host. */
uint64_t knn_key(float dist, uint64_t position) {
  uint32_t u;
  if (dist == 0.0f) dist = 0.0f;
  memcpy(&u, &dist, 4);
  u ^= (u >> 31) ? 0xFFFFFFFFu : 0x80000000u;
  return ((uint64_t)u << 32) | position;
}

/* knn_tile over two tiles (2500 rows: more candidates than the kernel caches, then 500),
 * list ping-pong, then knn_sort, against the host. Values in [-2, 2]: many exact distance
 * ties, which the keys break by position. k = 4000 > 3000 rows leaves empties and sorts
 * in global memory; L2 runs with an allowed bitset and a NaN norm, IP without. */
weft_status test_knn(Ctx &c) {
  const int dev = c.dev;
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

  void *dq, *dx, *dnorms, *dallowed, *dscratch, *dlist[2];
  WC_TRY(alloc(c, "alloc", q.size() * 4, &dq));
  WC_TRY(alloc(c, "alloc", x.size() * 4, &dx));
  WC_TRY(alloc(c, "alloc", norms.size() * 4, &dnorms));
  WC_TRY(alloc(c, "alloc", allowed.size(), &dallowed));
  WC_TRY(alloc(c, "alloc", nq * tile_rows[0] * 4, &dscratch));
  WC_TRY(alloc(c, "alloc", nq * kmax * 8, &dlist[0]));
  WC_TRY(alloc(c, "alloc", nq * kmax * 8, &dlist[1]));
  ST("write", wc_buffer_write(dev, dq, 0, q.data(), q.size() * 4, 0));
  ST("write", wc_buffer_write(dev, dx, 0, x.data(), x.size() * 4, 0));
  ST("write", wc_buffer_write(dev, dnorms, 0, norms.data(), norms.size() * 4, 0));
  ST("write", wc_buffer_write(dev, dallowed, 0, allowed.data(), allowed.size(), 1));

  const size_t ks[] = {1, 100, kmax};
  std::vector<uint64_t> empty(nq * kmax, WEFT_KNN_EMPTY), got(nq * kmax), keys;
  for (size_t k : ks)
    for (int metric = 0; metric < 2; ++metric) {
      const bool use_allowed = metric == 0;
      char check[64];
      snprintf(check, sizeof check, "knn %s k=%zu", metric == 0 ? "L2" : "IP", k);
      ST(check, wc_buffer_write(dev, dlist[0], 0, empty.data(), nq * k * 8, 0));
      size_t row0 = 0;
      for (int t = 0; t < 2; ++t) {
        weft__knn_tile tile;
        memset(&tile, 0, sizeof tile);
        tile.nq = nq;
        tile.nb = tile_rows[t];
        tile.dim = dim;
        tile.k = k;
        tile.metric = metric == 0 ? WEFT__KNN_L2 : WEFT__KNN_IP;
        tile.queries = dq;
        tile.base = (const float *)dx + row0 * dim;
        tile.base_norms = (const float *)dnorms + row0;
        tile.allowed = use_allowed ? dallowed : nullptr;
        tile.position0 = row0;
        tile.scratch = dscratch;
        tile.list_in = dlist[t];
        tile.list_out = dlist[t ^ 1];
        ST(check, wc_knn_tile(dev, &tile));
        row0 += tile_rows[t];
      }
      ST(check, wc_knn_sort(dev, nq, k, dlist[0]));
      ST(check, wc_buffer_read(dev, dlist[0], 0, got.data(), nq * k * 8, 1));
      for (size_t i = 0; i < nq; ++i) {
        keys.clear();
        for (size_t j = 0; j < total; ++j) {
          if (use_allowed && !bit(allowed, j)) continue;
          float ip = 0.0f;
          for (size_t d = 0; d < dim; ++d) ip += q[i * dim + d] * x[j * dim + d];
          float dist = metric == 0 ? norms[j] - 2.0f * ip : -ip;
          if (!isnan(dist)) keys.push_back(knn_key(dist, j));
        }
        std::sort(keys.begin(), keys.end());
        for (size_t r = 0; r < k; ++r) {
          uint64_t want = r < keys.size() ? keys[r] : WEFT_KNN_EMPTY;
          if (got[i * k + r] != want)
            return fail(dev, check, "list[%zu][%zu] = %016llx (expected %016llx)", i, r,
                        (unsigned long long)got[i * k + r], (unsigned long long)want);
        }
      }
    }
  return WEFT_OK;
}

/* The expression interpreter (kernels/expr_eval.kern) on hand-written programs over an
 * int32 column with nulls and a float64 column of halves (so every result is exact):
 * c1 + (double)c0 * c1 as values, c0 % 3 == 0 as a filter mask, and a cast of c1 to int8
 * that must raise the error flag. */
weft_status test_expr(Ctx &c) {
  const int dev = c.dev;
  const char *check = "expr_eval";
  const size_t n = 1003, nb = (n + 7) / 8;
  const size_t r0 = WK_EXPR_REGION_BYTES(32, n), r1 = WK_EXPR_REGION_BYTES(1, n);
  const size_t r2 = WK_EXPR_REGION_BYTES(64, n), in_bytes = r0 + r1 + r2;
  std::vector<uint8_t> in(in_bytes, 0);
  std::vector<int32_t> c0(n);
  std::vector<double> c1(n);
  for (size_t i = 0; i < n; ++i) {
    c0[i] = (int32_t)((i * 7919) % 2001) - 1000;
    c1[i] = (double)(i % 17) * 0.5 - 4.0;
    if (i % 3 != 0) in[r0 + i / 8] |= (uint8_t)(1u << (i % 8));
  }
  memcpy(in.data(), c0.data(), n * 4);
  memcpy(in.data() + r0 + r1, c1.data(), n * 8);
  auto program = [](std::vector<int64_t> code, int64_t out_type, int64_t checked) {
    std::vector<int64_t> w = {(int64_t)code.size() / 2, 2, out_type, checked,
                              WK_T_INT32 | 1 << 8, 32, WK_T_FLOAT64, 64};
    w.insert(w.end(), code.begin(), code.end());
    w.resize(WK_EXPR_PROGRAM_BYTES / 8, 0);
    return w;
  };
  const int64_t load0 = WK_OP_LOAD, load1 = WK_OP_LOAD | 1 << 8;
  auto values = program({load1, 0, load0, 0, WK_OP_I2F, 0, load1, 0, WK_OP_MUL_F, 0, WK_OP_ADD_F, 0},
                        WK_T_FLOAT64, 0);
  auto mask = program({load0, 0, WK_OP_LIT | 1 << 16, 3, WK_OP_MOD_I, 0, WK_OP_LIT | 1 << 16, 0,
                       WK_OP_CMP_I | WK_CMP_EQ << 8, 0}, WK_T_BOOL, 0);
  auto bad_cast = program({load1, 0, WK_OP_CAST_F2I | WK_T_INT8 << 8, 0}, WK_T_INT8, 1);
  void *dprog, *din, *dout, *dvalid, *derr;
  WC_TRY(alloc(c, check, WK_EXPR_PROGRAM_BYTES, &dprog));
  WC_TRY(alloc(c, check, in_bytes, &din));
  WC_TRY(alloc(c, check, n * 8, &dout));
  WC_TRY(alloc(c, check, nb, &dvalid));
  WC_TRY(alloc(c, check, 4, &derr));
  const uint32_t zero = 0;
  ST(check, wc_buffer_write(dev, din, 0, in.data(), in_bytes, 1));
  ST(check, wc_buffer_write(dev, derr, 0, &zero, 4, 1));

  ST(check, wc_buffer_write(dev, dprog, 0, values.data(), WK_EXPR_PROGRAM_BYTES, 1));
  weft__expr_launch l = {n, n, WK_EXPR_MODE_VALUES, dprog, din, dout, dvalid, derr};
  ST(check, wc_expr_eval(dev, &l));
  std::vector<double> out(n);
  std::vector<uint8_t> valid(nb);
  ST(check, wc_buffer_read(dev, dout, 0, out.data(), n * 8, 1));
  ST(check, wc_buffer_read(dev, dvalid, 0, valid.data(), nb, 1));
  for (size_t i = 0; i < n; ++i) {
    if (bit(valid, i) != (i % 3 != 0))
      return fail(dev, check, "validity of row %zu is %d", i, bit(valid, i));
    double want = c1[i] + (double)c0[i] * c1[i];
    if (out[i] != want) return fail(dev, check, "row %zu = %.17g (expected %.17g)", i, out[i], want);
  }

  ST(check, wc_buffer_write(dev, dprog, 0, mask.data(), WK_EXPR_PROGRAM_BYTES, 1));
  l.mode = WK_EXPR_MODE_MASK;
  l.out_valid = nullptr;
  ST(check, wc_expr_eval(dev, &l));
  ST(check, wc_buffer_read(dev, dout, 0, valid.data(), nb, 1));
  for (size_t i = 0; i < n; ++i) {
    int want = i % 3 != 0 && ((c0[i] % 3) + 3) % 3 == 0;
    if (bit(valid, i) != want) return fail(dev, check, "mask bit %zu is %d", i, bit(valid, i));
  }

  ST(check, wc_buffer_write(dev, dprog, 0, bad_cast.data(), WK_EXPR_PROGRAM_BYTES, 1));
  l.mode = WK_EXPR_MODE_VALUES;
  ST(check, wc_expr_eval(dev, &l));
  uint32_t flag = 0;
  ST(check, wc_buffer_read(dev, derr, 0, &flag, 4, 1));
  if (flag != 0) return fail(dev, check, "a cast of values in [-4, 4] to int8 raised the error flag");
  /* c1 * 64 reaches -256: out of int8 */
  auto wide = program({load1, 0, WK_OP_LIT | 1 << 16, 0x4050000000000000LL /* 64.0 */, WK_OP_MUL_F, 0,
                       WK_OP_CAST_F2I | WK_T_INT8 << 8, 0}, WK_T_INT8, 1);
  ST(check, wc_buffer_write(dev, dprog, 0, wide.data(), WK_EXPR_PROGRAM_BYTES, 1));
  ST(check, wc_expr_eval(dev, &l));
  ST(check, wc_buffer_read(dev, derr, 0, &flag, 4, 1));
  if (flag != 1) return fail(dev, check, "a cast of -256 to int8 did not raise the error flag");
  return WEFT_OK;
}

/* The radix sort of (key, row) pairs against std::stable_sort: 5003 pairs (not a multiple
 * of a block) of 8-byte keys with many duplicates and the varies mask of the keys, then the
 * same keys as 2-byte keys (the high bytes ignored) with every digit marked varying. */
weft_status sort_case(Ctx &c, size_t n) {
  const int dev = c.dev;
  const char *check = "sort_pairs";
  std::vector<uint64_t> keys(n);
  uint64_t x = 0x9e3779b97f4a7c15ULL, all_or = 0, all_and = ~0ULL;
  for (size_t i = 0; i < n; ++i) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    keys[i] = (x >> 33) % 61 | (i % 7 == 0 ? 0xfedcba9800000000ULL : 0) | ((x >> 20) & 0xff00);
    all_or |= keys[i], all_and &= keys[i];
  }
  void *dk, *dr;
  WC_TRY(alloc(c, check, n * 8, &dk));
  WC_TRY(alloc(c, check, n * 8, &dr));
  for (int bytes : {8, 2}) {
    uint64_t mask = bytes == 8 ? ~0ULL : 0xffffULL;
    std::vector<int64_t> rows(n);
    for (size_t i = 0; i < n; ++i) rows[i] = (int64_t)i;
    std::vector<int64_t> want = rows;
    std::stable_sort(want.begin(), want.end(),
                     [&](int64_t a, int64_t b) { return (keys[a] & mask) < (keys[b] & mask); });
    ST(check, wc_buffer_write(dev, dk, 0, keys.data(), n * 8, 1));
    ST(check, wc_buffer_write(dev, dr, 0, rows.data(), n * 8, 1));
    ST(check, wc_sort_pairs(dev, n, bytes, bytes == 8 ? all_or ^ all_and : ~0ULL, dk, dr));
    std::vector<uint64_t> got_k(n);
    ST(check, wc_buffer_read(dev, dk, 0, got_k.data(), n * 8, 1));
    ST(check, wc_buffer_read(dev, dr, 0, rows.data(), n * 8, 1));
    for (size_t i = 0; i < n; ++i) {
      if (rows[i] != want[i])
        return fail(dev, check, "%zu %d-byte keys: row at %zu is %lld (expected %lld)", n, bytes,
                    i, (long long)rows[i], (long long)want[i]);
      if (got_k[i] != keys[want[i]])
        return fail(dev, check, "%zu %d-byte keys: key at %zu is %llx (expected %llx)", n,
                    bytes, i, (unsigned long long)got_k[i], (unsigned long long)keys[want[i]]);
    }
  }
  return WEFT_OK;
}

/* 5003 keys, and 140003 (137 blocks of 1024: 2192 digit counts, more than one scan chunk of
 * 2048, so the sort's two-level scan adds the chunk totals back). */
weft_status test_sort(Ctx &c) {
  for (size_t n : {(size_t)5003, (size_t)140003}) WC_TRY(sort_case(c, n));
  return WEFT_OK;
}

/* describe's block statistics (kernels/describe_blocks.kern) against the host doing what
 * op_describe.c does to a block: 5003 float64 rows (three blocks, the last partial) of
 * halves with nulls and NaN, and 4100 date32 rows whose validity starts at bit 3 of its
 * first byte; every word compared by its bits. */
void desc_ref(const std::vector<double> &x, const std::vector<bool> &ok, bool ints,
              std::vector<uint64_t> &out) {
  size_t n = x.size(), nb = (n + WK_DESC_BLOCK - 1) / WK_DESC_BLOCK;
  out.assign(nb * WK_DESC_WORDS, 0);
  for (size_t b = 0; b < nb; ++b) {
    std::vector<double> kept;
    uint64_t valid = 0, nan = 0;
    for (size_t r = b * WK_DESC_BLOCK; r < n && r < (b + 1) * WK_DESC_BLOCK; ++r) {
      if (!ok[r]) continue;
      valid++;
      if (x[r] != x[r]) nan++;
      else kept.push_back(x[r]);
    }
    size_t m = kept.size();
    double sum = 0, mean = 0, m2 = 0, lo = 0, hi = 0;
    if (m) {
      double s4[4] = {0, 0, 0, 0}, q4[4] = {0, 0, 0, 0};
      if (ints) {
        for (double v : kept) s4[0] += v;
      } else {
        for (size_t j = 0; j < m; ++j) s4[j < (m & ~(size_t)3) ? j & 3 : 0] += kept[j];
      }
      sum = (s4[0] + s4[1]) + (s4[2] + s4[3]);
      mean = sum / (double)m;
      for (size_t j = 0; !ints && j < m; ++j) {
        double d = kept[j] - mean;
        q4[j < (m & ~(size_t)3) ? j & 3 : 0] += d * d;
      }
      m2 = (q4[0] + q4[1]) + (q4[2] + q4[3]);
      lo = hi = kept[0];
      for (double v : kept) lo = v < lo ? v : lo, hi = v > hi ? v : hi;
    }
    uint64_t *o = &out[b * WK_DESC_WORDS];
    o[WK_DESC_VALID] = valid, o[WK_DESC_NAN] = nan, o[WK_DESC_KEPT] = m;
    memcpy(&o[WK_DESC_SUM], &sum, 8), memcpy(&o[WK_DESC_MEAN], &mean, 8), memcpy(&o[WK_DESC_M2], &m2, 8);
    if (ints) {
      o[WK_DESC_MIN] = (uint64_t)(int64_t)lo, o[WK_DESC_MAX] = (uint64_t)(int64_t)hi;
    } else {
      memcpy(&o[WK_DESC_MIN], &lo, 8), memcpy(&o[WK_DESC_MAX], &hi, 8);
    }
  }
}

weft_status test_describe(Ctx &c) {
  const int dev = c.dev;
  const char *check = "describe_blocks";
  for (int ints = 0; ints < 2; ++ints) {
    const size_t n = ints ? 4100 : 5003;
    const unsigned bit0 = ints ? 3 : 0;
    std::vector<double> x(n);
    std::vector<bool> ok(n);
    std::vector<uint8_t> valid((n + bit0 + 7) / 8, 0);
    std::vector<double> f64(n);
    std::vector<int32_t> days(n);
    for (size_t i = 0; i < n; ++i) {
      ok[i] = i % 7 != 3;
      if (ok[i]) valid[(i + bit0) / 8] |= (uint8_t)(1u << ((i + bit0) % 8));
      days[i] = (int32_t)((i * 37) % 1001) - 500;
      f64[i] = i % 11 == 5 ? NAN : (double)((int)((i * 53) % 997) - 498) * 0.5;
      x[i] = ints ? (double)days[i] : f64[i];
    }
    std::vector<uint64_t> want;
    desc_ref(x, ok, ints, want);
    void *dv, *dvalid, *dout;
    size_t vbytes = ints ? n * 4 : n * 8;
    WC_TRY(alloc(c, check, vbytes, &dv));
    WC_TRY(alloc(c, check, valid.size(), &dvalid));
    WC_TRY(alloc(c, check, want.size() * 8, &dout));
    ST(check, wc_buffer_write(dev, dv, 0, ints ? (const void *)days.data() : (const void *)f64.data(), vbytes, 1));
    ST(check, wc_buffer_write(dev, dvalid, 0, valid.data(), valid.size(), 1));
    weft__describe_launch l = {n, ints ? WK_DESC_DATE32 : WK_DESC_F64, bit0, dv, dvalid, dout};
    ST(check, wc_describe_blocks(dev, &l));
    std::vector<uint64_t> got(want.size());
    ST(check, wc_buffer_read(dev, dout, 0, got.data(), got.size() * 8, 1));
    for (size_t i = 0; i < want.size(); ++i)
      if (got[i] != want[i])
        return fail(dev, check, "%s: block %zu word %zu is %llx (expected %llx)",
                    ints ? "date32" : "float64", i / WK_DESC_WORDS, i % WK_DESC_WORDS,
                    (unsigned long long)got[i], (unsigned long long)want[i]);
  }
  return WEFT_OK;
}

/* read_csv's kernels (kernels/csv_parse.kern) on seven records of six columns (int64,
 * float64, bool, date32, timestamp, text) covering quoted fields with a delimiter, a line
 * break and doubled quotes, null strings and empty fields, a blank line, CRLF, the int64
 * maximum, and two records the host must redo (a float only strtod gives, a wrong field
 * count): record starts, values, validity and flags against values worked out by hand.
 * Then the record starts of 1.5 MB (two groups of blocks) against the host's. */
weft_status test_csv(Ctx &c) {
  const int dev = c.dev;
  const char *check = "csv_parse";
  const char *recs[] = {"12,0.5,true,2020-02-29,2020-01-01 00:00:01.5,\"a,\"\"b\"\"\"\n",
                        "-7,1e3,FALSE,1970-01-01,1970-01-01T00:00:00,\"line\nbreak\"\n",
                        ",NA,,,,\n",
                        "\n",
                        "1,0.1e-320,true,2000-01-01,2000-01-01 00:00:00,x\n",
                        "1,2,3\n",
                        "9223372036854775807,-2.5e-3,false,1999-12-31,1969-12-31 23:59:59.999999,\"q\"\r\n"};
  const size_t rows = 7, ncols = 6;
  std::string text;
  std::vector<uint64_t> want_start;
  for (const char *r : recs) want_start.push_back(text.size()), text += r;
  const uint32_t types[ncols] = {WK_CSV_I64, WK_CSV_F64, WK_CSV_BOOL, WK_CSV_DATE32, WK_CSV_TS, WK_CSV_TEXT};
  const size_t width[ncols] = {8, 8, 1, 4, 8, 16};
  std::vector<uint64_t> col_off(ncols);
  size_t out_bytes = 0;
  for (size_t k = 0; k < ncols; k++) col_off[k] = out_bytes, out_bytes += (width[k] * rows + 7) & ~(size_t)7;
  const uint32_t null_off[2] = {0, 2};
  void *d_data, *d_scratch, *d_starts, *d_types, *d_off, *d_out, *d_valid, *d_flags, *d_noff, *d_ntext;
  WC_TRY(alloc(c, check, text.size(), &d_data));
  WC_TRY(alloc(c, check, WK_CSV_SCRATCH_BYTES(text.size()), &d_scratch));
  WC_TRY(alloc(c, check, 8 * rows, &d_starts));
  WC_TRY(alloc(c, check, 4 * ncols, &d_types));
  WC_TRY(alloc(c, check, 8 * ncols, &d_off));
  WC_TRY(alloc(c, check, out_bytes, &d_out));
  WC_TRY(alloc(c, check, ncols * rows, &d_valid));
  WC_TRY(alloc(c, check, rows, &d_flags));
  WC_TRY(alloc(c, check, 8, &d_noff));
  WC_TRY(alloc(c, check, 8, &d_ntext));
  ST(check, wc_buffer_write(dev, d_data, 0, text.data(), text.size(), 1));
  ST(check, wc_buffer_write(dev, d_types, 0, types, sizeof types, 1));
  ST(check, wc_buffer_write(dev, d_off, 0, col_off.data(), 8 * ncols, 1));
  ST(check, wc_buffer_write(dev, d_noff, 0, null_off, sizeof null_off, 1));
  ST(check, wc_buffer_write(dev, d_ntext, 0, "NA", 2, 1));
  weft__csv_launch l = {rows, text.size(), ',', (unsigned)ncols, 1, d_data, d_scratch, d_starts,
                        d_types, d_off, d_out, d_valid, d_flags, d_noff, d_ntext};
  ST(check, wc_csv_records(dev, &l));
  ST(check, wc_csv_fields(dev, &l));
  std::vector<uint64_t> starts(rows);
  std::vector<uint8_t> out(out_bytes), valid(ncols * rows), flags(rows);
  ST(check, wc_buffer_read(dev, d_starts, 0, starts.data(), 8 * rows, 1));
  ST(check, wc_buffer_read(dev, d_out, 0, out.data(), out_bytes, 1));
  ST(check, wc_buffer_read(dev, d_valid, 0, valid.data(), valid.size(), 1));
  ST(check, wc_buffer_read(dev, d_flags, 0, flags.data(), rows, 1));
  WC_TRY(compare(dev, check, "record start", starts, want_start));
  WC_TRY(compare(dev, check, "flag", flags, std::vector<uint8_t>{0, 0, 0, 0, 1, 1, 0}));
  const size_t ok_rows[] = {0, 1, 2, 3, 6}; /* the rows the device finished */
  const uint8_t want_valid[ncols][rows] = {{1, 1, 0, 0, 0, 0, 1}, {1, 1, 0, 0, 0, 0, 1},
                                           {1, 1, 0, 0, 0, 0, 1}, {1, 1, 0, 0, 0, 0, 1},
                                           {1, 1, 0, 0, 0, 0, 1}, {1, 1, 1, 1, 0, 0, 1}};
  for (size_t k = 0; k < ncols; k++)
    for (size_t r : ok_rows)
      if (valid[k * rows + r] != want_valid[k][r])
        return fail(dev, check, "column %zu row %zu: valid %u (expected %u)", k, r,
                    valid[k * rows + r], want_valid[k][r]);
  auto at = [&](size_t k, size_t r, size_t w) { return out.data() + col_off[k] + r * w; };
  const int64_t want_i[] = {12, -7, 0, 0, 0, 0, INT64_MAX};
  const double want_f[] = {0.5, 1000.0, 0, 0, 0, 0, -2.5e-3};
  const uint8_t want_b[] = {1, 0, 0, 0, 0, 0, 0};
  const int32_t want_d[] = {18321, 0, 0, 0, 0, 0, 10956};
  const int64_t want_t[] = {1577836801500000LL, 0, 0, 0, 0, 0, -1};
  for (size_t r : ok_rows) {
    int64_t i, t;
    double f;
    int32_t d;
    memcpy(&i, at(0, r, 8), 8), memcpy(&f, at(1, r, 8), 8), memcpy(&d, at(3, r, 4), 4);
    memcpy(&t, at(4, r, 8), 8);
    if (i != want_i[r] || memcmp(&f, &want_f[r], 8) || *at(2, r, 1) != want_b[r] ||
        d != want_d[r] || t != want_t[r])
      return fail(dev, check, "row %zu: %lld, %.17g, %u, %d, %lld (expected %lld, %.17g, %u, %d, "
                  "%lld)", r, (long long)i, f, *at(2, r, 1), d, (long long)t, (long long)want_i[r],
                  want_f[r], want_b[r], want_d[r], (long long)want_t[r]);
  }
  const char *want_s[] = {"a,\"\"b\"\"", "line\nbreak", "", "", "", "", "q"};
  const uint64_t want_bits[] = {3, 2, 0, 0, 0, 0, 2}; /* quoted << 1 | escaped */
  for (size_t r : ok_rows) {
    uint64_t e[2];
    memcpy(e, at(5, r, 16), 16);
    size_t len = (size_t)(e[1] >> 2);
    if (e[0] + len > text.size() || text.compare(e[0], len, want_s[r]) || (e[1] & 3) != want_bits[r])
      return fail(dev, check, "text row %zu: start %llu, length %zu, bits %llu (expected \"%s\", "
                  "bits %llu)", r, (unsigned long long)e[0], len, (unsigned long long)(e[1] & 3),
                  want_s[r], (unsigned long long)want_bits[r]);
  }
  /* record starts over two groups of blocks: 3000 records with quoted line breaks */
  std::string big;
  std::vector<uint64_t> big_want;
  for (int r = 0; r < 3000; r++) {
    big_want.push_back(big.size());
    big += std::to_string(r) + ",\"" + std::string((size_t)(r * 37) % 1000, '\n') + "\"\"x\"\n";
  }
  if (big.size() <= (size_t)WK_CSV_BLOCK_BYTES * WK_CSV_CHAIN_GROUP)
    return fail(dev, check, "the multi-group input is only %zu bytes", big.size());
  void *b_data, *b_scratch, *b_starts;
  WC_TRY(alloc(c, check, big.size(), &b_data));
  WC_TRY(alloc(c, check, WK_CSV_SCRATCH_BYTES(big.size()), &b_scratch));
  WC_TRY(alloc(c, check, 8 * big_want.size(), &b_starts));
  ST(check, wc_buffer_write(dev, b_data, 0, big.data(), big.size(), 1));
  weft__csv_launch lb = {big_want.size(), big.size(), ',', 2, 0, b_data, b_scratch, b_starts,
                         nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr};
  ST(check, wc_csv_records(dev, &lb));
  std::vector<uint64_t> big_got(big_want.size());
  ST(check, wc_buffer_read(dev, b_starts, 0, big_got.data(), 8 * big_got.size(), 1));
  WC_TRY(compare(dev, check, "record start (two groups)", big_got, big_want));
  return WEFT_OK;
}

/* The grouping kernels (kernels/group_hash.kern, group_agg.kern), driven as
 * host/frame/group/group_device.c and agg_device.c drive them: 3000 rows of a two-word key (401
 * values and a null flag), grouped; group ids and first rows against a host loop numbering
 * groups in first appearance; then rows sorted by group (two radix passes: more than 256
 * groups), cut into chunks of 3 rows, and a float sum and an int64 max per group, equal to
 * the host's in the same order (row order within a chunk, chunks in order). */
weft_status gk(Ctx &c, const char *check, weft__group_kernel k, uint64_t n, uint64_t a, uint64_t b,
               uint64_t cc, std::vector<void *> bufs) {
  int dev = c.dev;
  weft__group_launch l{};
  l.kernel = k, l.n = n, l.a = a, l.b = b, l.c = cc;
  for (size_t i = 0; i < bufs.size() && i < 6; i++) l.buf[i] = bufs[i];
  ST(check, wc_group_kernel(dev, &l));
  return WEFT_OK;
}

weft_status gscan(Ctx &c, const char *check, void *x, uint64_t m) {
  uint64_t tiles = (m + WEFT_GROUP_TILE - 1) / WEFT_GROUP_TILE;
  if (tiles <= 1) return gk(c, check, WEFT__GK_SCAN_APPLY, 1, m, 0, 0, {x});
  void *sums;
  WC_TRY(alloc(c, check, tiles * 4, &sums));
  WC_TRY(gk(c, check, WEFT__GK_SCAN_SUM, tiles, m, 0, 0, {x, sums}));
  WC_TRY(gscan(c, check, sums, tiles));
  return gk(c, check, WEFT__GK_SCAN_APPLY, tiles, m, 1, 0, {x, sums});
}

weft_status test_group(Ctx &c) {
  const char *check = "group_by kernels";
  int dev = c.dev;
  const size_t n = 3000, W = 2;
  uint64_t nslots = 8192;
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
  void *kd, *slots, *smin, *rslot, *mark, *first, *gid;
  WC_TRY(alloc(c, check, n * W * 8, &kd));
  WC_TRY(alloc(c, check, nslots * 4, &slots));
  WC_TRY(alloc(c, check, nslots * 4, &smin));
  WC_TRY(alloc(c, check, n * 4, &rslot));
  WC_TRY(alloc(c, check, (n + 1) * 4, &mark));
  WC_TRY(alloc(c, check, n * 4, &first));
  WC_TRY(alloc(c, check, n * 4, &gid));
  ST(check, wc_buffer_write(dev, kd, 0, keys.data(), n * W * 8, 1));
  WC_TRY(gk(c, check, WEFT__GK_FILL32, nslots, 0, 0, 0, {slots}));
  WC_TRY(gk(c, check, WEFT__GK_FILL32, nslots, UINT32_MAX, 0, 0, {smin}));
  WC_TRY(gk(c, check, WEFT__GK_INSERT, n, W, nslots - 1, 0, {kd, slots, smin, rslot}));
  WC_TRY(gk(c, check, WEFT__GK_MARK, n, 0, 0, 0, {nullptr, nullptr, smin, rslot, mark}));
  WC_TRY(gscan(c, check, mark, n + 1));
  WC_TRY(gk(c, check, WEFT__GK_NUMBER, n, 0, 0, 0, {first, nullptr, smin, rslot, mark, gid}));
  uint32_t ngroups = 0;
  ST(check, wc_buffer_read(dev, mark, n * 4, &ngroups, 4, 1));
  if (ngroups != G) return fail(dev, check, "%u groups (expected %zu)", ngroups, G);
  std::vector<uint32_t> got(n);
  ST(check, wc_buffer_read(dev, gid, 0, got.data(), n * 4, 1));
  WC_TRY(compare(dev, check, "group id", got, want_gid));
  got.resize(G);
  ST(check, wc_buffer_read(dev, first, 0, got.data(), G * 4, 1));
  WC_TRY(compare(dev, check, "first row", got, want_first));

  const uint64_t tiles = (n + WEFT_GROUP_TILE - 1) / WEFT_GROUP_TILE;
  void *start, *ids2, *rows_a, *rows_b, *hist, *vd, *out;
  WC_TRY(alloc(c, check, (G + 1) * 4, &start));
  WC_TRY(alloc(c, check, n * 4, &ids2));
  WC_TRY(alloc(c, check, n * 4, &rows_a));
  WC_TRY(alloc(c, check, n * 4, &rows_b));
  WC_TRY(alloc(c, check, tiles * 256 * 4, &hist));
  WC_TRY(alloc(c, check, n * 8, &vd));
  WC_TRY(alloc(c, check, G * 24, &out));
  WC_TRY(gk(c, check, WEFT__GK_FILL32, G + 1, 0, 0, 0, {start}));
  WC_TRY(gk(c, check, WEFT__GK_COUNT, n, 0, 0, 0, {gid, start}));
  WC_TRY(gscan(c, check, start, G + 1));
  void *ids = gid, *rin = nullptr, *rout = rows_a;
  for (uint64_t shift = 0; shift < 16; shift += 8) { /* G - 1 >= 256: two passes */
    WC_TRY(gk(c, check, WEFT__GK_RADIX_HIST, tiles, n, shift, 0, {ids, hist}));
    WC_TRY(gscan(c, check, hist, tiles * 256));
    WC_TRY(gk(c, check, WEFT__GK_RADIX_SCATTER, tiles, n, shift, rin != nullptr,
              {ids, hist, rin, ids2, rout}));
    std::swap(ids, ids2);
    rin = rout;
    rout = rout == rows_a ? rows_b : rows_a;
  }
  /* chunks of 3 rows (the host uses 2048): partials merged in chunk order */
  const uint64_t C = 3;
  void *chunk0, *row0;
  WC_TRY(alloc(c, check, (G + 1) * 4, &chunk0));
  WC_TRY(gk(c, check, WEFT__GK_CHUNK_COUNT, G, C, 0, 0, {start, chunk0}));
  WC_TRY(gscan(c, check, chunk0, G + 1));
  uint32_t chunks = 0;
  ST(check, wc_buffer_read(dev, chunk0, G * 4, &chunks, 4, 1));
  std::vector<std::vector<size_t>> members(G);
  for (size_t i = 0; i < n; ++i) members[want_gid[i]].push_back(i);
  size_t want_chunks = 0;
  std::vector<double> want_sum(G, 0.0);
  std::vector<int64_t> want_max(G, INT64_MIN);
  for (size_t g = 0; g < G; ++g) {
    want_chunks += (members[g].size() + C - 1) / C;
    for (size_t j = 0; j < members[g].size(); j += C) {
      double part = 0.0;
      for (size_t k = j; k < j + C && k < members[g].size(); ++k) {
        part += vals[members[g][k]];
        want_max[g] = std::max(want_max[g], ivals[members[g][k]]);
      }
      want_sum[g] += part;
    }
  }
  if (chunks != want_chunks) return fail(dev, check, "%u chunks (expected %zu)", chunks, want_chunks);
  void *part;
  WC_TRY(alloc(c, check, ((size_t)chunks + 1) * 4, &row0));
  WC_TRY(alloc(c, check, (size_t)chunks * 24, &part));
  WC_TRY(gk(c, check, WEFT__GK_CHUNK_MAP, G, C, chunks, n, {start, chunk0, row0}));
  std::vector<uint64_t> acc(3 * G);
  ST(check, wc_buffer_write(dev, vd, 0, vals.data(), n * 8, 1));
  WC_TRY(gk(c, check, WEFT__GK_AGG, chunks, WEFT_AGG_SUM, 'f', 0, {row0, rin, vd, nullptr, part}));
  WC_TRY(gk(c, check, WEFT__GK_AGG_MERGE, G, WEFT_AGG_SUM, 'f', chunks, {chunk0, part, out}));
  ST(check, wc_buffer_read(dev, out, 0, acc.data(), G * 24, 1));
  std::vector<double> sums(G);
  memcpy(sums.data(), acc.data(), G * 8);
  WC_TRY(compare(dev, check, "float sum by chunks", sums, want_sum));
  ST(check, wc_buffer_write(dev, vd, 0, ivals.data(), n * 8, 1));
  WC_TRY(gk(c, check, WEFT__GK_AGG, chunks, WEFT_AGG_MAX, 'i', 0, {row0, rin, vd, nullptr, part}));
  WC_TRY(gk(c, check, WEFT__GK_AGG_MERGE, G, WEFT_AGG_MAX, 'i', chunks, {chunk0, part, out}));
  ST(check, wc_buffer_read(dev, out, 0, acc.data(), G * 24, 1));
  for (size_t g = 0; g < G; ++g)
    if ((int64_t)acc[g] != want_max[g] || acc[2 * G + g] != members[g].size())
      return fail(dev, check, "int64 max of group %zu = %lld over %llu values (expected %lld over "
                  "%zu)", g, (long long)acc[g], (unsigned long long)acc[2 * G + g],
                  (long long)want_max[g], members[g].size());
  return WEFT_OK;
}

/* The hash join's kernels (kernels/join_hash.kern), driven in the order of
 * host/frame/join/join_device.c: 3001 right rows of two-word keys from a small range (duplicates,
 * every 13th row null) are built into a table, radix-grouped 4 bits a pass, and probed by
 * 5003 left rows (a scan over 3 chunks of 2048, so two scan levels) for every join kind; the
 * (left, right) pairs must be the host reference's, in left order with matches in right
 * order. */
weft_status join_scan(Ctx &c, const char *check, void *data, size_t n, uint64_t *total) {
  int dev = c.dev;
  size_t chunks = (n + WK_JOIN_SCAN_CHUNK - 1) / WK_JOIN_SCAN_CHUNK;
  void *sums;
  WC_TRY(alloc(c, check, chunks * 8, &sums));
  ST(check, wc_scan_chunks(dev, n, data, sums));
  if (chunks > 1) {
    WC_TRY(join_scan(c, check, sums, chunks, total));
    ST(check, wc_scan_add(dev, n, data, sums));
  } else if (total) {
    ST(check, wc_buffer_read(dev, sums, 0, total, 8, 1));
  }
  return WEFT_OK;
}

weft_status test_join(Ctx &c) {
  const int dev = c.dev;
  const char *check = "join";
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
  void *drk, *drv, *dlk, *dlv, *owner, *start, *end, *slot[2], *row[2], *hist, *match, *count;
  WC_TRY(alloc(c, check, rk.size() * 8, &drk));
  WC_TRY(alloc(c, check, nr, &drv));
  WC_TRY(alloc(c, check, lk.size() * 8, &dlk));
  WC_TRY(alloc(c, check, nl, &dlv));
  WC_TRY(alloc(c, check, slots * 4, &owner));
  WC_TRY(alloc(c, check, slots * 4, &start));
  WC_TRY(alloc(c, check, slots * 4, &end));
  for (int i = 0; i < 2; ++i) {
    WC_TRY(alloc(c, check, nr * 4, &slot[i]));
    WC_TRY(alloc(c, check, nr * 4, &row[i]));
  }
  WC_TRY(alloc(c, check, WK_JOIN_RADIX_DIGITS * chunks * 8, &hist));
  WC_TRY(alloc(c, check, nl * 4, &match));
  WC_TRY(alloc(c, check, nl * 8, &count));
  ST(check, wc_buffer_write(dev, drk, 0, rk.data(), rk.size() * 8, 1));
  ST(check, wc_buffer_write(dev, drv, 0, rv.data(), nr, 1));
  ST(check, wc_buffer_write(dev, dlk, 0, lk.data(), lk.size() * 8, 1));
  ST(check, wc_buffer_write(dev, dlv, 0, lv.data(), nl, 1));
  ST(check, wc_join_clear(dev, slots, owner, start, end));
  ST(check, wc_join_insert(dev, nr, words, drk, drv, slots, owner, slot[0], row[0]));
  unsigned bits = 1;
  while (((size_t)1 << (bits - 1)) < slots) bits++;
  int cur = 0;
  for (unsigned shift = 0; shift < bits; shift += WK_JOIN_RADIX_BITS, cur ^= 1) {
    ST(check, wc_join_radix_count(dev, nr, shift, slot[cur], hist));
    WC_TRY(join_scan(c, check, hist, WK_JOIN_RADIX_DIGITS * chunks, nullptr));
    ST(check, wc_join_radix_scatter(dev, nr, shift, slot[cur], row[cur], hist, slot[cur ^ 1],
                                    row[cur ^ 1]));
  }
  ST(check, wc_join_bounds(dev, nr, slots, slot[cur], start, end));
  for (int kind = WEFT_JOIN_INNER; kind <= WEFT_JOIN_ANTI; ++kind) {
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
    ST(check, wc_join_probe_count(dev, &p));
    uint64_t total = 0;
    WC_TRY(join_scan(c, check, count, nl, &total));
    if (total != want_l.size())
      return fail(dev, check, "kind %d: %llu output rows (expected %zu)", kind,
                  (unsigned long long)total, want_l.size());
    WC_TRY(alloc(c, check, total * 8 + 8, &p.out_left));
    if (pairs) WC_TRY(alloc(c, check, total * 8 + 8, &p.out_right));
    /* the left rows in two slices, as the host writes an output too big for the device:
     * rows [0, h) from output row 0, rows [h, nl) from output row offset[h] */
    const size_t h = nl / 3;
    uint64_t base = 0;
    ST(check, wc_buffer_read(dev, count, h * 8, &base, 8, 1));
    std::vector<int64_t> got_l(total + 1), got_r(total + 1);
    size_t from[2] = {0, h}, rows[2] = {h, nl - h};
    uint64_t first[2] = {0, base}, last[2] = {base, total};
    for (int s = 0; s < 2; ++s) {
      p.emit_row0 = from[s], p.emit_rows = rows[s], p.emit_base = first[s];
      ST(check, wc_join_emit(dev, &p));
      size_t bytes = (size_t)(last[s] - first[s]) * 8;
      if (!bytes) continue;
      ST(check, wc_buffer_read(dev, p.out_left, 0, got_l.data() + first[s], bytes, 1));
      if (pairs) ST(check, wc_buffer_read(dev, p.out_right, 0, got_r.data() + first[s], bytes, 1));
    }
    got_l.resize(total), got_r.resize(pairs ? total : 0);
    WC_TRY(compare(dev, check, "left row", got_l, want_l));
    if (pairs) WC_TRY(compare(dev, check, "right row", got_r, want_r));
  }
  return WEFT_OK;
}

weft_status run(int dev) {
  Ctx c(dev);
  /* cuBLAS loaded and a handle made on this device; without it k-NN runs weft_knn_gemm */
  const bool blas = wc_cublas_usable(dev);
  WC_TRY(test_staging(c));
  WC_TRY(test_f32(c));
  WC_TRY(test_f64(c));
  if (blas) WC_TRY(test_sgemm(c));
  WC_TRY(test_expr(c));
  WC_TRY(test_knn_gemm(c, blas));
  WC_TRY(test_knn(c));
  WC_TRY(test_sort(c));
  WC_TRY(test_group(c));
  WC_TRY(test_join(c));
  WC_TRY(test_describe(c));
  WC_TRY(test_csv(c));
  return WEFT_OK;
}

}  // namespace

weft_status wc_selftest(int dev) {
  try {
    return run(dev);
  } catch (...) { /* std::bad_alloc from the host vectors */
    return wc_error(WEFT_ERR_OUT_OF_MEMORY, "cuda: self-test on device %d (%s): out of host memory",
                    dev, wc_device_name(dev));
  }
}
