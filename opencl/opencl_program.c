/* Per-device program: the embedded kernels/ source, built on a device's first launch (with
 * -DWK_HAS_FP64 when the device has fp64), its kernels and the reduction scratch buffers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opencl_internal.h"

static const char *const kernel_names[WEFT_OCL_KERNEL_COUNT] = {
    [WEFT_OCL_AXPY_F32] = "weft_axpy_f32",
    [WEFT_OCL_AXPY_F64] = "weft_axpy_f64",
    [WEFT_OCL_ZERO_NULLS_F32] = "weft_zero_nulls_f32",
    [WEFT_OCL_ZERO_NULLS_F64] = "weft_zero_nulls_f64",
    [WEFT_OCL_BITMAP_AND] = "weft_bitmap_and",
    [WEFT_OCL_REDUCE_F32] = "weft_reduce_f32",
    [WEFT_OCL_REDUCE_F64] = "weft_reduce_f64",
    [WEFT_OCL_KNN_GEMM] = "weft_knn_gemm",
    [WEFT_OCL_KNN_TOPK_MERGE] = "weft_knn_topk_merge",
    [WEFT_OCL_KNN_SORT] = "weft_knn_sort",
    [WEFT_OCL_KNN_CERT_BOUND] = "weft_knn_cert_bound",
    [WEFT_OCL_KNN_CERT_RERANK] = "weft_knn_cert_rerank",
    [WEFT_OCL_EXPR_EVAL] = "weft_expr_eval",
    [WEFT_OCL_SORT_HISTOGRAM] = "weft_sort_histogram",
    [WEFT_OCL_SORT_SCAN] = "weft_sort_scan",
    [WEFT_OCL_SORT_SCATTER] = "weft_sort_scatter",
    [WEFT_OCL_JOIN_CLEAR] = "weft_join_clear",
    [WEFT_OCL_JOIN_INSERT] = "weft_join_insert",
    [WEFT_OCL_JOIN_RADIX_COUNT] = "weft_join_radix_count",
    [WEFT_OCL_JOIN_RADIX_SCATTER] = "weft_join_radix_scatter",
    [WEFT_OCL_JOIN_BOUNDS] = "weft_join_bounds",
    [WEFT_OCL_JOIN_PROBE_COUNT] = "weft_join_probe_count",
    [WEFT_OCL_JOIN_EMIT] = "weft_join_emit",
    [WEFT_OCL_JOIN_SCAN_BLOCKS] = "weft_join_scan_blocks",
    [WEFT_OCL_JOIN_SCAN_ADD] = "weft_join_scan_add",
    [WEFT_OCL_DESCRIBE_BLOCKS] = "weft_describe_blocks",
    [WEFT_OCL_CSV_BLOCK_SCAN] = "weft_csv_block_scan",
    [WEFT_OCL_CSV_GROUP_SCAN] = "weft_csv_group_scan",
    [WEFT_OCL_CSV_BLOCK_CHAIN] = "weft_csv_block_chain",
    [WEFT_OCL_CSV_GROUP_FIRST] = "weft_csv_group_first",
    [WEFT_OCL_CSV_BLOCK_STARTS] = "weft_csv_block_starts",
    [WEFT_OCL_CSV_FIELDS] = "weft_csv_fields",
};

static int needs_fp64(int k) {
  return k == WEFT_OCL_GROUP_FIRST + WEFT__GK_AGG || k == WEFT_OCL_GROUP_FIRST + WEFT__GK_AGG_MERGE ||
         k == WEFT_OCL_AXPY_F64 || k == WEFT_OCL_ZERO_NULLS_F64 || k == WEFT_OCL_REDUCE_F32 ||
         k == WEFT_OCL_REDUCE_F64 || k == WEFT_OCL_EXPR_EVAL || k == WEFT_OCL_DESCRIBE_BLOCKS ||
         (k >= WEFT_OCL_CSV_BLOCK_SCAN && k <= WEFT_OCL_CSV_FIELDS);
}

void weft_ocl_program_release(weft_ocl_device *d) {
  for (int k = 0; k < WEFT_OCL_KERNEL_COUNT; k++) {
    if (d->kernels[k]) clReleaseKernel(d->kernels[k]);
    d->kernels[k] = NULL;
    d->local[k] = 0;
  }
  cl_mem *scratch[] = {&d->part_sum, &d->part_min, &d->part_max, &d->part_count};
  for (size_t i = 0; i < sizeof scratch / sizeof scratch[0]; i++) {
    if (*scratch[i]) clReleaseMemObject(*scratch[i]);
    *scratch[i] = NULL;
  }
  if (d->program) clReleaseProgram(d->program);
  d->program = NULL;
}

/* WEFT_ERR_DEVICE with the (truncated) build log. */
static weft_status build_failed(weft_ocl_device *d, cl_program program, cl_int err) {
  char log[1536] = "";
  size_t size = 0;
  if (clGetProgramBuildInfo(program, d->id, CL_PROGRAM_BUILD_LOG, 0, NULL, &size) == CL_SUCCESS &&
      size > 0) {
    char *full = malloc(size + 1);
    if (full && clGetProgramBuildInfo(program, d->id, CL_PROGRAM_BUILD_LOG, size, full, NULL) ==
                    CL_SUCCESS) {
      full[size] = '\0';
      size_t len = strlen(full);
      while (len > 0 && (full[len - 1] == '\n' || full[len - 1] == ' ')) full[--len] = '\0';
      if (len >= sizeof log) {
        memcpy(log, full, sizeof log - 4);
        memcpy(log + sizeof log - 4, "...", 4);
      } else {
        memcpy(log, full, len + 1);
      }
    }
    free(full);
  }
  return weft_ocl_error(WEFT_ERR_DEVICE,
                        "opencl: clBuildProgram failed on device '%s': %s (%d); build log: %s",
                        d->desc.name, weft_ocl_error_name(err), (int)err, log[0] ? log : "(empty)");
}

