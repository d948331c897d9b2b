/* weft_ivf: create, train, add, remove. A list's rows are ivf_lists.c, accessors ivf_info.c,
 * search ivf_scan.c, files ivf_file.c, the pq codec ivf_pq_*.c. */
#include "vector/ivf_index.h"
#include "core/progress.h"
#include "core/alloc.h"

#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/runtime.h"
#include "core/rwlock.h"
#include "vector/index_flat.h"
#include "vector/ivf_codec_pq.h"
#include "vector/ivf_codec_sq8.h"
#include "vector/kmeans.h"

#define TRAIN_NITER_MAX 1000000u
#define MAX_POINTS_PER_CENTROID 256
#define ADD_BLOCK ((size_t)65536) /* rows normalized at a time (cosine) to find their list */

/* What weft_ivf_create and weft_ivf_create_pq share (fn: the caller, for errors). */
static weft_status create(const char *fn, size_t dim, size_t nlist, weft_metric metric,
                          weft_ivf_codec codec, size_t m, size_t nbits, weft_ivf **out) {
  WEFT_CHECK_ARG(out, "%s: out is NULL", fn);
  *out = NULL;
  WEFT_CHECK_ARG(dim > 0 && dim <= (1u << 20), "%s: dim must be in 1..%u (got %zu)", fn,
                 1u << 20, dim);
  WEFT_CHECK_ARG(nlist >= 1 && nlist <= (1u << 24), "%s: nlist must be in 1..%u (got %zu)", fn,
                 1u << 24, nlist);
  WEFT_CHECK_ARG(metric == WEFT_METRIC_L2 || metric == WEFT_METRIC_IP || metric == WEFT_METRIC_COSINE,
                 "%s: metric %d is not L2 (0), IP (1) or COSINE (2)", fn, (int)metric);
  if (codec == WEFT_IVF_PQ) {
    WEFT_CHECK_ARG(m >= 1 && m <= dim && dim % m == 0, "%s: m = %zu sub-quantizers must divide "
                   "dim = %zu", fn, m, dim);
    WEFT_CHECK_ARG(nbits >= WEFT_IVF_PQ_MIN_NBITS && nbits <= WEFT_IVF_PQ_MAX_NBITS,
                   "%s: nbits must be in %d..%d (got %zu)", fn, WEFT_IVF_PQ_MIN_NBITS,
                   WEFT_IVF_PQ_MAX_NBITS, nbits);
  }
  weft__runtime_init();
  /* The lists, the centroids and the codec's tables come with training
   * (weft__ivf_alloc_tables): an untrained index, however many lists it will have (or a
   * file that claims so), costs nothing until then. */
  weft_ivf *ivf = weft__calloc(1, sizeof *ivf);
  if (!ivf) {
    return weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_ivf_create: no host memory for %zu lists "
                       "of dim %zu", nlist, dim);
  }
  ivf->dim = dim;
  ivf->nlist = nlist;
  ivf->metric = metric;
  ivf->codec = codec;
  ivf->code_size = codec == WEFT_IVF_FLAT ? dim * sizeof(float) : codec == WEFT_IVF_PQ ? m : dim;
  if (codec == WEFT_IVF_PQ) /* one byte a code whatever nbits: the scan reads bytes */
    ivf->pq_m = m, ivf->pq_nbits = nbits, ivf->pq_ksub = (size_t)1 << nbits, ivf->pq_dsub = dim / m;
  weft__rwlock_init_writer_first(&ivf->lock);
  pthread_mutex_init(&ivf->prepare_lock, NULL);
  *out = ivf;
  return WEFT_OK;
}

weft_status weft_ivf_create(size_t dim, size_t nlist, weft_metric metric, weft_ivf_codec codec,
                            weft_ivf **out) {
  WEFT_CHECK_ARG(codec == WEFT_IVF_FLAT || codec == WEFT_IVF_SQ8,
                 "weft_ivf_create: codec %d is not FLAT (0) or SQ8 (1) (PQ: weft_ivf_create_pq)",
                 (int)codec);
  return create("weft_ivf_create", dim, nlist, metric, codec, 0, 0, out);
}

