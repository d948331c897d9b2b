/* The pq codec's training and encoding: codebooks by weft__kmeans on slices of the training
 * residuals, codes by each slice's nearest sub-centroid (the same top-1 as the coarse lists). */
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "vector/index_flat.h"
#include "vector/ivf_codec_pq.h"
#include "vector/ivf_index.h"
#include "vector/kmeans.h"

/* faiss trains each sub-quantizer on at most 256 points a centroid */
#define TRAIN_POINTS_PER_CENTROID 256
#define ENCODE_BLOCK ((size_t)16384)

static size_t train_points(const weft_ivf *ivf, size_t n) {
  const size_t most = TRAIN_POINTS_PER_CENTROID * ivf->pq_ksub;
  return n < most ? n : most;
}

uint64_t weft__pq_train_work(const weft_ivf *ivf, size_t n, size_t niter) {
  const size_t ns = train_points(ivf, n);
  return (uint64_t)ns + (uint64_t)ivf->pq_m * niter * weft__kmeans_sample(ns, ivf->pq_ksub, 0);
}

weft_status weft__pq_train(const weft_ivf *ivf, size_t n, const float *x, const float *centroids,
                           size_t niter, uint64_t seed, float *out) {
  const size_t dim = ivf->dim, m = ivf->pq_m, ksub = ivf->pq_ksub, dsub = ivf->pq_dsub;
  /* an even stride through the rows: the residuals of a sample, not of all n */
  const size_t ns = train_points(ivf, n);
  float *res = weft__malloc(ns * dim * sizeof *res);
  float *slice = weft__malloc(ns * dsub * sizeof *slice);
  int64_t *assign = weft__malloc(ns * sizeof *assign);
  weft_status st = WEFT_OK;
  if (!res || !slice || !assign)
    st = weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_ivf_train: no host memory for %zu residuals "
                     "of dim %zu", ns, dim);
  if (st == WEFT_OK) {
    for (size_t i = 0; i < ns; i++) {
      size_t from = (size_t)((unsigned __int128)i * n / ns);
      memcpy(res + i * dim, x + from * dim, dim * sizeof *res);
    }
    st = weft__nearest_centroid(ns, res, ivf->nlist, centroids, dim, weft__ivf_coarse_metric(ivf),
                                assign);
  }
  if (st == WEFT_OK)
    for (size_t i = 0; i < ns; i++) {
      const float *c = centroids + (size_t)assign[i] * dim;
      for (size_t d = 0; d < dim; d++) res[i * dim + d] -= c[d];
    }
  for (size_t j = 0; j < m && st == WEFT_OK; j++) {
    for (size_t i = 0; i < ns; i++)
      memcpy(slice + i * dsub, res + i * dim + j * dsub, dsub * sizeof *slice);
    st = weft__kmeans("weft_ivf_train", ns, dsub, slice, ksub, niter, seed + 1 + j, 0,
                      WEFT__KNN_L2, out + j * ksub * dsub);
  }
  free(res), free(slice), free(assign);
  return st;
}

weft_status weft__pq_encode(const weft_ivf *ivf, size_t n, const float *x, const int64_t *list,
                            uint8_t *codes) {
  const size_t dim = ivf->dim, m = ivf->pq_m, ksub = ivf->pq_ksub, dsub = ivf->pq_dsub;
  size_t block = n < ENCODE_BLOCK ? n : ENCODE_BLOCK;
  float *res = weft__malloc(block * dim * sizeof *res);
  float *slice = weft__malloc(block * dsub * sizeof *slice);
  int64_t *assign = weft__malloc(block * sizeof *assign);
  weft_status st = WEFT_OK;
  if (!res || !slice || !assign)
    st = weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_ivf_add: no host memory to encode %zu rows",
                     block);
  for (size_t r0 = 0; r0 < n && st == WEFT_OK; r0 += block) {
    size_t nb = n - r0 < block ? n - r0 : block;
    memcpy(res, x + r0 * dim, nb * dim * sizeof *res);
    if (ivf->metric == WEFT_METRIC_COSINE) weft__normalize_rows(res, nb, dim);
    for (size_t i = 0; i < nb; i++) {
      const float *c = ivf->centroids + (size_t)list[r0 + i] * dim;
      for (size_t d = 0; d < dim; d++) res[i * dim + d] -= c[d];
    }
    for (size_t j = 0; j < m && st == WEFT_OK; j++) {
      for (size_t i = 0; i < nb; i++)
        memcpy(slice + i * dsub, res + i * dim + j * dsub, dsub * sizeof *slice);
      st = weft__nearest_centroid(nb, slice, ksub, ivf->pq_centroids + j * ksub * dsub, dsub,
                                  WEFT__KNN_L2, assign);
      for (size_t i = 0; i < nb && st == WEFT_OK; i++) codes[(r0 + i) * m + j] = (uint8_t)assign[i];
    }
  }
  free(res), free(slice), free(assign);
  return st;
}
