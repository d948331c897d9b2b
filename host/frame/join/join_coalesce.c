/* A full join's coalesced key column (Polars' coalesce=True): the left key where the output
 * row has a left row, else the right key, widened to the keys' common type when their
 * integer types differ. */
#include <string.h>

#include "core/error.h"
#include "frame/join/join.h"

/* Which source and row output row i reads; 0 when it has neither (null). */
static const weft__column *pick(const weft__column *a, const weft__column *b, const int64_t *lr,
                                const int64_t *rr, int64_t i, int64_t *row) {
  if (lr[i] >= 0) return *row = lr[i], a;
  if (rr[i] >= 0) return *row = rr[i], b;
  return NULL;
}

static void set_bit(uint8_t *bits, int64_t i, int on) {
  if (on) bits[i >> 3] |= (uint8_t)(1u << (i & 7));
  else bits[i >> 3] &= (uint8_t)~(1u << (i & 7));
}

weft_status weft__join_coalesce_keys(const weft__column *src_left, const weft__column *src_right,
                                     const int64_t *lrows, const int64_t *rrows, int64_t n,
                                     weft_type type, weft__column *dst) {
  WEFT_RETURN_NOT_OK(type == WEFT_TYPE_CATEGORICAL ? weft__column_alloc_like(src_left, n, 1, dst)
                                                  : weft__column_alloc(type, n, 1, 0, dst));
  weft_column_view *d = &dst->view;
  int64_t nulls = 0;
  if (type == WEFT_TYPE_UTF8) {
    int32_t *dof = (int32_t *)d->values;
    int64_t total = 0;
    dof[0] = 0;
    for (int64_t i = 0; i < n; i++) {
      int64_t row;
      const weft__column *s = pick(src_left, src_right, lrows, rrows, i, &row);
      if (s && weft__column_valid(s, row)) {
        const int32_t *so = (const int32_t *)s->view.values + s->view.offset;
        total += so[row + 1] - so[row];
      }
      if (total > INT32_MAX) {
        weft__column_release(dst);
        return weft__error(WEFT_ERR_INVALID_ARGUMENT, "a utf8 column of these %lld rows would "
                           "hold more than the %d bytes of strings its 32-bit offsets address",
                           (long long)n, INT32_MAX);
      }
      dof[i + 1] = (int32_t)total;
    }
    weft_status st = weft__column_grow_utf8(dst, (size_t)total);
    if (st != WEFT_OK) {
      weft__column_release(dst);
      return st;
    }
  }
  size_t w = type == WEFT_TYPE_BOOL || type == WEFT_TYPE_UTF8 ? 0 : weft__type_width(type);
  for (int64_t i = 0; i < n; i++) {
    int64_t row;
    const weft__column *s = pick(src_left, src_right, lrows, rrows, i, &row);
    int ok = s && weft__column_valid(s, row);
    set_bit((uint8_t *)d->validity, i, ok);
    nulls += !ok;
    const weft_column_view *v = s ? &s->view : NULL;
    if (type == WEFT_TYPE_UTF8) {
      if (!ok) continue;
      const int32_t *so = (const int32_t *)v->values + v->offset;
      const int32_t *dof = (const int32_t *)d->values;
      memcpy((char *)d->data + dof[i], v->data + so[row], (size_t)(so[row + 1] - so[row]));
    } else if (type == WEFT_TYPE_BOOL) {
      int64_t at = ok ? v->offset + row : 0;
      set_bit((uint8_t *)d->values, i, ok && ((((const uint8_t *)v->values)[at >> 3] >> (at & 7)) & 1));
    } else if (!ok) {
      memset((char *)d->values + (size_t)i * w, 0, w);
    } else if (v->type == type) {
      memcpy((char *)d->values + (size_t)i * w, (const char *)v->values + (size_t)(v->offset + row) * w, w);
    } else { /* a narrower integer: its value, as the wider type (little-endian) */
      uint64_t word = weft__key_word(v, row);
      memcpy((char *)d->values + (size_t)i * w, &word, w);
    }
  }
  d->null_count = nulls;
  return WEFT_OK;
}