weft_status weft_ivf_create_pq(size_t dim, size_t nlist, weft_metric metric, size_t m,
                               size_t nbits, weft_ivf **out) {
  return create("weft_ivf_create_pq", dim, nlist, metric, WEFT_IVF_PQ, m, nbits, out);
}

weft_status weft__ivf_create_as(size_t dim, size_t nlist, weft_metric metric, weft_ivf_codec codec,
                                size_t m, size_t nbits, weft_ivf **out) {
  return create("weft_ivf_load", dim, nlist, metric, codec, m, nbits, out);
}

weft_status weft_ivf_free(weft_ivf *ivf) {
  if (!ivf) return WEFT_OK;
  pthread_rwlock_destroy(&ivf->lock);
  pthread_mutex_destroy(&ivf->prepare_lock);
  for (size_t l = 0; ivf->lists && l < ivf->nlist; l++) {
    weft__ivf_row_array a[WEFT__IVF_ROW_ARRAYS];
    weft__ivf_row_arrays(ivf, &ivf->lists[l], a);
    for (int i = 0; i < WEFT__IVF_ROW_ARRAYS; i++) /* mapped arrays go with the mapping */
      if (!(ivf->lists[l].mapped & (1u << i))) free(*a[i].at);
  }
  weft__ivf_unmap(ivf);
  free(ivf->pq_centroids);
  weft__pq_free_derived(ivf);
  free(ivf->lists);
  free(ivf->centroids);
  free(ivf->centroid_norms);
  free(ivf->sq_min);
  free(ivf->sq_step);
  free(ivf);
  return WEFT_OK;
}

weft_status weft__ivf_alloc_tables(weft_ivf *ivf, const char *fn) {
  if (ivf->centroids) return WEFT_OK;
  weft__ivf_list *lists = weft__calloc(ivf->nlist, sizeof *lists);
  float *c = weft__malloc(ivf->nlist * ivf->dim * sizeof(float));
  float *norms = weft__malloc(ivf->nlist * sizeof(float));
  float *sq_min = weft__malloc(ivf->dim * sizeof(float)), *sq_step = weft__malloc(ivf->dim * sizeof(float));
  size_t pq = ivf->pq_ksub * ivf->dim; /* 0 unless pq */
  float *pq_c = pq ? weft__malloc(pq * sizeof(float)) : NULL;
  if (!lists || !c || !norms || !sq_min || !sq_step || (pq && !pq_c)) {
    free(lists), free(c), free(norms), free(sq_min), free(sq_step), free(pq_c);
    return weft__error(WEFT_ERR_OUT_OF_MEMORY, "%s: no host memory for %zu centroids of dim %zu",
                       fn, ivf->nlist, ivf->dim);
  }
  ivf->lists = lists;
  ivf->centroids = c, ivf->centroid_norms = norms, ivf->sq_min = sq_min, ivf->sq_step = sq_step;
  ivf->pq_centroids = pq_c;
  return WEFT_OK;
}

weft_status weft__ivf_finish_train(weft_ivf *ivf) {
  for (size_t c = 0; c < ivf->nlist; c++)
    ivf->centroid_norms[c] = weft__row_norm(ivf->centroids + c * ivf->dim, ivf->dim);
  /* a mapped index leaves each list's pq terms to its first scan */
  if (ivf->codec == WEFT_IVF_PQ) WEFT_RETURN_NOT_OK(weft__pq_derive(ivf, !ivf->map_base));
  ivf->trained = 1;
  return WEFT_OK;
}

