/* weft_table_nearest: the k rows of a table whose vectors are nearest each query, among the
 * rows a pre-filter keeps. The candidate rows (predicate true, vector not null) are found
 * first, their vectors copied into one block with their row numbers as ids, and the exact
 * k-NN engine searches that block (vector/op_knn.c through weft_index_search: every device
 * it runs on, ties to the smaller id, i.e. the smaller row). So k rows come back whenever k
 * rows pass, at any selectivity, and the engine never reads a null vector's memory. The
 * result is the matched rows gathered, with "_distance" (and "_query" for a batch) added. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/alloc.h"
#include "core/exec.h"
#include "core/runtime.h"
#include "frame/families.h"
#include "frame/expr/expr.h"
#include "frame/select/filter_keep.h"
#include "frame/table/gather.h"
#include "frame/table/table.h"
#include "frame/nearest/op_nearest.h"
#include "frame/nearest/vector_index.h"
#include "vector/index_flat.h"

#define NEAREST_MAX_K ((size_t)1 << 20) /* the k-NN engine's limit (op_knn.c) */

/* A device runs nearest where its backend has the exact k-NN's kernels (the candidate rows'
 * search goes through weft_index_search with the node's exec); the pre-filter is an
 * expression, evaluated (or fallen back) as any filter's. */
static int can_search(const weft__device *dev) {
  return dev->backend->host_memory || (dev->backend->knn_tile && dev->backend->knn_sort);
}

const weft__family weft__family_nearest = {.name = "nearest", .verb = "search",
                                           .min_rows_auto = WEFT__AUTO_MIN_ROWS,
                                           .has_kernels = can_search};

static const char *metric_word(weft_metric m) {
  return m == WEFT_METRIC_L2 ? "l2" : m == WEFT_METRIC_IP ? "dot" : "cosine";
}

/* Rows (ascending) where the predicate holds and the vector is not null: *rows malloc'd. */
static weft_status candidates(weft_exec *exec, const weft_table *table, const weft__column *vec,
                              const weft_expr *prefilter, int64_t **rows, int64_t *n,
                              int64_t *passed) {
  *rows = weft__malloc((size_t)(table->rows ? table->rows : 1) * sizeof **rows);
  if (!*rows) return weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_table_nearest: no host memory for "
                                 "%lld rows", (long long)table->rows);
  int64_t m = 0;
  *passed = table->rows;
  if (!prefilter) {
    for (int64_t r = 0; r < table->rows; r++)
      if (weft__column_valid(vec, r)) (*rows)[m++] = r;
    *n = m;
    return WEFT_OK;
  }
  char name[64] = "_nearest_row";
  size_t idx;
  for (int i = 1; weft__table_find(table, name, &idx) == WEFT_OK; i++)
    snprintf(name, sizeof name, "_nearest_row%d", i);
  weft__error_clear();
  weft_table *numbered = NULL, *kept = NULL;
  const char *keep[1] = {name};
  weft_status st = weft_table_with_row_index(table, name, 0, &numbered);
  if (st == WEFT_OK) st = weft__table_filter_keep(exec, numbered, prefilter, 1, keep, &kept);
  if (st == WEFT_OK) {
    const uint32_t *r = (const uint32_t *)kept->cols[0].view.values + kept->cols[0].view.offset;
    *passed = kept->rows;
    for (int64_t i = 0; i < kept->rows; i++)
      if (weft__column_valid(vec, r[i])) (*rows)[m++] = r[i];
  }
  weft_table_free(kept);
  weft_table_free(numbered);
  *n = m;
  if (st != WEFT_OK) {
    free(*rows); /* the caller gets rows only with WEFT_OK */
    *rows = NULL;
    st = weft__error_context(st, "weft_table_nearest: prefilter");
  }
  return st;
}

