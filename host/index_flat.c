/* weft_index: create, add, remove, accessors. Search is op_knn.c, files index_file.c. */
#include "index_flat.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "runtime.h"

weft_status weft__check_vectors(const char *what, size_t n, size_t dim, const float *v, int cosine) {
  for (size_t i = 0; i < n; i++) {
    const float *row = v + i * dim;
    double sq = 0;
    for (size_t j = 0; j < dim; j++) {
      if (!isfinite(row[j]))
        return weft__error(WEFT_ERR_INVALID_ARGUMENT, "%s: row %zu, column %zu is %g (NaN and "
                           "inf are not allowed)", what, i, j, (double)row[j]);
      sq += (double)row[j] * row[j];
    }
    if (cosine && sq == 0)
      return weft__error(WEFT_ERR_INVALID_ARGUMENT, "%s: row %zu is all zeros, which has no "
                         "direction for the cosine metric", what, i);
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

static float row_norm(const float *row, size_t dim) {
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
  weft_index *ix = calloc(1, sizeof *ix);
  if (!ix) return weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_index_create: host allocation failed");
  ix->dim = dim;
  ix->metric = metric;
  pthread_rwlock_init(&ix->lock, NULL);
  *out = ix;
  return WEFT_OK;
}

weft_status weft__index_adopt(size_t dim, weft_metric metric, size_t count, float *vectors,
                              int64_t *ids, weft_index **out) {
  weft_index *ix;
  WEFT_RETURN_NOT_OK(weft_index_create(dim, metric, &ix));
  ix->norms = malloc((count ? count : 1) * sizeof(float));
  if (!ix->norms) {
    weft_index_free(ix);
    return weft__error(WEFT_ERR_OUT_OF_MEMORY, "index of %zu rows: no host memory for norms", count);
  }
  for (size_t i = 0; i < count; i++) ix->norms[i] = row_norm(vectors + i * dim, dim);
  ix->vectors = vectors;
  ix->ids = ids;
  ix->count = ix->capacity = count;
  ix->next_id = count ? ids[count - 1] + 1 : 0;
  *out = ix;
  return WEFT_OK;
}

weft_status weft_index_free(weft_index *index) {
  if (!index) return WEFT_OK;
  pthread_rwlock_destroy(&index->lock);
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

static weft_status reserve(weft_index *ix, size_t need) {
  if (need <= ix->capacity) return WEFT_OK;
  size_t cap = ix->capacity ? ix->capacity : 1024;
  while (cap < need) cap *= 2;
  float *v = realloc(ix->vectors, cap * ix->dim * sizeof(float));
  if (v) ix->vectors = v;
  float *nr = v ? realloc(ix->norms, cap * sizeof(float)) : NULL;
  if (nr) ix->norms = nr;
  int64_t *id = nr ? realloc(ix->ids, cap * sizeof(int64_t)) : NULL;
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

/* Rows were appended out of id order: sort them all by id (stable, via an index array). */
static weft_status resort(weft_index *ix) {
  size_t n = ix->count, dim = ix->dim;
  id_slot *order = malloc(n * sizeof *order);
  float *v = malloc(n * dim * sizeof(float));
  float *nr = malloc(n * sizeof(float));
  if (!order || !v || !nr) {
    free(order), free(v), free(nr);
    return weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_index_add: no host memory to reorder %zu rows", n);
  }
  for (size_t i = 0; i < n; i++) order[i] = (id_slot){ix->ids[i], i};
  qsort(order, n, sizeof *order, cmp_slot);
  for (size_t i = 0; i < n; i++) {
    memcpy(v + i * dim, ix->vectors + order[i].from * dim, dim * sizeof(float));
    nr[i] = ix->norms[order[i].from];
    ix->ids[i] = order[i].id;
  }
  memcpy(ix->vectors, v, n * dim * sizeof(float));
  memcpy(ix->norms, nr, n * sizeof(float));
  free(order), free(v), free(nr);
  return WEFT_OK;
}

weft_status weft_index_add(weft_index *index, size_t n, const float *vectors, const int64_t *ids) {
  WEFT_CHECK_ARG(index, "weft_index_add: index is NULL");
  if (n == 0) return WEFT_OK;
  WEFT_CHECK_ARG(vectors, "weft_index_add: vectors is NULL with n = %zu", n);
  const size_t dim = index->dim;
  int cosine = index->metric == WEFT_METRIC_COSINE;
  WEFT_RETURN_NOT_OK(weft__check_vectors("weft_index_add: vectors", n, dim, vectors, cosine));
  int64_t *sorted_new = NULL;
  if (ids) {
    sorted_new = malloc(n * sizeof *sorted_new);
    if (!sorted_new) return weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_index_add: no host memory");
    memcpy(sorted_new, ids, n * sizeof *ids);
    qsort(sorted_new, n, sizeof *sorted_new, cmp_i64);
    weft_status st = WEFT_OK;
    if (sorted_new[0] < 0)
      st = weft__error(WEFT_ERR_INVALID_ARGUMENT, "weft_index_add: ids must be >= 0 (got %lld)",
                       (long long)sorted_new[0]);
    for (size_t i = 1; i < n && st == WEFT_OK; i++)
      if (sorted_new[i] == sorted_new[i - 1])
        st = weft__error(WEFT_ERR_INVALID_ARGUMENT, "weft_index_add: ids: id %lld appears twice",
                         (long long)sorted_new[i]);
    if (st != WEFT_OK) {
      free(sorted_new);
      return st;
    }
  }
  pthread_rwlock_wrlock(&index->lock);
  weft_status st = WEFT_OK;
  if (index->count + n > WEFT_INDEX_MAX_ROWS)
    st = weft__error(WEFT_ERR_INVALID_ARGUMENT, "weft_index_add: %zu + %zu rows exceed the "
                     "index limit of %zu", index->count, n, WEFT_INDEX_MAX_ROWS);
  for (size_t i = 0; ids && i < n && st == WEFT_OK; i++)
    if (contains(index->ids, index->count, sorted_new[i]))
      st = weft__error(WEFT_ERR_INVALID_ARGUMENT, "weft_index_add: ids: id %lld is already in "
                       "the index", (long long)sorted_new[i]);
  if (st == WEFT_OK) st = reserve(index, index->count + n);
  if (st == WEFT_OK) {
    size_t base = index->count;
    int in_order = !ids || base == 0 || sorted_new[0] > index->ids[base - 1];
    float *dst = index->vectors + base * dim;
    memcpy(dst, vectors, n * dim * sizeof(float));
    if (cosine) weft__normalize_rows(dst, n, dim);
    for (size_t i = 0; i < n; i++) {
      index->norms[base + i] = row_norm(dst + i * dim, dim);
      index->ids[base + i] = ids ? ids[i] : index->next_id + (int64_t)i;
    }
    index->count += n;
    int64_t top = ids ? sorted_new[n - 1] + 1 : index->next_id + (int64_t)n;
    if (top > index->next_id) index->next_id = top;
    /* in id order already unless the new ids interleave the old or are unsorted */
    int sorted = in_order;
    for (size_t i = 1; ids && sorted && i < n; i++) sorted = ids[i] > ids[i - 1];
    if (!sorted) st = resort(index);
  }
  pthread_rwlock_unlock(&index->lock);
  free(sorted_new);
  return st;
}

weft_status weft_index_remove(weft_index *index, size_t n, const int64_t *ids, size_t *removed) {
  WEFT_CHECK_ARG(index, "weft_index_remove: index is NULL");
  WEFT_CHECK_ARG(ids || n == 0, "weft_index_remove: ids is NULL with n = %zu", n);
  int64_t *sorted = malloc((n ? n : 1) * sizeof *sorted);
  if (!sorted) return weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_index_remove: no host memory");
  if (n) memcpy(sorted, ids, n * sizeof *ids);
  qsort(sorted, n, sizeof *sorted, cmp_i64);
  pthread_rwlock_wrlock(&index->lock);
  size_t kept = 0, dim = index->dim;
  for (size_t i = 0; i < index->count; i++) {
    if (contains(sorted, n, index->ids[i])) continue;
    if (kept != i) {
      memmove(index->vectors + kept * dim, index->vectors + i * dim, dim * sizeof(float));
      index->norms[kept] = index->norms[i];
      index->ids[kept] = index->ids[i];
    }
    kept++;
  }
  size_t gone = index->count - kept;
  index->count = kept;
  pthread_rwlock_unlock(&index->lock);
  free(sorted);
  if (removed) *removed = gone;
  return WEFT_OK;
}

weft_status weft_index_size(const weft_index *index, size_t *count) {
  WEFT_CHECK_ARG(index && count, "weft_index_size: index and count must not be NULL");
  *count = index->count;
  return WEFT_OK;
}

weft_status weft_index_dim(const weft_index *index, size_t *dim) {
  WEFT_CHECK_ARG(index && dim, "weft_index_dim: index and dim must not be NULL");
  *dim = index->dim;
  return WEFT_OK;
}

weft_status weft_index_metric(const weft_index *index, weft_metric *metric) {
  WEFT_CHECK_ARG(index && metric, "weft_index_metric: index and metric must not be NULL");
  *metric = index->metric;
  return WEFT_OK;
}
