/* The index's bf16 copy of its rows for the k-NN candidate pass: packed in panels
 * (cpu_dot_bf16.h), with each row's ||x|| and ||bf16(x) - x|| for the bound. Made at the
 * first bf16 search; add and remove mark the rows from the first one they moved as stale,
 * and the next bf16 search converts those again (rows keep their positions' order). */
#ifndef WEFT_HOST_KNN_BF16_BASE_H
#define WEFT_HOST_KNN_BF16_BASE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "weft.h"

typedef struct weft__bf16_base {
  size_t valid;     /* rows [0, valid) are converted */
  size_t rows_cap;  /* rows of room, a multiple of 32 */
  uint32_t *panels; /* rows_cap / 16 panels of weft__bf16_pairs(dim) x 16 lanes */
  float *norm_up;   /* ||x||, rounded up */
  float *resid_up;  /* ||bf16(x) - x||, rounded up */
} weft__bf16_base;

/* Brings *copy (made the first time) up to date with the index's `count` rows of `dim`.
 * Called with the index's lock held for reading, under `lock` (the index's bf16 lock), so
 * concurrent searches convert once. */
weft_status weft__bf16_base_sync(weft__bf16_base **copy, pthread_mutex_t *lock,
                                 const float *vectors, size_t count, size_t dim);

/* Rows from `position` on changed (add, remove: under the index's write lock); b may be
 * NULL (no copy yet). */
void weft__bf16_base_stale_from(weft__bf16_base *b, size_t position);

void weft__bf16_base_free(weft__bf16_base *b);

/* Bytes held by the copy (panels, norms, residual norms). */
size_t weft__bf16_base_bytes(const weft__bf16_base *b, size_t dim);

#endif