/* The error for a candidate vector the engine cannot rank, naming the table's row. */
static weft_status vector_error(const char *column, int64_t row, const float *v, size_t dim,
                                weft_metric metric) {
  weft__error_clear();
  double sq = 0;
  for (size_t j = 0; j < dim; j++) {
    if (!isfinite(v[j]))
      return weft__error(WEFT_ERR_INVALID_ARGUMENT, "weft_table_nearest: column \"%s\" row %lld "
                         "holds %g at element %zu; NaN and inf cannot be ranked (filter the row "
                         "out)", column, (long long)row, (double)v[j], j);
    sq += (double)v[j] * v[j];
  }
  if (metric == WEFT_METRIC_COSINE && sq == 0)
    return weft__error(WEFT_ERR_INVALID_ARGUMENT, "weft_table_nearest: column \"%s\" row %lld is "
                       "all zeros, which has no direction for the cosine metric (filter the row "
                       "out)", column, (long long)row);
  return weft__error(WEFT_ERR_INVALID_ARGUMENT, "weft_table_nearest: column \"%s\" row %lld has "
                     "squared norm %g, outside what the %s metric's float32 arithmetic holds "
                     "(scale the vectors)", column, (long long)row, sq, metric_word(metric));
}

/* An index over the candidates' vectors, ids their row numbers (taken over). */
static weft_status build_index(const weft__column *vec, const char *column, weft_metric metric,
                               int64_t *rows, int64_t n, weft_index **out) {
  size_t dim = (size_t)weft__vec_dim(vec->view.type);
  if ((uint64_t)n > WEFT_INDEX_MAX_ROWS) { /* the engine's keys hold 32-bit positions */
    free(rows);
    return weft__error(WEFT_ERR_INVALID_ARGUMENT, "weft_table_nearest: %lld candidate rows exceed "
                       "the %zu an exact search ranks at once", (long long)n, WEFT_INDEX_MAX_ROWS);
  }
  float *block = weft__malloc((size_t)(n ? n : 1) * dim * sizeof *block);
  if (!block) {
    free(rows);
    return weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_table_nearest: no host memory for %lld "
                       "vectors of %zu floats", (long long)n, dim);
  }
  const float *base = (const float *)vec->view.values + (size_t)vec->view.offset * dim;
  weft_status st = WEFT_OK;
  for (int64_t i = 0; i < n && st == WEFT_OK; i++) {
    memcpy(block + (size_t)i * dim, base + (size_t)rows[i] * dim, dim * sizeof *block);
    if (weft__check_vectors("", 1, dim, block + (size_t)i * dim, metric) == WEFT_OK) continue;
    st = vector_error(column, rows[i], block + (size_t)i * dim, dim, metric);
  }
  if (st == WEFT_OK && metric == WEFT_METRIC_COSINE) weft__normalize_rows(block, (size_t)n, dim);
  /* adopt takes the rows over only when it succeeds */
  if (st == WEFT_OK) st = weft__index_adopt(dim, metric, (size_t)n, block, rows, out);
  if (st == WEFT_OK) return WEFT_OK;
  free(block);
  free(rows);
  return st;
}

/* The output: the matched rows of every column, "_distance" (smaller is nearer) and, for a
 * batch, "_query" (the query of each row). */
