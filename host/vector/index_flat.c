/* weft_index: create, add, remove, accessors. Search is op_knn.c, files index_file.c. */
#include "vector/index_flat.h"
#include "core/progress.h"
#include "core/alloc.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/runtime.h"
#include "core/rwlock.h"
#include "vector/knn_bf16_base.h"
#include "vector/knn_int8_base.h"

static const char *metric_name(weft_metric m) {
  return m == WEFT_METRIC_L2 ? "l2" : m == WEFT_METRIC_IP ? "ip" : "cosine";
}

weft_status weft__check_vectors(const char *what, size_t n, size_t dim, const float *v,
                                weft_metric metric) {
  for (size_t i = 0; i < n; i++) {
    const float *row = v + i * dim;
    double sq = 0;
    for (size_t j = 0; j < dim; j++) {
      if (!isfinite(row[j]))
        return weft__error(WEFT_ERR_INVALID_ARGUMENT, "%s: row %zu, column %zu is %g (NaN and "
                           "inf are not allowed)", what, i, j, (double)row[j]);
      sq += (double)row[j] * row[j];
    }
    if (metric == WEFT_METRIC_COSINE) {
      if (sq == 0)
        return weft__error(WEFT_ERR_INVALID_ARGUMENT, "%s: row %zu is all zeros, which has no "
                           "direction for the cosine metric", what, i);
      if (sq < FLT_MIN || sq > FLT_MAX)
        return weft__error(WEFT_ERR_INVALID_ARGUMENT, "%s: row %zu has squared norm %g, outside "
                           "the float32 range %g..%g in which the cosine metric normalizes it "
                           "(scale the row)", what, i, sq, (double)FLT_MIN, (double)FLT_MAX);
    } else if (sq > WEFT_INDEX_MAX_SQUARED_NORM) {
      return weft__error(WEFT_ERR_INVALID_ARGUMENT, "%s: row %zu has squared norm %g, above the "
                         "%g (float32 max / 4) past which %s distances overflow float32 (scale "
                         "the row)", what, i, sq, WEFT_INDEX_MAX_SQUARED_NORM, metric_name(metric));
    }
  }
  return WEFT_OK;
}

void weft__normalize_rows(float *v, size_t n, size_t dim) {
  for (size_t i = 0; i < n; i++) {
    float *row = v + i * dim;
    double sq = 0;
    for (size_t j = 0; j < dim; j++) sq += (double)row[j] * row[j];
    float inv = (float)(1.0 / sqrt(sq));
    for (size_t j = 0; j < dim; j++) row[j] *= inv;
  }
}

float weft__row_norm(const float *row, size_t dim) {
  float s = 0;
  for (size_t j = 0; j < dim; j++) s += row[j] * row[j];
  return s;
}

weft_status weft_index_create(size_t dim, weft_metric metric, weft_index **out) {
  WEFT_CHECK_ARG(out, "weft_index_create: out is NULL");
  *out = NULL;
  WEFT_CHECK_ARG(dim > 0 && dim <= (1u << 20), "weft_index_create: dim must be in 1..%u (got %zu)",
                 1u << 20, dim);
  WEFT_CHECK_ARG(metric == WEFT_METRIC_L2 || metric == WEFT_METRIC_IP || metric == WEFT_METRIC_COSINE,
                 "weft_index_create: metric %d is not L2 (0), IP (1) or COSINE (2)", (int)metric);
  weft__runtime_init();
  weft_index *ix = weft__calloc(1, sizeof *ix);
  if (!ix) return weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_index_create: host allocation failed");
  ix->dim = dim;
  ix->metric = metric;
  weft__rwlock_init_writer_first(&ix->lock);
  pthread_mutex_init(&ix->bf16_lock, NULL);
  pthread_mutex_init(&ix->int8_lock, NULL);
  *out = ix;
  return WEFT_OK;
}

weft_status weft__index_adopt(size_t dim, weft_metric metric, size_t count, float *vectors,
                              int64_t *ids, weft_index **out) {
  weft_index *ix;
  WEFT_CHECK_ARG(count <= WEFT_INDEX_MAX_ROWS, "an index of %zu rows exceeds the limit of %zu "
                 "(a k-NN key holds a row's position in 32 bits)", count, WEFT_INDEX_MAX_ROWS);
  WEFT_RETURN_NOT_OK(weft_index_create(dim, metric, &ix));
  ix->norms = weft__malloc((count ? count : 1) * sizeof(float));
  if (!ix->norms) {
    weft_index_free(ix);
    return weft__error(WEFT_ERR_OUT_OF_MEMORY, "index of %zu rows: no host memory for norms", count);
  }
  for (size_t i = 0; i < count; i++) ix->norms[i] = weft__row_norm(vectors + i * dim, dim);
  ix->vectors = vectors;
  ix->ids = ids;
  ix->count = ix->capacity = count;
  ix->next_id = count ? ids[count - 1] + 1 : 0;
  *out = ix;
  return WEFT_OK;
}

