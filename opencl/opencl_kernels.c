/* Kernel launches. Each one holds the device lock from clSetKernelArg to the enqueue (and,
 * for reduce, until its partials are read back), since cl_kernel objects are shared. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opencl_internal.h"

static const char *const launch_names[WEFT_OCL_KERNEL_COUNT] = {
    "clEnqueueNDRangeKernel(weft_axpy_f32)",       "clEnqueueNDRangeKernel(weft_axpy_f64)",
    "clEnqueueNDRangeKernel(weft_zero_nulls_f32)", "clEnqueueNDRangeKernel(weft_zero_nulls_f64)",
    "clEnqueueNDRangeKernel(weft_bitmap_and)",     "clEnqueueNDRangeKernel(weft_reduce_f32)",
    "clEnqueueNDRangeKernel(weft_reduce_f64)",     "clEnqueueNDRangeKernel(weft_knn_gemm)",
    "clEnqueueNDRangeKernel(weft_knn_topk_merge)", "clEnqueueNDRangeKernel(weft_knn_sort)",
    "clEnqueueNDRangeKernel(weft_knn_cert_bound)", "clEnqueueNDRangeKernel(weft_knn_cert_rerank)",
    "clEnqueueNDRangeKernel(weft_expr_eval)",      "clEnqueueNDRangeKernel(weft_sort_histogram)",
    "clEnqueueNDRangeKernel(weft_sort_scan)",      "clEnqueueNDRangeKernel(weft_sort_scatter)",
    "clEnqueueNDRangeKernel(weft_join_clear)",     "clEnqueueNDRangeKernel(weft_join_insert)",
    "clEnqueueNDRangeKernel(weft_join_radix_count)",
    "clEnqueueNDRangeKernel(weft_join_radix_scatter)",
    "clEnqueueNDRangeKernel(weft_join_bounds)",    "clEnqueueNDRangeKernel(weft_join_probe_count)",
    "clEnqueueNDRangeKernel(weft_join_emit)",      "clEnqueueNDRangeKernel(weft_join_scan_blocks)",
    "clEnqueueNDRangeKernel(weft_join_scan_add)",
};

weft_status weft_ocl_lock_ready(weft_ocl_device *d) {
  if (pthread_mutex_lock(&d->lock) != 0)
    return weft_ocl_error(WEFT_ERR_INTERNAL, "opencl: cannot lock device '%s'", d->desc.name);
  weft_status st = weft_ocl_program_ready(d);
  if (st != WEFT_OK) pthread_mutex_unlock(&d->lock);
  return st;
}

/* Test-only: WEFT_OPENCL_FAIL_LAUNCH=N makes the Nth kernel launch (on any OpenCL device)
 * after the variable took its current value fail as a driver error would, once, so the
 * host's fallback to the CPU can be tested in the middle of an operation (tests/faults/).
 * Whether the variable exists is read once, when the backend loads; only then is its value
 * read at each launch (a test changes it between calls), so other runs pay nothing. */
static int fail_switch_present;
static pthread_once_t fail_switch_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t fail_switch_lock = PTHREAD_MUTEX_INITIALIZER;

static void fail_switch_read(void) { fail_switch_present = getenv("WEFT_OPENCL_FAIL_LAUNCH") != NULL; }

static int injected_launch_failure(void) {
  pthread_once(&fail_switch_once, fail_switch_read);
  if (!fail_switch_present) return 0;
  static char value[32];
  static long long launches;
  pthread_mutex_lock(&fail_switch_lock);
  const char *env = getenv("WEFT_OPENCL_FAIL_LAUNCH");
  if (!env) env = "";
  if (strncmp(env, value, sizeof value) != 0) { /* a new value: count from zero */
    snprintf(value, sizeof value, "%s", env);
    launches = 0;
  }
  long long n = atoll(value);
  int fail = n > 0 && ++launches == n;
  pthread_mutex_unlock(&fail_switch_lock);
  return fail;
}

weft_status weft_ocl_launch_locked(weft_ocl_device *d, int k, const weft_ocl_arg *args,
                                   cl_uint nargs, size_t groups) {
  cl_kernel kernel = d->kernels[k];
  if (injected_launch_failure())
    return weft_ocl_error(WEFT_ERR_DEVICE, "opencl: kernel launch %d failed on device '%s' "
                          "(injected by WEFT_OPENCL_FAIL_LAUNCH, a test switch)", k,
                          d->desc.name);
  for (cl_uint i = 0; i < nargs; i++) {
    cl_int err = clSetKernelArg(kernel, i, args[i].size, args[i].value);
    if (err != CL_SUCCESS) return weft_ocl_fail(d, "clSetKernelArg", err);
  }
  size_t local = d->local[k];
  size_t global = groups * local;
  cl_int err = clEnqueueNDRangeKernel(d->queue, kernel, 1, NULL, &global, &local, 0, NULL, NULL);
  if (err == CL_SUCCESS) return WEFT_OK;
  if (k >= WEFT_OCL_GROUP_FIRST) {
    char call[96];
    snprintf(call, sizeof call, "clEnqueueNDRangeKernel(%s)",
             weft_ocl_group_kernel_names[k - WEFT_OCL_GROUP_FIRST]);
    return weft_ocl_fail(d, call, err);
  }
  return weft_ocl_fail(d, launch_names[k], err);
}

