/* Table sort on CUDA: the stable LSD radix sort of kernels/sort_radix.kern (the code OpenCL
 * runs too; opencl/opencl_sort.c is this file's twin), one 4-bit digit a pass, ping-ponging
 * between the caller's buffers and two temporaries; a digit no key changes is skipped. */
#include "cuda_internal.h"

#include "dialect.h"
#include "sort_radix.h"
#include "sort_radix.kern"

namespace {

/* The temporaries of one sort, freed once the stream has finished with them. */
struct Temps {
  int dev;
  void *tmp_k = nullptr, *tmp_r = nullptr, *counts = nullptr;
  explicit Temps(int d) : dev(d) {}
  ~Temps() {
    (void)cudaStreamSynchronize(wc_g.devs[dev].stream);
    void *all[] = {tmp_k, tmp_r, counts};
    for (void *p : all)
      if (p) (void)cudaFree(p);
    (void)cudaGetLastError(); /* a destructor reports nothing; sort_pairs already did */
  }
  Temps(const Temps &) = delete;
  Temps &operator=(const Temps &) = delete;
};

weft_status temp_alloc(int dev, size_t bytes, void **out) {
  cudaError_t e = cudaMalloc(out, bytes);
  if (e == cudaSuccess) return WEFT_OK;
  *out = nullptr;
  return wc_fail(dev, "cudaMalloc(sort_pairs temporaries)", e);
}

/* One digit pass: (src_k, src_r) -> (dst_k, dst_r). */
weft_status pass(int dev, size_t n, unsigned shift, size_t nblocks, wk_u64 *counts,
                 const wk_u64 *src_k, const wk_i64 *src_r, wk_u64 *dst_k, wk_i64 *dst_r) {
  unsigned groups = nblocks > WC_MAX_GRID ? WC_MAX_GRID : (unsigned)nblocks;
  wk_u64 m = (wk_u64)nblocks * WK_SORT_DIGITS;
  WC_LAUNCH(dev, weft_sort_histogram, groups, src_k, (wk_u64)n, (wk_u32)shift, (wk_u64)nblocks,
            counts);
  WC_LAUNCH(dev, weft_sort_scan, 1u, counts, m);
  WC_LAUNCH(dev, weft_sort_scatter, groups, src_k, src_r, (wk_u64)n, (wk_u32)shift,
            (wk_u64)nblocks, (const wk_u64 *)counts, dst_k, dst_r);
  return WEFT_OK;
}

}  // namespace

weft_status wc_sort_pairs(int dev, size_t n, int key_bytes, uint64_t varies, void *keys,
                          void *rows) {
  if (key_bytes < 1 || key_bytes > 8)
    return wc_error(WEFT_ERR_INVALID_ARGUMENT, "cuda: sort_pairs: key_bytes %d is not in 1..8",
                    key_bytes);
  if (n < 2) return WEFT_OK;
  if (!keys || !rows)
    return wc_error(WEFT_ERR_INVALID_ARGUMENT, "cuda: sort_pairs: NULL keys or rows handle");
  WC_ENTER(dev);
  size_t nblocks = (n + WK_SORT_BLOCK - 1) / WK_SORT_BLOCK;
  Temps t(dev);
  WC_TRY(temp_alloc(dev, n * 8, &t.tmp_k));
  WC_TRY(temp_alloc(dev, n * 8, &t.tmp_r));
  WC_TRY(temp_alloc(dev, nblocks * WK_SORT_DIGITS * 8, &t.counts));
  wk_u64 *src_k = (wk_u64 *)keys, *dst_k = (wk_u64 *)t.tmp_k, *counts = (wk_u64 *)t.counts;
  wk_i64 *src_r = (wk_i64 *)rows, *dst_r = (wk_i64 *)t.tmp_r;
  for (int shift = 0; shift < key_bytes * 8; shift += WK_SORT_DIGIT_BITS) {
    if (!((varies >> shift) & (WK_SORT_DIGITS - 1))) continue;
    WC_TRY(pass(dev, n, (unsigned)shift, nblocks, counts, src_k, src_r, dst_k, dst_r));
    wk_u64 *tk = src_k; src_k = dst_k; dst_k = tk;
    wk_i64 *tr = src_r; src_r = dst_r; dst_r = tr;
  }
  cudaStream_t s = wc_g.devs[dev].stream;
  if (src_k != (wk_u64 *)keys) {
    WC_CHECK(dev, cudaMemcpyAsync(keys, src_k, n * 8, cudaMemcpyDeviceToDevice, s));
    WC_CHECK(dev, cudaMemcpyAsync(rows, src_r, n * 8, cudaMemcpyDeviceToDevice, s));
  }
  WC_CHECK(dev, cudaStreamSynchronize(s));
  return WEFT_OK;
}