/* The caller's release of borrowed rows. Taken under the index lock when the index stops
 * borrowing, called after it is unlocked: a release may take locks of its own (Python's
 * GIL), and a thread holding one of those may be waiting for the index. */
typedef struct { weft_release_fn fn; void *ctx; } borrow_release;

static borrow_release end_borrow(weft_index *ix) {
  borrow_release r = {ix->borrowed ? ix->release : NULL, ix->release_ctx};
  ix->borrowed = 0;
  ix->release = NULL;
  ix->release_ctx = NULL;
  return r;
}

static void run_release(borrow_release r) {
  if (r.fn) r.fn(r.ctx);
}

/* Copy on write: the borrowed rows into memory of the index's own, room for `cap` rows;
 * *released gets the release to run once unlocked. */
static weft_status own_rows(weft_index *ix, size_t cap, const char *what,
                            borrow_release *released) {
  if (!ix->borrowed) return WEFT_OK;
  if (cap < ix->count) cap = ix->count;
  float *own = weft__malloc((cap ? cap : 1) * ix->dim * sizeof(float));
  if (!own)
    return weft__error(WEFT_ERR_OUT_OF_MEMORY, "%s: no host memory to copy the %zu borrowed rows "
                       "of dim %zu", what, ix->count, ix->dim);
  memcpy(own, ix->vectors, ix->count * ix->dim * sizeof(float));
  ix->vectors = own;
  *released = end_borrow(ix);
  return WEFT_OK;
}

weft_status weft_index_free(weft_index *index) {
  if (!index) return WEFT_OK;
  pthread_rwlock_destroy(&index->lock);
  pthread_mutex_destroy(&index->bf16_lock);
  weft__bf16_base_free(index->bf16);
  pthread_mutex_destroy(&index->int8_lock);
  weft__int8_base_free(index->int8);
  if (index->borrowed) {
    index->vectors = NULL;
    run_release(end_borrow(index));
  }
  free(index->vectors);
  free(index->norms);
  free(index->ids);
  free(index);
  return WEFT_OK;
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

static int contains(const int64_t *sorted, size_t n, int64_t id) {
  return n > 0 && bsearch(&id, sorted, n, sizeof id, cmp_i64) != NULL;
}

/* Exactly `need` rows when that is over half as many again as held (one large add leaves
 * no unused tail), else half as many again, so many small adds move each row O(1) times. */
static weft_status reserve(weft_index *ix, size_t need, borrow_release *released) {
  if (need <= ix->capacity && !ix->borrowed) return WEFT_OK;
  size_t cap = ix->capacity + ix->capacity / 2;
  if (cap < need || cap > WEFT_INDEX_MAX_ROWS) cap = need;
  if (ix->borrowed) WEFT_RETURN_NOT_OK(own_rows(ix, cap, "weft_index_add", released));
  float *v = weft__realloc(ix->vectors, cap * ix->dim * sizeof(float));
  if (v) ix->vectors = v;
  float *nr = v ? weft__realloc(ix->norms, cap * sizeof(float)) : NULL;
  if (nr) ix->norms = nr;
  int64_t *id = nr ? weft__realloc(ix->ids, cap * sizeof(int64_t)) : NULL;
  if (id) ix->ids = id;
  if (!id)
    return weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_index_add: no host memory for %zu rows of "
                       "dim %zu", cap, ix->dim);
  ix->capacity = cap;
  return WEFT_OK;
}

typedef struct { int64_t id; size_t from; } id_slot;

static int cmp_slot(const void *a, const void *b) {
  return cmp_i64(&((const id_slot *)a)->id, &((const id_slot *)b)->id);
}

/* ids: distinct, 0..WEFT_INDEX_MAX_ID. Ascending ids, the usual append, are checked where
 * they are; others are sorted into *order as (id, row) pairs, 16 bytes a row, so the rows
 * themselves are copied once, straight to their place. */
