/* Exact k-NN on CUDA: a tile is a GEMM (inner products into the scratch tile) then the
 * portable weft_knn_topk_merge (one block per query folds its row into its list); knn_sort
 * is the portable weft_knn_sort. The kernels are those OpenCL runs (kernels/). The GEMM is
 * cublasSgemm, or the portable weft_knn_gemm (what OpenCL runs, in the CPU's rounding
 * order) when WEFT_CUDA_KNN_GEMM=portable asks for the same ids and distances as the other
 * devices, or when cuBLAS cannot be loaded or get a handle on the device (cuda_cublas.cu). */
#include "cuda_internal.h"

#include <limits.h>

#include "dialect.h"
#include "knn_keys.kern"
#include "knn_gemm.kern"
#include "knn_topk.kern"
#include "knn_certified.kern"

static weft_status knn_invalid(const char *what) {
  return wc_error(WEFT_ERR_INVALID_ARGUMENT, "cuda: knn_tile: %s", what);
}

/* The host checked the tile's contract (vector/op_knn.c); cuBLAS adds int sizes. */
static weft_status check_tile(const weft__knn_tile *t) {
  if (t->nq > INT_MAX || t->nb > INT_MAX || t->dim > INT_MAX)
    return knn_invalid("nq, nb and dim must fit an int (cuBLAS)");
  return WEFT_OK;
}

/* Blocks for a group-stride kernel over n rows or tiles (n > 0). */
static unsigned knn_grid(uint64_t n) { return n > WC_MAX_GRID ? WC_MAX_GRID : (unsigned)n; }

weft_status wc_knn_inner_products(int dev, size_t nq, size_t nb, size_t dim, const void *queries,
                                  const void *base, void *out) {
  if (nq == 0 || nb == 0) return WEFT_OK;
  if (nq > INT_MAX || nb > INT_MAX || dim > INT_MAX)
    return wc_error(WEFT_ERR_INVALID_ARGUMENT, "cuda: knn: nq, nb and dim must fit an int");
  WC_ENTER(dev);
  if (dim == 0) { /* empty sums; cuBLAS would refuse lda = 0 */
    WC_CHECK(dev, cudaMemsetAsync(out, 0, nq * nb * sizeof(float), wc_g.devs[dev].stream));
    return WEFT_OK;
  }
  const wc_cublas_api *blas = nullptr;
  cublasHandle_t h = nullptr;
  WC_TRY(wc_cublas(dev, &blas, &h));
  /* Column-major, cuBLAS computes C (nb x nq) = X (nb x dim) * Q^T (dim x nq): the row-major
   * base and queries are X^T and Q^T column-major with leading dimension dim, and C
   * column-major with ldc = nb is the row-major nq x nb tile. */
  const float one = 1.0f, zero = 0.0f;
  cublasStatus_t s = blas->sgemm(h, CUBLAS_OP_T, CUBLAS_OP_N, (int)nb, (int)nq, (int)dim, &one,
                                 (const float *)base, (int)dim, (const float *)queries, (int)dim,
                                 &zero, (float *)out, (int)nb);
  if (s != CUBLAS_STATUS_SUCCESS) return wc_fail(dev, "cublasSgemm", s);
  if (wc_g.sync_check) WC_TRY(wc_sync_check(dev, "cublasSgemm"));
  return WEFT_OK;
}

weft_status wc_knn_gemm_portable(int dev, size_t nq, size_t nb, size_t dim, const void *queries,
                                 const void *base, void *out) {
  if (nq == 0 || nb == 0) return WEFT_OK;
  WC_ENTER(dev);
  const uint64_t tiles = ((uint64_t)nq + WK_GEMM_TILE - 1) / WK_GEMM_TILE *
                         (((uint64_t)nb + WK_GEMM_TILE - 1) / WK_GEMM_TILE);
  WC_LAUNCH(dev, weft_knn_gemm, knn_grid(tiles), (const float *)queries, (const float *)base,
            (float *)out, (wk_u64)nq, (wk_u64)nb, (wk_u64)dim);
  return WEFT_OK;
}

wc_gemm_kind wc_knn_gemm_kind(int dev) {
  const bool forced = wc_gemm_choice(wc_g.knn_gemm, true) == WC_GEMM_PORTABLE;
  const bool blas = !forced && wc_cublas_usable(dev);
  wc_device *d = &wc_g.devs[dev];
  std::lock_guard<std::mutex> guard(d->lock);
  if (!d->knn_note[0])
    wc_knn_note_text(d->knn_note, sizeof d->knn_note, wc_g.knn_gemm, blas, d->cublas_why);
  return wc_gemm_choice(wc_g.knn_gemm, blas);
}