static weft_status assemble(const weft_table *table, int64_t rows, const float *dist,
                            const int64_t *labels, const uint32_t *query, int batch,
                            weft_table **out) {
  size_t extra = batch ? 2 : 1;
  weft_table *res = NULL;
  weft__column *cols = weft__calloc(table->ncols + 1, sizeof *cols);
  weft_status st = cols ? weft__table_new(table->ncols + extra, rows, &res)
                        : weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_table_nearest: no host memory");
  if (st == WEFT_OK) st = weft__columns_gather(table->cols, table->ncols, labels, rows, cols);
  for (size_t c = 0; st == WEFT_OK && c < table->ncols; c++) {
    st = weft__table_set_column(res, c, table->names[c], cols[c]);
    cols[c] = (weft__column){0};
  }
  weft__column d;
  if (st == WEFT_OK) st = weft__column_alloc(WEFT_TYPE_FLOAT32, rows, 0, 0, &d);
  if (st == WEFT_OK) {
    if (rows) memcpy((void *)d.view.values, dist, (size_t)rows * sizeof *dist);
    st = weft__table_set_column(res, table->ncols, "_distance", d);
  }
  weft__column q;
  if (st == WEFT_OK && batch) st = weft__column_alloc(WEFT_TYPE_UINT32, rows, 0, 0, &q);
  if (st == WEFT_OK && batch) {
    if (rows) memcpy((void *)q.view.values, query, (size_t)rows * sizeof *query);
    st = weft__table_set_column(res, table->ncols + 1, "_query", q);
  }
  for (size_t c = 0; cols && c < table->ncols; c++) weft__column_release(&cols[c]);
  free(cols);
  if (st != WEFT_OK) {
    weft_table_free(res);
    return st;
  }
  *out = res;
  return WEFT_OK;
}

/* The results in place, the rows of label -1 dropped (an index may find fewer than k), and
 * each row's query; returns the rows kept. The exact engine's similarities are turned into
 * distances (smaller is nearer for every metric) when `similarities`. */
static int64_t compact(size_t nq, size_t k, weft_metric metric, int similarities, float *dist,
                       int64_t *labels, uint32_t *query) {
  int64_t m = 0;
  for (size_t i = 0; i < nq * k; i++) {
    if (labels[i] < 0) continue;
    float v = dist[i];
    if (similarities) v = metric == WEFT_METRIC_L2 ? v : metric == WEFT_METRIC_IP ? -v : 1.0f - v;
    dist[m] = v, labels[m] = labels[i], query[m] = (uint32_t)(i / k);
    m++;
  }
  return m;
}

static weft_status check_args(const weft_table *table, const char *column, size_t nq,
                              const float *queries, size_t dim, size_t k, weft_metric metric,
                              const weft__column **vec) {
  WEFT_CHECK_ARG(table && column, "weft_table_nearest: table and column must not be NULL");
  size_t idx;
  WEFT_RETURN_NOT_OK(weft__table_find(table, column, &idx));
  *vec = &table->cols[idx];
  weft_type t = (*vec)->view.type;
  WEFT_CHECK_ARG(weft__type_is_vector(t), "weft_table_nearest: column \"%s\" is %s, not a vector "
                 "column (array[f32, dim])", column, weft_type_name(t));
  WEFT_CHECK_ARG(dim == (size_t)weft__vec_dim(t), "weft_table_nearest: the queries have %zu values "
                 "each but column \"%s\" holds vectors of %d", dim, column, weft__vec_dim(t));
  WEFT_CHECK_ARG(nq >= 1 && queries, "weft_table_nearest: needs at least one query (nq = %zu)", nq);
  WEFT_CHECK_ARG(k >= 1 && k <= NEAREST_MAX_K, "weft_table_nearest: k = %zu is not in 1..%zu", k,
                 NEAREST_MAX_K);
  WEFT_CHECK_ARG(metric == WEFT_METRIC_L2 || metric == WEFT_METRIC_IP || metric == WEFT_METRIC_COSINE,
                 "weft_table_nearest: metric %d is not l2, ip or cosine", (int)metric);
  for (size_t i = 0; i < table->ncols; i++)
    WEFT_CHECK_ARG(strcmp(table->names[i], "_distance") && strcmp(table->names[i], "_query"),
                   "weft_table_nearest: the table has a column \"%s\", a name the result adds; "
                   "rename it", table->names[i]);
  return weft__check_vectors("weft_table_nearest: queries", nq, dim, queries, metric);
}

weft_status weft_table_nearest(weft_exec *exec, const weft_table *table, const char *column,
                               size_t nq, const float *queries, size_t dim, size_t k,
                               weft_metric metric, const weft_expr *prefilter, int batch,
                               weft_table **out) {
  return weft__table_nearest_indexed(exec, table, column, nq, queries, dim, k, metric, prefilter,
                                     batch, NULL, out);
}

