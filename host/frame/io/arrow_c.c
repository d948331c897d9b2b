/* The Arrow C Data and Stream Interfaces: tables in and out without copying buffers.
 *
 * Import moves the caller's ArrowArray (and ArrowSchema) into one weft__owner that every
 * column references, so the producer's release callbacks run once the last table using the
 * batch is freed. Export gives each child array its own references to the column's owners,
 * so a consumer may move children out and keep them after the table and the parent array
 * are gone. Two Arrow layouts weft does not store (large_utf8 "U", and string_view "vu",
 * which Polars exports) are copied into weft's utf8 on import; every other layout weft does
 * not store is refused naming the column and the format. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/alloc.h"
#include "frame/io/arrow_check.h"
#include "frame/io/arrow_dictionary.h"
#include "frame/table/categorical.h"
#include "frame/io/arrow_vector.h"
#include "frame/table/table.h"

/* Stands in for a NULL values/offsets/data buffer of an empty column, on either side. */
static const int64_t zero_buffer[2] = {0, 0};

/* ------------------------------------------------------------------ formats */

typedef enum layout {
  LAYOUT_NATIVE = WEFT__ARROW_NATIVE,
  LAYOUT_LARGE_UTF8 = WEFT__ARROW_LARGE_UTF8,
  LAYOUT_UTF8_VIEW = WEFT__ARROW_UTF8_VIEW
} layout;

static const char *export_format(weft_type type) {
  static const char *formats[] = {"b", "c", "s", "i", "l", "C", "S", "I", "L",
                                  "f", "g", "u", "tdD", "tsu:"};
  return (unsigned)type < sizeof formats / sizeof *formats ? formats[type] : NULL;
}

/* "d:P,S" or "d:P,S,128": decimal128 as weft stores it (the same 16 bytes a row). */
static weft_status parse_decimal(const char *f, const char *name, weft_type *type) {
  int p = 0, s = 0, bits = 128, used = 0;
  int got = sscanf(f, "d:%d,%d%n,%d%n", &p, &s, &used, &bits, &used);
  if (got < 2 || f[used] != '\0')
    return weft__error(WEFT_ERR_INVALID_ARGUMENT, "Arrow column \"%s\" has a malformed decimal "
                       "format \"%s\"", name, f);
  if (bits != 128)
    return weft__error(WEFT_ERR_UNSUPPORTED, "Arrow column \"%s\" is decimal%d (format \"%s\"); "
                       "weft stores decimal128: cast it to decimal128", name, bits, f);
  if (p < 1 || p > 38 || s < 0 || s > p)
    return weft__error(WEFT_ERR_UNSUPPORTED, "Arrow column \"%s\" is decimal128(%d, %d); weft "
                       "takes precision 1..38 and scale 0..precision, as Polars", name, p, s);
  *type = WEFT_TYPE_DECIMAL(p, s);
  return WEFT_OK;
}

/* The weft type of an Arrow field (a time zone on "tsu:" is accepted: values are UTC). */
static weft_status parse_field(const struct ArrowSchema *field, weft_type *type, layout *how) {
  const char *f = field->format ? field->format : "";
  const char *name = field->name ? field->name : "";
  *how = LAYOUT_NATIVE;
  int dictionary = 0;
  WEFT_RETURN_NOT_OK(weft__arrow_dict_field(field, name, &dictionary));
  if (dictionary) return *type = WEFT_TYPE_CATEGORICAL, WEFT_OK;
  static const char singles[] = "bcsilCSILfgu";
  if (f[0] && !f[1] && strchr(singles, f[0])) {
    for (int t = 0; t <= WEFT_TYPE_UTF8; t++)
      if (export_format((weft_type)t)[0] == f[0]) *type = (weft_type)t;
    return WEFT_OK;
  }
  if (!strcmp(f, "tdD")) return *type = WEFT_TYPE_DATE32, WEFT_OK;
  if (!strncmp(f, "tsu:", 4)) return *type = WEFT_TYPE_TIMESTAMP_US, WEFT_OK;
  if (f[0] == 'd' && f[1] == ':') return parse_decimal(f, name, type);
  if (!strncmp(f, "+w:", 3)) return weft__arrow_vector_type(field, name, type);
  if (!strcmp(f, "U")) return *type = WEFT_TYPE_UTF8, *how = LAYOUT_LARGE_UTF8, WEFT_OK;
  if (!strcmp(f, "vu")) return *type = WEFT_TYPE_UTF8, *how = LAYOUT_UTF8_VIEW, WEFT_OK;
  const char *hint = !strncmp(f, "ts", 2) ? "; weft stores timestamps in microseconds "
                                            "(\"tsu:\"): cast the column to timestamp[us]"
                   : !strcmp(f, "tdm") ? "; cast date64 to date32"
                   : !strcmp(f, "+l") || !strcmp(f, "+L") ? "; lists of one length are a vector column "
                                                            "once cast to fixed_size_list<float32, dim> "
                                                            "(Polars: pl.Array(pl.Float32, dim))"
                   : "";
  return weft__error(WEFT_ERR_UNSUPPORTED, "Arrow column \"%s\" has format \"%s\", which weft "
                     "does not support (bool, int8-64, uint8-64, float32/64, utf8, date32, "
                     "timestamp[us], decimal128, fixed_size_list<float32>)%s", name, f, hint);
}

