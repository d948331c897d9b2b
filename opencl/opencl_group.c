/* Grouping on OpenCL: one launch of a kernel of kernels/group_hash.kern or group_agg.kern
 * (the ones CUDA runs too), with weft__group_launch's uniform arguments. */
#include "opencl_internal.h"

const char *const weft_ocl_group_kernel_names[WEFT__GK_KERNEL_COUNT] = {
    [WEFT__GK_FILL32] = "weft_group_fill32",
    [WEFT__GK_INSERT] = "weft_group_insert",
    [WEFT__GK_MARK] = "weft_group_mark",
    [WEFT__GK_SCAN_SUM] = "weft_group_scan_sum",
    [WEFT__GK_SCAN_APPLY] = "weft_group_scan_apply",
    [WEFT__GK_NUMBER] = "weft_group_number",
    [WEFT__GK_COUNT] = "weft_group_count",
    [WEFT__GK_RADIX_HIST] = "weft_group_radix_hist",
    [WEFT__GK_RADIX_SCATTER] = "weft_group_radix_scatter",
    [WEFT__GK_AGG] = "weft_group_agg",
    [WEFT__GK_CHUNK_COUNT] = "weft_group_chunk_count",
    [WEFT__GK_CHUNK_MAP] = "weft_group_chunk_map",
    [WEFT__GK_AGG_MERGE] = "weft_group_agg_merge",
};

weft_status weft_ocl_group_kernel(int dev, const weft__group_launch *l) {
  weft_ocl_device *d = weft_ocl_device_get(dev);
  if (!d) return weft_ocl_device_status(dev);
  if (!l || (unsigned)l->kernel >= WEFT__GK_KERNEL_COUNT)
    return weft_ocl_error(WEFT_ERR_INVALID_ARGUMENT, "opencl: group_kernel: launch is NULL or "
                          "its kernel %d is unknown", l ? (int)l->kernel : -1);
  if (l->n == 0) return WEFT_OK;
  if ((l->kernel == WEFT__GK_AGG || l->kernel == WEFT__GK_AGG_MERGE) && !d->desc.has_fp64)
    return weft_ocl_error(WEFT_ERR_UNSUPPORTED, "opencl: group aggregation: device '%s' has no "
                          "fp64", d->desc.name);
  weft_status st = weft_ocl_lock_ready(d);
  if (st != WEFT_OK) return st;
  cl_ulong n = l->n, a = l->a, b = l->b, c = l->c;
  cl_mem m[6];
  for (int i = 0; i < 6; i++) m[i] = (cl_mem)l->buf[i];
  weft_ocl_arg args[] = {WEFT_OCL_ARG(n),    WEFT_OCL_ARG(a),    WEFT_OCL_ARG(b),
                         WEFT_OCL_ARG(c),    WEFT_OCL_ARG(m[0]), WEFT_OCL_ARG(m[1]),
                         WEFT_OCL_ARG(m[2]), WEFT_OCL_ARG(m[3]), WEFT_OCL_ARG(m[4]),
                         WEFT_OCL_ARG(m[5])};
  int k = WEFT_OCL_GROUP_FIRST + (int)l->kernel;
  size_t local = d->local[k];
  size_t groups = (size_t)(l->n / local + (l->n % local != 0));
  if (groups > WEFT_OCL_MAX_GROUPS) groups = WEFT_OCL_MAX_GROUPS;
  st = weft_ocl_launch_locked(d, k, args, 10, groups);
  pthread_mutex_unlock(&d->lock);
  return st;
}