/* The largest power of two <= min(WEFT_OCL_GROUP, what the device allows for `kernel`). */
static cl_int local_size(weft_ocl_device *d, cl_kernel kernel, size_t *out) {
  size_t allowed = 0;
  cl_int err = clGetKernelWorkGroupInfo(kernel, d->id, CL_KERNEL_WORK_GROUP_SIZE, sizeof allowed,
                                        &allowed, NULL);
  if (err != CL_SUCCESS) return err;
  size_t local = WEFT_OCL_GROUP;
  while (local > 1 && local > allowed) local >>= 1;
  *out = local;
  return CL_SUCCESS;
}

static weft_status create_scratch(weft_ocl_device *d) {
  cl_mem *scratch[] = {&d->part_sum, &d->part_min, &d->part_max, &d->part_count};
  for (size_t i = 0; i < sizeof scratch / sizeof scratch[0]; i++) {
    cl_int err = CL_SUCCESS;
    *scratch[i] = clCreateBuffer(d->context, CL_MEM_READ_WRITE, WEFT_OCL_REDUCE_GROUPS * 8, NULL,
                                 &err);
    if (err != CL_SUCCESS) return weft_ocl_fail(d, "clCreateBuffer (reduction scratch)", err);
  }
  return WEFT_OK;
}

weft_status weft_ocl_program_ready(weft_ocl_device *d) {
  if (d->program) return WEFT_OK;
  cl_int err = CL_SUCCESS;
  /* No fused multiply-add: kernels/dialect.h sets FP_CONTRACT OFF for every kernel. */
  const char *sources[] = {weft__opencl_kernel_source};
  cl_program program = clCreateProgramWithSource(d->context, 1, sources, NULL, &err);
  if (err != CL_SUCCESS) return weft_ocl_fail(d, "clCreateProgramWithSource", err);
  err = clBuildProgram(program, 1, &d->id, d->desc.has_fp64 ? "-DWK_HAS_FP64" : "", NULL, NULL);
  if (err != CL_SUCCESS) {
    weft_status st = build_failed(d, program, err);
    clReleaseProgram(program);
    return st;
  }
  d->program = program;
  weft_status st = WEFT_OK;
  for (int k = 0; k < WEFT_OCL_KERNEL_COUNT && st == WEFT_OK; k++) {
    if (needs_fp64(k) && !d->desc.has_fp64) continue;
    const char *name = k >= WEFT_OCL_GROUP_FIRST ? weft_ocl_group_kernel_names[k - WEFT_OCL_GROUP_FIRST]
                                                 : kernel_names[k];
    d->kernels[k] = clCreateKernel(program, name, &err);
    if (err != CL_SUCCESS) {
      char call[64];
      snprintf(call, sizeof call, "clCreateKernel(%s)", name);
      d->kernels[k] = NULL;
      st = weft_ocl_fail(d, call, err);
    } else if ((err = local_size(d, d->kernels[k], &d->local[k])) != CL_SUCCESS) {
      st = weft_ocl_fail(d, "clGetKernelWorkGroupInfo", err);
    }
  }
  if (st == WEFT_OK) st = create_scratch(d);
  if (st != WEFT_OK) weft_ocl_program_release(d);
  return st;
}