/* ------------------------------------------------------------------ import */

/* What an import keeps alive: the moved array and, for weft_table_from_arrow, its schema. */
typedef struct arrow_holder {
  struct ArrowArray array;
  struct ArrowSchema schema;
} arrow_holder;

static void release_holder(void *ctx) {
  arrow_holder *h = ctx;
  if (h->array.release) h->array.release(&h->array);
  if (h->schema.release) h->schema.release(&h->schema);
  free(h);
}

static int bit_at(const uint8_t *bits, int64_t i) { return (bits[i >> 3] >> (i & 7)) & 1; }

/* Copies a large_utf8 or string_view column (rows [off, off + n) of `a`) into a fresh utf8
 * column. Offsets are int32 in weft, so more than 2 GiB of text is refused. */
static weft_status copy_strings(const struct ArrowArray *a, layout how, int64_t off, int64_t n,
                                const char *name, weft__column *out) {
  const uint8_t *valid = a->buffers[0];
  size_t bytes = 0;
  if (how == LAYOUT_LARGE_UTF8) {
    const int64_t *o = a->buffers[1] ? a->buffers[1] : zero_buffer;
    bytes = n ? (size_t)(o[off + n] - o[off]) : 0;
  } else {
    const int32_t *views = a->buffers[1];
    for (int64_t r = 0; r < n; r++) {
      const int32_t *v = views + 4 * (off + r);
      if (valid && !bit_at(valid, off + r)) continue;
      bytes += (size_t)v[0]; /* checked by weft__arrow_check_child */
    }
  }
  if (bytes > INT32_MAX)
    return weft__error(WEFT_ERR_UNSUPPORTED, "Arrow column \"%s\" holds %zu bytes of text; weft's "
                       "utf8 columns hold at most 2 GiB each", name, bytes);
  WEFT_RETURN_NOT_OK(weft__column_alloc(WEFT_TYPE_UTF8, n, valid != NULL, bytes, out));
  uint8_t *dvalid = (uint8_t *)out->view.validity;
  int32_t *dofs = (int32_t *)out->view.values;
  char *data = (char *)out->view.data;
  int32_t used = 0;
  for (int64_t r = 0; r < n; r++) {
    int64_t i = off + r;
    const char *src = NULL;
    int32_t len = 0;
    if (valid && !bit_at(valid, i)) {
      dvalid[r >> 3] &= (uint8_t)~(1u << (r & 7));
    } else if (how == LAYOUT_LARGE_UTF8) {
      const int64_t *o = a->buffers[1];
      len = (int32_t)(o[i + 1] - o[i]);
      if (len) src = (const char *)a->buffers[2] + o[i]; /* no data buffer when all are empty */
    } else {
      const int32_t *v = (const int32_t *)a->buffers[1] + 4 * i;
      len = v[0];
      src = len <= 12 ? (const char *)(v + 1) : (const char *)a->buffers[2 + v[2]] + v[3];
    }
    if (len) memcpy(data + used, src, (size_t)len);
    used += len;
    dofs[r + 1] = used;
  }
  return WEFT_OK;
}

