/* Checks that a table weft returned keeps Arrow's invariants and reads every byte it claims
 * (so ASan sees a buffer shorter than its column): lengths, null counts against the bitmap,
 * utf8 offsets ascending inside the data. */
#ifndef WEFT_FUZZ_TABLE_CHECK_H
#define WEFT_FUZZ_TABLE_CHECK_H

#include "fuzz_common.h"
#include "weft.h"

static inline size_t fuzz_type_width(weft_type t) {
  switch ((int)(t & 0xff)) {
    case WEFT_TYPE_INT8: case WEFT_TYPE_UINT8: return 1;
    case WEFT_TYPE_INT16: case WEFT_TYPE_UINT16: return 2;
    case WEFT_TYPE_INT32: case WEFT_TYPE_UINT32: case WEFT_TYPE_FLOAT32: case WEFT_TYPE_DATE32:
    case WEFT_TYPE_UTF8: return 4; /* offsets */
    case WEFT_TYPE_CATEGORICAL: return 4; /* codes */
    case WEFT_TYPE_INT64: case WEFT_TYPE_UINT64: case WEFT_TYPE_FLOAT64:
    case WEFT_TYPE_TIMESTAMP_US: return 8;
    case WEFT_TYPE_DECIMAL128: return 16;
    case WEFT_TYPE_VECTOR_F32: return 4 * (size_t)((unsigned)t >> 8); /* dim floats a row */
    default: return 0; /* bool: bits */
  }
}

static inline int fuzz_bit(const uint8_t *bits, int64_t i) { return (bits[i >> 3] >> (i & 7)) & 1; }

/* volatile: the reads must happen even though nothing uses them. */
static volatile uint8_t fuzz_sink;

static inline void fuzz_check_table(const weft_table *t) {
  int64_t rows = -1;
  size_t ncols = 0;
  FUZZ_CHECK(weft_table_num_rows(t, &rows) == WEFT_OK && rows >= 0, "rows %lld", (long long)rows);
  FUZZ_CHECK(weft_table_num_columns(t, &ncols) == WEFT_OK, "%s", weft_last_error());
  for (size_t c = 0; c < ncols; c++) {
    weft_column_view v;
    const char *name = NULL;
    FUZZ_CHECK(weft_table_column_name(t, c, &name) == WEFT_OK && name, "column %zu", c);
    FUZZ_CHECK(weft_table_column(t, c, &v) == WEFT_OK, "column %zu: %s", c, weft_last_error());
    FUZZ_CHECK(v.length == rows && v.offset >= 0, "column %zu: length %lld offset %lld, rows %lld",
               c, (long long)v.length, (long long)v.offset, (long long)rows);
    FUZZ_CHECK(v.null_count >= 0 && v.null_count <= v.length, "column %zu: null_count %lld",
               c, (long long)v.null_count);
    int64_t nulls = 0;
    for (int64_t r = 0; v.validity && r < v.length; r++) nulls += !fuzz_bit(v.validity, v.offset + r);
    FUZZ_CHECK(nulls == v.null_count, "column %zu: %lld nulls in the bitmap, null_count %lld", c,
               (long long)nulls, (long long)v.null_count);
    if (!v.length) continue;
    FUZZ_CHECK(v.values != NULL, "column %zu has no values buffer", c);
    if (v.type == WEFT_TYPE_CATEGORICAL) { /* every valid row's code inside the dictionary */
      weft_column_view d;
      FUZZ_CHECK(weft_table_column_dictionary(t, c, &d, NULL) == WEFT_OK && !d.validity,
                 "column %zu: %s", c, weft_last_error());
      const uint32_t *codes = v.values;
      const int32_t *o = d.values;
      for (int64_t r = 0; r < v.length; r++) {
        if (v.validity && !fuzz_bit(v.validity, v.offset + r)) continue;
        uint32_t k = codes[v.offset + r];
        FUZZ_CHECK(k < (uint64_t)d.length, "column %zu: row %lld has code %u of %lld entries", c,
                   (long long)r, k, (long long)d.length);
        for (int32_t b = o[k]; b < o[k + 1]; b++) fuzz_sink ^= (uint8_t)d.data[b];
      }
      continue;
    }
    if ((v.type & 0xff) == WEFT_TYPE_UTF8) {
      const int32_t *o = v.values;
      FUZZ_CHECK(o[v.offset] >= 0, "column %zu: first offset %d", c, o[v.offset]);
      for (int64_t r = 0; r < v.length; r++) {
        FUZZ_CHECK(o[v.offset + r + 1] >= o[v.offset + r], "column %zu: offsets descend at row %lld",
                   c, (long long)r);
        for (int32_t k = o[v.offset + r]; k < o[v.offset + r + 1]; k++) fuzz_sink ^= (uint8_t)v.data[k];
      }
    } else {
      size_t w = fuzz_type_width(v.type);
      const uint8_t *p = v.values;
      if (!w)
        for (int64_t r = 0; r < v.length; r++) fuzz_sink ^= (uint8_t)fuzz_bit(p, v.offset + r);
      else
        for (size_t k = 0; k < (size_t)v.length * w; k++) fuzz_sink ^= p[(size_t)v.offset * w + k];
    }
  }
}

#endif
