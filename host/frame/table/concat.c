/* weft_table_concat: every table's rows one after another, into fresh columns; categorical
 * columns over one dictionary (the tables' dictionaries unified, as Polars). */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "frame/table/categorical.h"
#include "frame/table/table.h"

/* Appends rows [0, length) of `src` to `dst` at row `at` (dst: fresh buffers). */
static void copy_rows(weft__column *dst, int64_t at, const weft__column *src, size_t *data_used) {
  const weft_column_view *s = &src->view;
  uint8_t *valid = (uint8_t *)dst->view.validity;
  for (int64_t r = 0; r < s->length; r++) {
    int64_t i = s->offset + r, o = at + r;
    if (valid && !weft__column_valid(src, r)) valid[o >> 3] &= (uint8_t)~(1u << (o & 7));
    if (s->type == WEFT_TYPE_BOOL) {
      uint8_t *bits = (uint8_t *)dst->view.values;
      int bit = (((const uint8_t *)s->values)[i >> 3] >> (i & 7)) & 1;
      if (bit) bits[o >> 3] |= (uint8_t)(1u << (o & 7));
      else bits[o >> 3] &= (uint8_t)~(1u << (o & 7));
    } else if (s->type == WEFT_TYPE_UTF8) {
      const int32_t *so = s->values;
      int32_t *dofs = (int32_t *)dst->view.values;
      size_t len = (size_t)(so[i + 1] - so[i]);
      memcpy((char *)dst->view.data + *data_used, s->data + so[i], len);
      *data_used += len;
      dofs[o + 1] = (int32_t)*data_used;
    }
  }
  if (s->type != WEFT_TYPE_BOOL && s->type != WEFT_TYPE_UTF8) {
    size_t w = weft__type_width(s->type);
    memcpy((char *)dst->view.values + (size_t)at * w, (const char *)s->values + (size_t)s->offset * w,
           (size_t)s->length * w);
  }
}

weft_status weft_table_concat(size_t n, const weft_table *const *tables, weft_table **out) {
  WEFT_CHECK_ARG(out, "weft_table_concat: out is NULL");
  *out = NULL;
  WEFT_CHECK_ARG(n > 0 && tables, "weft_table_concat: needs at least one table");
  const weft_table *first = tables[0];
  int64_t rows = 0;
  for (size_t t = 0; t < n; t++) {
    WEFT_CHECK_ARG(tables[t], "weft_table_concat: tables[%zu] is NULL", t);
    WEFT_CHECK_ARG(tables[t]->ncols == first->ncols, "weft_table_concat: tables[%zu] has %zu "
                   "columns, tables[0] has %zu", t, tables[t]->ncols, first->ncols);
    for (size_t c = 0; c < first->ncols; c++) {
      WEFT_CHECK_ARG(!strcmp(tables[t]->names[c], first->names[c]),
                     "weft_table_concat: tables[%zu] column %zu is \"%s\", tables[0] has \"%s\"", t,
                     c, tables[t]->names[c], first->names[c]);
      WEFT_CHECK_ARG(tables[t]->cols[c].view.type == first->cols[c].view.type,
                     "weft_table_concat: column \"%s\" is %s in tables[%zu] but %s in tables[0]",
                     first->names[c], weft_type_name(tables[t]->cols[c].view.type), t,
                     weft_type_name(first->cols[c].view.type));
    }
    rows += tables[t]->rows;
  }
  weft_table *res;
  WEFT_RETURN_NOT_OK(weft__table_new(first->ncols, rows, &res));
  for (size_t c = 0; c < first->ncols; c++) {
    int nulls = 0;
    size_t bytes = 0;
    weft_type type = first->cols[c].view.type;
    for (size_t t = 0; t < n; t++) {
      weft__column *src = &((weft_table *)tables[t])->cols[c];
      nulls |= weft__column_null_count(src) > 0;
      if (type == WEFT_TYPE_UTF8 && src->view.length) {
        const int32_t *o = src->view.values;
        bytes += (size_t)(o[src->view.offset + src->view.length] - o[src->view.offset]);
      }
    }
    weft__column col;
    if (type == WEFT_TYPE_CATEGORICAL) { /* dictionaries unified, as Polars */
      weft_status st = weft__concat_categorical(tables, n, c, rows, &col);
      if (st == WEFT_OK) st = weft__table_set_column(res, c, first->names[c], col);
      if (st != WEFT_OK) {
        weft_table_free(res);
        return st;
      }
      continue;
    }
    /* utf8 offsets are int32: a longer column would wrap them (Arrow's large_utf8, int64
     * offsets, is not a weft type) */
    weft_status st = bytes > INT32_MAX
        ? weft__error(WEFT_ERR_INVALID_ARGUMENT, "weft_table_concat: column \"%s\" would hold "
                      "%zu bytes of strings, past the %d a utf8 column's 32-bit offsets address",
                      first->names[c], bytes, INT32_MAX)
        : weft__column_alloc(type, rows, nulls, bytes, &col);
    if (st == WEFT_OK) {
      int64_t at = 0;
      size_t used = 0;
      for (size_t t = 0; t < n; t++) {
        copy_rows(&col, at, &tables[t]->cols[c], &used);
        at += tables[t]->rows;
      }
      st = weft__table_set_column(res, c, first->names[c], col);
    }
    if (st != WEFT_OK) {
      weft_table_free(res);
      return st;
    }
  }
  *out = res;
  return WEFT_OK;
}