/* Column `i` of a struct array: the child's buffers seen from the parent's rows. */
static weft_status import_column(const struct ArrowSchema *field, const struct ArrowArray *parent,
                                 size_t i, weft__owner *owner, weft__column *out) {
  const struct ArrowArray *a = parent->children[i];
  const char *name = field->name ? field->name : "";
  memset(out, 0, sizeof *out);
  weft_type type = WEFT_TYPE_BOOL;
  layout how;
  WEFT_RETURN_NOT_OK(parse_field(field, &type, &how));
  WEFT_CHECK_ARG(a && a->release, "Arrow column \"%s\": the child array is missing or released",
                 name);
  if (type == WEFT_TYPE_CATEGORICAL)
    return weft__arrow_dict_import(field, a, parent->offset, parent->length, name, owner, out);
  if (weft__type_is_vector(type)) {
    WEFT_RETURN_NOT_OK(weft__arrow_vector_view(a, parent->offset, parent->length, type, name, out));
    weft__owner_ref(owner);
    out->owners[0] = owner;
    return WEFT_OK;
  }
  int64_t n = parent->length, nulls = 0;
  WEFT_RETURN_NOT_OK(weft__arrow_check_child(a, type, (weft__arrow_layout)how, parent->offset, n,
                                             name, &nulls));
  int64_t off = a->offset + parent->offset; /* checked: at most a->offset + a->length */
  if (how != LAYOUT_NATIVE) return copy_strings(a, how, off, n, name, out);
  out->view.type = type;
  out->view.length = n;
  out->view.offset = a->buffers[1] ? off : 0; /* no rows: the stand-in's row 0 */
  out->view.validity = a->buffers[1] ? a->buffers[0] : NULL;
  out->view.values = a->buffers[1] ? a->buffers[1] : (const void *)zero_buffer;
  out->view.data = type == WEFT_TYPE_UTF8 ? (a->buffers[2] ? a->buffers[2] : (const char *)zero_buffer)
                                          : NULL;
  out->view.null_count = out->view.validity ? nulls : 0;
  if (out->view.null_count == 0) out->view.validity = NULL;
  weft__owner_ref(owner);
  out->owners[0] = owner;
  return WEFT_OK;
}

static weft_status check_struct(const struct ArrowSchema *schema, const struct ArrowArray *array) {
  WEFT_CHECK_ARG(schema && schema->release && schema->format,
                 "Arrow import: the schema is NULL or already released");
  WEFT_CHECK_ARG(array && array->release, "Arrow import: the array is NULL or already released");
  WEFT_CHECK_ARG(!strcmp(schema->format, "+s"), "Arrow import: expected a struct array (a record "
                 "batch, format \"+s\"), got format \"%s\"", schema->format);
  WEFT_CHECK_ARG(schema->n_children == array->n_children && schema->n_children >= 0,
                 "Arrow import: the schema has %lld fields but the array %lld children",
                 (long long)schema->n_children, (long long)array->n_children);
  WEFT_CHECK_ARG(array->length >= 0 && array->offset >= 0 &&
                 array->length <= INT64_MAX - array->offset, "Arrow import: struct array of length "
                 "%lld at offset %lld", (long long)array->length, (long long)array->offset);
  WEFT_CHECK_ARG(schema->n_children == 0 || (schema->children && array->children),
                 "Arrow import: %lld columns but the %s's children are NULL",
                 (long long)schema->n_children, schema->children ? "array" : "schema");
  for (int64_t i = 0; i < schema->n_children; i++)
    WEFT_CHECK_ARG(schema->children[i], "Arrow import: the schema's field %lld is NULL",
                   (long long)i);
  const uint8_t *valid = array->n_buffers > 0 && array->buffers ? array->buffers[0] : NULL;
  if (valid && array->null_count != 0)
    for (int64_t r = 0; r < array->length; r++)
      if (!bit_at(valid, array->offset + r))
        return weft__error(WEFT_ERR_UNSUPPORTED, "Arrow import: row %lld of the struct array is "
                           "null; weft tables have no null rows, only null values", (long long)r);
  for (int64_t i = 0; i < schema->n_children; i++) {
    const char *ni = schema->children[i]->name ? schema->children[i]->name : "";
    for (int64_t j = 0; j < i; j++)
      WEFT_CHECK_ARG(strcmp(ni, schema->children[j]->name ? schema->children[j]->name : ""),
                     "Arrow import: column name \"%s\" appears twice", ni);
  }
  return WEFT_OK;
}

