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

/* weft_knn_topk_merge of the values the tile's scratch holds; with the lock held. */
static weft_status knn_merge_locked(weft_ocl_device *d, const weft__knn_tile *t) {
  weft_status st = check_group(d, WEFT_OCL_KNN_TOPK_MERGE, "weft_knn_topk_merge");
  if (st != WEFT_OK) return st;
  cl_mem scratch = (cl_mem)t->scratch;
  cl_ulong nq = t->nq, nb = t->nb, k = t->k, position0 = t->position0;
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

/* With the lock held. */
static weft_status knn_tile_locked(weft_ocl_device *d, const weft__knn_tile *t) {
  weft_status st = check_group(d, WEFT_OCL_KNN_GEMM, "weft_knn_gemm");
  if (st != WEFT_OK) return st;
  if (t->nb > 0) {
    cl_mem q = (cl_mem)t->queries, x = (cl_mem)t->base, scratch = (cl_mem)t->scratch;
    cl_ulong nq = t->nq, nb = t->nb, dim = t->dim;
    weft_ocl_arg args[] = {WEFT_OCL_ARG(q),  WEFT_OCL_ARG(x),  WEFT_OCL_ARG(scratch),
                           WEFT_OCL_ARG(nq), WEFT_OCL_ARG(nb), WEFT_OCL_ARG(dim)};
    uint64_t tiles = ((uint64_t)t->nq + 63) / 64 * (((uint64_t)t->nb + 63) / 64);
    st = weft_ocl_launch_locked(d, WEFT_OCL_KNN_GEMM, args, 6, clamp_groups(tiles));
    if (st != WEFT_OK) return st;
  }
  return knn_merge_locked(d, t);
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

weft_status weft_ocl_knn_merge(int dev, const weft__knn_tile *t) {
  weft_ocl_device *d = weft_ocl_device_get(dev);
  if (!d) return weft_ocl_device_status(dev);
  if (!t) return knn_invalid("tile is NULL");
  if (t->nq == 0 || t->k == 0) return WEFT_OK;
  weft_status st = weft_ocl_lock_ready(d);
  if (st != WEFT_OK) return st;
  st = knn_merge_locked(d, t);
  pthread_mutex_unlock(&d->lock);
  return st;
}

/* The certified pass's two kernels (kernels/knn_certified.kern), grid-stride over the
 * nq x nb pairs. */
weft_status weft_ocl_knn_cert(int dev, const weft__knn_cert_args *a, int rerank) {
  weft_ocl_device *d = weft_ocl_device_get(dev);
  if (!d) return weft_ocl_device_status(dev);
  if (!a) return knn_invalid("certified pass args are NULL");
  if (a->nq == 0 || a->nb == 0) return WEFT_OK;
  const int k = rerank ? WEFT_OCL_KNN_CERT_RERANK : WEFT_OCL_KNN_CERT_BOUND;
  cl_ulong nq = a->nq, nb = a->nb, dim = a->dim, words = a->words, position0 = a->position0;
  cl_int int8 = a->int8, l2 = a->l2, has_allowed = a->allowed != NULL;
  cl_mem qw = (cl_mem)a->qwords, coef = (cl_mem)a->coef, panels = (cl_mem)a->panels;
  cl_mem nup = (cl_mem)a->norm_up, rup = (cl_mem)a->resid_up;
  /* unused arguments still need a buffer: the first one stands in */
  cl_mem scale = (cl_mem)(a->row_scale ? a->row_scale : a->norm_up);
  cl_mem norms = (cl_mem)(a->norms ? a->norms : a->norm_up);
  cl_mem qn = (cl_mem)(a->query_norms ? a->query_norms : a->coef);
  cl_mem bar = (cl_mem)a->bar, q = (cl_mem)a->queries, x = (cl_mem)a->base;
  cl_mem allowed = (cl_mem)(a->allowed ? a->allowed : a->norm_up);
  cl_mem count = (cl_mem)a->count, out = (cl_mem)a->out;
  const uint64_t pairs = (uint64_t)a->nq * a->nb;
  weft_status st = weft_ocl_lock_ready(d);
  if (st != WEFT_OK) return st;
  const size_t groups = clamp_groups((pairs + d->local[k] - 1) / d->local[k]);
  if (rerank) {
    weft_ocl_arg args[] = {WEFT_OCL_ARG(nq),     WEFT_OCL_ARG(nb),        WEFT_OCL_ARG(dim),
                           WEFT_OCL_ARG(words),  WEFT_OCL_ARG(int8),      WEFT_OCL_ARG(l2),
                           WEFT_OCL_ARG(qw),     WEFT_OCL_ARG(coef),      WEFT_OCL_ARG(panels),
                           WEFT_OCL_ARG(nup),    WEFT_OCL_ARG(rup),       WEFT_OCL_ARG(scale),
                           WEFT_OCL_ARG(norms),  WEFT_OCL_ARG(qn),        WEFT_OCL_ARG(bar),
                           WEFT_OCL_ARG(q),      WEFT_OCL_ARG(x),         WEFT_OCL_ARG(allowed),
                           WEFT_OCL_ARG(has_allowed), WEFT_OCL_ARG(position0),
                           WEFT_OCL_ARG(count),  WEFT_OCL_ARG(out)};
    st = weft_ocl_launch_locked(d, k, args, 22, groups);
  } else {
    weft_ocl_arg args[] = {WEFT_OCL_ARG(nq),    WEFT_OCL_ARG(nb),   WEFT_OCL_ARG(words),
                           WEFT_OCL_ARG(int8),  WEFT_OCL_ARG(l2),   WEFT_OCL_ARG(qw),
                           WEFT_OCL_ARG(coef),  WEFT_OCL_ARG(panels), WEFT_OCL_ARG(nup),
                           WEFT_OCL_ARG(rup),   WEFT_OCL_ARG(scale), WEFT_OCL_ARG(norms),
                           WEFT_OCL_ARG(qn),    WEFT_OCL_ARG(out)};
    st = weft_ocl_launch_locked(d, k, args, 14, groups);
  }
  pthread_mutex_unlock(&d->lock);
  return st;
}