weft_status weft_ivf_train(weft_ivf *ivf, size_t n, const float *vectors, size_t niter,
                           uint64_t seed) {
  WEFT_CHECK_ARG(ivf, "weft_ivf_train: ivf is NULL");
  WEFT_CHECK_ARG(vectors || n == 0, "weft_ivf_train: vectors is NULL with n = %zu", n);
  WEFT_CHECK_ARG(niter <= TRAIN_NITER_MAX, "weft_ivf_train: niter must be in 0..%u (got %zu)",
                 TRAIN_NITER_MAX, niter);
  WEFT_CHECK_ARG(n >= ivf->nlist, "weft_ivf_train: vectors: %zu training vectors for nlist = %zu "
                 "lists: k-means needs at least one vector a list", n, ivf->nlist);
  WEFT_CHECK_ARG(n >= ivf->pq_ksub, "weft_ivf_train: vectors: %zu training vectors for nbits = %zu "
                 "(%zu centroids a sub-quantizer): k-means needs at least one vector a centroid",
                 n, ivf->pq_nbits, ivf->pq_ksub);
  const size_t dim = ivf->dim;
  WEFT_RETURN_NOT_OK(weft__check_vectors("weft_ivf_train: vectors", n, dim, vectors, ivf->metric));
  pthread_rwlock_rdlock(&ivf->lock);
  const size_t pq_niter = ivf->pq_niter_set ? ivf->pq_niter : niter;
  pthread_rwlock_unlock(&ivf->lock);
  /* cosine trains on the unit vectors the lists will hold */
  float *unit = NULL;
  const float *x = vectors;
  if (ivf->metric == WEFT_METRIC_COSINE) {
    if (!(unit = weft__malloc(n * dim * sizeof *unit)))
      return weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_ivf_train: no host memory to normalize "
                         "%zu vectors", n);
    memcpy(unit, vectors, n * dim * sizeof *unit);
    weft__normalize_rows(unit, n, dim);
    x = unit;
  }
  float *centroids = weft__malloc(ivf->nlist * dim * sizeof *centroids);
  size_t pq = ivf->pq_ksub * dim;
  float *pq_c = pq ? weft__malloc(pq * sizeof *pq_c) : NULL;
  /* Progress: k-means' iterations, then pq's, sized up front so the bar's total holds;
   * cancelled, the index stays untrained */
  uint64_t work = (uint64_t)niter * weft__kmeans_sample(n, ivf->nlist, MAX_POINTS_PER_CENTROID);
  if (pq) work += weft__pq_train_work(ivf, n, pq_niter);
  weft__progress *progress = weft__progress_begin_sized("ivf train", work);
  weft_status st = centroids && (!pq || pq_c)
                       ? WEFT_OK
                       : weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_ivf_train: no host memory "
                                     "for %zu centroids", ivf->nlist);
  if (st == WEFT_OK)
    st = weft__kmeans("weft_ivf_train", n, dim, x, ivf->nlist, niter, seed,
                      MAX_POINTS_PER_CENTROID, weft__ivf_coarse_metric(ivf), centroids);
  if (st == WEFT_OK && pq) st = weft__pq_train(ivf, n, x, centroids, pq_niter, seed, pq_c);
  if (st == WEFT_OK) {
    pthread_rwlock_wrlock(&ivf->lock);
    if (ivf->count != 0) {
      st = weft__error(WEFT_ERR_INVALID_ARGUMENT, "weft_ivf_train: the index holds %zu vectors, "
                       "whose lists a new training would invalidate (train an empty index)",
                       ivf->count);
    } else if ((st = weft__ivf_alloc_tables(ivf, "weft_ivf_train")) == WEFT_OK) {
      memcpy(ivf->centroids, centroids, ivf->nlist * dim * sizeof *centroids);
      /* the whole training set, not k-means' sample: faiss's scalar quantizer does so too */
      if (ivf->codec == WEFT_IVF_SQ8) weft__sq8_train(n, dim, x, ivf->sq_min, ivf->sq_step);
      if (pq) memcpy(ivf->pq_centroids, pq_c, pq * sizeof *pq_c);
      st = weft__ivf_finish_train(ivf);
    }
    pthread_rwlock_unlock(&ivf->lock);
  }
  free(centroids);
  free(pq_c);
  free(unit);
  return weft__progress_end(progress, st);
}