/* A table over `array`, whose columns reference `owner` (one reference each). */
static weft_status import_batch(const struct ArrowSchema *schema, const struct ArrowArray *array,
                                weft__owner *owner, weft_table **out) {
  weft_table *t;
  WEFT_RETURN_NOT_OK(weft__table_new((size_t)schema->n_children, array->length, &t));
  for (size_t i = 0; i < t->ncols; i++) {
    weft__column col;
    weft_status st = import_column(schema->children[i], array, i, owner, &col);
    if (st == WEFT_OK) st = weft__table_set_column(t, i, schema->children[i]->name, col);
    if (st != WEFT_OK) {
      weft_table_free(t);
      return st;
    }
  }
  *out = t;
  return WEFT_OK;
}

/* On failure nothing is moved: the caller still owns schema and array. */
weft_status weft_table_from_arrow(struct ArrowSchema *schema, struct ArrowArray *array,
                                  weft_table **out) {
  WEFT_CHECK_ARG(out, "weft_table_from_arrow: out is NULL");
  *out = NULL;
  WEFT_RETURN_NOT_OK(check_struct(schema, array));
  arrow_holder *h = weft__calloc(1, sizeof *h);
  weft__owner *owner = h ? weft__owner_new(release_holder, h) : NULL;
  if (!owner) {
    free(h);
    return weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_table_from_arrow: no host memory");
  }
  /* Move first, so the columns point into buffers the holder owns; on failure move back. */
  h->array = *array;
  h->schema = *schema;
  weft_table *t = NULL;
  weft_status st = import_batch(&h->schema, &h->array, owner, &t);
  if (st != WEFT_OK) {
    h->array.release = NULL, h->schema.release = NULL;
    weft__owner_unref(owner);
    return st;
  }
  array->release = NULL;
  schema->release = NULL;
  weft__owner_unref(owner); /* the columns hold it now */
  *out = t;
  return WEFT_OK;
}

static weft_status stream_error(struct ArrowArrayStream *s, int code, const char *what) {
  const char *msg = s->get_last_error ? s->get_last_error(s) : NULL;
  return weft__error(WEFT_ERR_INVALID_ARGUMENT, "weft_table_from_stream: %s failed (errno %d): %s",
                     what, code, msg ? msg : "no message");
}

/* A table of no rows with the schema's columns. */
static weft_status empty_table(const struct ArrowSchema *schema, weft_table **out) {
  weft_table *t;
  WEFT_RETURN_NOT_OK(weft__table_new((size_t)schema->n_children, 0, &t));
  for (size_t i = 0; i < t->ncols; i++) {
    weft_type type = WEFT_TYPE_BOOL;
    layout how;
    weft__column col;
    weft_status st = parse_field(schema->children[i], &type, &how);
    if (st == WEFT_OK) st = weft__column_alloc(type, 0, 0, 0, &col);
    if (st == WEFT_OK && type == WEFT_TYPE_CATEGORICAL && (st = weft__arrow_dict_empty(&col)) != WEFT_OK)
      weft__column_release(&col);
    if (st == WEFT_OK) st = weft__table_set_column(t, i, schema->children[i]->name, col);
    if (st != WEFT_OK) {
      weft_table_free(t);
      return st;
    }
  }
  *out = t;
  return WEFT_OK;
}

static weft_status read_stream(struct ArrowArrayStream *stream, struct ArrowSchema *schema,
                               weft_table ***batches, size_t *n) {
  int code = stream->get_schema(stream, schema);
  if (code) return stream_error(stream, code, "get_schema");
  size_t cap = 0;
  for (;;) {
    struct ArrowArray array;
    memset(&array, 0, sizeof array);
    code = stream->get_next(stream, &array);
    if (code) return stream_error(stream, code, "get_next");
    if (!array.release) return WEFT_OK; /* end of stream */
    if (*n == cap) {
      cap = cap ? 2 * cap : 4;
      weft_table **grown = weft__realloc(*batches, cap * sizeof *grown);
      if (!grown) {
        array.release(&array);
        return weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_table_from_stream: no host memory");
      }
      *batches = grown;
    }
    weft_status st = check_struct(schema, &array);
    arrow_holder *h = st == WEFT_OK ? weft__calloc(1, sizeof *h) : NULL;
    weft__owner *owner = h ? weft__owner_new(release_holder, h) : NULL;
    if (!owner) {
      free(h);
      array.release(&array);
      return st != WEFT_OK ? st : weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_table_from_stream: "
                                              "no host memory");
    }
    h->array = array;
    st = import_batch(schema, &h->array, owner, &(*batches)[*n]);
    weft__owner_unref(owner);
    if (st != WEFT_OK) return weft__error_context(st, "batch %zu", *n);
    (*n)++;
  }
}

