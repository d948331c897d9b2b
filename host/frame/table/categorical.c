/* Categorical columns: the dictionary's life, interning strings into a new one, and the
 * conversions to and from utf8. */
#include "frame/table/categorical.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "frame/table/hash_keys.h"

void weft__dict_ref(weft__dict *d) { weft__owner_ref(weft__dict_owner(d)); }

/* The last reference: the strings go; weft__owner_unref then frees the dictionary itself
 * (its owner is its first member, the same pointer). */
static void release_strings(void *ctx) { weft__column_release(&((weft__dict *)ctx)->strings); }

void weft__dict_unref(weft__dict *d) { weft__owner_unref(weft__dict_owner(d)); }

/* ------------------------------------------------------------------ interning */

void weft__interner_init(weft__interner *in) { memset(in, 0, sizeof *in); }

void weft__interner_free(weft__interner *in) {
  free(in->offsets);
  free(in->bytes);
  free(in->slots);
  memset(in, 0, sizeof *in);
}

static weft_status oom(void) {
  return weft__error(WEFT_ERR_OUT_OF_MEMORY, "no host memory for a categorical dictionary");
}

static int same(const weft__interner *in, uint32_t code, const char *p, int32_t len) {
  int32_t a = in->offsets[code], b = in->offsets[code + 1];
  return b - a == len && (len == 0 || !memcmp(in->bytes + a, p, (size_t)len));
}

static uint64_t hash_of(const char *p, int32_t len) { return weft__hash_bytes(p, (size_t)len); }

/* Doubles the slots (load kept under a half). */
static weft_status rehash(weft__interner *in) {
  size_t cap = in->slots ? 2 * (in->mask + 1) : 64;
  uint32_t *slots = weft__calloc(cap, sizeof *slots);
  if (!slots) return oom();
  for (int64_t c = 0; c < in->n; c++) {
    int32_t a = in->offsets[c];
    size_t s = hash_of(in->bytes + a, in->offsets[c + 1] - a) & (cap - 1);
    while (slots[s]) s = (s + 1) & (cap - 1);
    slots[s] = (uint32_t)c + 1;
  }
  free(in->slots);
  in->slots = slots;
  in->mask = cap - 1;
  return WEFT_OK;
}

weft_status weft__interner_add(weft__interner *in, const char *p, int32_t len, uint32_t *code) {
  if (!in->slots || (size_t)(in->n + 1) * 2 > in->mask + 1) WEFT_RETURN_NOT_OK(rehash(in));
  size_t s = hash_of(p, len) & in->mask;
  for (; in->slots[s]; s = (s + 1) & in->mask)
    if (same(in, in->slots[s] - 1, p, len)) return *code = in->slots[s] - 1, WEFT_OK;
  if (in->used + (size_t)len > INT32_MAX)
    return weft__error(WEFT_ERR_INVALID_ARGUMENT, "a categorical dictionary would hold more than "
                       "2 GiB of strings");
  if (in->n + 2 > in->cap) {
    int64_t cap = in->cap ? 2 * in->cap : 64;
    int32_t *o = weft__realloc(in->offsets, (size_t)cap * sizeof *o);
    if (!o) return oom();
    if (!in->offsets) o[0] = 0;
    in->offsets = o, in->cap = cap;
  }
  if (in->used + (size_t)len > in->bytes_cap) {
    size_t cap = in->bytes_cap ? in->bytes_cap : 256;
    while (cap < in->used + (size_t)len) cap *= 2;
    char *b = weft__realloc(in->bytes, cap);
    if (!b) return oom();
    in->bytes = b, in->bytes_cap = cap;
  }
  if (len) memcpy(in->bytes + in->used, p, (size_t)len);
  in->used += (size_t)len;
  in->offsets[in->n + 1] = (int32_t)in->used;
  in->slots[s] = (uint32_t)in->n + 1;
  *code = (uint32_t)in->n++;
  return WEFT_OK;
}

