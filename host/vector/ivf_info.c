/* The accessors of weft_ivf: what it holds and how it was made; the refine setting. */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "vector/ivf_codec_pq.h"
#include "vector/ivf_index.h"

weft_status weft_ivf_is_trained(const weft_ivf *ivf, int *trained) {
  WEFT_CHECK_ARG(ivf && trained, "weft_ivf_is_trained: ivf and trained must not be NULL");
  pthread_rwlock_rdlock((pthread_rwlock_t *)&ivf->lock);
  *trained = ivf->trained;
  pthread_rwlock_unlock((pthread_rwlock_t *)&ivf->lock);
  return WEFT_OK;
}

weft_status weft_ivf_size(const weft_ivf *ivf, size_t *count) {
  WEFT_CHECK_ARG(ivf && count, "weft_ivf_size: ivf and count must not be NULL");
  pthread_rwlock_rdlock((pthread_rwlock_t *)&ivf->lock);
  *count = ivf->count;
  pthread_rwlock_unlock((pthread_rwlock_t *)&ivf->lock);
  return WEFT_OK;
}

weft_status weft_ivf_info(const weft_ivf *ivf, size_t *dim, size_t *nlist, weft_metric *metric,
                          weft_ivf_codec *codec) {
  WEFT_CHECK_ARG(ivf, "weft_ivf_info: ivf is NULL");
  if (dim) *dim = ivf->dim;
  if (nlist) *nlist = ivf->nlist;
  if (metric) *metric = ivf->metric;
  if (codec) *codec = ivf->codec;
  return WEFT_OK;
}

weft_status weft_ivf_memory_bytes(const weft_ivf *ivf, size_t *bytes) {
  WEFT_CHECK_ARG(ivf && bytes, "weft_ivf_memory_bytes: ivf and bytes must not be NULL");
  pthread_rwlock_rdlock((pthread_rwlock_t *)&ivf->lock);
  size_t b = sizeof *ivf; /* an untrained index holds nothing else yet */
  if (ivf->lists) /* lists, centroids and their norms, sq8 ranges, pq codebooks */
    b += ivf->nlist * (sizeof(weft__ivf_list) + (ivf->dim + 1) * sizeof(float)) +
         (2 * ivf->dim + ivf->pq_ksub * ivf->dim) * sizeof(float) + weft__pq_derived_bytes(ivf);
  for (size_t l = 0; ivf->lists && l < ivf->nlist; l++) {
    weft__ivf_row_array a[WEFT__IVF_ROW_ARRAYS];
    weft__ivf_row_arrays(ivf, &ivf->lists[l], a);
    for (int i = 0; i < WEFT__IVF_ROW_ARRAYS; i++) b += ivf->lists[l].capacity * a[i].row_bytes;
  }
  pthread_rwlock_unlock((pthread_rwlock_t *)&ivf->lock);
  *bytes = b;
  return WEFT_OK;
}

weft_status weft_ivf_centroids(const weft_ivf *ivf, float *centroids) {
  WEFT_CHECK_ARG(ivf && centroids, "weft_ivf_centroids: ivf and centroids must not be NULL");
  pthread_rwlock_rdlock((pthread_rwlock_t *)&ivf->lock);
  int trained = ivf->trained;
  if (trained) memcpy(centroids, ivf->centroids, ivf->nlist * ivf->dim * sizeof(float));
  pthread_rwlock_unlock((pthread_rwlock_t *)&ivf->lock);
  WEFT_CHECK_ARG(trained, "weft_ivf_centroids: the index is not trained");
  return WEFT_OK;
}

weft_status weft_ivf_pq_info(const weft_ivf *ivf, size_t *m, size_t *nbits) {
  WEFT_CHECK_ARG(ivf, "weft_ivf_pq_info: ivf is NULL");
  if (m) *m = ivf->pq_m;
  if (nbits) *nbits = ivf->pq_nbits;
  return WEFT_OK;
}

weft_status weft_ivf_pq_codebooks(const weft_ivf *ivf, float *codebooks) {
  WEFT_CHECK_ARG(ivf && codebooks, "weft_ivf_pq_codebooks: ivf and codebooks must not be NULL");
  WEFT_CHECK_ARG(ivf->codec == WEFT_IVF_PQ, "weft_ivf_pq_codebooks: the index's codec is not pq");
  pthread_rwlock_rdlock((pthread_rwlock_t *)&ivf->lock);
  int trained = ivf->trained;
  if (trained) memcpy(codebooks, ivf->pq_centroids, ivf->pq_ksub * ivf->dim * sizeof(float));
  pthread_rwlock_unlock((pthread_rwlock_t *)&ivf->lock);
  WEFT_CHECK_ARG(trained, "weft_ivf_pq_codebooks: the index is not trained");
  return WEFT_OK;
}

weft_status weft_ivf_set_refine(weft_ivf *ivf, size_t k_factor) {
  WEFT_CHECK_ARG(ivf, "weft_ivf_set_refine: ivf is NULL");
  WEFT_CHECK_ARG(k_factor <= WEFT_IVF_MAX_REFINE, "weft_ivf_set_refine: k_factor must be in "
                 "0..%d (got %zu)", WEFT_IVF_MAX_REFINE, k_factor);
  pthread_rwlock_wrlock(&ivf->lock);
  weft_status st = WEFT_OK;
  if (k_factor && !ivf->keep_rows && ivf->count)
    st = weft__error(WEFT_ERR_INVALID_ARGUMENT, "weft_ivf_set_refine: k_factor = %zu needs the "
                     "float32 rows, which an index keeps only from its first add (it holds %zu "
                     "vectors without them)", k_factor, ivf->count);
  else if (k_factor && !ivf->keep_rows) /* no list holds a row yet: none has a capacity */
    for (size_t l = 0; ivf->lists && l < ivf->nlist && st == WEFT_OK; l++)
      if (ivf->lists[l].capacity) {
        ivf->lists[l].capacity = 0; /* reserve reallocates every array, rows included */
        free(ivf->lists[l].codes), free(ivf->lists[l].norms), free(ivf->lists[l].ids);
        ivf->lists[l].codes = NULL, ivf->lists[l].norms = NULL, ivf->lists[l].ids = NULL;
      }
  if (st == WEFT_OK) {
    if (k_factor) ivf->keep_rows = 1;
    ivf->refine = k_factor;
  }
  pthread_rwlock_unlock(&ivf->lock);
  return st;
}

weft_status weft_ivf_refine(const weft_ivf *ivf, size_t *k_factor, int *keeps_rows) {
  WEFT_CHECK_ARG(ivf, "weft_ivf_refine: ivf is NULL");
  pthread_rwlock_rdlock((pthread_rwlock_t *)&ivf->lock);
  if (k_factor) *k_factor = ivf->refine;
  if (keeps_rows) *keeps_rows = ivf->keep_rows;
  pthread_rwlock_unlock((pthread_rwlock_t *)&ivf->lock);
  return WEFT_OK;
}
