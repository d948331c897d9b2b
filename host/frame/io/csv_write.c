/* weft_write_csv: rows are formatted in blocks on the CPU pool and written in order to a
 * temporary file in the same directory, which is then renamed over the path, so a reader
 * never sees half a file. Floats are written with the fewest digits that read back to the
 * same bits (and always look like floats: "1.0", "NaN", "inf"), text is quoted only when it
 * must be (delimiter, quote, line break, or the empty string, which would read as null). */
#include <errno.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"
#include "core/file_sync.h"
#include "core/alloc.h"
#include "core/thread_pool.h"
#include "frame/expr/expr.h" /* weft__dec_format */
#include "frame/table/categorical.h"
#include "frame/io/csv.h"

#define BLOCK_ROWS ((int64_t)8192)
#define ROUND_BLOCKS 64

typedef struct out_buf {
  char *data;
  size_t len, cap;
  int failed;
} out_buf;

static int reserve(out_buf *b, size_t more) {
  if (b->len + more <= b->cap) return 1;
  size_t cap = b->cap ? b->cap : 1 << 16;
  while (cap < b->len + more) cap *= 2;
  char *grown = weft__realloc(b->data, cap);
  if (!grown) return b->failed = 1, 0;
  b->data = grown, b->cap = cap;
  return 1;
}

static void put(out_buf *b, const char *s, size_t n) {
  if (!reserve(b, n)) return;
  memcpy(b->data + b->len, s, n);
  b->len += n;
}

static void put_text(out_buf *b, const char *s, size_t n) {
  int quote = n == 0;
  for (size_t i = 0; i < n && !quote; i++)
    quote = s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r';
  if (!quote) return put(b, s, n);
  if (!reserve(b, 2 * n + 2)) return;
  b->data[b->len++] = '"';
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '"') b->data[b->len++] = '"';
    b->data[b->len++] = s[i];
  }
  b->data[b->len++] = '"';
}

/* The fewest of 15, 16 or 17 significant digits (float32: 6 to 9) that read back to the
 * same value; 17 (9) always do. Fixed format strings keep printf off its slow path. */
static int shortest(char *s, size_t cap, double d, int is_float32) {
  static const char *f64[] = {"%.15g", "%.16g", "%.17g"};
  static const char *f32[] = {"%.6g", "%.7g", "%.8g", "%.9g"};
  const char *const *fmts = is_float32 ? f32 : f64;
  int last = is_float32 ? 3 : 2;
  for (int k = 0;; k++) {
    int n = snprintf(s, cap, fmts[k], d);
    if (k == last) return n;
    double back;
    if (weft__csv_parse_double(s, (size_t)n, &back) &&
        (is_float32 ? (float)back == (float)d : back == d))
      return n;
  }
}

static void put_double(out_buf *b, double d, int is_float32) {
  char s[40];
  int n;
  if (isnan(d)) n = snprintf(s, sizeof s, "NaN");
  else if (isinf(d)) n = snprintf(s, sizeof s, d < 0 ? "-inf" : "inf");
  else {
    n = shortest(s, sizeof s, d, is_float32);
    if (!strpbrk(s, ".eEn")) n += snprintf(s + n, sizeof s - (size_t)n, ".0");
  }
  put(b, s, (size_t)n);
}

static void put_int(out_buf *b, int64_t v) {
  char s[24], *p = s + sizeof s;
  uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
  do *--p = (char)('0' + u % 10), u /= 10;
  while (u);
  if (v < 0) *--p = '-';
  put(b, p, (size_t)(s + sizeof s - p));
}

static void put_date(out_buf *b, int64_t days) {
  int64_t y;
  unsigned m, d;
  weft__civil_from_days(days, &y, &m, &d);
  char s[40];
  put(b, s, (size_t)snprintf(s, sizeof s, "%04lld-%02u-%02u", (long long)y, m, d));
}

static void put_timestamp(out_buf *b, int64_t us) {
  int64_t day_us = (int64_t)86400 * 1000000;
  int64_t days = us / day_us, rest = us % day_us;
  if (rest < 0) rest += day_us, days--;
  put_date(b, days);
  int64_t secs = rest / 1000000;
  char s[40];
  put(b, s, (size_t)snprintf(s, sizeof s, "T%02lld:%02lld:%02lld.%06lld", (long long)(secs / 3600),
                             (long long)(secs / 60 % 60), (long long)(secs % 60),
                             (long long)(rest % 1000000)));
}