/* An elementwise launch over n rows: ceil(n / local) groups, at most WEFT_OCL_MAX_GROUPS. */
static weft_status launch_map(weft_ocl_device *d, int k, const weft_ocl_arg *args, cl_uint nargs,
                              size_t n) {
  weft_status st = weft_ocl_lock_ready(d);
  if (st != WEFT_OK) return st;
  size_t local = d->local[k];
  size_t groups = n / local + (n % local != 0);
  if (groups > WEFT_OCL_MAX_GROUPS) groups = WEFT_OCL_MAX_GROUPS;
  st = weft_ocl_launch_locked(d, k, args, nargs, groups);
  pthread_mutex_unlock(&d->lock);
  return st;
}

static weft_status check_dtype(weft_ocl_device *d, weft_dtype dtype, const char *op) {
  if (dtype == WEFT_FLOAT32) return WEFT_OK;
  if (dtype != WEFT_FLOAT64)
    return weft_ocl_error(WEFT_ERR_INVALID_ARGUMENT, "opencl: %s: unknown dtype %d", op, (int)dtype);
  if (!d->desc.has_fp64)
    return weft_ocl_error(WEFT_ERR_UNSUPPORTED, "opencl: %s: device '%s' has no fp64", op,
                          d->desc.name);
  return WEFT_OK;
}

static weft_status check_handles(const char *op, const void *a, const void *b, const void *c) {
  if (a && b && c) return WEFT_OK;
  return weft_ocl_error(WEFT_ERR_INVALID_ARGUMENT, "opencl: %s: NULL buffer handle", op);
}

weft_status weft_ocl_axpy(int dev, weft_dtype dtype, size_t n, double a, const void *x,
                          const void *y, void *out) {
  weft_ocl_device *d = weft_ocl_device_get(dev);
  if (!d) return weft_ocl_device_status(dev);
  weft_status st = check_dtype(d, dtype, "axpy");
  if (st != WEFT_OK || n == 0) return st;
  if ((st = check_handles("axpy", x, y, out)) != WEFT_OK) return st;
  cl_mem mx = (cl_mem)x, my = (cl_mem)y, mout = (cl_mem)out;
  cl_ulong rows = n;
  cl_float af = (cl_float)a;
  cl_double ad = a;
  int f64 = dtype == WEFT_FLOAT64;
  weft_ocl_arg args[] = {f64 ? (weft_ocl_arg)WEFT_OCL_ARG(ad) : (weft_ocl_arg)WEFT_OCL_ARG(af),
                         WEFT_OCL_ARG(mx), WEFT_OCL_ARG(my), WEFT_OCL_ARG(mout),
                         WEFT_OCL_ARG(rows)};
  return launch_map(d, f64 ? WEFT_OCL_AXPY_F64 : WEFT_OCL_AXPY_F32, args, 5, n);
}

weft_status weft_ocl_bitmap_and(int dev, size_t nbytes, const void *a, const void *b, void *out) {
  weft_ocl_device *d = weft_ocl_device_get(dev);
  if (!d) return weft_ocl_device_status(dev);
  if (nbytes == 0) return WEFT_OK;
  weft_status st = check_handles("bitmap_and", a, b, out);
  if (st != WEFT_OK) return st;
  cl_mem ma = (cl_mem)a, mb = (cl_mem)b, mout = (cl_mem)out;
  cl_ulong bytes = nbytes;
  weft_ocl_arg args[] = {WEFT_OCL_ARG(ma), WEFT_OCL_ARG(mb), WEFT_OCL_ARG(mout),
                         WEFT_OCL_ARG(bytes)};
  return launch_map(d, WEFT_OCL_BITMAP_AND, args, 4, nbytes);
}

weft_status weft_ocl_zero_nulls(int dev, weft_dtype dtype, size_t n, const void *valid, void *out) {
  weft_ocl_device *d = weft_ocl_device_get(dev);
  if (!d) return weft_ocl_device_status(dev);
  weft_status st = check_dtype(d, dtype, "zero_nulls");
  if (st != WEFT_OK || n == 0) return st;
  if ((st = check_handles("zero_nulls", valid, out, out)) != WEFT_OK) return st;
  cl_mem mvalid = (cl_mem)valid, mout = (cl_mem)out;
  cl_ulong rows = n;
  weft_ocl_arg args[] = {WEFT_OCL_ARG(mvalid), WEFT_OCL_ARG(mout), WEFT_OCL_ARG(rows)};
  int k = dtype == WEFT_FLOAT64 ? WEFT_OCL_ZERO_NULLS_F64 : WEFT_OCL_ZERO_NULLS_F32;
  return launch_map(d, k, args, 3, n);
}

