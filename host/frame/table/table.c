/* weft_table: construction, access, slices and concatenation. Arrow import and export
 * live in arrow_c.c. */
#include "frame/table/table.h"
#include "core/alloc.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/scratch.h"

weft__owner *weft__owner_new(void (*release)(void *), void *ctx) {
  weft__owner *o = weft__malloc(sizeof *o);
  if (!o) return NULL;
  atomic_init(&o->refs, 1);
  o->release = release;
  o->ctx = ctx;
  return o;
}

void weft__owner_ref(weft__owner *owner) {
  if (owner) atomic_fetch_add(&owner->refs, 1);
}

void weft__owner_unref(weft__owner *owner) {
  if (!owner || atomic_fetch_sub(&owner->refs, 1) != 1) return;
  if (owner->release) owner->release(owner->ctx);
  free(owner);
}

/* Every decimal name, written once: the names outlive any call, as the plain ones do. */
static char decimal_names[39][39][16];
static pthread_once_t decimal_names_once = PTHREAD_ONCE_INIT;

static void write_decimal_names(void) {
  for (int p = 1; p <= 38; p++)
    for (int s = 0; s <= p; s++) snprintf(decimal_names[p][s], sizeof decimal_names[p][s], "decimal[%d,%d]", p, s);
}

const char *weft_type_name(weft_type type) {
  static const char *names[] = {"bool",    "int8",    "int16",   "int32",  "int64",
                                "uint8",   "uint16",  "uint32",  "uint64", "float32",
                                "float64", "utf8",    "date32",  "timestamp[us]"};
  if (type == WEFT_TYPE_CATEGORICAL) return "categorical";
  if (weft__type_is_decimal(type) && weft__type_valid(type)) {
    pthread_once(&decimal_names_once, write_decimal_names);
    return decimal_names[weft__dec_precision(type)][weft__dec_scale(type)];
  }
  if (weft__type_is_vector(type) && weft__type_valid(type)) return weft__vector_type_name(type);
  return (unsigned)type < sizeof names / sizeof *names ? names[type] : "unknown";
}

int weft__type_valid(weft_type type) {
  if (weft__type_is_decimal(type)) {
    int p = weft__dec_precision(type), s = weft__dec_scale(type);
    return ((unsigned)type >> 24) == 0 && p >= 1 && p <= 38 && s <= p;
  }
  if (weft__type_is_vector(type)) return weft__vec_dim(type) >= 1 && weft__vec_dim(type) <= WEFT_VECTOR_MAX_DIM;
  return (unsigned)type <= WEFT_TYPE_TIMESTAMP_US || type == WEFT_TYPE_CATEGORICAL;
}

weft_status weft_type_decimal(int precision, int scale, weft_type *out) {
  WEFT_CHECK_ARG(out, "weft_type_decimal: out is NULL");
  WEFT_CHECK_ARG(precision >= 1 && precision <= 38, "weft_type_decimal: precision %d is not in 1..38",
                 precision);
  WEFT_CHECK_ARG(scale >= 0 && scale <= precision, "weft_type_decimal: scale %d is not in 0..%d "
                 "(the precision)", scale, precision);
  *out = WEFT_TYPE_DECIMAL(precision, scale);
  return WEFT_OK;
}

int weft_type_is_decimal(weft_type type, int *precision, int *scale) {
  int is = weft__type_is_decimal(type) && weft__type_valid(type);
  if (precision) *precision = is ? weft__dec_precision(type) : 0;
  if (scale) *scale = is ? weft__dec_scale(type) : 0;
  return is;
}

size_t weft__type_width(weft_type type) {
  if (weft__type_is_decimal(type)) return 16;
  if (weft__type_is_vector(type)) return (size_t)weft__vec_dim(type) * sizeof(float);
  switch (type) {
    case WEFT_TYPE_INT8: case WEFT_TYPE_UINT8: return 1;
    case WEFT_TYPE_INT16: case WEFT_TYPE_UINT16: return 2;
    case WEFT_TYPE_INT32: case WEFT_TYPE_UINT32: case WEFT_TYPE_FLOAT32: case WEFT_TYPE_DATE32:
    case WEFT_TYPE_CATEGORICAL: return 4; /* its uint32 codes */
    case WEFT_TYPE_INT64: case WEFT_TYPE_UINT64: case WEFT_TYPE_FLOAT64: case WEFT_TYPE_TIMESTAMP_US: return 8;
    default: return 0;
  }
}

int weft__type_is_integer(weft_type t) { return t >= WEFT_TYPE_INT8 && t <= WEFT_TYPE_UINT64; }
int weft__type_is_float(weft_type t) { return t == WEFT_TYPE_FLOAT32 || t == WEFT_TYPE_FLOAT64; }
int weft__type_is_numeric(weft_type t) { return weft__type_is_integer(t) || weft__type_is_float(t); }