const char *wc_knn_note(int dev) {
  if (dev < 0 || dev >= wc_g.count || !wc_g.devs) return nullptr;
  wc_device *d = &wc_g.devs[dev];
  std::lock_guard<std::mutex> guard(d->lock);
  return d->knn_note[0] ? d->knn_note : nullptr;
}

weft_status wc_knn_tile(int dev, const weft__knn_tile *t) {
  if (!t) return knn_invalid("tile is NULL");
  if (t->nq == 0 || t->k == 0) return WEFT_OK;
  WC_TRY(check_tile(t));
  WC_ENTER(dev);
  if (wc_knn_gemm_kind(dev) == WC_GEMM_CUBLAS)
    WC_TRY(wc_knn_inner_products(dev, t->nq, t->nb, t->dim, t->queries, t->base, t->scratch));
  else
    WC_TRY(wc_knn_gemm_portable(dev, t->nq, t->nb, t->dim, t->queries, t->base, t->scratch));
  return wc_knn_merge(dev, t); /* the products in scratch merged into the lists */
}

weft_status wc_knn_sort(int dev, size_t nq, size_t k, void *lists) {
  if (nq == 0 || k <= 1) return WEFT_OK;
  if (!lists) return wc_error(WEFT_ERR_INVALID_ARGUMENT, "cuda: knn_sort: lists is NULL");
  WC_ENTER(dev);
  WC_LAUNCH(dev, weft_knn_sort, knn_grid(nq), (wk_u64 *)lists, (wk_u64)nq, (wk_u64)k);
  return WEFT_OK;
}

weft_status wc_knn_merge(int dev, const weft__knn_tile *t) {
  if (!t) return knn_invalid("tile is NULL");
  if (t->nq == 0 || t->k == 0) return WEFT_OK;
  WC_ENTER(dev);
  WC_LAUNCH(dev, weft_knn_topk_merge, knn_grid(t->nq), (const float *)t->scratch, (wk_u64)t->nq,
            (wk_u64)t->nb, (const float *)t->base_norms, (wk_i32)t->metric,
            (const wk_u8 *)t->allowed, (wk_i32)(t->allowed != nullptr), (wk_u64)t->position0,
            (const wk_u64 *)t->list_in, (wk_u64 *)t->list_out, (wk_u64)t->k,
            (const float *)t->query_norms,
            (wk_i32)(t->metric == WEFT__KNN_L2 && t->query_norms != nullptr));
  return WEFT_OK;
}

/* The certified pass's kernels (kernels/knn_certified.kern, the code OpenCL runs). Its re-rank
 * is the portable weft_knn_gemm's arithmetic, so it runs only where knn_tile runs that GEMM
 * too: beside cuBLAS the answer would not be this device's fp32 scan's bit for bit, and the
 * host scans in fp32 instead (WEFT_ERR_UNSUPPORTED). */
weft_status wc_knn_cert(int dev, const weft__knn_cert_args *a, bool rerank) {
  if (!a) return knn_invalid("certified pass args are NULL");
  WC_ENTER(dev);
  if (wc_knn_gemm_kind(dev) == WC_GEMM_CUBLAS)
    return wc_error(WEFT_ERR_UNSUPPORTED, "cuda: the certified k-NN pass re-ranks with the "
                    "portable GEMM's arithmetic, and this device's fp32 scan is cuBLAS's");
  if (a->nq == 0 || a->nb == 0) return WEFT_OK;
  const unsigned grid = knn_grid(((uint64_t)a->nq * a->nb + WK_GROUP_SIZE - 1) / WK_GROUP_SIZE);
  if (rerank)
    WC_LAUNCH(dev, weft_knn_cert_rerank, grid, (wk_u64)a->nq, (wk_u64)a->nb, (wk_u64)a->dim,
              (wk_u64)a->words, (wk_i32)a->int8, (wk_i32)a->l2, (const wk_u32 *)a->qwords,
              (const float *)a->coef, (const wk_u32 *)a->panels, (const float *)a->norm_up,
              (const float *)a->resid_up, (const float *)a->row_scale, (const float *)a->norms,
              (const float *)a->query_norms, (const float *)a->bar, (const float *)a->queries,
              (const float *)a->base, (const wk_u8 *)a->allowed, (wk_i32)(a->allowed != nullptr),
              (wk_u64)a->position0, (wk_u32 *)a->count, (float *)a->out);
  else
    WC_LAUNCH(dev, weft_knn_cert_bound, grid, (wk_u64)a->nq, (wk_u64)a->nb, (wk_u64)a->words,
              (wk_i32)a->int8, (wk_i32)a->l2, (const wk_u32 *)a->qwords, (const float *)a->coef,
              (const wk_u32 *)a->panels, (const float *)a->norm_up, (const float *)a->resid_up,
              (const float *)a->row_scale, (const float *)a->norms, (const float *)a->query_norms,
              (float *)a->out);
  return WEFT_OK;
}
