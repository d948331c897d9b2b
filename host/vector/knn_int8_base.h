/* The index's int8 copy of its rows for the k-NN candidate pass: the codes of each row less
 * the rows' mean mu (set when the copy is converted from row 0), packed in panels
 * (cpu_dot_int8.h), with each row's scale, code sum, ||y|| and ||y_hat - y|| for the bound
 * (knn_int8_bound.h; y = x - mu). Made at the first int8 search; add and remove mark the rows from the
 * first one they moved as stale, and the next int8 search converts those again. */
#ifndef WEFT_HOST_KNN_INT8_BASE_H
#define WEFT_HOST_KNN_INT8_BASE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "weft.h"

typedef struct weft__int8_base {
  size_t valid;       /* rows [0, valid) are converted */
  size_t rows_cap;    /* rows of room, a multiple of 32 */
  float *mu;          /* dim floats: the rows' mean when converted from row 0 (any value is
                       * exact; a centred row has smaller codes' residuals) */
  uint32_t *panels;   /* rows_cap / 16 panels of weft__int8_groups(dim) x 16 lanes */
  float *scale;       /* s_x: x_hat = s_x * codes */
  int32_t *code_sum;  /* sum of the row's codes (the query offset's correction) */
  float *norm_up;     /* ||y||, rounded up */
  float *resid_up;    /* ||y_hat - y||, rounded up */
} weft__int8_base;

/* Brings *copy (made the first time) up to date with the index's `count` rows of `dim`.
 * Called with the index's lock held for reading, under `lock` (the index's int8 lock), so
 * concurrent searches convert once. */
weft_status weft__int8_base_sync(weft__int8_base **copy, pthread_mutex_t *lock,
                                 const float *vectors, size_t count, size_t dim);

/* Rows from `position` on changed (add, remove: under the index's write lock); b may be
 * NULL (no copy yet). */
void weft__int8_base_stale_from(weft__int8_base *b, size_t position);

void weft__int8_base_free(weft__int8_base *b);

/* Bytes held by the copy. */
size_t weft__int8_base_bytes(const weft__int8_base *b, size_t dim);

#endif