/* With the lock held: launches the reduction and reads `groups` partials of each kind. */
static weft_status reduce_locked(weft_ocl_device *d, int k, const weft_ocl_arg *args,
                                 size_t groups, double *sum, double *mn, double *mx,
                                 cl_ulong *count) {
  if (d->local[k] != WEFT_OCL_GROUP)
    return weft_ocl_error(WEFT_ERR_UNSUPPORTED,
                          "opencl: reduce needs work-groups of %d on device '%s', which allows %zu",
                          WEFT_OCL_GROUP, d->desc.name, d->local[k]);
  weft_status st = weft_ocl_launch_locked(d, k, args, 8, groups);
  if (st != WEFT_OK) return st;
  struct {
    cl_mem mem;
    void *dst;
  } reads[] = {{d->part_sum, sum}, {d->part_min, mn}, {d->part_max, mx}, {d->part_count, count}};
  for (int i = 0; i < 4; i++) {
    /* All but the last are non-blocking: the queue is in order, so the blocking last read
     * completes after them. */
    cl_int err = clEnqueueReadBuffer(d->queue, reads[i].mem, i == 3 ? CL_TRUE : CL_FALSE, 0,
                                     groups * 8, reads[i].dst, 0, NULL, NULL);
    if (err != CL_SUCCESS) {
      clFinish(d->queue); /* earlier reads must not land in freed stack memory */
      return weft_ocl_fail(d, "clEnqueueReadBuffer (reduction partials)", err);
    }
  }
  return WEFT_OK;
}

weft_status weft_ocl_reduce(int dev, weft_dtype dtype, size_t n, const void *x, const void *valid,
                            weft__reduce_partial *out) {
  weft_ocl_device *d = weft_ocl_device_get(dev);
  if (!d) return weft_ocl_device_status(dev);
  if (!out) return weft_ocl_error(WEFT_ERR_INVALID_ARGUMENT, "opencl: reduce: out is NULL");
  if (dtype != WEFT_FLOAT32 && dtype != WEFT_FLOAT64)
    return weft_ocl_error(WEFT_ERR_INVALID_ARGUMENT, "opencl: reduce: unknown dtype %d", (int)dtype);
  if (!d->desc.has_fp64) /* both reductions accumulate in double */
    return weft_ocl_error(WEFT_ERR_UNSUPPORTED, "opencl: reduce: device '%s' has no fp64",
                          d->desc.name);
  out->sum = 0.0;
  out->min = NAN;
  out->max = NAN;
  out->count = 0;
  if (n == 0) return WEFT_OK;
  if (!x) return weft_ocl_error(WEFT_ERR_INVALID_ARGUMENT, "opencl: reduce: NULL buffer handle");

  size_t groups = n / WEFT_OCL_GROUP + (n % WEFT_OCL_GROUP != 0);
  if (groups > WEFT_OCL_REDUCE_GROUPS) groups = WEFT_OCL_REDUCE_GROUPS;
  double sum[WEFT_OCL_REDUCE_GROUPS], mn[WEFT_OCL_REDUCE_GROUPS], mx[WEFT_OCL_REDUCE_GROUPS];
  cl_ulong count[WEFT_OCL_REDUCE_GROUPS];

  weft_status st = weft_ocl_lock_ready(d);
  if (st != WEFT_OK) return st;
  cl_mem mxs = (cl_mem)x, mvalid = (cl_mem)valid;
  cl_int has_valid = valid != NULL;
  cl_ulong rows = n;
  weft_ocl_arg args[8] = {WEFT_OCL_ARG(mxs), WEFT_OCL_ARG(mvalid), WEFT_OCL_ARG(has_valid),
                          WEFT_OCL_ARG(rows), WEFT_OCL_ARG(d->part_sum), WEFT_OCL_ARG(d->part_min),
                          WEFT_OCL_ARG(d->part_max), WEFT_OCL_ARG(d->part_count)};
  int k = dtype == WEFT_FLOAT64 ? WEFT_OCL_REDUCE_F64 : WEFT_OCL_REDUCE_F32;
  st = reduce_locked(d, k, args, groups, sum, mn, mx, count);
  pthread_mutex_unlock(&d->lock);
  if (st != WEFT_OK) return st;

  /* Combine in group order, so a device gives the same bits on every run. */
  for (size_t g = 0; g < groups; g++) {
    out->sum += sum[g];
    out->min = fmin(out->min, mn[g]);
    out->max = fmax(out->max, mx[g]);
    out->count += count[g];
  }
  return WEFT_OK;
}
