/* Exact k-NN on OpenCL: a tile is weft_knn_gemm (inner products into the scratch tile) then
 * weft_knn_topk_merge (one work-group per query folds its row into its list); knn_sort is
 * weft_knn_sort. All three kernels are kernels/ code shared with CUDA, which uses cuBLAS
 * for the product instead. */
#include <stdint.h>

#include "opencl_internal.h"

static weft_status knn_invalid(const char *what) {
  return weft_ocl_error(WEFT_ERR_INVALID_ARGUMENT, "opencl: knn_tile: %s", what);
}

/* The knn kernels size their local arrays for WEFT_OCL_GROUP work-items. */
static weft_status check_group(weft_ocl_device *d, int k, const char *name) {
  if (d->local[k] == WEFT_OCL_GROUP) return WEFT_OK;
  return weft_ocl_error(WEFT_ERR_UNSUPPORTED,
                        "opencl: %s needs work-groups of %d on device '%s', which allows %zu", name,
                        WEFT_OCL_GROUP, d->desc.name, d->local[k]);
}

static size_t clamp_groups(uint64_t n) {
  return n > WEFT_OCL_MAX_GROUPS ? WEFT_OCL_MAX_GROUPS : (size_t)n;
}

/* With the lock held. */
static weft_status knn_tile_locked(weft_ocl_device *d, const weft__knn_tile *t) {
  weft_status st = check_group(d, WEFT_OCL_KNN_GEMM, "weft_knn_gemm");
  if (st == WEFT_OK) st = check_group(d, WEFT_OCL_KNN_TOPK_MERGE, "weft_knn_topk_merge");
  if (st != WEFT_OK) return st;
  cl_mem scratch = (cl_mem)t->scratch;
  cl_ulong nq = t->nq, nb = t->nb, dim = t->dim, k = t->k, position0 = t->position0;
  if (t->nb > 0) {
    cl_mem q = (cl_mem)t->queries, x = (cl_mem)t->base;
    weft_ocl_arg args[] = {WEFT_OCL_ARG(q),  WEFT_OCL_ARG(x),  WEFT_OCL_ARG(scratch),
                           WEFT_OCL_ARG(nq), WEFT_OCL_ARG(nb), WEFT_OCL_ARG(dim)};
    uint64_t tiles = ((uint64_t)t->nq + 63) / 64 * (((uint64_t)t->nb + 63) / 64);
    st = weft_ocl_launch_locked(d, WEFT_OCL_KNN_GEMM, args, 6, clamp_groups(tiles));
    if (st != WEFT_OK) return st;
  }
  cl_mem norms = (cl_mem)t->base_norms, allowed = (cl_mem)t->allowed;
  cl_mem in = (cl_mem)t->list_in, out = (cl_mem)t->list_out;
  cl_mem qnorms = (cl_mem)t->query_norms;
  cl_int metric = (cl_int)t->metric, has_allowed = t->allowed != NULL;
  cl_int with_qn = t->metric == WEFT__KNN_L2 && t->query_norms != NULL;
  weft_ocl_arg args[] = {WEFT_OCL_ARG(scratch),     WEFT_OCL_ARG(nq),     WEFT_OCL_ARG(nb),
                         WEFT_OCL_ARG(norms),       WEFT_OCL_ARG(metric), WEFT_OCL_ARG(allowed),
                         WEFT_OCL_ARG(has_allowed), WEFT_OCL_ARG(position0),
                         WEFT_OCL_ARG(in),          WEFT_OCL_ARG(out),    WEFT_OCL_ARG(k),
                         WEFT_OCL_ARG(qnorms),      WEFT_OCL_ARG(with_qn)};
  return weft_ocl_launch_locked(d, WEFT_OCL_KNN_TOPK_MERGE, args, 13, clamp_groups(t->nq));
}

weft_status weft_ocl_knn_tile(int dev, const weft__knn_tile *t) {
  weft_ocl_device *d = weft_ocl_device_get(dev);
  if (!d) return weft_ocl_device_status(dev);
  if (!t) return knn_invalid("tile is NULL");
  if (t->nq == 0 || t->k == 0) return WEFT_OK;
  /* the tile's contract was checked by the host (vector/op_knn.c) */
  weft_status st = weft_ocl_lock_ready(d);
  if (st != WEFT_OK) return st;
  st = knn_tile_locked(d, t);
  pthread_mutex_unlock(&d->lock);
  return st;
}

weft_status weft_ocl_knn_sort(int dev, size_t nq, size_t k, void *lists) {
  weft_ocl_device *d = weft_ocl_device_get(dev);
  if (!d) return weft_ocl_device_status(dev);
  if (nq == 0 || k <= 1) return WEFT_OK;
  if (!lists) return weft_ocl_error(WEFT_ERR_INVALID_ARGUMENT, "opencl: knn_sort: lists is NULL");
  weft_status st = weft_ocl_lock_ready(d);
  if (st != WEFT_OK) return st;
  st = check_group(d, WEFT_OCL_KNN_SORT, "weft_knn_sort");
  if (st == WEFT_OK) {
    cl_mem mem = (cl_mem)lists;
    cl_ulong rows = nq, keys = k;
    weft_ocl_arg args[] = {WEFT_OCL_ARG(mem), WEFT_OCL_ARG(rows), WEFT_OCL_ARG(keys)};
    st = weft_ocl_launch_locked(d, WEFT_OCL_KNN_SORT, args, 3, clamp_groups(nq));
  }
  pthread_mutex_unlock(&d->lock);
  return st;
}