/* One allocation per column keeps its buffers together under one owner. */
typedef struct column_block {
  size_t validity_at, values_at, data_at, data_cap;
  char *base;
} column_block;

static void free_block(void *ctx) {
  column_block *b = ctx;
  weft__scratch_free(b->base);
  free(b);
}

static size_t align64(size_t n) { return (n + 63) & ~(size_t)63; }

weft_status weft__column_alloc(weft_type type, int64_t length, int with_validity, size_t utf8_bytes,
                               weft__column *out) {
  memset(out, 0, sizeof *out);
  WEFT_CHECK_ARG(length >= 0, "column length %lld is negative", (long long)length);
  size_t n = (size_t)length;
  size_t bitmap = (n + 7) / 8;
  size_t values = type == WEFT_TYPE_BOOL ? bitmap
                : type == WEFT_TYPE_UTF8 ? (n + 1) * sizeof(int32_t)
                : n * weft__type_width(type);
  WEFT_CHECK_ARG(type == WEFT_TYPE_BOOL || type == WEFT_TYPE_UTF8 || weft__type_width(type),
                 "column type %d is not a weft type", (int)type);
  column_block *b = weft__calloc(1, sizeof *b);
  if (!b) return weft__error(WEFT_ERR_OUT_OF_MEMORY, "no host memory for a column");
  b->validity_at = 0;
  b->values_at = with_validity ? align64(bitmap) : 0;
  b->data_at = b->values_at + align64(values);
  b->data_cap = type == WEFT_TYPE_UTF8 ? utf8_bytes : 0;
  size_t total = align64(b->data_at + b->data_cap + 1);
  b->base = weft__scratch_alloc(total);
  weft__owner *owner = b->base ? weft__owner_new(free_block, b) : NULL;
  if (!owner) {
    weft__scratch_free(b->base);
    free(b);
    return weft__error(WEFT_ERR_OUT_OF_MEMORY, "no host memory for a %s column of %lld rows",
                       weft_type_name(type), (long long)length);
  }
  if (with_validity) memset(b->base, 0xFF, bitmap);
  if (type == WEFT_TYPE_UTF8) ((int32_t *)(b->base + b->values_at))[0] = 0;
  out->view.type = type;
  out->view.length = length;
  out->view.null_count = with_validity ? -1 : 0;
  out->view.validity = with_validity ? (const uint8_t *)b->base : NULL;
  out->view.values = b->base + b->values_at;
  out->view.data = type == WEFT_TYPE_UTF8 ? b->base + b->data_at : NULL;
  out->owners[0] = owner;
  return WEFT_OK;
}

weft_status weft__column_grow_utf8(weft__column *col, size_t utf8_bytes) {
  column_block *b = col->owners[0] ? col->owners[0]->ctx : NULL;
  WEFT_CHECK_ARG(b && col->view.type == WEFT_TYPE_UTF8, "grow_utf8: not a fresh utf8 column");
  if (utf8_bytes <= b->data_cap) return WEFT_OK;
  size_t cap = b->data_cap ? b->data_cap : 64;
  while (cap < utf8_bytes) cap *= 2;
  size_t total = align64(b->data_at + cap + 1);
  char *grown = weft__scratch_alloc(total);
  if (!grown) return weft__error(WEFT_ERR_OUT_OF_MEMORY, "no host memory for %zu bytes of strings", cap);
  memcpy(grown, b->base, b->data_at + b->data_cap);
  weft__scratch_free(b->base);
  b->base = grown;
  b->data_cap = cap;
  if (col->view.validity) col->view.validity = (const uint8_t *)grown;
  col->view.values = grown + b->values_at;
  col->view.data = grown + b->data_at;
  return WEFT_OK;
}

weft_status weft__column_alloc_like(const weft__column *src, int64_t length, int with_validity,
                                    weft__column *out) {
  WEFT_RETURN_NOT_OK(weft__column_alloc(src->view.type, length, with_validity, 0, out));
  out->dict = src->dict;
  weft__owner_ref(weft__dict_owner(out->dict));
  return WEFT_OK;
}

void weft__column_retain(const weft__column *col) {
  for (int i = 0; i < WEFT_COLUMN_OWNERS; i++) weft__owner_ref(col->owners[i]);
  weft__owner_ref(weft__dict_owner(col->dict));
}

