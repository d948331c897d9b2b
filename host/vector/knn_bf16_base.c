/* The bf16 copy of an index's rows (knn_bf16_base.h). */
#include "vector/knn_bf16_base.h"
#include "core/alloc.h"

#include <stdlib.h>

#include "core/error.h"
#include "vector/cpu_dot_bf16.h"
#include "vector/knn_bf16_bound.h"

static weft_status grow(weft__bf16_base *b, size_t rows, size_t dim) {
  if (rows <= b->rows_cap) return WEFT_OK;
  size_t cap = b->rows_cap + b->rows_cap / 2;
  if (cap < rows) cap = rows;
  cap = (cap + 31) / 32 * 32;
  const size_t pairs = weft__bf16_pairs(dim);
  uint32_t *p = weft__realloc(b->panels, cap * pairs * sizeof(uint32_t));
  if (p) b->panels = p;
  float *n = p ? weft__realloc(b->norm_up, cap * sizeof(float)) : NULL;
  if (n) b->norm_up = n;
  float *r = n ? weft__realloc(b->resid_up, cap * sizeof(float)) : NULL;
  if (r) b->resid_up = r;
  if (!r)
    return weft__error(WEFT_ERR_OUT_OF_MEMORY, "search: no host memory for the bf16 copy of %zu "
                       "rows of dim %zu (precision=\"fp32\" needs none)", rows, dim);
  b->rows_cap = cap;
  return WEFT_OK;
}

weft_status weft__bf16_base_sync(weft__bf16_base **copy, pthread_mutex_t *lock,
                                 const float *vectors, size_t count, size_t dim) {
  weft_status st = WEFT_OK;
  pthread_mutex_lock(lock);
  if (!*copy && !(*copy = weft__calloc(1, sizeof **copy)))
    st = weft__error(WEFT_ERR_OUT_OF_MEMORY, "search: no host memory for the bf16 copy");
  weft__bf16_base *b = *copy;
  if (st == WEFT_OK && b->valid < count) {
    st = grow(b, count, dim);
    for (size_t r = b->valid; st == WEFT_OK && r < count; r++) {
      const float *x = vectors + r * dim;
      weft__bf16_pack_row(x, dim, r, b->panels);
      weft__bf16_row_bound(x, dim, &b->norm_up[r], &b->resid_up[r]);
    }
    if (st == WEFT_OK) b->valid = count;
  }
  pthread_mutex_unlock(lock);
  return st;
}

void weft__bf16_base_stale_from(weft__bf16_base *b, size_t position) {
  if (b && b->valid > position) b->valid = position;
}

void weft__bf16_base_free(weft__bf16_base *b) {
  if (!b) return;
  free(b->panels);
  free(b->norm_up);
  free(b->resid_up);
  free(b);
}

size_t weft__bf16_base_bytes(const weft__bf16_base *b, size_t dim) {
  return b ? b->rows_cap * (weft__bf16_pairs(dim) * sizeof(uint32_t) + 2 * sizeof(float)) : 0;
}
