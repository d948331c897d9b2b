/* The exact index: float32 rows kept sorted by id, so a row's position orders like its id
 * and k-NN keys break distance ties by the smaller id on every device. */
#ifndef WEFT_HOST_INDEX_FLAT_H
#define WEFT_HOST_INDEX_FLAT_H

#include <float.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "weft.h"

/* Positions are 32-bit in k-NN keys, and all ones marks an empty slot. */
#define WEFT_INDEX_MAX_ROWS ((size_t)UINT32_MAX - 1)
/* next_id is one past the largest id ever added and must itself fit in an int64_t. */
#define WEFT_INDEX_MAX_ID (INT64_MAX - 1)
/* |x|^2, |q|^2 <= FLT_MAX / 4 bound |x|^2 - 2 x.q + |q|^2 and every partial sum of x.q by
 * FLT_MAX: l2 and ip distances never overflow to inf, nor inf - inf to NaN. */
#define WEFT_INDEX_MAX_SQUARED_NORM ((double)FLT_MAX / 4)

struct weft_index {
  size_t dim;
  weft_metric metric;
  size_t count, capacity;
  float *vectors;   /* count x dim, rows ascending by id */
  float *norms;     /* |x|^2 per row */
  int64_t *ids;     /* ascending, distinct, 0..WEFT_INDEX_MAX_ID (-1 pads results) */
  int64_t next_id;  /* for add without ids; at most WEFT_INDEX_MAX_ID + 1 */
  /* Non-NULL while `vectors` is the caller's memory (weft_index_add_borrowed): read only,
   * copied before any change, released instead of freed. */
  weft_release_fn release;
  void *release_ctx;
  int borrowed;
  pthread_rwlock_t lock; /* searches share it; add, remove and free take it alone */
  /* The bf16 copy of the rows (knn_bf16_base.h), NULL until a bf16 search; its lock lets
   * one of several concurrent searches bring it up to date. */
  struct weft__bf16_base *bf16;
  pthread_mutex_t bf16_lock;
  /* The int8 copy (knn_int8_base.h), NULL until an int8 search; likewise locked. */
  struct weft__int8_base *int8;
  pthread_mutex_t int8_lock;
};

/* Checks vectors for NaN / inf, and that each row's squared norm keeps the metric's float32
 * arithmetic finite: under cosine a normal float32 (so 1 / norm neither overflows nor
 * loses its bits), under l2 and ip at most WEFT_INDEX_MAX_SQUARED_NORM. Names `what`, the
 * row and the value. */
weft_status weft__check_vectors(const char *what, size_t n, size_t dim, const float *v,
                                weft_metric metric);
/* Scales each row to unit length (cosine). */
void weft__normalize_rows(float *v, size_t n, size_t dim);
/* A row's squared norm, summed in order (the base's norms and the queries' under l2 alike). */
float weft__row_norm(const float *row, size_t dim);
/* Builds an index from rows already sorted by id and validated (used by load), taking
 * `vectors` and `ids` over when it succeeds; on failure they stay the caller's. */
weft_status weft__index_adopt(size_t dim, weft_metric metric, size_t count, float *vectors,
                              int64_t *ids, weft_index **out);

#endif