void weft__column_release(weft__column *col) {
  for (int i = 0; i < WEFT_COLUMN_OWNERS; i++) {
    weft__owner_unref(col->owners[i]);
    col->owners[i] = NULL;
  }
  weft__owner_unref(weft__dict_owner(col->dict));
  col->dict = NULL;
}

int weft__column_valid(const weft__column *col, int64_t row) {
  if (!col->view.validity) return 1;
  int64_t i = col->view.offset + row;
  return (col->view.validity[i >> 3] >> (i & 7)) & 1;
}

/* Clear bits of the validity bitmap over the column's rows, a 64-bit word at a time. */
static int64_t count_nulls(const weft__column *col) {
  const uint8_t *v = col->view.validity;
  if (!v) return 0;
  int64_t i = col->view.offset, end = col->view.offset + col->view.length, nulls = 0;
  for (; i < end && (i & 63); i++) nulls += !((v[i >> 3] >> (i & 7)) & 1);
  for (; i + 64 <= end; i += 64) {
    uint64_t w;
    memcpy(&w, v + (i >> 3), 8);
    nulls += 64 - __builtin_popcountll(w);
  }
  for (; i < end; i++) nulls += !((v[i >> 3] >> (i & 7)) & 1);
  return nulls;
}

int64_t weft__column_null_count(weft__column *col) {
  if (col->view.null_count >= 0) return col->view.null_count;
  col->view.null_count = count_nulls(col);
  return col->view.null_count;
}

weft__column weft__column_slice(const weft__column *col, int64_t offset, int64_t length) {
  weft__column s = *col;
  s.view.offset += offset;
  s.view.length = length;
  s.view.null_count = col->view.validity ? -1 : 0;
  weft__column_retain(&s);
  return s;
}

weft_status weft__table_new(size_t ncols, int64_t rows, weft_table **out) {
  weft_table *t = weft__calloc(1, sizeof *t);
  char **names = weft__calloc(ncols ? ncols : 1, sizeof *names);
  weft__column *cols = weft__calloc(ncols ? ncols : 1, sizeof *cols);
  if (!t || !names || !cols) {
    free(t), free(names), free(cols);
    return weft__error(WEFT_ERR_OUT_OF_MEMORY, "no host memory for a table of %zu columns", ncols);
  }
  t->rows = rows;
  t->ncols = ncols;
  t->names = names;
  t->cols = cols;
  *out = t;
  return WEFT_OK;
}

weft_status weft__table_set_column(weft_table *table, size_t i, const char *name, weft__column col) {
  char *copy = weft__strdup(name ? name : "");
  if (!copy) {
    weft__column_release(&col);
    return weft__error(WEFT_ERR_OUT_OF_MEMORY, "no host memory for a column name");
  }
  free(table->names[i]);
  weft__column_release(&table->cols[i]);
  table->names[i] = copy;
  /* Counted now, while one thread holds the table: weft__column_null_count caches the count
   * in the column, and a table's columns are read by many threads at once (ThreadSanitizer
   * found two operations on one table writing it together). */
  if (col.view.null_count < 0) col.view.null_count = count_nulls(&col);
  table->cols[i] = col;
  return WEFT_OK;
}

weft_status weft__table_find(const weft_table *table, const char *name, size_t *index) {
  for (size_t i = 0; i < table->ncols; i++)
    if (!strcmp(table->names[i], name)) {
      *index = i;
      return WEFT_OK;
    }
  char list[512] = "";
  size_t used = 0;
  for (size_t i = 0; i < table->ncols && used < sizeof list - 4; i++)
    used += (size_t)snprintf(list + used, sizeof list - used, "%s\"%s\"", i ? ", " : "", table->names[i]);
  return weft__error(WEFT_ERR_NOT_FOUND, "column \"%s\" not found; the table has %s", name,
                     table->ncols ? list : "no columns");
}

weft_status weft_table_free(weft_table *table) {
  if (!table) return WEFT_OK;
  for (size_t i = 0; i < table->ncols; i++) {
    free(table->names[i]);
    weft__column_release(&table->cols[i]);
  }
  free(table->names);
  free(table->cols);
  free(table);
  return WEFT_OK;
}