weft_status weft__interner_add_dict(weft__interner *in, const weft__dict *d, uint32_t *map) {
  for (int64_t c = 0; c < weft__dict_size(d); c++) {
    int32_t len;
    const char *p = weft__dict_str(d, (uint32_t)c, &len);
    uint32_t code;
    WEFT_RETURN_NOT_OK(weft__interner_add(in, p, len, &code));
    if (map) map[c] = code;
  }
  return WEFT_OK;
}

weft_status weft__interner_finish(weft__interner *in, int ordered, weft__dict **out) {
  *out = NULL;
  weft__dict *d = weft__calloc(1, sizeof *d);
  weft_status st = d ? weft__column_alloc(WEFT_TYPE_UTF8, in->n, 0, in->used, &d->strings) : oom();
  if (st == WEFT_OK) {
    if (in->n) memcpy((void *)d->strings.view.values, in->offsets, (size_t)(in->n + 1) * sizeof(int32_t));
    if (in->used) memcpy((void *)d->strings.view.data, in->bytes, in->used);
    d->strings.view.null_count = 0;
    d->ordered = ordered;
    atomic_init(&d->owner.refs, 1);
    d->owner.release = release_strings;
    d->owner.ctx = d;
    *out = d;
  } else {
    free(d);
  }
  weft__interner_free(in);
  return st;
}

/* ------------------------------------------------------------------ columns */

void weft__column_set_dict(weft__column *codes, weft__dict *d) {
  codes->view.type = WEFT_TYPE_CATEGORICAL;
  weft__dict_ref(d);
  weft__dict_unref(codes->dict);
  codes->dict = d;
}

/* Copies src's validity bits into out's fresh bitmap (out row r = src row r). */
static void copy_validity(const weft__column *src, weft__column *out) {
  uint8_t *bits = (uint8_t *)out->view.validity;
  for (int64_t r = 0; bits && r < src->view.length; r++)
    if (!weft__column_valid(src, r)) bits[r >> 3] &= (uint8_t)~(1u << (r & 7));
}

weft_status weft__column_recode(const weft__column *src, const uint32_t *map, weft__dict *d,
                                weft__column *out) {
  int nulls = src->view.validity && weft__column_null_count((weft__column *)src) > 0;
  WEFT_RETURN_NOT_OK(weft__column_alloc(WEFT_TYPE_UINT32, src->view.length, nulls, 0, out));
  copy_validity(src, out);
  const uint32_t *in = (const uint32_t *)src->view.values + src->view.offset;
  uint32_t *codes = (uint32_t *)out->view.values;
  for (int64_t r = 0; r < src->view.length; r++)
    codes[r] = weft__column_valid(src, r) ? map[in[r]] : 0;
  out->view.null_count = nulls ? src->view.null_count : 0;
  weft__column_set_dict(out, d);
  return WEFT_OK;
}

weft_status weft__column_encode(const weft__column *src, weft__column *out) {
  int nulls = src->view.validity && weft__column_null_count((weft__column *)src) > 0;
  WEFT_RETURN_NOT_OK(weft__column_alloc(WEFT_TYPE_UINT32, src->view.length, nulls, 0, out));
  copy_validity(src, out);
  weft__interner in;
  weft__interner_init(&in);
  const int32_t *o = (const int32_t *)src->view.values + src->view.offset;
  uint32_t *codes = (uint32_t *)out->view.values;
  weft_status st = WEFT_OK;
  for (int64_t r = 0; st == WEFT_OK && r < src->view.length; r++) {
    codes[r] = 0;
    if (weft__column_valid(src, r))
      st = weft__interner_add(&in, src->view.data + o[r], o[r + 1] - o[r], &codes[r]);
  }
  weft__dict *d = NULL;
  if (st == WEFT_OK) st = weft__interner_finish(&in, 0, &d);
  weft__interner_free(&in);
  if (st != WEFT_OK) {
    weft__column_release(out);
    return st;
  }
  out->view.null_count = nulls ? src->view.null_count : 0;
  weft__column_set_dict(out, d);
  weft__dict_unref(d);
  return WEFT_OK;
}