static weft_status check_ids(size_t n, const int64_t *ids, id_slot **order, int64_t *lo,
                             int64_t *hi) {
  *order = NULL;
  size_t ascending = 1;
  while (ascending < n && ids[ascending] > ids[ascending - 1]) ascending++;
  size_t lo_at = 0, hi_at = n - 1;
  if (ascending < n) {
    id_slot *o = weft__malloc(n * sizeof *o);
    if (!o)
      return weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_index_add: no host memory to sort %zu ids", n);
    for (size_t i = 0; i < n; i++) o[i] = (id_slot){ids[i], i};
    qsort(o, n, sizeof *o, cmp_slot);
    for (size_t i = 1; i < n; i++)
      if (o[i].id == o[i - 1].id) {
        size_t a = o[i - 1].from < o[i].from ? o[i - 1].from : o[i].from;
        size_t b = o[i - 1].from < o[i].from ? o[i].from : o[i - 1].from;
        free(o);
        return weft__error(WEFT_ERR_INVALID_ARGUMENT, "weft_index_add: ids: id %lld appears "
                           "twice (ids[%zu] and ids[%zu])", (long long)ids[a], a, b);
      }
    lo_at = o[0].from;
    hi_at = o[n - 1].from;
    *order = o;
  }
  weft_status st = WEFT_OK;
  if (ids[lo_at] < 0)
    st = weft__error(WEFT_ERR_INVALID_ARGUMENT, "weft_index_add: ids[%zu] = %lld is negative: "
                     "ids are >= 0 (-1 marks an empty result)", lo_at, (long long)ids[lo_at]);
  else if (ids[hi_at] > WEFT_INDEX_MAX_ID)
    st = weft__error(WEFT_ERR_INVALID_ARGUMENT, "weft_index_add: ids[%zu] = %lld is past the "
                     "largest id %lld (INT64_MAX stays free for the next sequential id)", hi_at,
                     (long long)ids[hi_at], (long long)WEFT_INDEX_MAX_ID);
  if (st != WEFT_OK) {
    free(*order);
    *order = NULL;
    return st;
  }
  *lo = ids[lo_at];
  *hi = ids[hi_at];
  return WEFT_OK;
}

static void put_row(weft_index *ix, size_t at, const float *src, int64_t id) {
  float *dst = ix->vectors + at * ix->dim;
  memcpy(dst, src, ix->dim * sizeof(float));
  if (ix->metric == WEFT_METRIC_COSINE) weft__normalize_rows(dst, 1, ix->dim);
  ix->norms[at] = weft__row_norm(dst, ix->dim);
  ix->ids[at] = id;
}

