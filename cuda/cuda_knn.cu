/* Exact k-NN on CUDA: a tile is cublasSgemm (inner products into the scratch tile) then the
 * portable weft_knn_topk_merge (one block per query folds its row into its list); knn_sort
 * is the portable weft_knn_sort. The kernels are those OpenCL runs (kernels/), which uses
 * weft_knn_gemm for the product; it is compiled here too, for the self-test. When cuBLAS
 * cannot be opened (cuda_cublas.cu), knn_tile fails with the reason and the host reruns the
 * rows on the CPU, saying why in the exec report. */
#include "cuda_internal.h"

#include <limits.h>

#include "dialect.h"
#include "knn_keys.kern"
#include "knn_gemm.kern"
#include "knn_topk.kern"

static weft_status knn_invalid(const char *what) {
  return wc_error(WEFT_ERR_INVALID_ARGUMENT, "cuda: knn_tile: %s", what);
}

/* The contract of weft__knn_tile as the kernels (and cuBLAS's int sizes) need it. */
static weft_status check_tile(const weft__knn_tile *t) {
  if (t->metric != WEFT__KNN_L2 && t->metric != WEFT__KNN_IP) return knn_invalid("unknown metric");
  if (t->k > UINT32_MAX || t->nb > UINT32_MAX || t->position0 > ((uint64_t)1 << 32) - t->nb)
    return knn_invalid("k, nb and the positions must fit 32 bits");
  if (t->nq > INT_MAX || t->nb > INT_MAX || t->dim > INT_MAX)
    return knn_invalid("nq, nb and dim must fit an int (cuBLAS)");
  if (!t->list_in || !t->list_out) return knn_invalid("NULL list handle");
  if (t->list_in == t->list_out) return knn_invalid("list_in and list_out must differ on a device");
  if (t->nb > 0 && (!t->queries || !t->base || !t->scratch))
    return knn_invalid("NULL queries, base or scratch handle");
  if (t->nb > 0 && t->metric == WEFT__KNN_L2 && !t->base_norms)
    return knn_invalid("L2 needs base_norms");
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

weft_status wc_knn_tile(int dev, const weft__knn_tile *t) {
  if (!t) return knn_invalid("tile is NULL");
  if (t->nq == 0 || t->k == 0) return WEFT_OK;
  WC_TRY(check_tile(t));
  WC_ENTER(dev);
  WC_TRY(wc_knn_inner_products(dev, t->nq, t->nb, t->dim, t->queries, t->base, t->scratch));
  WC_LAUNCH(dev, weft_knn_topk_merge, knn_grid(t->nq), (const float *)t->scratch, (wk_u64)t->nq,
            (wk_u64)t->nb, (const float *)t->base_norms, (wk_i32)t->metric,
            (const wk_u8 *)t->allowed, (wk_i32)(t->allowed != nullptr), (wk_u64)t->position0,
            (const wk_u64 *)t->list_in, (wk_u64 *)t->list_out, (wk_u64)t->k,
            (const float *)t->query_norms,
            (wk_i32)(t->metric == WEFT__KNN_L2 && t->query_norms != nullptr));
  return WEFT_OK;
}

weft_status wc_knn_sort(int dev, size_t nq, size_t k, void *lists) {
  if (nq == 0 || k <= 1) return WEFT_OK;
  if (!lists) return wc_error(WEFT_ERR_INVALID_ARGUMENT, "cuda: knn_sort: lists is NULL");
  WC_ENTER(dev);
  WC_LAUNCH(dev, weft_knn_sort, knn_grid(nq), (wk_u64 *)lists, (wk_u64)nq, (wk_u64)k);
  return WEFT_OK;
}