weft_status weft__column_decode(const weft__column *src, weft__column *out) {
  const weft__dict *d = src->dict;
  const uint32_t *codes = (const uint32_t *)src->view.values + src->view.offset;
  size_t bytes = 0;
  int32_t len;
  for (int64_t r = 0; r < src->view.length; r++)
    if (weft__column_valid(src, r)) weft__dict_str(d, codes[r], &len), bytes += (size_t)len;
  if (bytes > INT32_MAX)
    return weft__error(WEFT_ERR_INVALID_ARGUMENT, "decoding a categorical column of %lld rows "
                       "would make %zu bytes of strings, past a utf8 column's 2 GiB",
                       (long long)src->view.length, bytes);
  int nulls = src->view.validity && weft__column_null_count((weft__column *)src) > 0;
  WEFT_RETURN_NOT_OK(weft__column_alloc(WEFT_TYPE_UTF8, src->view.length, nulls, bytes, out));
  copy_validity(src, out);
  int32_t *o = (int32_t *)out->view.values;
  char *data = (char *)out->view.data;
  for (int64_t r = 0; r < src->view.length; r++) {
    len = 0;
    if (weft__column_valid(src, r)) {
      const char *p = weft__dict_str(d, codes[r], &len);
      if (len) memcpy(data + o[r], p, (size_t)len);
    }
    o[r + 1] = o[r] + len;
  }
  out->view.null_count = nulls ? src->view.null_count : 0;
  return WEFT_OK;
}

weft_status weft__columns_unify(const weft__column *const *cols, size_t n, weft__column *outs) {
  memset(outs, 0, n * sizeof *outs);
  int differ = 0;
  for (size_t i = 1; i < n; i++) differ |= cols[i]->dict != cols[0]->dict;
  if (!differ) {
    for (size_t i = 0; i < n; i++) outs[i] = *cols[i], weft__column_retain(&outs[i]);
    return WEFT_OK;
  }
  weft__interner in;
  weft__interner_init(&in);
  uint32_t **maps = weft__calloc(n, sizeof *maps);
  weft_status st = maps ? WEFT_OK : oom();
  for (size_t i = 0; st == WEFT_OK && i < n; i++) {
    int64_t size = weft__dict_size(cols[i]->dict);
    maps[i] = weft__malloc((size_t)(size ? size : 1) * sizeof **maps);
    st = maps[i] ? weft__interner_add_dict(&in, cols[i]->dict, maps[i]) : oom();
  }
  weft__dict *d = NULL;
  /* an Enum stays one only when every side had the same ordered dictionary */
  if (st == WEFT_OK) st = weft__interner_finish(&in, 0, &d);
  for (size_t i = 0; st == WEFT_OK && i < n; i++) {
    if (cols[i]->dict == cols[0]->dict) { /* a prefix of the new one: codes unchanged */
      outs[i] = *cols[i];
      weft__column_retain(&outs[i]);
      weft__column_set_dict(&outs[i], d);
    } else {
      st = weft__column_recode(cols[i], maps[i], d, &outs[i]);
    }
  }
  if (st != WEFT_OK)
    for (size_t i = 0; i < n; i++) weft__column_release(&outs[i]);
  weft__dict_unref(d);
  weft__interner_free(&in);
  for (size_t i = 0; maps && i < n; i++) free(maps[i]);
  free(maps);
  return st;
}

/* The dictionary being ranked, for qsort's comparison (qsort takes no context). */
static _Thread_local const weft__dict *ranking;

static int by_bytes(const void *a, const void *b) {
  int32_t la, lb;
  const char *pa = weft__dict_str(ranking, *(const uint32_t *)a, &la);
  const char *pb = weft__dict_str(ranking, *(const uint32_t *)b, &lb);
  int32_t m = la < lb ? la : lb;
  int c = m ? memcmp(pa, pb, (size_t)m) : 0;
  return c ? c : (la > lb) - (la < lb);
}