weft_status weft_index_add(weft_index *index, size_t n, const float *vectors, const int64_t *ids) {
  WEFT_CHECK_ARG(index, "weft_index_add: index is NULL");
  if (n == 0) return WEFT_OK;
  WEFT_CHECK_ARG(vectors, "weft_index_add: vectors is NULL with n = %zu", n);
  /* before the vectors are read: a k-NN key holds a row's position in 32 bits (knn_keys.h) */
  WEFT_CHECK_ARG(n <= WEFT_INDEX_MAX_ROWS, "weft_index_add: n = %zu exceeds the index limit of "
                 "%zu rows", n, WEFT_INDEX_MAX_ROWS);
  const size_t dim = index->dim;
  /* Progress: the rows checked, then the rows placed; a cancel is taken only before the
   * first is placed, so a cancelled add leaves the index as it was */
  weft__progress *progress = weft__progress_begin("index add", 2 * (uint64_t)n);
  id_slot *order = NULL;
  int64_t lo = 0, hi = 0; /* the smallest and largest new id */
  weft_status st = weft__check_vectors("weft_index_add: vectors", n, dim, vectors, index->metric);
  if (st == WEFT_OK && ids) st = check_ids(n, ids, &order, &lo, &hi);
  if (st == WEFT_OK) weft__progress_add(progress, n);
  if (st == WEFT_OK) st = weft__progress_check("weft_index_add");
  if (st != WEFT_OK) {
    free(order);
    return weft__progress_end(progress, st);
  }
  pthread_rwlock_wrlock(&index->lock);
  const size_t base = index->count;
  const int64_t first = index->next_id;
  if (n > WEFT_INDEX_MAX_ROWS - base)
    st = weft__error(WEFT_ERR_INVALID_ARGUMENT, "weft_index_add: %zu + %zu rows exceed the "
                     "index limit of %zu", base, n, WEFT_INDEX_MAX_ROWS);
  if (st == WEFT_OK && !ids) {
    if ((uint64_t)n > (uint64_t)WEFT_INDEX_MAX_ID + 1 - (uint64_t)first)
      st = weft__error(WEFT_ERR_INVALID_ARGUMENT, "weft_index_add: ids is NULL, and the %zu "
                       "sequential ids from %lld would pass the largest id %lld", n,
                       (long long)first, (long long)WEFT_INDEX_MAX_ID);
    lo = first;
    hi = first + (int64_t)(n - 1);
  }
  /* sequential ids and ids above the largest held cannot collide */
  if (st == WEFT_OK && ids && base > 0 && lo <= index->ids[base - 1])
    for (size_t i = 0; i < n && st == WEFT_OK; i++)
      if (contains(index->ids, base, ids[i]))
        st = weft__error(WEFT_ERR_INVALID_ARGUMENT, "weft_index_add: ids[%zu] = %lld is already "
                         "in the index", i, (long long)ids[i]);
  borrow_release released = {NULL, NULL};
  if (st == WEFT_OK) st = reserve(index, base + n, &released);
  if (st == WEFT_OK) {
    /* Merged from the back, in place: each held row moves at most once (none when the new
     * ids are all larger, the append case), each new row is copied once, and no temporary
     * copy of the rows is made. */
    size_t held = base, fresh = n, at = base + n, placed = 0;
    while (fresh > 0) {
      size_t j = fresh - 1;
      size_t from = order ? order[j].from : j;
      int64_t id = ids ? ids[from] : first + (int64_t)j;
      at--;
      if (held > 0 && index->ids[held - 1] > id) {
        held--;
        memcpy(index->vectors + at * dim, index->vectors + held * dim, dim * sizeof(float));
        index->norms[at] = index->norms[held];
        index->ids[at] = index->ids[held];
      } else {
        put_row(index, at, vectors + from * dim, id);
        fresh--;
        if (++placed == 0x10000) weft__progress_add(progress, placed), placed = 0;
      }
    }
    weft__progress_add(progress, placed);
    weft__bf16_base_stale_from(index->bf16, at); /* `at`: the first position written */
    weft__int8_base_stale_from(index->int8, at);
    index->count = base + n;
    if (hi >= index->next_id) index->next_id = hi + 1;
  }
  pthread_rwlock_unlock(&index->lock);
  run_release(released);
  free(order);
  return weft__progress_end(progress, st);
}

weft_status weft_index_remove(weft_index *index, size_t n, const int64_t *ids, size_t *removed) {
  WEFT_CHECK_ARG(index, "weft_index_remove: index is NULL");
  WEFT_CHECK_ARG(ids || n == 0, "weft_index_remove: ids is NULL with n = %zu", n);
  int64_t *sorted = weft__malloc((n ? n : 1) * sizeof *sorted);
  if (!sorted) return weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_index_remove: no host memory");
  if (n) memcpy(sorted, ids, n * sizeof *ids);
  qsort(sorted, n, sizeof *sorted, cmp_i64);
  pthread_rwlock_wrlock(&index->lock);
  size_t kept = 0, dim = index->dim;
  weft_status st = WEFT_OK;
  borrow_release released = {NULL, NULL};
  for (size_t i = 0; i < index->count; i++) {
    if (contains(sorted, n, index->ids[i])) continue;
    /* Removing only a tail leaves borrowed rows in place: the rows kept are a prefix. */
    if (kept != i && index->borrowed) {
      st = own_rows(index, index->count, "weft_index_remove", &released);
      if (st != WEFT_OK) break;
    }
    if (kept != i) {
      weft__bf16_base_stale_from(index->bf16, kept);
      weft__int8_base_stale_from(index->int8, kept);
      memmove(index->vectors + kept * dim, index->vectors + i * dim, dim * sizeof(float));
      index->norms[kept] = index->norms[i];
      index->ids[kept] = index->ids[i];
    }
    kept++;
  }
  size_t gone = st == WEFT_OK ? index->count - kept : 0;
  if (st == WEFT_OK) index->count = kept;
  weft__bf16_base_stale_from(index->bf16, index->count);
  weft__int8_base_stale_from(index->int8, index->count);
  pthread_rwlock_unlock(&index->lock);
  run_release(released);
  free(sorted);
  if (removed) *removed = gone;
  return st;
}