weft_status weft_ivf_set_pq_niter(weft_ivf *ivf, size_t niter) {
  WEFT_CHECK_ARG(ivf, "weft_ivf_set_pq_niter: ivf is NULL");
  WEFT_CHECK_ARG(ivf->codec == WEFT_IVF_PQ, "weft_ivf_set_pq_niter: the index's codec is %s, "
                 "which has no pq sub-quantizers", ivf->codec == WEFT_IVF_FLAT ? "flat" : "sq8");
  WEFT_CHECK_ARG(niter <= TRAIN_NITER_MAX, "weft_ivf_set_pq_niter: niter must be in 0..%u (got "
                 "%zu)", TRAIN_NITER_MAX, niter);
  pthread_rwlock_wrlock(&ivf->lock);
  ivf->pq_niter = niter, ivf->pq_niter_set = 1;
  pthread_rwlock_unlock(&ivf->lock);
  return WEFT_OK;
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

/* ids of an add: distinct, in 0..WEFT_INDEX_MAX_ID, none already held (lock held). */
static weft_status check_new_ids(const weft_ivf *ivf, size_t n, const int64_t *ids) {
  int64_t *sorted = weft__malloc(n * sizeof *sorted);
  if (!sorted) return weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_ivf_add: no host memory to check "
                                  "%zu ids", n);
  for (size_t i = 0; i < n; i++) {
    if (ids[i] < 0 || ids[i] > WEFT_INDEX_MAX_ID) {
      free(sorted);
      return weft__error(WEFT_ERR_INVALID_ARGUMENT, "weft_ivf_add: ids[%zu] = %lld is outside "
                         "0..%lld (-1 marks an empty result)", i, (long long)ids[i],
                         (long long)WEFT_INDEX_MAX_ID);
    }
    sorted[i] = ids[i];
  }
  qsort(sorted, n, sizeof *sorted, cmp_i64);
  weft_status st = WEFT_OK;
  for (size_t i = 1; i < n && st == WEFT_OK; i++)
    if (sorted[i] == sorted[i - 1])
      st = weft__error(WEFT_ERR_INVALID_ARGUMENT, "weft_ivf_add: ids: id %lld appears twice",
                       (long long)sorted[i]);
  for (size_t l = 0; ivf->lists && l < ivf->nlist && st == WEFT_OK; l++)
    for (size_t r = 0; r < ivf->lists[l].count; r++)
      if (bsearch(&ivf->lists[l].ids[r], sorted, n, sizeof *sorted, cmp_i64)) {
        st = weft__error(WEFT_ERR_INVALID_ARGUMENT, "weft_ivf_add: ids: id %lld is already in "
                         "the index", (long long)ivf->lists[l].ids[r]);
        break;
      }
  free(sorted);
  return st;
}

/* Each row's list: the nearest centroid of the row as kept (cosine: normalized). */
static weft_status assign_rows(const weft_ivf *ivf, size_t n, const float *vectors, int64_t *list) {
  const size_t dim = ivf->dim;
  if (ivf->metric != WEFT_METRIC_COSINE)
    return weft__nearest_centroid(n, vectors, ivf->nlist, ivf->centroids, dim,
                                  weft__ivf_coarse_metric(ivf), list);
  size_t block = n < ADD_BLOCK ? n : ADD_BLOCK;
  float *unit = weft__malloc(block * dim * sizeof *unit);
  if (!unit) return weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_ivf_add: no host memory to "
                                "normalize %zu rows", block);
  weft_status st = WEFT_OK;
  for (size_t r0 = 0; r0 < n && st == WEFT_OK; r0 += block) {
    size_t m = n - r0 < block ? n - r0 : block;
    memcpy(unit, vectors + r0 * dim, m * dim * sizeof *unit);
    weft__normalize_rows(unit, m, dim);
    st = weft__nearest_centroid(m, unit, ivf->nlist, ivf->centroids, dim,
                                weft__ivf_coarse_metric(ivf), list + r0);
  }
  free(unit);
  return st;
}