static void put_cell(out_buf *b, const weft__column *col, int64_t row) {
  if (!weft__column_valid(col, row)) return; /* null: empty field */
  const weft_column_view *v = &col->view;
  int64_t i = v->offset + row;
  char s[32];
  switch (v->type) {
    case WEFT_TYPE_BOOL: {
      int bit = (((const uint8_t *)v->values)[i >> 3] >> (i & 7)) & 1;
      return put(b, bit ? "true" : "false", bit ? 4 : 5);
    }
    case WEFT_TYPE_INT8: return put_int(b, ((const int8_t *)v->values)[i]);
    case WEFT_TYPE_INT16: return put_int(b, ((const int16_t *)v->values)[i]);
    case WEFT_TYPE_INT32: return put_int(b, ((const int32_t *)v->values)[i]);
    case WEFT_TYPE_INT64: return put_int(b, ((const int64_t *)v->values)[i]);
    case WEFT_TYPE_UINT8: return put_int(b, ((const uint8_t *)v->values)[i]);
    case WEFT_TYPE_UINT16: return put_int(b, ((const uint16_t *)v->values)[i]);
    case WEFT_TYPE_UINT32: return put_int(b, ((const uint32_t *)v->values)[i]);
    case WEFT_TYPE_UINT64:
      return put(b, s, (size_t)snprintf(s, sizeof s, "%llu", (unsigned long long)((const uint64_t *)v->values)[i]));
    case WEFT_TYPE_FLOAT32: return put_double(b, ((const float *)v->values)[i], 1);
    case WEFT_TYPE_FLOAT64: return put_double(b, ((const double *)v->values)[i], 0);
    case WEFT_TYPE_UTF8: {
      const int32_t *o = v->values;
      return put_text(b, v->data + o[i], (size_t)(o[i + 1] - o[i]));
    }
    case WEFT_TYPE_DATE32: return put_date(b, ((const int32_t *)v->values)[i]);
    case WEFT_TYPE_TIMESTAMP_US: return put_timestamp(b, ((const int64_t *)v->values)[i]);
    case WEFT_TYPE_CATEGORICAL: { /* its string, as Polars writes it */
      int32_t len;
      const char *p = weft__dict_str(col->dict, ((const uint32_t *)v->values)[i], &len);
      return put_text(b, p, (size_t)len);
    }
    default: { /* decimal128: "-1.25", as Polars writes it */
      char d[48];
      weft__i128 x;
      memcpy(&x, (const char *)v->values + (size_t)i * 16, sizeof x);
      return put(b, d, (size_t)weft__dec_format(d, x, weft__dec_scale(v->type)));
    }
  }
}

typedef struct write_ctx {
  const weft_table *table;
  int64_t row0;
  size_t blocks;
  out_buf *bufs;
  _Atomic size_t next;
} write_ctx;

static void format_rows(const weft_table *t, int64_t r0, int64_t r1, out_buf *b) {
  for (int64_t r = r0; r < r1 && !b->failed; r++) {
    for (size_t c = 0; c < t->ncols; c++) {
      if (c) put(b, ",", 1);
      put_cell(b, &t->cols[c], r);
    }
    put(b, "\n", 1);
  }
}

static void format_worker(void *ctx, int worker, int workers) {
  (void)worker, (void)workers;
  write_ctx *w = ctx;
  for (;;) {
    size_t k = atomic_fetch_add(&w->next, 1);
    if (k >= w->blocks) return;
    int64_t r0 = w->row0 + (int64_t)k * BLOCK_ROWS, r1 = r0 + BLOCK_ROWS;
    if (r1 > w->table->rows) r1 = w->table->rows;
    w->bufs[k].len = 0;
    format_rows(w->table, r0, r1, &w->bufs[k]);
  }
}

/* The header and the rows into f; 0, or -1 with errno set (ENOMEM when a buffer could not
 * grow). */
static int write_all(const weft_table *t, FILE *f, out_buf *bufs) {
  out_buf *head = &bufs[0];
  for (size_t c = 0; c < t->ncols; c++) {
    if (c) put(head, ",", 1);
    put_text(head, t->names[c], strlen(t->names[c]));
  }
  if (t->ncols) put(head, "\n", 1);
  if (head->failed) return errno = ENOMEM, -1;
  if (fwrite(head->data, 1, head->len, f) != head->len) return -1;
  if (!t->ncols) return 0;
  for (int64_t row0 = 0; row0 < t->rows; row0 += BLOCK_ROWS * ROUND_BLOCKS) {
    int64_t left = t->rows - row0;
    size_t blocks = (size_t)((left + BLOCK_ROWS - 1) / BLOCK_ROWS);
    write_ctx w = {t, row0, blocks < ROUND_BLOCKS ? blocks : ROUND_BLOCKS, bufs, 0};
    if (w.blocks == 1) format_worker(&w, 0, 1);
    else weft__pool_run(format_worker, &w);
    for (size_t k = 0; k < w.blocks; k++) {
      if (bufs[k].failed) return errno = ENOMEM, -1;
      if (fwrite(bufs[k].data, 1, bufs[k].len, f) != bufs[k].len) return -1;
    }
  }
  return 0;
}

typedef struct csv_file {
  const weft_table *table;
  out_buf *bufs;
} csv_file;

/* weft__save_atomic's writer: through a stdio stream of its own (a dup, so closing the
 * stream leaves the descriptor to the saver). */
static int write_csv_file(int fd, void *ctx) {
  const csv_file *cf = ctx;
  int fd2 = dup(fd);
  FILE *f = fd2 >= 0 ? fdopen(fd2, "wb") : NULL;
  if (!f) {
    int err = errno;
    if (fd2 >= 0) close(fd2);
    return errno = err, -1;
  }
  int bad = write_all(cf->table, f, cf->bufs);
  int err = errno;
  if (fclose(f) != 0 && !bad) bad = 1, err = errno;
  return bad ? (errno = err, -1) : 0;
}

weft_status weft_write_csv(const weft_table *table, const char *path) {
  WEFT_CHECK_ARG(table && path, "write_csv: table and path must not be NULL");
  for (size_t c = 0; c < table->ncols; c++) /* as Polars: CSV has no nested values */
    WEFT_CHECK_ARG(!weft__type_is_vector(table->cols[c].view.type), "write_csv: column \"%s\" is "
                   "%s; CSV holds no vectors (write Parquet, or drop the column)", table->names[c],
                   weft_type_name(table->cols[c].view.type));
  out_buf *bufs = weft__calloc(ROUND_BLOCKS, sizeof *bufs);
  if (!bufs) return weft__error(WEFT_ERR_OUT_OF_MEMORY, "write_csv: no host memory");
  csv_file cf = {table, bufs};
  weft_status st = weft__save_atomic("write_csv", path, write_csv_file, &cf);
  for (size_t k = 0; k < ROUND_BLOCKS; k++) free(bufs[k].data);
  free(bufs);
  return st;
}
