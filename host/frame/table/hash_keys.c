/* Key rows as words and hashes (see hash_keys.h). */
#include "frame/table/hash_keys.h"

#include <math.h>
#include <string.h>

uint64_t weft__hash_bytes_long(const char *p, size_t len) {
  uint64_t h = 0x9e3779b97f4a7c15ULL ^ (len * 0xff51afd7ed558ccdULL);
  size_t i = 0;
  for (; i + 8 <= len; i += 8) {
    uint64_t w;
    memcpy(&w, p + i, 8);
    h = (h ^ weft__hash_mix(w)) * 0x9fb21c651e98df25ULL;
  }
  if (i < len) {
    uint64_t w = 0;
    memcpy(&w, p + i, len - i);
    h = (h ^ weft__hash_mix(w + 1)) * 0x9fb21c651e98df25ULL;
  }
  return weft__hash_mix(h);
}

static uint64_t float_word(double d) {
  if (d == 0) d = 0; /* -0.0 groups with 0.0 */
  if (isnan(d)) return 0x7ff8000000000000ULL;
  uint64_t w;
  memcpy(&w, &d, sizeof w);
  return w;
}

uint64_t weft__key_word(const weft_column_view *v, int64_t row) {
  int64_t i = v->offset + row;
  switch (v->type) {
    case WEFT_TYPE_BOOL: return (((const uint8_t *)v->values)[i >> 3] >> (i & 7)) & 1;
    case WEFT_TYPE_INT8: return (uint64_t)(int64_t)((const int8_t *)v->values)[i];
    case WEFT_TYPE_INT16: return (uint64_t)(int64_t)((const int16_t *)v->values)[i];
    case WEFT_TYPE_INT32: case WEFT_TYPE_DATE32: return (uint64_t)(int64_t)((const int32_t *)v->values)[i];
    case WEFT_TYPE_INT64: case WEFT_TYPE_TIMESTAMP_US: case WEFT_TYPE_UINT64:
      return ((const uint64_t *)v->values)[i];
    case WEFT_TYPE_UINT8: return ((const uint8_t *)v->values)[i];
    case WEFT_TYPE_UINT16: return ((const uint16_t *)v->values)[i];
    case WEFT_TYPE_UINT32: return ((const uint32_t *)v->values)[i];
    case WEFT_TYPE_FLOAT32: return float_word(((const float *)v->values)[i]);
    case WEFT_TYPE_FLOAT64: return float_word(((const double *)v->values)[i]);
    default: return 0;
  }
}

static int valid_at(const weft_column_view *v, int64_t row) {
  if (!v->validity) return 1;
  int64_t i = v->offset + row;
  return (v->validity[i >> 3] >> (i & 7)) & 1;
}

void weft__key_words(const weft_column_view *v, int64_t row0, size_t n, uint64_t *out) {
  int64_t i0 = v->offset + row0;
  if (v->type == WEFT_TYPE_INT64 || v->type == WEFT_TYPE_UINT64 || v->type == WEFT_TYPE_TIMESTAMP_US) {
    memcpy(out, (const uint64_t *)v->values + i0, n * sizeof *out);
  } else if (v->type == WEFT_TYPE_INT32 || v->type == WEFT_TYPE_DATE32) {
    const int32_t *p = (const int32_t *)v->values + i0;
    for (size_t i = 0; i < n; i++) out[i] = (uint64_t)(int64_t)p[i];
  } else {
    for (size_t i = 0; i < n; i++) out[i] = weft__key_word(v, row0 + (int64_t)i);
  }
}

/* The hash of one column's rows [row0, row0 + n), nulls included. */
static void column_hashes(const weft_column_view *v, int64_t row0, size_t n, uint64_t *h) {
  int64_t i0 = v->offset + row0;
  if (v->type == WEFT_TYPE_UTF8) {
    const int32_t *o = (const int32_t *)v->values + i0;
    for (size_t i = 0; i < n; i++) h[i] = weft__hash_bytes(v->data + o[i], (size_t)(o[i + 1] - o[i]));
  } else {
    weft__key_words(v, row0, n, h);
    for (size_t i = 0; i < n; i++) h[i] = weft__hash_mix(h[i]);
  }
  if (v->validity && v->null_count != 0)
    for (size_t i = 0; i < n; i++)
      if (!valid_at(v, row0 + (int64_t)i)) h[i] = WEFT_HASH_NULL;
}

void weft__hash_rows(const weft__column *const *cols, size_t ncols, int64_t row0, size_t n,
                     uint64_t *out) {
  uint64_t h[WEFT_HASH_BLOCK];
  if (ncols == 0) {
    for (size_t i = 0; i < n; i++) out[i] = WEFT_HASH_NULL;
    return;
  }
  column_hashes(&cols[0]->view, row0, n, out);
  for (size_t k = 1; k < ncols; k++) {
    column_hashes(&cols[k]->view, row0, n, h);
    for (size_t i = 0; i < n; i++) out[i] = weft__hash_mix(out[i] * 0x9e3779b97f4a7c15ULL + h[i]);
  }
}

int weft__key_rows_equal(const weft__column *const *ca, int64_t a, const weft__column *const *cb,
                         int64_t b, size_t ncols) {
  for (size_t k = 0; k < ncols; k++) {
    const weft_column_view *x = &ca[k]->view, *y = &cb[k]->view;
    int vx = valid_at(x, a), vy = valid_at(y, b);
    if (vx != vy) return 0;
    if (!vx) continue;
    if (x->type == WEFT_TYPE_UTF8) {
      const int32_t *xo = (const int32_t *)x->values + x->offset + a;
      const int32_t *yo = (const int32_t *)y->values + y->offset + b;
      int32_t lx = xo[1] - xo[0], ly = yo[1] - yo[0];
      if (lx != ly) return 0;
      const char *px = x->data + xo[0], *py = y->data + yo[0];
      if (lx <= 8 ? weft__prefix8(px, (size_t)lx) != weft__prefix8(py, (size_t)lx)
                  : memcmp(px, py, (size_t)lx) != 0)
        return 0;
    } else if (weft__key_word(x, a) != weft__key_word(y, b)) {
      return 0;
    }
  }
  return 1;
}
