/* weft_vector_index: an index the caller searches (a Python FlatIndex or IVFIndex over a
 * column), tied to the column's buffer so that its ids are the rows of any table that
 * holds that very buffer with the same row count. Rows change only by making a new buffer
 * (filter, sort, join, slice from another row), so the identity is what makes the ids
 * row numbers; operations that pass the column through keep it. */
#include "frame/nearest/vector_index.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"

static const float *first_vector(const weft__column *vec) {
  size_t dim = (size_t)weft__vec_dim(vec->view.type);
  return (const float *)vec->view.values + (size_t)vec->view.offset * dim;
}

weft_status weft_vector_index_new(const weft_table *table, const char *column, weft_metric metric,
                                  const char *describe, double scan_fraction,
                                  weft_vector_search_fn search,
                                  weft_vector_release_fn release, void *ctx,
                                  weft_vector_index **out) {
  const char *fn = "weft_vector_index_new";
  weft_status st = WEFT_OK;
  size_t idx = 0;
  if (!out || !table || !column || !search)
    st = weft__error(WEFT_ERR_INVALID_ARGUMENT, "%s: out, table, column and search must not be NULL", fn);
  else if (metric != WEFT_METRIC_L2 && metric != WEFT_METRIC_IP && metric != WEFT_METRIC_COSINE)
    st = weft__error(WEFT_ERR_INVALID_ARGUMENT, "%s: metric %d is not l2, ip or cosine", fn, (int)metric);
  else if (!(scan_fraction > 0 && scan_fraction <= 1))
    st = weft__error(WEFT_ERR_INVALID_ARGUMENT, "%s: scan_fraction %g is not in (0, 1]", fn,
                     scan_fraction);
  else
    st = weft__table_find(table, column, &idx);
  if (st == WEFT_OK && !weft__type_is_vector(table->cols[idx].view.type))
    st = weft__error(WEFT_ERR_INVALID_ARGUMENT, "%s: column \"%s\" is %s, not a vector column "
                     "(array[f32, dim])", fn, column, weft_type_name(table->cols[idx].view.type));
  weft_vector_index *ix = NULL;
  if (st == WEFT_OK && !(ix = weft__calloc(1, sizeof *ix)))
    st = weft__error(WEFT_ERR_OUT_OF_MEMORY, "%s: no host memory", fn);
  if (st == WEFT_OK && !(ix->describe = weft__strdup(describe ? describe : "index")))
    st = weft__error(WEFT_ERR_OUT_OF_MEMORY, "%s: no host memory", fn);
  if (st != WEFT_OK) {
    if (ix) free(ix);
    if (release) release(ctx);
    if (out) *out = NULL;
    return st;
  }
  atomic_init(&ix->refs, 1);
  ix->values = first_vector(&table->cols[idx]);
  ix->rows = table->rows;
  ix->dim = (size_t)weft__vec_dim(table->cols[idx].view.type);
  ix->metric = metric;
  ix->scan_fraction = scan_fraction;
  ix->search = search, ix->release = release, ix->ctx = ctx;
  *out = ix;
  return WEFT_OK;
}

weft_vector_index *weft__vector_index_ref(const weft_vector_index *index) {
  weft_vector_index *ix = (weft_vector_index *)index;
  if (ix) atomic_fetch_add(&ix->refs, 1);
  return ix;
}

weft_status weft_vector_index_free(weft_vector_index *index) {
  if (!index || atomic_fetch_sub(&index->refs, 1) != 1) return WEFT_OK;
  if (index->release) index->release(index->ctx);
  free(index->describe);
  free(index);
  return WEFT_OK;
}

const char *weft__vector_index_mismatch(const weft_vector_index *index, const weft__column *vec,
                                        int64_t rows, weft_metric metric) {
  if (metric != index->metric) return "it was built for another metric";
  if ((size_t)weft__vec_dim(vec->view.type) != index->dim) return "the column's dimension differs";
  if (rows != index->rows || first_vector(vec) != index->values)
    return "the input's rows are not the indexed ones (a filter, sort, join or slice below "
           "the nearest made new ones)";
  return NULL;
}

int weft_vector_index_matches(const weft_vector_index *index, const weft_table *table,
                              const char *column) {
  size_t idx;
  if (!index || !table || !column || weft__table_find(table, column, &idx) != WEFT_OK) {
    weft__error_clear();
    return 0;
  }
  const weft__column *vec = &table->cols[idx];
  return weft__type_is_vector(vec->view.type) &&
         weft__vector_index_mismatch(index, vec, table->rows, index->metric) == NULL;
}

weft_status weft__vector_index_search(weft_exec *exec, const weft_vector_index *index,
                                      int64_t table_rows,
                                      const int64_t *rows, int64_t n, size_t nq,
                                      const float *queries, size_t k, float *dist,
                                      int64_t *labels) {
  uint8_t *bits = NULL;
  if (rows) {
    bits = weft__calloc((size_t)(table_rows / 8 + 1), 1);
    if (!bits) return weft__error(WEFT_ERR_OUT_OF_MEMORY, "nearest: no host memory for a "
                                  "bitset of %lld rows", (long long)table_rows);
    for (int64_t i = 0; i < n; i++) bits[rows[i] >> 3] |= (uint8_t)(1u << (rows[i] & 7));
  }
  int rc = index->search(index->ctx, exec, nq, queries, k, bits, rows ? table_rows : 0, dist, labels);
  free(bits);
  if (rc != 0)
    return weft__error(rc > 0 ? (weft_status)rc : WEFT_ERR_INTERNAL, "nearest: the search of "
                       "index %s failed", index->describe);
  for (size_t i = 0; i < nq * k; i++)
    if (labels[i] < -1 || labels[i] >= table_rows)
      return weft__error(WEFT_ERR_INTERNAL, "nearest: index %s returned row %lld of a table of "
                         "%lld rows", index->describe, (long long)labels[i], (long long)table_rows);
  return WEFT_OK;
}
