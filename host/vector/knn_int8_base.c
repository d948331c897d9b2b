/* The int8 copy of an index's rows (knn_int8_base.h). */
#include "vector/knn_int8_base.h"
#include "core/alloc.h"

#include <stdlib.h>

#include "core/error.h"
#include "vector/cpu_dot_int8.h"
#include "vector/knn_int8_bound.h"

#define PER_ROW (2 * sizeof(float) + sizeof(float) + sizeof(int32_t))

static weft_status grow(weft__int8_base *b, size_t rows, size_t dim) {
  if (rows <= b->rows_cap) return WEFT_OK;
  size_t cap = b->rows_cap + b->rows_cap / 2;
  if (cap < rows) cap = rows;
  cap = (cap + 31) / 32 * 32;
  const size_t groups = weft__int8_groups(dim);
  int ok = 1;
#define GROW(field, n)                                               \
  if (ok) {                                                          \
    void *p = weft__realloc(b->field, (n) * sizeof *b->field);       \
    if (p) b->field = p;                                             \
    else ok = 0;                                                     \
  }
  GROW(panels, cap * groups)
  GROW(scale, cap)
  GROW(code_sum, cap)
  GROW(norm_up, cap)
  GROW(resid_up, cap)
#undef GROW
  if (!ok)
    return weft__error(WEFT_ERR_OUT_OF_MEMORY, "search: no host memory for the int8 copy of %zu "
                       "rows of dim %zu (precision=\"fp32\" needs none)", rows, dim);
  b->rows_cap = cap;
  return WEFT_OK;
}

/* The rows' mean, summed in double row by row (its value only tightens the bound, never
 * decides it); all zeros when there is no memory for the sums. */
static void set_mean(float *mu, const float *vectors, size_t count, size_t dim) {
  double *t = weft__calloc(dim, sizeof *t);
  for (size_t r = 0; t && r < count; r++)
    for (size_t i = 0; i < dim; i++) t[i] += vectors[r * dim + i];
  for (size_t i = 0; i < dim; i++) mu[i] = t && count ? (float)(t[i] / (double)count) : 0.0f;
  free(t);
}

weft_status weft__int8_base_sync(weft__int8_base **copy, pthread_mutex_t *lock,
                                 const float *vectors, size_t count, size_t dim) {
  weft_status st = WEFT_OK;
  int8_t *codes = NULL;
  pthread_mutex_lock(lock);
  if (!*copy && !(*copy = weft__calloc(1, sizeof **copy)))
    st = weft__error(WEFT_ERR_OUT_OF_MEMORY, "search: no host memory for the int8 copy");
  weft__int8_base *b = *copy;
  if (st == WEFT_OK && !b->mu && !(b->mu = weft__calloc(dim, sizeof *b->mu)))
    st = weft__error(WEFT_ERR_OUT_OF_MEMORY, "search: no host memory for the int8 copy");
  if (st == WEFT_OK && b->valid < count) {
    st = grow(b, count, dim);
    if (st == WEFT_OK && b->valid == 0) set_mean(b->mu, vectors, count, dim);
    if (st == WEFT_OK && !(codes = weft__malloc(dim)))
      st = weft__error(WEFT_ERR_OUT_OF_MEMORY, "search: no host memory for the int8 copy");
    for (size_t r = b->valid; st == WEFT_OK && r < count; r++) {
      weft__int8_row(vectors + r * dim, b->mu, dim, codes, &b->scale[r], &b->code_sum[r],
                     &b->norm_up[r], &b->resid_up[r]);
      weft__int8_pack_row(codes, dim, r, b->panels);
    }
    if (st == WEFT_OK) {
      /* the panel's rows past `count` (read by the kernel, dropped) hold zeros */
      for (size_t r = count; r < (count + 31) / 32 * 32; r++) {
        b->code_sum[r] = 0, b->scale[r] = 0, b->norm_up[r] = b->resid_up[r] = 0;
        for (size_t g = 0; g < weft__int8_groups(dim); g++)
          b->panels[(r / WEFT_INT8_PANEL) * weft__int8_groups(dim) * WEFT_INT8_PANEL +
                    g * WEFT_INT8_PANEL + r % WEFT_INT8_PANEL] = 0;
      }
      b->valid = count;
    }
  }
  pthread_mutex_unlock(lock);
  free(codes);
  return st;
}

void weft__int8_base_stale_from(weft__int8_base *b, size_t position) {
  if (b && b->valid > position) b->valid = position;
}

void weft__int8_base_free(weft__int8_base *b) {
  if (!b) return;
  free(b->mu);
  free(b->panels);
  free(b->scale);
  free(b->code_sum);
  free(b->norm_up);
  free(b->resid_up);
  free(b);
}

size_t weft__int8_base_bytes(const weft__int8_base *b, size_t dim) {
  return b ? b->rows_cap * (weft__int8_groups(dim) * sizeof(uint32_t) + PER_ROW) +
                 dim * sizeof(float)
           : 0;
}