weft_status weft_table_from_stream(struct ArrowArrayStream *stream, weft_table **out) {
  WEFT_CHECK_ARG(out, "weft_table_from_stream: out is NULL");
  *out = NULL;
  WEFT_CHECK_ARG(stream && stream->release, "weft_table_from_stream: the stream is NULL or released");
  struct ArrowSchema schema;
  memset(&schema, 0, sizeof schema);
  weft_table **batches = NULL;
  size_t n = 0;
  weft_status st = read_stream(stream, &schema, &batches, &n);
  if (st == WEFT_OK && !schema.format)
    st = weft__error(WEFT_ERR_INVALID_ARGUMENT, "weft_table_from_stream: the stream gave no schema");
  if (st == WEFT_OK && n == 0) {
    st = strcmp(schema.format, "+s") ? weft__error(WEFT_ERR_INVALID_ARGUMENT,
                                                   "weft_table_from_stream: expected struct batches "
                                                   "(format \"+s\"), got \"%s\"", schema.format)
                                     : empty_table(&schema, out);
  } else if (st == WEFT_OK && n == 1) {
    *out = batches[0];
    batches[0] = NULL;
  } else if (st == WEFT_OK) {
    st = weft_table_concat(n, (const weft_table *const *)batches, out);
  }
  for (size_t i = 0; i < n; i++) weft_table_free(batches[i]);
  free(batches);
  if (schema.release) schema.release(&schema);
  stream->release(stream);
  stream->release = NULL;
  return st;
}

/* ------------------------------------------------------------------ export */

/* A child array's private data: its buffer pointers and the references that keep them. */
typedef struct child_private {
  const void *buffers[3];
  weft__owner *owners[WEFT_COLUMN_OWNERS];
  struct ArrowArray item; /* a vector column's float32 child, or a categorical one's dictionary */
  struct ArrowArray *item_ptr;
} child_private;

static void release_child_array(struct ArrowArray *a) {
  child_private *p = a->private_data;
  if (p->item_ptr && p->item.release) p->item.release(&p->item); /* unless moved out */
  for (int i = 0; i < WEFT_COLUMN_OWNERS; i++) weft__owner_unref(p->owners[i]);
  free(p);
  a->release = NULL;
}

/* The parent's private data is its children: structs and the pointers to them. */
typedef struct parent_private {
  struct ArrowArray *kids;
  struct ArrowArray **kid_ptrs;
  const void *buffers[1];
} parent_private;

static void release_parent_array(struct ArrowArray *a) {
  parent_private *p = a->private_data;
  for (int64_t i = 0; i < a->n_children; i++)
    if (p->kids[i].release) p->kids[i].release(&p->kids[i]); /* unless moved out */
  free(p->kids);
  free(p->kid_ptrs);
  free(p);
  a->release = NULL;
}

static void release_child_schema(struct ArrowSchema *s) {
  free(s->private_data); /* the name, and a decimal's format after it */
  s->release = NULL;
}

typedef struct schema_private {
  struct ArrowSchema *kids;
  struct ArrowSchema **kid_ptrs;
} schema_private;

static void release_parent_schema(struct ArrowSchema *s) {
  schema_private *p = s->private_data;
  for (int64_t i = 0; i < s->n_children; i++)
    if (p->kids[i].release) p->kids[i].release(&p->kids[i]);
  free(p->kids);
  free(p->kid_ptrs);
  free(p);
  s->release = NULL;
}

