/* weft_ivf: create, train, add, remove, accessors. Search is ivf_scan.c, files ivf_file.c. */
#include "vector/ivf_index.h"
#include "core/progress.h"
#include "core/alloc.h"

#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/runtime.h"
#include "core/rwlock.h"
#include "vector/index_flat.h"
#include "vector/ivf_codec_sq8.h"
#include "vector/kmeans.h"

#define TRAIN_NITER_MAX 1000000u
#define MAX_POINTS_PER_CENTROID 256
#define ADD_BLOCK ((size_t)65536) /* rows normalized at a time (cosine) to find their list */

weft_status weft_ivf_create(size_t dim, size_t nlist, weft_metric metric, weft_ivf_codec codec,
                            weft_ivf **out) {
  WEFT_CHECK_ARG(out, "weft_ivf_create: out is NULL");
  *out = NULL;
  WEFT_CHECK_ARG(dim > 0 && dim <= (1u << 20), "weft_ivf_create: dim must be in 1..%u (got %zu)",
                 1u << 20, dim);
  WEFT_CHECK_ARG(nlist >= 1 && nlist <= (1u << 24), "weft_ivf_create: nlist must be in 1..%u "
                 "(got %zu)", 1u << 24, nlist);
  WEFT_CHECK_ARG(metric == WEFT_METRIC_L2 || metric == WEFT_METRIC_IP || metric == WEFT_METRIC_COSINE,
                 "weft_ivf_create: metric %d is not L2 (0), IP (1) or COSINE (2)", (int)metric);
  WEFT_CHECK_ARG(codec == WEFT_IVF_FLAT || codec == WEFT_IVF_SQ8,
                 "weft_ivf_create: codec %d is not FLAT (0) or SQ8 (1)", (int)codec);
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
  ivf->code_size = codec == WEFT_IVF_FLAT ? dim * sizeof(float) : dim;
  weft__rwlock_init_writer_first(&ivf->lock);
  *out = ivf;
  return WEFT_OK;
}

weft_status weft_ivf_free(weft_ivf *ivf) {
  if (!ivf) return WEFT_OK;
  pthread_rwlock_destroy(&ivf->lock);
  for (size_t l = 0; ivf->lists && l < ivf->nlist; l++) {
    free(ivf->lists[l].codes);
    free(ivf->lists[l].norms);
    free(ivf->lists[l].ids);
  }
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
  if (!lists || !c || !norms || !sq_min || !sq_step) {
    free(lists), free(c), free(norms), free(sq_min), free(sq_step);
    return weft__error(WEFT_ERR_OUT_OF_MEMORY, "%s: no host memory for %zu centroids of dim %zu",
                       fn, ivf->nlist, ivf->dim);
  }
  ivf->lists = lists;
  ivf->centroids = c, ivf->centroid_norms = norms, ivf->sq_min = sq_min, ivf->sq_step = sq_step;
  return WEFT_OK;
}

weft_status weft__ivf_finish_train(weft_ivf *ivf) {
  for (size_t c = 0; c < ivf->nlist; c++)
    ivf->centroid_norms[c] = weft__row_norm(ivf->centroids + c * ivf->dim, ivf->dim);
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
  const size_t dim = ivf->dim;
  WEFT_RETURN_NOT_OK(weft__check_vectors("weft_ivf_train: vectors", n, dim, vectors, ivf->metric));
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
  /* Progress: k-means' iterations; cancelled, the index stays untrained */
  weft__progress *progress = weft__progress_begin("ivf train", 0);
  weft_status st = centroids ? WEFT_OK
                             : weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_ivf_train: no host "
                                           "memory for %zu centroids", ivf->nlist);
  if (st == WEFT_OK)
    st = weft__kmeans("weft_ivf_train", n, dim, x, ivf->nlist, niter, seed,
                      MAX_POINTS_PER_CENTROID, weft__ivf_coarse_metric(ivf), centroids);
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
      weft__ivf_finish_train(ivf);
    }
    pthread_rwlock_unlock(&ivf->lock);
  }
  free(centroids);
  free(unit);
  return weft__progress_end(progress, st);
}

weft_status weft_ivf_is_trained(const weft_ivf *ivf, int *trained) {
  WEFT_CHECK_ARG(ivf && trained, "weft_ivf_is_trained: ivf and trained must not be NULL");
  pthread_rwlock_rdlock((pthread_rwlock_t *)&ivf->lock);
  *trained = ivf->trained;
  pthread_rwlock_unlock((pthread_rwlock_t *)&ivf->lock);
  return WEFT_OK;
}

weft_status weft__ivf_reserve(weft_ivf *ivf, weft__ivf_list *l, size_t need) {
  if (need <= l->capacity) return WEFT_OK;
  size_t cap = l->capacity + l->capacity / 2;
  if (cap < need) cap = need;
  uint8_t *c = weft__realloc(l->codes, cap * ivf->code_size);
  if (c) l->codes = c;
  float *nr = c ? weft__realloc(l->norms, cap * sizeof(float)) : NULL;
  if (nr) l->norms = nr;
  int64_t *id = nr ? weft__realloc(l->ids, cap * sizeof(int64_t)) : NULL;
  if (id) l->ids = id;
  if (!id)
    return weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_ivf_add: no host memory for a list of %zu "
                       "rows of dim %zu", cap, ivf->dim);
  l->capacity = cap;
  return WEFT_OK;
}