/* Under the write lock, before anything changes: a mapped index comes into memory first
 * (its lists must be writable), then the index must be trained and have room for n rows
 * and their ids. */
static weft_status check_room_to_add(weft_ivf *ivf, size_t n, const int64_t *ids) {
  WEFT_RETURN_NOT_OK(weft__ivf_own(ivf, "weft_ivf_add"));
  if (!ivf->trained)
    return weft__error(WEFT_ERR_INVALID_ARGUMENT, "weft_ivf_add: the index is not trained (call "
                       "weft_ivf_train first)");
  if (n > WEFT_INDEX_MAX_ROWS - ivf->count)
    return weft__error(WEFT_ERR_INVALID_ARGUMENT, "weft_ivf_add: %zu + %zu rows exceed the "
                       "index limit of %zu", ivf->count, n, WEFT_INDEX_MAX_ROWS);
  if (!ids && (uint64_t)n > (uint64_t)WEFT_INDEX_MAX_ID + 1 - (uint64_t)ivf->next_id)
    return weft__error(WEFT_ERR_INVALID_ARGUMENT, "weft_ivf_add: ids is NULL, and the %zu "
                       "sequential ids from %lld would pass the largest id %lld", n,
                       (long long)ivf->next_id, (long long)WEFT_INDEX_MAX_ID);
  return ids ? check_new_ids(ivf, n, ids) : WEFT_OK;
}

weft_status weft_ivf_add(weft_ivf *ivf, size_t n, const float *vectors, const int64_t *ids) {
  WEFT_CHECK_ARG(ivf, "weft_ivf_add: ivf is NULL");
  if (n == 0) return WEFT_OK;
  WEFT_CHECK_ARG(vectors, "weft_ivf_add: vectors is NULL with n = %zu", n);
  /* before the vectors are read: a k-NN key holds a row's position in 32 bits (knn_keys.h) */
  WEFT_CHECK_ARG(n <= WEFT_INDEX_MAX_ROWS, "weft_ivf_add: n = %zu exceeds the index limit of "
                 "%zu rows", n, WEFT_INDEX_MAX_ROWS);
  const size_t dim = ivf->dim;
  WEFT_RETURN_NOT_OK(weft__check_vectors("weft_ivf_add: vectors", n, dim, vectors, ivf->metric));
  int64_t *list = weft__malloc(n * sizeof *list);
  float *unit = weft__malloc(dim * sizeof *unit);
  if (!list || !unit) {
    free(list), free(unit);
    return weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_ivf_add: no host memory for %zu rows", n);
  }
  /* Progress: the rows assigned to their lists, before anything is added: cancelled there,
   * the index is unchanged */
  weft__progress *progress = weft__progress_begin("ivf add", n);
  pthread_rwlock_wrlock(&ivf->lock);
  weft_status st = check_room_to_add(ivf, n, ids);
  if (st == WEFT_OK) st = assign_rows(ivf, n, vectors, list);
  uint8_t *pq_codes = NULL; /* each row's code, found in blocks (a k-means assignment each) */
  if (st == WEFT_OK && ivf->codec == WEFT_IVF_PQ &&
      !(pq_codes = weft__malloc(n * ivf->code_size)))
    st = weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_ivf_add: no host memory for %zu codes", n);
  if (st == WEFT_OK && pq_codes) st = weft__pq_encode(ivf, n, vectors, list, pq_codes);
  if (st == WEFT_ERR_CANCELLED) weft__error_context(st, "weft_ivf_add");
  if (st == WEFT_OK) { /* room in every list first, so a failure adds nothing */
    size_t *grow = weft__calloc(ivf->nlist, sizeof *grow);
    if (!grow) st = weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_ivf_add: no host memory");
    for (size_t i = 0; grow && i < n; i++) grow[list[i]]++;
    for (size_t l = 0; grow && l < ivf->nlist && st == WEFT_OK; l++)
      if (grow[l]) st = weft__ivf_reserve(ivf, &ivf->lists[l], ivf->lists[l].count + grow[l]);
    free(grow);
  }
  if (st == WEFT_OK) {
    int64_t first = ivf->next_id, hi = -1;
    for (size_t i = 0; i < n; i++) {
      weft__ivf_list *l = &ivf->lists[list[i]];
      int64_t id = ids ? ids[i] : first + (int64_t)i;
      const float *row = vectors + i * dim;
      if (ivf->metric == WEFT_METRIC_COSINE) {
        memcpy(unit, row, dim * sizeof *unit);
        weft__normalize_rows(unit, 1, dim);
        row = unit;
      }
      weft__ivf_put_row(ivf, l, l->count++, row, id, pq_codes ? pq_codes + i * ivf->code_size : NULL);
      hi = id > hi ? id : hi;
    }
    ivf->count += n;
    if (hi >= ivf->next_id) ivf->next_id = hi + 1;
    /* an out-of-memory here leaves a list unsorted: ties may then go to a larger id */
    for (size_t l = 0; l < ivf->nlist; l++) {
      weft_status s = weft__ivf_sort_list(ivf, &ivf->lists[l]);
      if (st == WEFT_OK) st = s;
      weft__ivf_trim(ivf, &ivf->lists[l]);
    }
  }
  pthread_rwlock_unlock(&ivf->lock);
  free(pq_codes);
  free(list);
  free(unit);
  return weft__progress_end(progress, st);
}

