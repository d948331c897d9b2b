/* weft_table_standardize: (x - offset) / divisor for some numeric columns of a table, the
 * others shared (scikit-learn's StandardScaler.transform; Python's Standardize on a
 * DataFrame). The expression engine gives the same values but walks each column through
 * its general chunks (a load, two literal fills, two binary ops, a store: six passes over
 * each chunk); here each value is read once and written once into a preallocated float64
 * column, on the CPU pool in units of (column, CHUNK rows), claimed column by column so the
 * threads stream one column at a time. Values are computed in float64 as the expression
 * (col - offset) / divisor is, so the results are the same bits. */
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/thread_pool.h"
#include "frame/table/table.h"

#define CHUNK 65536 /* rows of one column a claim converts */

typedef struct standardize_ctx {
  const weft_table *table;
  const size_t *cols;    /* the columns converted */
  const double *offset, *divisor;
  double **out;          /* each converted column's fresh values */
  size_t n;
  int64_t chunks;        /* per column */
  _Atomic int64_t next;
} standardize_ctx;

#define AFFINE(T)                                                  \
  do {                                                             \
    const T *x = (const T *)v->values + v->offset + r0;            \
    for (int64_t i = 0; i < len; i++) d[i] = ((double)x[i] - o) / s; \
  } while (0)

static void convert(const weft_column_view *v, double o, double s, double *d, int64_t r0,
                    int64_t len) {
  switch (v->type) {
    case WEFT_TYPE_INT8: AFFINE(int8_t); break;
    case WEFT_TYPE_INT16: AFFINE(int16_t); break;
    case WEFT_TYPE_INT32: AFFINE(int32_t); break;
    case WEFT_TYPE_INT64: AFFINE(int64_t); break;
    case WEFT_TYPE_UINT8: AFFINE(uint8_t); break;
    case WEFT_TYPE_UINT16: AFFINE(uint16_t); break;
    case WEFT_TYPE_UINT32: AFFINE(uint32_t); break;
    case WEFT_TYPE_UINT64: AFFINE(uint64_t); break;
    default: AFFINE(double); break;
  }
}

static void worker(void *ctx, int w, int workers) {
  (void)w, (void)workers;
  standardize_ctx *c = ctx;
  int64_t units = (int64_t)c->n * c->chunks;
  for (;;) {
    int64_t u = atomic_fetch_add(&c->next, 1);
    if (u >= units) return;
    size_t k = (size_t)(u / c->chunks);
    int64_t r0 = (u % c->chunks) * CHUNK, rows = c->table->rows;
    const weft_column_view *v = &c->table->cols[c->cols[k]].view;
    convert(v, c->offset[k], c->divisor[k], c->out[k] + r0, r0, rows - r0 < CHUNK ? rows - r0 : CHUNK);
  }
}

/* The source's validity bits, from its view's offset, into the fresh column's bitmap. */
static void copy_validity(const weft_column_view *src, weft__column *dst, int64_t rows) {
  uint8_t *bits = (uint8_t *)dst->view.validity;
  if (src->offset % 8 == 0) {
    memcpy(bits, src->validity + src->offset / 8, (size_t)(rows + 7) / 8);
  } else {
    memset(bits, 0, (size_t)(rows + 7) / 8);
    for (int64_t i = 0; i < rows; i++) {
      int64_t at = src->offset + i;
      bits[i >> 3] |= (uint8_t)(((src->validity[at >> 3] >> (at & 7)) & 1) << (i & 7));
    }
  }
  dst->view.null_count = src->null_count;
}

static int convertible(weft_type t) {
  return t != WEFT_TYPE_FLOAT32 && weft__type_is_numeric(t);
}

weft_status weft_table_standardize(const weft_table *table, size_t n, const size_t *columns,
                                   const double *offset, const double *divisor,
                                   weft_table **out) {
  WEFT_CHECK_ARG(out, "weft_table_standardize: out is NULL");
  *out = NULL;
  WEFT_CHECK_ARG(table, "weft_table_standardize: table is NULL");
  WEFT_CHECK_ARG(n == 0 || (columns && offset && divisor),
                 "weft_table_standardize: columns, offset or divisor is NULL for %zu columns", n);
  for (size_t k = 0; k < n; k++) {
    WEFT_CHECK_ARG(columns[k] < table->ncols, "weft_table_standardize: column %zu is past the "
                   "table's %zu columns", columns[k], table->ncols);
    const weft__column *cl = &table->cols[columns[k]];
    WEFT_CHECK_ARG(convertible(cl->view.type), "weft_table_standardize: column \"%s\" is not an "
                   "integer or float64 column", table->names[columns[k]]);
    for (size_t j = 0; j < k; j++)
      WEFT_CHECK_ARG(columns[j] != columns[k], "weft_table_standardize: column \"%s\" is listed "
                     "twice", table->names[columns[k]]);
  }
  int64_t rows = table->rows;
  size_t ncols = table->ncols;
  /* slot c: the index in `columns` of table column c, or n when it is shared */
  size_t *which = weft__malloc((ncols ? ncols : 1) * sizeof *which);
  weft__column *fresh = weft__calloc(n ? n : 1, sizeof *fresh);
  double **values = weft__calloc(n ? n : 1, sizeof *values);
  weft_status st = which && fresh && values ? WEFT_OK
                   : weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_table_standardize: no host memory");
  size_t made = 0;
  for (size_t c = 0; st == WEFT_OK && c < ncols; c++) which[c] = n;
  for (; st == WEFT_OK && made < n; made++) {
    const weft_column_view *v = &table->cols[columns[made]].view;
    which[columns[made]] = made;
    st = weft__column_alloc(WEFT_TYPE_FLOAT64, rows, v->validity != NULL, 0, &fresh[made]);
    if (st != WEFT_OK) break;
    values[made] = (double *)fresh[made].view.values;
    if (v->validity) copy_validity(v, &fresh[made], rows);
  }
  if (st == WEFT_OK && n && rows) {
    standardize_ctx c = {.table = table, .cols = columns, .offset = offset, .divisor = divisor,
                         .out = values, .n = n, .chunks = (rows + CHUNK - 1) / CHUNK};
    if ((int64_t)n * c.chunks > 1) weft__pool_run(worker, &c);
    else worker(&c, 0, 1);
  }
  weft_table *res = NULL;
  if (st == WEFT_OK) st = weft__table_new(ncols, rows, &res);
  for (size_t c = 0; st == WEFT_OK && c < ncols; c++) {
    weft__column col = table->cols[c];
    if (which[c] < n) {
      col = fresh[which[c]];
      values[which[c]] = NULL; /* handed to the table (set_column takes it even on failure) */
    } else {
      weft__column_retain(&col);
    }
    st = weft__table_set_column(res, c, table->names[c], col);
  }
  if (st != WEFT_OK) {
    weft_table_free(res);
    res = NULL;
    for (size_t k = 0; k < made; k++)
      if (values[k]) weft__column_release(&fresh[k]);
  }
  free(which);
  free(fresh);
  free(values);
  *out = res;
  return st;
}
