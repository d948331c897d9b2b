/* The CPU's record parser of read_csv: splits a chunk's records into fields and stores each
 * field in its column (values, validity, text), the chunk's first error kept for the reader.
 * The CPU path (csv_read.c) runs it over whole chunks; the device path (csv_device.c) over
 * the records a device flagged, and to store the text fields a device leaves to the host,
 * so both give the same table and the same errors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/alloc.h"
#include "frame/io/csv.h"

typedef weft__csv_text text_buf;
typedef weft__csv_chunk chunk;
typedef weft__csv_reader read_ctx;

static void clear_bit(const uint8_t *bits, int64_t i) {
  ((uint8_t *)bits)[i >> 3] &= (uint8_t)~(1u << (i & 7));
}

int weft__csv_text_append(weft__csv_text *t, const weft__csv_field *f) {
  if (f->len == 0) return 1;
  if (t->len + f->len > t->cap) {
    size_t cap = t->cap ? t->cap * 2 : 4096;
    while (cap < t->len + f->len) cap *= 2;
    char *grown = weft__realloc(t->data, cap);
    if (!grown) return 0;
    t->data = grown, t->cap = cap;
  }
  if (!f->escaped) {
    memcpy(t->data + t->len, f->p, f->len);
    t->len += f->len;
    return 1;
  }
  for (size_t i = 0; i < f->len; i++) { /* "" -> " */
    t->data[t->len++] = f->p[i];
    if (f->p[i] == '"') i++;
  }
  return 1;
}

static int in_range(int64_t v, weft_type t) {
  switch (t) {
    case WEFT_TYPE_INT8: return v >= INT8_MIN && v <= INT8_MAX;
    case WEFT_TYPE_INT16: return v >= INT16_MIN && v <= INT16_MAX;
    case WEFT_TYPE_INT32: return v >= INT32_MIN && v <= INT32_MAX;
    case WEFT_TYPE_UINT8: return v >= 0 && v <= UINT8_MAX;
    case WEFT_TYPE_UINT16: return v >= 0 && v <= UINT16_MAX;
    case WEFT_TYPE_UINT32: return v >= 0 && v <= UINT32_MAX;
    default: return 1;
  }
}

#define store weft__csv_store

int weft__csv_store(read_ctx *c, chunk *ch, size_t col, int64_t row, const weft__csv_field *f) {
  weft__column *dst = &c->cols[col];
  weft_type t = dst->view.type;
  void *v = (void *)dst->view.values;
  int null = weft__csv_is_null(c->nulls, f) || (f->len == 0 && t != WEFT_TYPE_UTF8);
  if (null) {
    clear_bit(dst->view.validity, row);
    ch->nulls[col]++;
    if (t == WEFT_TYPE_UTF8) {
      int32_t *o = v;
      o[row + 1] = (int32_t)ch->text[col].len;
    } else if (t == WEFT_TYPE_BOOL) {
      clear_bit(v, row);
    } else {
      memset((char *)v + (size_t)row * weft__type_width(t), 0, weft__type_width(t));
    }
    return 1;
  }
  if (f->escaped && t != WEFT_TYPE_UTF8) return 0;
  switch (t) {
    case WEFT_TYPE_UTF8: {
      if (!weft__csv_text_append(&ch->text[col], f)) return -1;
      ((int32_t *)v)[row + 1] = (int32_t)ch->text[col].len;
      return ch->text[col].len <= INT32_MAX ? 1 : -2;
    }
    case WEFT_TYPE_BOOL: {
      int b;
      if (!weft__csv_parse_bool(f->p, f->len, &b)) return 0;
      if (b) ((uint8_t *)v)[row >> 3] |= (uint8_t)(1u << (row & 7));
      else clear_bit(v, row);
      return 1;
    }
    case WEFT_TYPE_INT64: return weft__csv_parse_int64(f->p, f->len, (int64_t *)v + row);
    case WEFT_TYPE_UINT64: return weft__csv_parse_uint64(f->p, f->len, (uint64_t *)v + row);
    case WEFT_TYPE_INT8: case WEFT_TYPE_INT16: case WEFT_TYPE_INT32:
    case WEFT_TYPE_UINT8: case WEFT_TYPE_UINT16: case WEFT_TYPE_UINT32: {
      int64_t x;
      if (!weft__csv_parse_int64(f->p, f->len, &x) || !in_range(x, t)) return 0;
      size_t w = weft__type_width(t);
      memcpy((char *)v + (size_t)row * w, &x, w); /* little endian: the low bytes */
      return 1;
    }
    case WEFT_TYPE_FLOAT64: return weft__csv_parse_double(f->p, f->len, (double *)v + row);
    case WEFT_TYPE_FLOAT32: {
      double d;
      if (!weft__csv_parse_double(f->p, f->len, &d)) return 0;
      ((float *)v)[row] = (float)d;
      return 1;
    }
    case WEFT_TYPE_DATE32: return weft__csv_parse_date(f->p, f->len, (int32_t *)v + row);
    case WEFT_TYPE_TIMESTAMP_US: return weft__csv_parse_timestamp(f->p, f->len, (int64_t *)v + row);
    default: break; /* read_csv refuses decimal overrides */
  }
  return 0;
}