weft_status weft_ivf_remove(weft_ivf *ivf, size_t n, const int64_t *ids, size_t *removed) {
  WEFT_CHECK_ARG(ivf, "weft_ivf_remove: ivf is NULL");
  WEFT_CHECK_ARG(ids || n == 0, "weft_ivf_remove: ids is NULL with n = %zu", n);
  if (removed) *removed = 0;
  int64_t *sorted = weft__malloc((n ? n : 1) * sizeof *sorted);
  if (!sorted) return weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_ivf_remove: no host memory");
  if (n) memcpy(sorted, ids, n * sizeof *ids);
  qsort(sorted, n, sizeof *sorted, cmp_i64);
  pthread_rwlock_wrlock(&ivf->lock);
  weft_status owned = n ? weft__ivf_own(ivf, "weft_ivf_remove") : WEFT_OK;
  if (owned != WEFT_OK) {
    pthread_rwlock_unlock(&ivf->lock);
    free(sorted);
    return owned;
  }
  size_t gone = 0;
  for (size_t li = 0; ivf->lists && li < ivf->nlist && n; li++) {
    weft__ivf_list *l = &ivf->lists[li];
    weft__ivf_row_array a[WEFT__IVF_ROW_ARRAYS];
    weft__ivf_row_arrays(ivf, l, a);
    size_t kept = 0;
    for (size_t i = 0; i < l->count; i++) {
      if (bsearch(&l->ids[i], sorted, n, sizeof *sorted, cmp_i64)) continue;
      for (int k = 0; k < WEFT__IVF_ROW_ARRAYS && kept != i; k++) {
        size_t rb = a[k].row_bytes;
        if (rb) memmove((uint8_t *)*a[k].at + kept * rb, (uint8_t *)*a[k].at + i * rb, rb);
      }
      kept++;
    }
    gone += l->count - kept;
    l->count = kept;
  }
  ivf->count -= gone;
  pthread_rwlock_unlock(&ivf->lock);
  free(sorted);
  if (removed) *removed = gone;
  return WEFT_OK;
}