weft_status weft__dict_ranks(const weft__dict *d, uint32_t **rank) {
  int64_t n = weft__dict_size(d);
  uint32_t *order = weft__malloc((size_t)(n ? n : 1) * sizeof *order);
  *rank = weft__malloc((size_t)(n ? n : 1) * sizeof **rank);
  if (!order || !*rank) {
    free(order), free(*rank), *rank = NULL;
    return oom();
  }
  for (int64_t c = 0; c < n; c++) order[c] = (uint32_t)c;
  if (!d->ordered) {
    ranking = d;
    qsort(order, (size_t)n, sizeof *order, by_bytes);
  }
  for (int64_t i = 0; i < n; i++) (*rank)[order[i]] = (uint32_t)i;
  free(order);
  return WEFT_OK;
}

weft_status weft_table_column_dictionary(const weft_table *table, size_t column,
                                         weft_column_view *dictionary, int *ordered) {
  WEFT_CHECK_ARG(table && dictionary, "weft_table_column_dictionary: table and dictionary must "
                 "not be NULL");
  WEFT_CHECK_ARG(column < table->ncols, "weft_table_column_dictionary: column %zu of a table of "
                 "%zu columns", column, table->ncols);
  const weft__column *c = &table->cols[column];
  WEFT_CHECK_ARG(c->view.type == WEFT_TYPE_CATEGORICAL && c->dict, "weft_table_column_dictionary: "
                 "column \"%s\" is %s, not categorical", table->names[column],
                 weft_type_name(c->view.type));
  *dictionary = c->dict->strings.view;
  if (ordered) *ordered = c->dict->ordered;
  return WEFT_OK;
}

weft_status weft__column_ranks(const weft__column *src, weft__column *out) {
  uint32_t *rank;
  WEFT_RETURN_NOT_OK(weft__dict_ranks(src->dict, &rank));
  weft_status st = weft__column_recode(src, rank, NULL, out);
  free(rank);
  if (st == WEFT_OK) out->view.type = WEFT_TYPE_UINT32;
  return st;
}

int weft__keys_have_categorical(const weft__column *const *cols, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (cols[i]->view.type == WEFT_TYPE_CATEGORICAL) return 1;
  return 0;
}

weft__column weft__column_codes(const weft__column *col) {
  weft__column c = *col;
  c.view.type = WEFT_TYPE_UINT32;
  c.dict = NULL;
  return c;
}

weft_status weft__concat_categorical(const weft_table *const *tables, size_t n, size_t c,
                                     int64_t rows, weft__column *out) {
  const weft__column **srcs = weft__calloc(n, sizeof *srcs);
  weft__column *same = weft__calloc(n, sizeof *same);
  weft_status st = srcs && same ? WEFT_OK : oom();
  int nulls = 0;
  for (size_t t = 0; st == WEFT_OK && t < n; t++) {
    srcs[t] = &tables[t]->cols[c];
    nulls |= weft__column_null_count((weft__column *)srcs[t]) > 0;
  }
  if (st == WEFT_OK) st = weft__columns_unify(srcs, n, same);
  if (st == WEFT_OK) st = weft__column_alloc_like(&same[0], rows, nulls, out);
  int64_t at = 0;
  for (size_t t = 0; st == WEFT_OK && t < n; t++) {
    const weft__column *s = &same[t];
    uint8_t *bits = (uint8_t *)out->view.validity;
    for (int64_t r = 0; bits && r < s->view.length; r++)
      if (!weft__column_valid(s, r)) bits[(at + r) >> 3] &= (uint8_t)~(1u << ((at + r) & 7));
    if (s->view.length)
      memcpy((uint32_t *)out->view.values + at, (const uint32_t *)s->view.values + s->view.offset,
             (size_t)s->view.length * sizeof(uint32_t));
    at += s->view.length;
  }
  for (size_t t = 0; same && t < n; t++) weft__column_release(&same[t]);
  free(srcs), free(same);
  return st;
}
