/* The rows of an IVF list: its per-row arrays (codes, norms, kept rows, ids) grown, trimmed,
 * written and ordered by id together. */
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "vector/index_flat.h"
#include "vector/ivf_codec_sq8.h"
#include "vector/ivf_index.h"

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

void weft__ivf_row_arrays(const weft_ivf *ivf, weft__ivf_list *l,
                          weft__ivf_row_array out[WEFT__IVF_ROW_ARRAYS]) {
  out[0] = (weft__ivf_row_array){(void **)&l->codes, ivf->code_size};
  out[1] = (weft__ivf_row_array){(void **)&l->norms, ivf->codec == WEFT_IVF_PQ ? 0 : sizeof(float)};
  out[2] = (weft__ivf_row_array){(void **)&l->rows, ivf->keep_rows ? ivf->dim * sizeof(float) : 0};
  out[3] = (weft__ivf_row_array){(void **)&l->ids, sizeof(int64_t)};
  out[4] = (weft__ivf_row_array){(void **)&l->row_norms, ivf->keep_rows ? sizeof(float) : 0};
}

/* Gives a list room for exactly `cap` rows (cap >= count); a failure keeps what it had. */
static weft_status resize(weft_ivf *ivf, weft__ivf_list *l, size_t cap) {
  weft__ivf_row_array a[WEFT__IVF_ROW_ARRAYS];
  weft__ivf_row_arrays(ivf, l, a);
  for (int i = 0; i < WEFT__IVF_ROW_ARRAYS; i++) {
    if (!a[i].row_bytes) continue;
    void *p = weft__realloc(*a[i].at, (cap ? cap : 1) * a[i].row_bytes);
    if (!p) /* the arrays already moved hold `count` rows, so capacity can stay as it was */
      return weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_ivf_add: no host memory for a list of "
                         "%zu rows of dim %zu", cap, ivf->dim);
    *a[i].at = p;
  }
  l->capacity = cap;
  return WEFT_OK;
}

weft_status weft__ivf_reserve(weft_ivf *ivf, weft__ivf_list *l, size_t need) {
  if (need <= l->capacity) return WEFT_OK;
  size_t cap = l->capacity + l->capacity / 2;
  return resize(ivf, l, cap < need ? need : cap);
}

void weft__ivf_trim(weft_ivf *ivf, weft__ivf_list *l) {
  if (l->capacity > l->count + l->count / 64 + 4) (void)resize(ivf, l, l->count + l->count / 128);
}

float weft__ivf_code_norm(const weft_ivf *ivf, const uint8_t *code) {
  const size_t dim = ivf->dim;
  /* flat rows are float-aligned (realloc'd, code_size a multiple of 4): the exact index's
   * own norm, so nprobe = nlist gives its distances bit for bit */
  if (ivf->codec == WEFT_IVF_FLAT) return weft__row_norm((const float *)(const void *)code, dim);
  /* sq8: the norm of the row as a scan decodes it, so l2 distances are
   * |x'|^2 - 2 q.x' + |q|^2 of one vector x' */
  float s = 0;
  for (size_t d = 0; d < dim; d++) {
    float v = ivf->sq_min[d] + ((float)code[d] + 0.5f) * ivf->sq_step[d];
    s += v * v;
  }
  return s;
}

void weft__ivf_put_row(weft_ivf *ivf, weft__ivf_list *l, size_t at, const float *row, int64_t id,
                       const uint8_t *pq_code) {
  uint8_t *code = l->codes + at * ivf->code_size;
  if (ivf->codec == WEFT_IVF_FLAT) memcpy(code, row, ivf->dim * sizeof(float));
  else if (ivf->codec == WEFT_IVF_SQ8) weft__sq8_encode(ivf->dim, ivf->sq_min, ivf->sq_step, row, code);
  else memcpy(code, pq_code, ivf->code_size);
  if (ivf->codec != WEFT_IVF_PQ) l->norms[at] = weft__ivf_code_norm(ivf, code);
  if (ivf->keep_rows) {
    memcpy(l->rows + at * ivf->dim, row, ivf->dim * sizeof(float));
    l->row_norms[at] = weft__row_norm(row, ivf->dim);
  }
  l->ids[at] = id;
}

weft_status weft__ivf_sort_list(weft_ivf *ivf, weft__ivf_list *l) {
  size_t n = l->count;
  int sorted = 1;
  for (size_t i = 1; i < n && sorted; i++) sorted = l->ids[i] > l->ids[i - 1];
  if (sorted) return WEFT_OK;
  weft__ivf_row_array a[WEFT__IVF_ROW_ARRAYS];
  weft__ivf_row_arrays(ivf, l, a);
  size_t widest = 0;
  for (int i = 0; i < WEFT__IVF_ROW_ARRAYS; i++)
    widest = a[i].row_bytes > widest ? a[i].row_bytes : widest;
  typedef struct { int64_t id; size_t from; } slot;
  slot *o = weft__malloc(n * sizeof *o);
  uint8_t *tmp = weft__malloc(n * widest);
  if (!o || !tmp) {
    free(o), free(tmp);
    return weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_ivf_add: no host memory to order a list "
                       "of %zu rows", n);
  }
  for (size_t i = 0; i < n; i++) o[i] = (slot){l->ids[i], i};
  qsort(o, n, sizeof *o, cmp_i64); /* the id is the slot's first member */
  for (int k = 0; k < WEFT__IVF_ROW_ARRAYS; k++) {
    size_t rb = a[k].row_bytes;
    if (!rb) continue;
    uint8_t *arr = *a[k].at;
    for (size_t i = 0; i < n; i++) memcpy(tmp + i * rb, arr + o[i].from * rb, rb);
    memcpy(arr, tmp, n * rb);
  }
  free(o), free(tmp);
  return WEFT_OK;
}
