/* Tables inside weft: named columns in Arrow's layout whose buffers are kept alive by
 * reference-counted owners, so slices, selections and Arrow exports share memory. */
#ifndef WEFT_HOST_FRAME_TABLE_H
#define WEFT_HOST_FRAME_TABLE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "weft.h"

/* Keeps memory alive: release(ctx) runs when the last reference goes. */
typedef struct weft__owner {
  _Atomic int64_t refs;
  void (*release)(void *ctx);
  void *ctx;
} weft__owner;

weft__owner *weft__owner_new(void (*release)(void *), void *ctx); /* refs = 1; NULL on OOM */
void weft__owner_ref(weft__owner *owner);
void weft__owner_unref(weft__owner *owner);

/* A categorical column's dictionary (categorical.h) begins with the owner that counts its
 * references, so tables keep it alive without knowing what it holds. */
struct weft__dict;
static inline weft__owner *weft__dict_owner(struct weft__dict *d) { return (weft__owner *)(void *)d; }

#define WEFT_COLUMN_OWNERS 3


/* A column: its view plus the owners of its buffers; a categorical column also holds a
 * reference to its dictionary (NULL for every other type). */
typedef struct weft__column {
  weft_column_view view;
  weft__owner *owners[WEFT_COLUMN_OWNERS];
  struct weft__dict *dict;
} weft__column;

struct weft_table {
  int64_t rows;
  size_t ncols;
  char **names;
  weft__column *cols;
};

/* Bytes per value (BOOL and UTF8: 0, they are not fixed-width bytes; decimal128: 16; a
 * vector: dim * 4, its row). */
size_t weft__type_width(weft_type type);
/* decimal128(p, s) packs p and s above the tag byte (weft.h): the tag, precision, scale. */
static inline int weft__type_is_decimal(weft_type t) { return ((unsigned)t & 0xFF) == WEFT_TYPE_DECIMAL128; }
static inline int weft__dec_precision(weft_type t) { return (int)(((unsigned)t >> 8) & 0xFF); }
static inline int weft__dec_scale(weft_type t) { return (int)(((unsigned)t >> 16) & 0xFF); }
/* WEFT_TYPE_VECTOR(dim) packs dim above the tag byte (weft.h). */
static inline int weft__type_is_vector(weft_type t) { return ((unsigned)t & 0xFF) == WEFT_TYPE_VECTOR_F32; }
static inline int weft__vec_dim(weft_type t) { return (int)((unsigned)t >> 8); }
/* "array[f32, <dim>]" (vector_type.c). */
const char *weft__vector_type_name(weft_type type);
/* An error naming `opname` and the column when `col` cannot be a sort, group or join key
 * (a vector column). */
weft_status weft__check_key_type(const char *opname, const char *name, const struct weft__column *col);
/* A type value weft stores: one of the enum's plain types or a well-formed decimal128. */
int weft__type_valid(weft_type type);
int weft__type_is_integer(weft_type type);
int weft__type_is_float(weft_type type);
int weft__type_is_numeric(weft_type type); /* integer or float */

/* A column with fresh buffers (64-byte aligned, one owner): values for `length` rows (BOOL:
 * a bitmap; UTF8: length + 1 int32 offsets, offsets[0] = 0, and `utf8_bytes` of data), and a
 * validity bitmap with every bit set when `with_validity`. null_count starts at -1. */
weft_status weft__column_alloc(weft_type type, int64_t length, int with_validity,
                               size_t utf8_bytes, weft__column *out);
/* Grows a fresh UTF8 column's data buffer (keeps the contents); only for columns from
 * weft__column_alloc that nothing else references yet. */
weft_status weft__column_grow_utf8(weft__column *col, size_t utf8_bytes);
/* weft__column_alloc of src's type for `length` rows, sharing src's dictionary when it is
 * categorical: what gathers, filters and sorts that copy src's values make. */
weft_status weft__column_alloc_like(const weft__column *src, int64_t length, int with_validity,
                                    weft__column *out);
void weft__column_retain(const weft__column *col);
void weft__column_release(weft__column *col);
int weft__column_valid(const weft__column *col, int64_t row); /* row relative to the view */
int64_t weft__column_null_count(weft__column *col);              /* computes and caches */
/* The same buffers seen from row `offset` for `length` rows (a new reference). */
weft__column weft__column_slice(const weft__column *col, int64_t offset, int64_t length);

/* A table of ncols empty slots with `rows` rows; fill every slot with _set_column. */
weft_status weft__table_new(size_t ncols, int64_t rows, weft_table **out);
/* Puts a column in slot i, taking over the caller's reference to its owners. */
weft_status weft__table_set_column(weft_table *table, size_t i, const char *name, weft__column col);
/* The column called `name`, or WEFT_ERR_NOT_FOUND naming it and listing the columns. */
weft_status weft__table_find(const weft_table *table, const char *name, size_t *index);

#endif
