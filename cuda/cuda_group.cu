/* Grouping on CUDA: the kernels of kernels/group_hash.kern and group_agg.kern (the ones
 * OpenCL runs), launched with weft__group_launch's uniform arguments on the device's stream. */
#include "cuda_internal.h"

#include "dialect.h"
#include "group_hash.kern"
#include "group_agg.kern"

static const void *const wc_group_kernels[WEFT__GK_KERNEL_COUNT] = {
    (const void *)weft_group_fill32,       (const void *)weft_group_insert,
    (const void *)weft_group_mark,         (const void *)weft_group_scan_sum,
    (const void *)weft_group_scan_apply,   (const void *)weft_group_number,
    (const void *)weft_group_count,        (const void *)weft_group_radix_hist,
    (const void *)weft_group_radix_scatter, (const void *)weft_group_agg,
    (const void *)weft_group_chunk_count,  (const void *)weft_group_chunk_map,
    (const void *)weft_group_agg_merge,
};

weft_status wc_group_kernel(int dev, const weft__group_launch *l) {
  if (!l || (unsigned)l->kernel >= WEFT__GK_KERNEL_COUNT)
    return wc_error(WEFT_ERR_INVALID_ARGUMENT, "cuda: group_kernel: launch is NULL or its kernel "
                    "%d is unknown", l ? (int)l->kernel : -1);
  if (l->n == 0) return WEFT_OK;
  WC_ENTER(dev);
  wk_u64 n = l->n, a = l->a, b = l->b, c = l->c;
  void *buf[6];
  for (int i = 0; i < 6; i++) buf[i] = l->buf[i];
  void *args[10] = {&n, &a, &b, &c, &buf[0], &buf[1], &buf[2], &buf[3], &buf[4], &buf[5]};
  size_t grid = (size_t)((l->n + WK_GROUP_SIZE - 1) / WK_GROUP_SIZE);
  if (grid > WC_MAX_GRID) grid = WC_MAX_GRID;
  (void)cudaGetLastError();
  WC_CHECK(dev, cudaLaunchKernel(wc_group_kernels[l->kernel], dim3((unsigned)grid),
                                 dim3(WK_GROUP_SIZE), args, 0, wc_g.devs[dev].stream));
  return WEFT_OK;
}
