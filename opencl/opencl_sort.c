/* Table sort on OpenCL: the stable LSD radix sort of kernels/sort_radix.kern (the code CUDA
 * runs too, cuda/cuda_sort.cu mirrors this file), one 4-bit digit a pass, ping-ponging
 * between the caller's buffers and two temporaries; a digit no key changes is skipped. */
#include <stdint.h>

#include "../kernels/sort_radix.h"
#include "opencl_internal.h"

/* The sort kernels size their local arrays for WK_SORT_GROUP work-items. */
static weft_status check_group(weft_ocl_device *d, int k, const char *name) {
  if (d->local[k] == WK_SORT_GROUP) return WEFT_OK;
  return weft_ocl_error(WEFT_ERR_UNSUPPORTED,
                        "opencl: %s needs work-groups of %d on device '%s', which allows %zu", name,
                        WK_SORT_GROUP, d->desc.name, d->local[k]);
}

static weft_status temp_alloc(weft_ocl_device *d, size_t bytes, cl_mem *out) {
  cl_int err = CL_SUCCESS;
  *out = clCreateBuffer(d->context, CL_MEM_READ_WRITE, bytes, NULL, &err);
  if (err == CL_SUCCESS && *out) return WEFT_OK;
  *out = NULL;
  return weft_ocl_error(WEFT_ERR_DEVICE_MEMORY,
                        "opencl: sort_pairs: clCreateBuffer of %zu bytes failed on device '%s': "
                        "%s (%d)", bytes, d->desc.name, weft_ocl_error_name(err), (int)err);
}

/* One digit pass: (src_k, src_r) -> (dst_k, dst_r). With the lock held. */
static weft_status pass_locked(weft_ocl_device *d, cl_ulong n, cl_uint shift, cl_ulong nblocks,
                               cl_mem counts, cl_mem src_k, cl_mem src_r, cl_mem dst_k,
                               cl_mem dst_r) {
  size_t groups = nblocks > WEFT_OCL_MAX_GROUPS ? WEFT_OCL_MAX_GROUPS : (size_t)nblocks;
  cl_ulong m = nblocks * WK_SORT_DIGITS;
  weft_ocl_arg hist[] = {WEFT_OCL_ARG(src_k), WEFT_OCL_ARG(n), WEFT_OCL_ARG(shift),
                         WEFT_OCL_ARG(nblocks), WEFT_OCL_ARG(counts)};
  weft_ocl_arg scan[] = {WEFT_OCL_ARG(counts), WEFT_OCL_ARG(m)};
  weft_ocl_arg scatter[] = {WEFT_OCL_ARG(src_k),   WEFT_OCL_ARG(src_r),  WEFT_OCL_ARG(n),
                            WEFT_OCL_ARG(shift),   WEFT_OCL_ARG(nblocks), WEFT_OCL_ARG(counts),
                            WEFT_OCL_ARG(dst_k),   WEFT_OCL_ARG(dst_r)};
  weft_status st = weft_ocl_launch_locked(d, WEFT_OCL_SORT_HISTOGRAM, hist, 5, groups);
  if (st == WEFT_OK) st = weft_ocl_launch_locked(d, WEFT_OCL_SORT_SCAN, scan, 2, 1);
  if (st == WEFT_OK) st = weft_ocl_launch_locked(d, WEFT_OCL_SORT_SCATTER, scatter, 8, groups);
  return st;
}

/* With the lock held: every pass, the copy back when the result ended in the temporaries,
 * then a wait for the queue (the temporaries are released by the caller). */
static weft_status sort_locked(weft_ocl_device *d, size_t n, int key_bytes, uint64_t varies,
                               cl_mem keys, cl_mem rows, cl_mem tmp_k, cl_mem tmp_r,
                               cl_mem counts) {
  cl_ulong nblocks = (n + WK_SORT_BLOCK - 1) / WK_SORT_BLOCK;
  cl_mem src_k = keys, src_r = rows, dst_k = tmp_k, dst_r = tmp_r;
  weft_status st = WEFT_OK;
  for (int shift = 0; shift < key_bytes * 8 && st == WEFT_OK; shift += WK_SORT_DIGIT_BITS) {
    if (!((varies >> shift) & (WK_SORT_DIGITS - 1))) continue;
    st = pass_locked(d, n, (cl_uint)shift, nblocks, counts, src_k, src_r, dst_k, dst_r);
    cl_mem t = src_k; src_k = dst_k; dst_k = t;
    t = src_r; src_r = dst_r; dst_r = t;
  }
  if (st != WEFT_OK) return st;
  if (src_k != keys) {
    cl_int err = clEnqueueCopyBuffer(d->queue, src_k, keys, 0, 0, n * 8, 0, NULL, NULL);
    if (err == CL_SUCCESS) err = clEnqueueCopyBuffer(d->queue, src_r, rows, 0, 0, n * 8, 0, NULL, NULL);
    if (err != CL_SUCCESS) return weft_ocl_fail(d, "clEnqueueCopyBuffer (sort_pairs)", err);
  }
  cl_int err = clFinish(d->queue);
  return err == CL_SUCCESS ? WEFT_OK : weft_ocl_fail(d, "clFinish (sort_pairs)", err);
}

weft_status weft_ocl_sort_pairs(int dev, size_t n, int key_bytes, uint64_t varies, void *keys,
                                void *rows) {
  weft_ocl_device *d = weft_ocl_device_get(dev);
  if (!d) return weft_ocl_device_status(dev);
  if (key_bytes < 1 || key_bytes > 8)
    return weft_ocl_error(WEFT_ERR_INVALID_ARGUMENT, "opencl: sort_pairs: key_bytes %d is not in "
                          "1..8", key_bytes);
  if (n < 2) return WEFT_OK;
  if (!keys || !rows)
    return weft_ocl_error(WEFT_ERR_INVALID_ARGUMENT, "opencl: sort_pairs: NULL keys or rows handle");
  weft_status st = weft_ocl_lock_ready(d);
  if (st != WEFT_OK) return st;
  st = check_group(d, WEFT_OCL_SORT_HISTOGRAM, "weft_sort_histogram");
  if (st == WEFT_OK) st = check_group(d, WEFT_OCL_SORT_SCAN, "weft_sort_scan");
  if (st == WEFT_OK) st = check_group(d, WEFT_OCL_SORT_SCATTER, "weft_sort_scatter");
  size_t nblocks = (n + WK_SORT_BLOCK - 1) / WK_SORT_BLOCK;
  cl_mem tmp_k = NULL, tmp_r = NULL, counts = NULL;
  if (st == WEFT_OK) st = temp_alloc(d, n * 8, &tmp_k);
  if (st == WEFT_OK) st = temp_alloc(d, n * 8, &tmp_r);
  if (st == WEFT_OK) st = temp_alloc(d, nblocks * WK_SORT_DIGITS * 8, &counts);
  if (st == WEFT_OK)
    st = sort_locked(d, n, key_bytes, varies, (cl_mem)keys, (cl_mem)rows, tmp_k, tmp_r, counts);
  /* released after the queued work that uses them (OpenCL keeps them alive until then) */
  if (tmp_k) clReleaseMemObject(tmp_k);
  if (tmp_r) clReleaseMemObject(tmp_r);
  if (counts) clReleaseMemObject(counts);
  pthread_mutex_unlock(&d->lock);
  return st;
}
