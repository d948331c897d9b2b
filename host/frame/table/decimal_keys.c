/* Decimal keys as two word columns (decimal_keys.h). */
#include "frame/table/decimal_keys.h"
#include "core/alloc.h"

#include <stdlib.h>
#include <string.h>

#include "core/error.h"

int weft__keys_have_decimal(const weft__column *const *keys, size_t nkeys) {
  for (size_t k = 0; k < nkeys; k++)
    if (weft__type_is_decimal(keys[k]->view.type)) return 1;
  return 0;
}

/* hi (int64) and lo (uint64) words of a decimal column, with its validity. */
static weft_status split(const weft__column *key, weft__column *hi, weft__column *lo) {
  const weft_column_view *v = &key->view;
  int nulls = weft__column_null_count((weft__column *)key) > 0;
  WEFT_RETURN_NOT_OK(weft__column_alloc(WEFT_TYPE_INT64, v->length, nulls, 0, hi));
  weft_status st = weft__column_alloc(WEFT_TYPE_UINT64, v->length, nulls, 0, lo);
  if (st != WEFT_OK) {
    weft__column_release(hi);
    return st;
  }
  const uint64_t *w = (const uint64_t *)v->values + 2 * v->offset;
  uint64_t *h = (uint64_t *)hi->view.values, *l = (uint64_t *)lo->view.values;
  for (int64_t r = 0; r < v->length; r++) l[r] = w[2 * r], h[r] = w[2 * r + 1];
  if (nulls) {
    uint8_t *hv = (uint8_t *)hi->view.validity, *lv = (uint8_t *)lo->view.validity;
    for (int64_t r = 0; r < v->length; r++)
      if (!weft__column_valid(key, r)) {
        hv[r >> 3] &= (uint8_t)~(1u << (r & 7));
        lv[r >> 3] &= (uint8_t)~(1u << (r & 7));
        h[r] = l[r] = 0;
      }
    hi->view.null_count = lo->view.null_count = key->view.null_count;
  }
  return WEFT_OK;
}

weft_status weft__split_decimal_keys(const weft__column *const *keys, const int *descending,
                                     size_t nkeys, weft__split_keys *out) {
  memset(out, 0, sizeof *out);
  size_t ndec = 0;
  for (size_t k = 0; k < nkeys; k++) ndec += weft__type_is_decimal(keys[k]->view.type) != 0;
  size_t n = nkeys + ndec;
  out->cols = weft__calloc(n ? n : 1, sizeof *out->cols);
  out->made = weft__calloc(2 * ndec + 1, sizeof *out->made);
  out->descending = descending ? weft__calloc(n ? n : 1, sizeof *out->descending) : NULL;
  if (!out->cols || !out->made || (descending && !out->descending)) {
    weft__split_keys_free(out);
    return weft__error(WEFT_ERR_OUT_OF_MEMORY, "no host memory for decimal keys");
  }
  for (size_t k = 0; k < nkeys; k++) {
    int desc = descending ? descending[k] : 0;
    if (!weft__type_is_decimal(keys[k]->view.type)) {
      if (out->descending) out->descending[out->n] = desc;
      out->cols[out->n++] = keys[k];
      continue;
    }
    weft__column *hi = &out->made[out->nmade], *lo = &out->made[out->nmade + 1];
    weft_status st = split(keys[k], hi, lo);
    if (st != WEFT_OK) {
      weft__split_keys_free(out);
      return st;
    }
    out->nmade += 2;
    if (out->descending) out->descending[out->n] = desc, out->descending[out->n + 1] = desc;
    out->cols[out->n++] = hi;
    out->cols[out->n++] = lo;
  }
  return WEFT_OK;
}

void weft__split_keys_free(weft__split_keys *s) {
  for (size_t i = 0; i < s->nmade; i++) weft__column_release(&s->made[i]);
  free(s->made), free(s->cols), free(s->descending);
  memset(s, 0, sizeof *s);
}
