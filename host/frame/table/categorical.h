/* Categorical columns (WEFT_TYPE_CATEGORICAL): uint32 codes into a shared dictionary, a utf8
 * column holding each string once. The dictionary is reference-counted apart from the
 * codes' buffers, so gathers, filters and slices that copy or share the codes keep it. */
#ifndef WEFT_HOST_FRAME_CATEGORICAL_H
#define WEFT_HOST_FRAME_CATEGORICAL_H

#include <stdatomic.h>
#include <stdint.h>

#include "frame/table/table.h"

typedef struct weft__dict {
  weft__owner owner;    /* first: table.c counts references through it (weft__dict_owner) */
  weft__column strings; /* utf8, no nulls, each string once, offset 0 */
  int ordered;          /* Arrow's ordered flag, Polars' Enum: sorts by code */
} weft__dict;

void weft__dict_ref(weft__dict *d);   /* NULL: nothing */
void weft__dict_unref(weft__dict *d); /* NULL: nothing */
static inline int64_t weft__dict_size(const weft__dict *d) { return d->strings.view.length; }
static inline const char *weft__dict_str(const weft__dict *d, uint32_t code, int32_t *len) {
  const int32_t *o = d->strings.view.values;
  *len = o[code + 1] - o[code];
  return d->strings.view.data + o[code];
}

/* Builds a dictionary one distinct string at a time (a hash of the strings seen). */
typedef struct weft__interner {
  int32_t *offsets; /* n + 1 */
  char *bytes;
  int64_t n, cap;
  size_t used, bytes_cap;
  uint32_t *slots; /* code + 1, 0 = empty */
  size_t mask;
} weft__interner;

void weft__interner_init(weft__interner *in);
/* *code of the string (added when new); OUT_OF_MEMORY, or INVALID_ARGUMENT past 2 GiB. */
weft_status weft__interner_add(weft__interner *in, const char *p, int32_t len, uint32_t *code);
/* Every string of `d`, in order (a dictionary's prefix keeps its codes); map[code] = the
 * interned code when map is not NULL. */
weft_status weft__interner_add_dict(weft__interner *in, const weft__dict *d, uint32_t *map);
/* The strings as a dictionary (refs = 1); the interner is left empty either way. */
weft_status weft__interner_finish(weft__interner *in, int ordered, weft__dict **out);
void weft__interner_free(weft__interner *in);

/* A categorical column over `codes` (uint32 values, a validity; taken over) and `d` (a new
 * reference is taken). */
void weft__column_set_dict(weft__column *codes, weft__dict *d);
/* A fresh categorical column whose codes are map[code of src] (nulls kept), over `d`. */
weft_status weft__column_recode(const weft__column *src, const uint32_t *map, weft__dict *d,
                                weft__column *out);
/* A utf8 column encoded as a categorical one (dictionary in first-seen order, as Polars). */
weft_status weft__column_encode(const weft__column *src, weft__column *out);
/* A categorical column's strings as a fresh utf8 column. */
weft_status weft__column_decode(const weft__column *src, weft__column *out);
/* cols[0..n) (all categorical) over one dictionary: the first one's, extended by the
 * others' strings it lacks; columns already on it are shared. outs are new references. */
weft_status weft__columns_unify(const weft__column *const *cols, size_t n, weft__column *outs);
/* rank[code]: the position of the code's string in byte order (by code when ordered). */
weft_status weft__dict_ranks(const weft__dict *d, uint32_t **rank);
/* Column c of every table (categorical, `rows` in all) one after another, over one
 * dictionary (weft__columns_unify), as weft_table_concat needs. */
weft_status weft__concat_categorical(const weft_table *const *tables, size_t n, size_t c,
                                     int64_t rows, weft__column *out);
/* Whether any of the columns is categorical. */
int weft__keys_have_categorical(const weft__column *const *cols, size_t n);
/* The column's codes seen as a uint32 column: the same buffers, no new reference (valid while
 * the column is), no dictionary. What group_by, unique and join compare. */
weft__column weft__column_codes(const weft__column *col);
/* A uint32 column of each row's rank (nulls kept): what a sort orders a categorical key by,
 * the strings' byte order as Polars' Categorical, the codes' for an ordered one (Enum). */
weft_status weft__column_ranks(const weft__column *src, weft__column *out);

#endif