weft_status weft_index_add_borrowed(weft_index *index, size_t n, const float *vectors,
                                    weft_release_fn release, void *release_ctx) {
  WEFT_CHECK_ARG(index, "weft_index_add_borrowed: index is NULL");
  WEFT_CHECK_ARG(n > 0, "weft_index_add_borrowed: n is 0 (nothing to borrow)");
  WEFT_CHECK_ARG(vectors, "weft_index_add_borrowed: vectors is NULL with n = %zu", n);
  WEFT_CHECK_ARG((uintptr_t)vectors % _Alignof(float) == 0,
                 "weft_index_add_borrowed: vectors = %p is not aligned to float (%zu bytes)",
                 (const void *)vectors, _Alignof(float));
  WEFT_CHECK_ARG(index->metric != WEFT_METRIC_COSINE, "weft_index_add_borrowed: metric is "
                 "cosine, which normalizes the rows in the index: add them with a copy "
                 "(weft_index_add)");
  WEFT_CHECK_ARG(n <= WEFT_INDEX_MAX_ROWS, "weft_index_add_borrowed: n = %zu exceeds the index "
                 "limit of %zu rows", n, WEFT_INDEX_MAX_ROWS);
  const size_t dim = index->dim;
  WEFT_RETURN_NOT_OK(weft__check_vectors("weft_index_add_borrowed: vectors", n, dim, vectors,
                                         index->metric));
  float *norms = weft__malloc(n * sizeof *norms);
  int64_t *ids = weft__malloc(n * sizeof *ids);
  if (!norms || !ids) {
    free(norms);
    free(ids);
    return weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_index_add_borrowed: no host memory for the "
                       "norms and ids of %zu rows", n);
  }
  for (size_t i = 0; i < n; i++) norms[i] = weft__row_norm(vectors + i * dim, dim);
  pthread_rwlock_wrlock(&index->lock);
  weft_status st = WEFT_OK;
  borrow_release released = {NULL, NULL};
  const int64_t first = index->next_id;
  if (index->count != 0)
    st = weft__error(WEFT_ERR_INVALID_ARGUMENT, "weft_index_add_borrowed: the index holds %zu "
                     "vectors: only an empty index borrows (use weft_index_add)", index->count);
  else if ((uint64_t)n > (uint64_t)WEFT_INDEX_MAX_ID + 1 - (uint64_t)first)
    st = weft__error(WEFT_ERR_INVALID_ARGUMENT, "weft_index_add_borrowed: the %zu sequential "
                     "ids from %lld would pass the largest id %lld", n, (long long)first,
                     (long long)WEFT_INDEX_MAX_ID);
  if (st == WEFT_OK) {
    for (size_t i = 0; i < n; i++) ids[i] = first + (int64_t)i;
    if (index->borrowed) { /* emptied by remove, still borrowing */
      index->vectors = NULL;
      released = end_borrow(index);
    }
    free(index->vectors);
    free(index->norms);
    free(index->ids);
    weft__bf16_base_stale_from(index->bf16, 0);
    weft__int8_base_stale_from(index->int8, 0);
    index->vectors = (float *)vectors; /* read only while borrowed: own_rows copies first */
    index->norms = norms;
    index->ids = ids;
    index->count = index->capacity = n;
    index->next_id = first + (int64_t)n;
    index->borrowed = 1;
    index->release = release;
    index->release_ctx = release_ctx;
    norms = NULL;
    ids = NULL;
  }
  pthread_rwlock_unlock(&index->lock);
  run_release(released);
  free(norms);
  free(ids);
  return st;
}

/* The lock is not part of the index's value: a const index still takes it, so a reader
 * never races a writer (count changes under add and remove). */
static pthread_rwlock_t *lock_of(const weft_index *index) {
  return (pthread_rwlock_t *)&index->lock;
}

weft_status weft_index_size(const weft_index *index, size_t *count) {
  WEFT_CHECK_ARG(index && count, "weft_index_size: index and count must not be NULL");
  pthread_rwlock_rdlock(lock_of(index));
  *count = index->count;
  pthread_rwlock_unlock(lock_of(index));
  return WEFT_OK;
}

weft_status weft_index_dim(const weft_index *index, size_t *dim) {
  WEFT_CHECK_ARG(index && dim, "weft_index_dim: index and dim must not be NULL");
  pthread_rwlock_rdlock(lock_of(index));
  *dim = index->dim;
  pthread_rwlock_unlock(lock_of(index));
  return WEFT_OK;
}

weft_status weft_index_metric(const weft_index *index, weft_metric *metric) {
  WEFT_CHECK_ARG(index && metric, "weft_index_metric: index and metric must not be NULL");
  *metric = index->metric;
  return WEFT_OK;
}