float weft__ivf_code_norm(const weft_ivf *ivf, const uint8_t *code) {
  const size_t dim = ivf->dim;
  /* flat rows are float-aligned (realloc'd, code_size a multiple of 4): the exact index's
   * own norm, so nprobe = nlist gives its distances bit for bit */
  if (ivf->codec == WEFT_IVF_FLAT) return weft__row_norm((const float *)(const void *)code, dim);
  /* sq8: the norm of the row as a scan decodes it, so l2 distances are
   * |x'|^2 - 2 q.x' + |q|^2 of one vector x' */
  float s = 0;
  for (size_t d = 0; d < dim; d++) {
    float v = ivf->sq_min[d] + ((float)code[d] + 0.5f) * ivf->sq_step[d];
    s += v * v;
  }
  return s;
}

void weft__ivf_put_row(weft_ivf *ivf, weft__ivf_list *l, size_t at, const float *row, int64_t id) {
  uint8_t *code = l->codes + at * ivf->code_size;
  if (ivf->codec == WEFT_IVF_FLAT) memcpy(code, row, ivf->dim * sizeof(float));
  else weft__sq8_encode(ivf->dim, ivf->sq_min, ivf->sq_step, row, code);
  l->norms[at] = weft__ivf_code_norm(ivf, code);
  l->ids[at] = id;
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

/* Sorts a list's rows by id (after an add put rows with smaller ids at its end). */
static weft_status sort_list(weft_ivf *ivf, weft__ivf_list *l) {
  size_t n = l->count, cs = ivf->code_size;
  int sorted = 1;
  for (size_t i = 1; i < n && sorted; i++) sorted = l->ids[i] > l->ids[i - 1];
  if (sorted) return WEFT_OK;
  typedef struct { int64_t id; size_t from; } slot;
  slot *o = weft__malloc(n * sizeof *o);
  uint8_t *codes = weft__malloc(n * cs);
  float *norms = weft__malloc(n * sizeof *norms);
  if (!o || !codes || !norms) {
    free(o), free(codes), free(norms);
    return weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_ivf_add: no host memory to order a list "
                       "of %zu rows", n);
  }
  for (size_t i = 0; i < n; i++) o[i] = (slot){l->ids[i], i};
  qsort(o, n, sizeof *o, cmp_i64); /* the id is the slot's first member */
  for (size_t i = 0; i < n; i++) {
    memcpy(codes + i * cs, l->codes + o[i].from * cs, cs);
    norms[i] = l->norms[o[i].from];
  }
  for (size_t i = 0; i < n; i++) l->ids[i] = o[i].id;
  memcpy(l->codes, codes, n * cs);
  memcpy(l->norms, norms, n * sizeof *norms);
  free(o), free(codes), free(norms);
  return WEFT_OK;
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
  weft_status st = WEFT_OK;
  if (!ivf->trained)
    st = weft__error(WEFT_ERR_INVALID_ARGUMENT, "weft_ivf_add: the index is not trained (call "
                     "weft_ivf_train first)");
  else if (n > WEFT_INDEX_MAX_ROWS - ivf->count)
    st = weft__error(WEFT_ERR_INVALID_ARGUMENT, "weft_ivf_add: %zu + %zu rows exceed the index "
                     "limit of %zu", ivf->count, n, WEFT_INDEX_MAX_ROWS);
  else if (!ids && (uint64_t)n > (uint64_t)WEFT_INDEX_MAX_ID + 1 - (uint64_t)ivf->next_id)
    st = weft__error(WEFT_ERR_INVALID_ARGUMENT, "weft_ivf_add: ids is NULL, and the %zu "
                     "sequential ids from %lld would pass the largest id %lld", n,
                     (long long)ivf->next_id, (long long)WEFT_INDEX_MAX_ID);
  if (st == WEFT_OK && ids) st = check_new_ids(ivf, n, ids);
  if (st == WEFT_OK) st = assign_rows(ivf, n, vectors, list);
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
      weft__ivf_put_row(ivf, l, l->count++, row, id);
      hi = id > hi ? id : hi;
    }
    ivf->count += n;
    if (hi >= ivf->next_id) ivf->next_id = hi + 1;
    /* an out-of-memory here leaves a list unsorted: ties may then go to a larger id */
    for (size_t l = 0; l < ivf->nlist; l++) {
      weft_status s = sort_list(ivf, &ivf->lists[l]);
      if (st == WEFT_OK) st = s;
    }
  }
  pthread_rwlock_unlock(&ivf->lock);
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
  size_t gone = 0, cs = ivf->code_size;
  for (size_t li = 0; ivf->lists && li < ivf->nlist && n; li++) {
    weft__ivf_list *l = &ivf->lists[li];
    size_t kept = 0;
    for (size_t i = 0; i < l->count; i++) {
      if (bsearch(&l->ids[i], sorted, n, sizeof *sorted, cmp_i64)) continue;
      if (kept != i) {
        memmove(l->codes + kept * cs, l->codes + i * cs, cs);
        l->norms[kept] = l->norms[i];
        l->ids[kept] = l->ids[i];
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
  if (ivf->lists)
    b += ivf->nlist * (sizeof(weft__ivf_list) + (ivf->dim + 1) * sizeof(float)) +
         2 * ivf->dim * sizeof(float);
  for (size_t l = 0; ivf->lists && l < ivf->nlist; l++)
    b += ivf->lists[l].capacity * (ivf->code_size + sizeof(float) + sizeof(int64_t));
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