/* A copy of s with `extra` bytes free after its terminator. */
static char *copy_string(const char *s, size_t extra) {
  size_t n = strlen(s) + 1;
  char *copy = weft__malloc(n + extra);
  return copy ? memcpy(copy, s, n) : NULL;
}

static weft_status export_schema(const weft_table *table, struct ArrowSchema *schema) {
  size_t n = table->ncols;
  schema_private *p = weft__calloc(1, sizeof *p);
  if (p) p->kids = weft__calloc(n ? n : 1, sizeof *p->kids);
  if (p && p->kids) p->kid_ptrs = weft__calloc(n ? n : 1, sizeof *p->kid_ptrs);
  int ok = p && p->kids && p->kid_ptrs;
  for (size_t i = 0; ok && i < n; i++) {
    struct ArrowSchema *k = &p->kids[i];
    weft_type type = table->cols[i].view.type;
    if (weft__type_is_vector(type)) { /* "+w:dim" with its float32 child */
      ok = weft__arrow_vector_schema(k, table->names[i], type);
      p->kid_ptrs[i] = k;
      continue;
    }
    if (type == WEFT_TYPE_CATEGORICAL) { /* int32 indices with their utf8 dictionary */
      ok = weft__arrow_dict_schema(k, table->names[i], &table->cols[i]);
      p->kid_ptrs[i] = k;
      continue;
    }
    char *name = copy_string(table->names[i], weft__type_is_decimal(type) ? 16 : 0);
    if (!name) ok = 0;
    k->format = export_format(type);
    if (name && weft__type_is_decimal(type)) { /* "d:P,S", kept after the name */
      char *fmt = name + strlen(name) + 1;
      snprintf(fmt, 16, "d:%d,%d", weft__dec_precision(type), weft__dec_scale(type));
      k->format = fmt;
    }
    k->name = name;
    k->flags = ARROW_FLAG_NULLABLE; /* every weft column may hold nulls */
    k->private_data = name;
    k->release = name ? release_child_schema : NULL;
    p->kid_ptrs[i] = k;
  }
  memset(schema, 0, sizeof *schema);
  schema->format = "+s";
  schema->name = "";
  schema->n_children = (int64_t)n;
  schema->children = p ? p->kid_ptrs : NULL;
  schema->private_data = p;
  schema->release = release_parent_schema;
  if (!ok) {
    if (p && p->kids) release_parent_schema(schema);
    else if (p) free(p);
    memset(schema, 0, sizeof *schema);
    return weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_table_to_arrow: no host memory for the schema");
  }
  return WEFT_OK;
}

static int export_child(const weft__column *col, struct ArrowArray *a);

/* A vector column: the list (validity only) over a float32 child of (offset + length) * dim
 * values from the column's first float, sharing the column's owners. */
static int export_vector(const weft__column *col, child_private *p, struct ArrowArray *a) {
  weft__column items = *col;
  int64_t dim = weft__vec_dim(col->view.type);
  items.view.type = WEFT_TYPE_FLOAT32;
  items.view.length = (col->view.offset + col->view.length) * dim;
  items.view.offset = 0;
  items.view.validity = NULL;
  items.view.null_count = 0;
  if (!export_child(&items, &p->item)) return 0;
  p->item_ptr = &p->item;
  a->n_buffers = 1;
  a->n_children = 1;
  a->children = &p->item_ptr;
  return 1;
}

static int export_child(const weft__column *col, struct ArrowArray *a) {
  child_private *p = weft__calloc(1, sizeof *p);
  if (!p) return 0;
  weft__column c = *col; /* a copy: counting nulls must not write to the const table */
  const weft_column_view *v = &c.view;
  p->buffers[0] = v->validity;
  p->buffers[1] = v->values ? v->values : (const void *)zero_buffer;
  p->buffers[2] = v->data ? (const void *)v->data : (const void *)zero_buffer;
  for (int i = 0; i < WEFT_COLUMN_OWNERS; i++) {
    p->owners[i] = col->owners[i];
    weft__owner_ref(p->owners[i]);
  }
  memset(a, 0, sizeof *a);
  a->length = v->length;
  a->offset = v->offset;
  a->null_count = weft__column_null_count(&c);
  a->n_buffers = v->type == WEFT_TYPE_UTF8 ? 3 : 2;
  a->buffers = p->buffers;
  a->private_data = p;
  a->release = release_child_array;
  if (v->type == WEFT_TYPE_CATEGORICAL) { /* the dictionary, its own array */
    if (!col->dict || !export_child(&col->dict->strings, &p->item)) {
      release_child_array(a);
      return 0;
    }
    p->item_ptr = &p->item;
    a->dictionary = &p->item;
  }
  if (weft__type_is_vector(v->type) && !export_vector(col, p, a)) {
    release_child_array(a);
    return 0;
  }
  return 1;
}

