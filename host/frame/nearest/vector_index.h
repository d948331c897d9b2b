/* An index over a table's vector column whose search is the caller's callback
 * (weft_vector_index_new), and the nearest search through it. */
#ifndef WEFT_HOST_FRAME_NEAREST_VECTOR_INDEX_H
#define WEFT_HOST_FRAME_NEAREST_VECTOR_INDEX_H

#include <stdatomic.h>

#include "frame/table/table.h"
#include "weft.h"

struct weft_vector_index {
  _Atomic int64_t refs;
  const float *values; /* the column's first vector when it was made: its identity */
  int64_t rows;
  size_t dim;
  weft_metric metric;
  char *describe;
  double scan_fraction; /* of the rows one search reads: fewer candidates go exact */
  weft_vector_search_fn search;
  weft_vector_release_fn release;
  void *ctx;
};

weft_vector_index *weft__vector_index_ref(const weft_vector_index *index);
/* NULL when `index` applies to `vec` (a column of `rows` rows) under `metric`, else why not
 * (static text). */
const char *weft__vector_index_mismatch(const weft_vector_index *index, const weft__column *vec,
                                        int64_t rows, weft_metric metric);
/* The index's k rows of each query among the candidate rows (`rows`, ascending, n of them;
 * all: NULL): distances (smaller is nearer) and row numbers (-1: none), nq x k each. */
weft_status weft__vector_index_search(weft_exec *exec, const weft_vector_index *index,
                                      int64_t table_rows,
                                      const int64_t *rows, int64_t n, size_t nq,
                                      const float *queries, size_t k, float *dist,
                                      int64_t *labels);

#endif