weft_status weft__table_nearest_indexed(weft_exec *exec, const weft_table *table,
                                        const char *column, size_t nq, const float *queries,
                                        size_t dim, size_t k, weft_metric metric,
                                        const weft_expr *prefilter, int batch,
                                        const weft_vector_index *index, weft_table **out) {
  WEFT_CHECK_ARG(out, "weft_table_nearest: out is NULL");
  *out = NULL;
  const weft__column *vec = NULL;
  WEFT_RETURN_NOT_OK(check_args(table, column, nq, queries, dim, k, metric, &vec));
  WEFT_CHECK_ARG(batch || nq == 1, "weft_table_nearest: %zu queries without batch", nq);
  const char *unused = index ? weft__vector_index_mismatch(index, vec, table->rows, metric) : NULL;
  int use_index = index && !unused;
  int64_t *rows = NULL, n = 0, passed = 0;
  WEFT_RETURN_NOT_OK(candidates(exec, table, vec, prefilter, &rows, &n, &passed));
  /* fewer candidates than the index would read: the exact search over them reads less */
  double reads = use_index ? index->scan_fraction * (double)table->rows : 0;
  int fewer = use_index && (double)n < reads;
  if (fewer) use_index = 0;
  size_t kk = (size_t)n < k ? (size_t)n : k;
  weft_index *ix = NULL;
  weft_status st = WEFT_OK;
  if (!use_index) st = build_index(vec, column, metric, rows, n, &ix); /* takes rows over */
  size_t nres = nq * kk > 0 ? nq * kk : 1;
  float *dist = weft__malloc(nres * sizeof *dist);
  int64_t *labels = weft__malloc(nres * sizeof *labels);
  uint32_t *query = weft__malloc(nres * sizeof *query);
  if (st == WEFT_OK && (!dist || !labels || !query))
    st = weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_table_nearest: no host memory for %zu results",
                     nq * kk);
  if (st == WEFT_OK && kk > 0 && use_index) /* no pre-filter and no null: every row allowed */
    st = weft__vector_index_search(exec, index, table->rows,
                                   prefilter || n < table->rows ? rows : NULL, n, nq, queries, kk,
                                   dist, labels);
  else if (st == WEFT_OK && kk > 0)
    st = weft_index_search(exec, ix, nq, queries, kk, NULL, 0, dist, labels);
  int64_t found = 0;
  if (st == WEFT_OK && kk > 0) found = compact(nq, kk, metric, !use_index, dist, labels, query);
  if (st == WEFT_OK) st = assemble(table, found, dist, labels, query, batch, out);
  if (st == WEFT_OK && exec) {
    if (kk == 0) weft__report_clear(exec); /* else the search's lines say where it ran */
    weft__report(exec, "nearest: %zu of column \"%s\" (%s) for %zu quer%s", k, column,
                 metric_word(metric), nq, nq == 1 ? "y" : "ies");
    if (prefilter)
      weft__report(exec, "prefilter: %s (%lld of %lld rows)", prefilter->text, (long long)passed,
                   (long long)table->rows);
    weft__report(exec, "candidates: %lld rows (those passing with a non-null vector)", (long long)n);
    if (use_index)
      weft__report(exec, "index: %s searched (%lld rows found of %zu asked)", index->describe,
                   (long long)found, nq * kk);
    else if (fewer)
      weft__report(exec, "index: %s not needed: the %lld candidates are fewer than the %.0f rows "
                   "it reads; exact search over them", index->describe, (long long)n, reads);
    else if (index)
      weft__report(exec, "index: %s not used: %s; exact search", index->describe, unused);
  }
  free(use_index ? rows : NULL);
  weft_index_free(ix);
  free(dist);
  free(labels);
  free(query);
  return st;
}