weft_status weft_table_from_columns(size_t ncols, const char *const *names,
                                    const weft_column_view *columns, void (*release)(void *),
                                    void *release_ctx, weft_table **out) {
  WEFT_CHECK_ARG(out, "weft_table_from_columns: out is NULL");
  *out = NULL;
  WEFT_CHECK_ARG(ncols == 0 || (names && columns),
                 "weft_table_from_columns: names and columns must not be NULL");
  int64_t rows = ncols ? columns[0].length : 0;
  for (size_t i = 0; i < ncols; i++) {
    const weft_column_view *c = &columns[i];
    WEFT_CHECK_ARG(names[i], "weft_table_from_columns: names[%zu] is NULL", i);
    WEFT_CHECK_ARG(c->length == rows, "weft_table_from_columns: column \"%s\" has %lld rows, "
                   "column \"%s\" has %lld", names[i], (long long)c->length, names[0], (long long)rows);
    WEFT_CHECK_ARG(weft__type_valid(c->type),
                   "weft_table_from_columns: column \"%s\" has unknown type %d", names[i], (int)c->type);
    WEFT_CHECK_ARG(c->values || rows == 0, "weft_table_from_columns: column \"%s\" has no values", names[i]);
    WEFT_CHECK_ARG(c->type != WEFT_TYPE_CATEGORICAL, "weft_table_from_columns: column \"%s\" is "
                   "categorical, whose dictionary a view cannot carry: import it from Arrow "
                   "(dictionary<int32, utf8>) or cast a utf8 column", names[i]);
    WEFT_CHECK_ARG(c->type != WEFT_TYPE_UTF8 || c->data || rows == 0,
                   "weft_table_from_columns: utf8 column \"%s\" has no data buffer", names[i]);
    for (size_t j = 0; j < i; j++)
      WEFT_CHECK_ARG(strcmp(names[i], names[j]) != 0,
                     "weft_table_from_columns: column name \"%s\" appears twice", names[i]);
  }
  weft__owner *owner = weft__owner_new(release, release_ctx);
  if (!owner) return weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_table_from_columns: no host memory");
  weft_table *t;
  weft_status st = weft__table_new(ncols, rows, &t);
  for (size_t i = 0; st == WEFT_OK && i < ncols; i++) {
    weft__column col;
    memset(&col, 0, sizeof col);
    col.view = columns[i];
    if (!col.view.validity) col.view.null_count = 0;
    weft__owner_ref(owner);
    col.owners[0] = owner;
    st = weft__table_set_column(t, i, names[i], col);
  }
  weft__owner_unref(owner); /* the columns hold it now (or nothing does: released here) */
  if (st != WEFT_OK) {
    weft_table_free(t);
    return st;
  }
  *out = t;
  return WEFT_OK;
}

weft_status weft_table_num_rows(const weft_table *table, int64_t *rows) {
  WEFT_CHECK_ARG(table && rows, "weft_table_num_rows: table and rows must not be NULL");
  *rows = table->rows;
  return WEFT_OK;
}

weft_status weft_table_num_columns(const weft_table *table, size_t *columns) {
  WEFT_CHECK_ARG(table && columns, "weft_table_num_columns: table and columns must not be NULL");
  *columns = table->ncols;
  return WEFT_OK;
}

weft_status weft_table_column_name(const weft_table *table, size_t column, const char **name) {
  WEFT_CHECK_ARG(table && name, "weft_table_column_name: table and name must not be NULL");
  WEFT_CHECK_ARG(column < table->ncols, "weft_table_column_name: column %zu of a table of %zu columns",
                 column, table->ncols);
  *name = table->names[column];
  return WEFT_OK;
}

weft_status weft_table_column_index(const weft_table *table, const char *name, size_t *column) {
  WEFT_CHECK_ARG(table && name && column, "weft_table_column_index: arguments must not be NULL");
  return weft__table_find(table, name, column);
}

weft_status weft_table_column(const weft_table *table, size_t column, weft_column_view *view) {
  WEFT_CHECK_ARG(table && view, "weft_table_column: table and view must not be NULL");
  WEFT_CHECK_ARG(column < table->ncols, "weft_table_column: column %zu of a table of %zu columns",
                 column, table->ncols);
  weft__column_null_count(&table->cols[column]);
  *view = table->cols[column].view;
  return WEFT_OK;
}

weft_status weft_table_slice(const weft_table *table, int64_t offset, int64_t length,
                             weft_table **out) {
  WEFT_CHECK_ARG(table && out, "weft_table_slice: table and out must not be NULL");
  WEFT_CHECK_ARG(offset >= 0 && length >= 0, "weft_table_slice: offset %lld and length %lld must "
                 "be >= 0", (long long)offset, (long long)length);
  if (offset > table->rows) offset = table->rows;
  if (length > table->rows - offset) length = table->rows - offset;
  weft_table *t;
  WEFT_RETURN_NOT_OK(weft__table_new(table->ncols, length, &t));
  for (size_t i = 0; i < table->ncols; i++) {
    weft_status st = weft__table_set_column(t, i, table->names[i],
                                            weft__column_slice(&table->cols[i], offset, length));
    if (st != WEFT_OK) {
      weft_table_free(t);
      return st;
    }
  }
  *out = t;
  return WEFT_OK;
}