static void chunk_fail(read_ctx *c, chunk *ch, const char *at, const char *detail) {
  snprintf(ch->message, sizeof ch->message, "line %lld: %s",
           (long long)weft__csv_line_of(c->buf, at), detail);
  ch->status = WEFT_ERR_CORRUPT;
}

void weft__csv_parse_records(read_ctx *c, chunk *ch, int64_t row0, const char *p, size_t rows) {
  weft__csv_fields fields = {0};
  for (size_t r = 0; r < rows && ch->status == WEFT_OK; r++) {
    int64_t row = row0 + (int64_t)r;
    const char *rec = p, *at;
    int error;
    p = weft__csv_record(p, c->end, c->delim, &fields, &error, &at);
    if (error == WEFT_CSV_NO_MEMORY) {
      ch->status = WEFT_ERR_OUT_OF_MEMORY;
      snprintf(ch->message, sizeof ch->message, "read_csv: no host memory for the fields of a record");
    } else if (error) {
      chunk_fail(c, ch, at, error == WEFT_CSV_UNCLOSED_QUOTE
                                ? "a quoted field is never closed"
                                : "a closing quote is followed by a character other than the "
                                  "delimiter or the end of the line");
    } else if (fields.count == 1 && fields.items[0].len == 0 && !fields.items[0].quoted) {
      for (size_t col = 0; col < c->ncols; col++) store(c, ch, col, row, &fields.items[0]);
    } else if (fields.count != c->ncols) {
      char detail[160];
      snprintf(detail, sizeof detail, "expected %zu fields (as the %s), found %zu", c->ncols,
               c->has_header ? "header" : "first line", fields.count);
      chunk_fail(c, ch, rec, detail);
    } else {
      for (size_t col = 0; col < c->ncols && ch->status == WEFT_OK; col++) {
        const weft__csv_field *f = &fields.items[col];
        int ok = store(c, ch, col, row, f);
        if (ok == 1) continue;
        if (ok == -1) {
          ch->status = WEFT_ERR_OUT_OF_MEMORY;
          snprintf(ch->message, sizeof ch->message, "read_csv: no host memory for column \"%s\"",
                   c->names[col]);
          break;
        }
        if (ok == -2) {
          ch->status = WEFT_ERR_UNSUPPORTED;
          snprintf(ch->message, sizeof ch->message, "read_csv: column \"%s\" holds more than 2 GiB "
                   "of text in one chunk", c->names[col]);
          break;
        }
        int n = snprintf(ch->message, sizeof ch->message, "line %lld, column \"%s\": cannot parse "
                         "\"%.*s\" as %s", (long long)weft__csv_line_of(c->buf, f->p), c->names[col],
                         (int)(f->len > 100 ? 100 : f->len), f->p, weft_type_name(c->types[col]));
        if (c->overridden[col])
          snprintf(ch->message + n, sizeof ch->message - (size_t)n, " (the type given for it)");
        else
          snprintf(ch->message + n, sizeof ch->message - (size_t)n, " (the type inferred from the "
                   "first %zu rows); give the column a schema override such as utf8, or infer "
                   "from more rows", c->infer_rows);
        ch->status = WEFT_ERR_CORRUPT;
      }
    }
  }
  free(fields.items);
}
