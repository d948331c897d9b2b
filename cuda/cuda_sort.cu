/* Table sort on CUDA: the stable LSD radix sort of kernels/sort_radix.kern (the code OpenCL
 * runs too; opencl/opencl_sort.c is this file's twin), one 4-bit digit a pass, ping-ponging
 * between the caller's buffers and two temporaries; a digit no key changes is skipped. The
 * digit counts are scanned with the join's two-level scan (every block of the GPU), not
 * weft_sort_scan's one block, which OpenCL still uses. */
#include "cuda_internal.h"

#include "dialect.h"
#include "join_hash.h"
#include "sort_radix.h"
#include "sort_radix.kern"

namespace {

/* The temporaries of one sort, released on the stream after the work queued with them
 * (cudaFreeAsync: the sort does not wait for the device to free them). */
struct Temps {
  int dev;
  void *tmp_k = nullptr, *tmp_r = nullptr, *counts = nullptr, *sums = nullptr;
  explicit Temps(int d) : dev(d) {}
  ~Temps() {
    void *all[] = {tmp_k, tmp_r, counts, sums};
    for (void *p : all) wc_free(dev, p);
  }
  Temps(const Temps &) = delete;
  Temps &operator=(const Temps &) = delete;
};

/* Entries of the chunk totals a two-level scan of m entries needs: every level's. */
size_t scan_sums(size_t m) {
  size_t total = 0;
  do {
    m = (m + WK_JOIN_SCAN_CHUNK - 1) / WK_JOIN_SCAN_CHUNK;
    total += m;
  } while (m > 1);
  return total;
}

/* Exclusive scan of data[0..m) in place, over the whole device: each chunk of
 * WK_JOIN_SCAN_CHUNK scanned by its own block (the join's weft_join_scan_blocks), the chunk
 * totals scanned the same way (recursively, in `sums`), then added back (weft_join_scan_add). */
weft_status scan(int dev, wk_u64 *data, size_t m, wk_u64 *sums) {
  WC_TRY(wc_scan_chunks(dev, m, data, sums));
  size_t chunks = (m + WK_JOIN_SCAN_CHUNK - 1) / WK_JOIN_SCAN_CHUNK;
  if (chunks <= 1) return WEFT_OK; /* one chunk: already the whole scan */
  WC_TRY(scan(dev, sums, chunks, sums + chunks));
  return wc_scan_add(dev, m, data, sums);
}

/* One digit pass: (src_k, src_r) -> (dst_k, dst_r). */
weft_status pass(int dev, size_t n, unsigned shift, size_t nblocks, wk_u64 *counts, wk_u64 *sums,
                 const wk_u64 *src_k, const wk_i64 *src_r, wk_u64 *dst_k, wk_i64 *dst_r) {
  unsigned groups = nblocks > WC_MAX_GRID ? WC_MAX_GRID : (unsigned)nblocks;
  WC_LAUNCH(dev, weft_sort_histogram, groups, src_k, (wk_u64)n, (wk_u32)shift, (wk_u64)nblocks,
            counts);
  /* OpenCL scans the counts with one work-group (weft_sort_scan); here every SM takes part */
  WC_TRY(scan(dev, counts, nblocks * WK_SORT_DIGITS, sums));
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
  const char *what = "sort_pairs temporaries";
  WC_TRY(wc_alloc(dev, n * 8, &t.tmp_k, what));
  WC_TRY(wc_alloc(dev, n * 8, &t.tmp_r, what));
  WC_TRY(wc_alloc(dev, nblocks * WK_SORT_DIGITS * 8, &t.counts, what));
  WC_TRY(wc_alloc(dev, scan_sums(nblocks * WK_SORT_DIGITS) * 8, &t.sums, what));
  wk_u64 *src_k = (wk_u64 *)keys, *dst_k = (wk_u64 *)t.tmp_k, *counts = (wk_u64 *)t.counts;
  wk_u64 *sums = (wk_u64 *)t.sums;
  wk_i64 *src_r = (wk_i64 *)rows, *dst_r = (wk_i64 *)t.tmp_r;
  for (int shift = 0; shift < key_bytes * 8; shift += WK_SORT_DIGIT_BITS) {
    if (!((varies >> shift) & (WK_SORT_DIGITS - 1))) continue;
    WC_TRY(pass(dev, n, (unsigned)shift, nblocks, counts, sums, src_k, src_r, dst_k, dst_r));
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
