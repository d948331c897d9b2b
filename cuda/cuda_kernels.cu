/* The portable kernels (the .kern files of kernels/, shared with OpenCL) compiled by nvcc,
 * and their launch wrappers: WK_GROUP_SIZE threads per block on the device's stream. */
#include "cuda_internal.h"

#include <math.h>

#include "dialect.h"
#include "elementwise.kern"
#include "reduce.kern"

/* Grid for a grid-stride kernel over n items (n > 0). */
static unsigned wc_grid(size_t n) {
  size_t g = (n + WK_GROUP_SIZE - 1) / WK_GROUP_SIZE;
  return g > WC_MAX_GRID ? WC_MAX_GRID : (unsigned)g;
}

static weft_status wc_bad_dtype(const char *op, weft_dtype dtype) {
  return wc_error(WEFT_ERR_INVALID_ARGUMENT, "cuda: %s: dtype %d is not float32 or float64", op,
                  (int)dtype);
}

weft_status wc_axpy(int dev, weft_dtype dtype, size_t n, double a, const void *x, const void *y,
                    void *out) {
  if (dtype != WEFT_FLOAT32 && dtype != WEFT_FLOAT64) return wc_bad_dtype("axpy", dtype);
  if (n == 0) return WEFT_OK;
  WC_ENTER(dev);
  if (dtype == WEFT_FLOAT32)
    WC_LAUNCH(dev, weft_axpy_f32, wc_grid(n), (float)a, (const float *)x, (const float *)y,
              (float *)out, (wk_u64)n);
  else
    WC_LAUNCH(dev, weft_axpy_f64, wc_grid(n), a, (const double *)x, (const double *)y,
              (double *)out, (wk_u64)n);
  return WEFT_OK;
}

weft_status wc_bitmap_and(int dev, size_t nbytes, const void *a, const void *b, void *out) {
  if (nbytes == 0) return WEFT_OK;
  WC_ENTER(dev);
  WC_LAUNCH(dev, weft_bitmap_and, wc_grid(nbytes), (const wk_u8 *)a, (const wk_u8 *)b,
            (wk_u8 *)out, (wk_u64)nbytes);
  return WEFT_OK;
}

weft_status wc_zero_nulls(int dev, weft_dtype dtype, size_t n, const void *valid, void *out) {
  if (dtype != WEFT_FLOAT32 && dtype != WEFT_FLOAT64) return wc_bad_dtype("zero_nulls", dtype);
  if (n == 0) return WEFT_OK;
  WC_ENTER(dev);
  if (dtype == WEFT_FLOAT32)
    WC_LAUNCH(dev, weft_zero_nulls_f32, wc_grid(n), (const wk_u8 *)valid, (float *)out,
              (wk_u64)n);
  else
    WC_LAUNCH(dev, weft_zero_nulls_f64, wc_grid(n), (const wk_u8 *)valid, (double *)out,
              (wk_u64)n);
  return WEFT_OK;
}

/* 4 arrays (sum, min, max, count) of up to WC_REDUCE_MAX_GROUPS 8-byte entries. */
#define WC_REDUCE_SCRATCH_BYTES (4u * WC_REDUCE_MAX_GROUPS * 8u)

void wc_reduce_release(wc_device *d) {
  if (d->reduce_dev) cudaFree(d->reduce_dev);
  if (d->reduce_host) cudaFreeHost(d->reduce_host);
  d->reduce_dev = nullptr;
  d->reduce_host = nullptr;
}

weft_status wc_reduce(int dev, weft_dtype dtype, size_t n, const void *x, const void *valid,
                      weft__reduce_partial *out) {
  if (!out) return wc_error(WEFT_ERR_INVALID_ARGUMENT, "cuda: reduce: out is NULL");
  out->sum = 0.0;
  out->min = NAN;
  out->max = NAN;
  out->count = 0;
  if (dtype != WEFT_FLOAT32 && dtype != WEFT_FLOAT64) return wc_bad_dtype("reduce", dtype);
  if (n == 0) return WEFT_OK;
  WC_ENTER(dev);
  wc_device *d = &wc_g.devs[dev];
  std::lock_guard<std::mutex> guard(d->lock); /* one reduce at a time uses the scratch */
  if (!d->reduce_dev) WC_CHECK(dev, cudaMalloc(&d->reduce_dev, WC_REDUCE_SCRATCH_BYTES));
  if (!d->reduce_host) WC_CHECK(dev, cudaMallocHost(&d->reduce_host, WC_REDUCE_SCRATCH_BYTES));

  size_t groups = (n + WK_GROUP_SIZE - 1) / WK_GROUP_SIZE;
  if (groups > WC_REDUCE_MAX_GROUPS) groups = WC_REDUCE_MAX_GROUPS;
  /* The 4 arrays back to back, `groups` entries each, so one copy brings them all. */
  double *p_sum = (double *)d->reduce_dev;
  double *p_min = p_sum + groups;
  double *p_max = p_min + groups;
  wk_u64 *p_count = (wk_u64 *)(p_max + groups);
  const wk_u8 *v = (const wk_u8 *)valid;
  wk_i32 has_valid = valid != nullptr;
  if (dtype == WEFT_FLOAT32)
    WC_LAUNCH(dev, weft_reduce_f32, (unsigned)groups, (const float *)x, v, has_valid, (wk_u64)n,
              p_sum, p_min, p_max, p_count);
  else
    WC_LAUNCH(dev, weft_reduce_f64, (unsigned)groups, (const double *)x, v, has_valid, (wk_u64)n,
              p_sum, p_min, p_max, p_count);
  WC_CHECK(dev, cudaMemcpyAsync(d->reduce_host, d->reduce_dev, 4 * groups * 8,
                                cudaMemcpyDeviceToHost, d->stream));
  WC_CHECK(dev, cudaStreamSynchronize(d->stream));

  /* Combine in block order, so a device gives the same bits on every run. */
  const double *h_sum = (const double *)d->reduce_host;
  const double *h_min = h_sum + groups;
  const double *h_max = h_min + groups;
  const wk_u64 *h_count = (const wk_u64 *)(h_max + groups);
  for (size_t g = 0; g < groups; ++g) {
    out->sum += h_sum[g];
    out->min = fmin(out->min, h_min[g]);
    out->max = fmax(out->max, h_max[g]);
    out->count += (uint64_t)h_count[g];
  }
  return WEFT_OK;
}
