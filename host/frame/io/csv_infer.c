/* Column types of a CSV file from its first rows: each column keeps the set of types every
 * non-null value so far parses as, and takes the narrowest left (int64 before float64). A
 * column with no value at all is utf8, as Polars. */
#include <stdlib.h>

#include "frame/io/csv.h"
#include "core/alloc.h"

enum { CAN_BOOL = 1, CAN_INT = 2, CAN_FLOAT = 4, CAN_DATE = 8, CAN_TS = 16, CAN_ALL = 31 };

static unsigned fits(const weft__csv_field *f) {
  /* Quoted numbers stay numbers ("1" is 1), as Polars; doubled quotes never parse. */
  if (f->escaped) return 0;
  union {
    int b;
    int64_t i;
    double d;
    int32_t day;
  } v;
  unsigned can = 0;
  if (f->len == 4 || f->len == 5) can |= weft__csv_parse_bool(f->p, f->len, &v.b) ? CAN_BOOL : 0;
  if (weft__csv_parse_int64(f->p, f->len, &v.i)) can |= CAN_INT | CAN_FLOAT;
  else if (weft__csv_parse_double(f->p, f->len, &v.d)) can |= CAN_FLOAT;
  if (f->len == 10) can |= weft__csv_parse_date(f->p, f->len, &v.day) ? CAN_DATE : 0;
  if (f->len >= 19) can |= weft__csv_parse_timestamp(f->p, f->len, &v.i) ? CAN_TS : 0;
  return can;
}

int weft__csv_infer(const char *p, const char *end, char delim, size_t ncols, size_t rows,
                    const weft__csv_nulls *nulls, weft_type *types) {
  unsigned *can = weft__malloc((ncols ? ncols : 1) * sizeof *can);
  unsigned char *seen = weft__calloc(ncols ? ncols : 1, 1);
  weft__csv_fields fields = {0};
  /* No memory is an error, not text columns: the types must not depend on the heap. */
  if (!can || !seen) {
    free(can), free(seen);
    return 0;
  }
  for (size_t c = 0; c < ncols; c++) can[c] = CAN_ALL;
  for (size_t r = 0; r < rows && p < end; r++) {
    int error;
    const char *at;
    p = weft__csv_record(p, end, delim, &fields, &error, &at);
    if (error == WEFT_CSV_NO_MEMORY) {
      free(fields.items), free(can), free(seen);
      return 0;
    }
    if (error) break;
    if (fields.count != ncols) continue;
    for (size_t c = 0; c < ncols; c++) {
      const weft__csv_field *f = &fields.items[c];
      if (weft__csv_is_null(nulls, f)) continue;
      if (f->quoted && f->len == 0) { /* "" is an empty string */
        can[c] = 0, seen[c] = 1;
        continue;
      }
      can[c] &= fits(f);
      seen[c] = 1;
    }
  }
  for (size_t c = 0; c < ncols; c++) {
    unsigned k = can[c];
    types[c] = !seen[c]           ? WEFT_TYPE_UTF8
               : k & CAN_INT      ? WEFT_TYPE_INT64
               : k & CAN_FLOAT    ? WEFT_TYPE_FLOAT64
               : k & CAN_BOOL     ? WEFT_TYPE_BOOL
               : k & CAN_DATE     ? WEFT_TYPE_DATE32
               : k & CAN_TS       ? WEFT_TYPE_TIMESTAMP_US
                                  : WEFT_TYPE_UTF8;
  }
  free(fields.items);
  free(can);
  free(seen);
  return 1;
}