static weft_status export_array(const weft_table *table, struct ArrowArray *array) {
  size_t n = table->ncols;
  parent_private *p = weft__calloc(1, sizeof *p);
  if (p) p->kids = weft__calloc(n ? n : 1, sizeof *p->kids);
  if (p && p->kids) p->kid_ptrs = weft__calloc(n ? n : 1, sizeof *p->kid_ptrs);
  int ok = p && p->kids && p->kid_ptrs;
  for (size_t i = 0; ok && i < n; i++) {
    ok = export_child(&table->cols[i], &p->kids[i]);
    p->kid_ptrs[i] = &p->kids[i];
  }
  memset(array, 0, sizeof *array);
  array->length = table->rows;
  array->n_buffers = 1; /* a struct's validity: NULL, no null rows */
  array->buffers = p ? p->buffers : NULL;
  array->n_children = (int64_t)n;
  array->children = p ? p->kid_ptrs : NULL;
  array->private_data = p;
  array->release = release_parent_array;
  if (!ok) {
    if (p && p->kids) release_parent_array(array);
    else if (p) free(p);
    memset(array, 0, sizeof *array);
    return weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_table_to_arrow: no host memory for the array");
  }
  return WEFT_OK;
}

weft_status weft_table_to_arrow(const weft_table *table, struct ArrowSchema *schema,
                                struct ArrowArray *array) {
  WEFT_CHECK_ARG(table && schema && array, "weft_table_to_arrow: arguments must not be NULL");
  WEFT_RETURN_NOT_OK(export_schema(table, schema));
  weft_status st = export_array(table, array);
  if (st != WEFT_OK) schema->release(schema);
  return st;
}

/* A stream of one batch. It holds a slice of the whole table (a new table sharing the
 * buffers), so the caller may free its table while the stream lives. */
typedef struct stream_private {
  weft_table *table;
  int done;
  char error[256];
} stream_private;

static int stream_failed(struct ArrowArrayStream *s) {
  stream_private *p = s->private_data;
  snprintf(p->error, sizeof p->error, "%s", weft_last_error());
  return ENOMEM;
}

static int stream_get_schema(struct ArrowArrayStream *s, struct ArrowSchema *out) {
  stream_private *p = s->private_data;
  return export_schema(p->table, out) == WEFT_OK ? 0 : stream_failed(s);
}

static int stream_get_next(struct ArrowArrayStream *s, struct ArrowArray *out) {
  stream_private *p = s->private_data;
  if (p->done) {
    memset(out, 0, sizeof *out); /* release == NULL: the end */
    return 0;
  }
  if (export_array(p->table, out) != WEFT_OK) return stream_failed(s);
  p->done = 1;
  return 0;
}

static const char *stream_last_error(struct ArrowArrayStream *s) {
  stream_private *p = s->private_data;
  return p->error[0] ? p->error : NULL;
}

static void stream_release(struct ArrowArrayStream *s) {
  stream_private *p = s->private_data;
  weft_table_free(p->table);
  free(p);
  s->release = NULL;
}

weft_status weft_table_to_stream(const weft_table *table, struct ArrowArrayStream *stream) {
  WEFT_CHECK_ARG(table && stream, "weft_table_to_stream: arguments must not be NULL");
  stream_private *p = weft__calloc(1, sizeof *p);
  if (!p) return weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_table_to_stream: no host memory");
  weft_status st = weft_table_slice(table, 0, table->rows, &p->table);
  if (st != WEFT_OK) {
    free(p);
    return st;
  }
  memset(stream, 0, sizeof *stream);
  stream->get_schema = stream_get_schema;
  stream->get_next = stream_get_next;
  stream->get_last_error = stream_last_error;
  stream->release = stream_release;
  stream->private_data = p;
  return WEFT_OK;
}
