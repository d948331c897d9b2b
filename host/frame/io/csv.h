/* Internals of the CSV reader and writer: csv_read.c (file, chunks, parallel parse), csv_records.c (the CPU record parser),
 * csv_parse.c (records, fields, values), csv_infer.c (column types), csv_write.c. */
#ifndef WEFT_HOST_FRAME_CSV_H
#define WEFT_HOST_FRAME_CSV_H

#include <stddef.h>
#include <stdint.h>

#include "frame/table/table.h"

/* One field of a record: its text inside the buffer (quotes stripped, doubled quotes still
 * doubled when `escaped`). */
typedef struct weft__csv_field {
  const char *p;
  size_t len;
  int quoted, escaped;
} weft__csv_field;

/* Growable list of a record's fields. */
typedef struct weft__csv_fields {
  weft__csv_field *items;
  size_t count, cap;
} weft__csv_fields;

enum { WEFT_CSV_OK = 0, WEFT_CSV_UNCLOSED_QUOTE, WEFT_CSV_AFTER_QUOTE, WEFT_CSV_NO_MEMORY };

/* Splits the record at `p` (before `end`) into fields; returns the start of the next record
 * and sets *error (WEFT_CSV_*) and *error_at on a malformed record. A record that is empty
 * (a blank line) has one empty field. */
const char *weft__csv_record(const char *p, const char *end, char delim, weft__csv_fields *fields,
                             int *error, const char **error_at);
/* The start of the next record after the one at `p`, without splitting it (same quoting
 * rules as weft__csv_record, so both always agree). */
const char *weft__csv_skip_record(const char *p, const char *end, char delim);
/* 1-based line of the byte at `at`. */
int64_t weft__csv_line_of(const char *buf, const char *at);

/* Value parsers: 1 when the whole text is a value of the type. */
int weft__csv_parse_bool(const char *p, size_t n, int *out);
int weft__csv_parse_int64(const char *p, size_t n, int64_t *out);
int weft__csv_parse_uint64(const char *p, size_t n, uint64_t *out);
int weft__csv_parse_double(const char *p, size_t n, double *out);
int weft__csv_parse_date(const char *p, size_t n, int32_t *days);
int weft__csv_parse_timestamp(const char *p, size_t n, int64_t *micros);
/* Days since 1970-01-01 of a civil date and back (proleptic Gregorian). */
int64_t weft__days_from_civil(int64_t y, unsigned m, unsigned d);
void weft__civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d);

/* Null strings of the options: the field's text equal to one of them is null. */
typedef struct weft__csv_nulls {
  char **items;
  size_t count;
} weft__csv_nulls;

int weft__csv_is_null(const weft__csv_nulls *nulls, const weft__csv_field *f);

/* Types of `ncols` columns from the records in [p, end), at most `rows` of them. A record
 * with the wrong number of fields is left to the parser to report. 0 when out of memory. */
int weft__csv_infer(const char *p, const char *end, char delim, size_t ncols, size_t rows,
                    const weft__csv_nulls *nulls, weft_type *types);

/* Records a chunk: csv_read.c parses a chunk as one task, a device walks one a work-item
 * (kernels/csv_parse.h's WK_CSV_CHUNK_ROWS is the same). A multiple of 8: chunks never share
 * a bitmap byte. */
#define WEFT__CSV_CHUNK_ROWS ((size_t)1 << 16)

/* The text of a utf8 column in one chunk (offsets in the column are chunk-relative until
 * csv_read.c joins the chunks). */
typedef struct weft__csv_text {
  char *data;
  size_t len, cap;
} weft__csv_text;

/* One chunk's state: where it starts, its first error, its text and null counts. */
typedef struct weft__csv_chunk {
  const char *start;
  weft_status status;
  char message[768];
  weft__csv_text *text; /* per column (utf8 columns only) */
  int64_t *nulls;       /* per column */
} weft__csv_chunk;

/* What read_csv knows once the header and types are: the parse writes into `cols`. */
typedef struct weft__csv_reader {
  const char *buf, *end;
  char delim;
  size_t ncols, infer_rows;
  int has_header;
  char **names;
  weft_type *types;
  unsigned char *overridden;
  const weft__csv_nulls *nulls;
  weft__column *cols;
  weft__csv_chunk *chunks;
} weft__csv_reader;

/* Appends field f's text (quotes unescaped) to t: 0 out of host memory. csv_records.c. */
int weft__csv_text_append(weft__csv_text *t, const weft__csv_field *f);
/* Stores field f at `row` of column `col` (csv_records.c: nulls, the value, a utf8
 * field appended to the chunk's text): 1, or 0 when it does not parse as the column's type,
 * -1 out of host memory, -2 a chunk's text past 2 GiB. */
int weft__csv_store(weft__csv_reader *c, weft__csv_chunk *ch, size_t col, int64_t row,
                    const weft__csv_field *f);
/* Parses `rows` records from p into rows row0.. of the columns with the CPU's code, stopping
 * at the first error, which goes to ch->status and ch->message (with its line and column). */
void weft__csv_parse_records(weft__csv_reader *c, weft__csv_chunk *ch, int64_t row0,
                             const char *p, size_t rows);

#endif
