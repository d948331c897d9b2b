/* Arrow dictionary arrays as categorical columns. The dictionary is copied into weft's own
 * (small next to the codes, and Polars sends string_view, which weft does not store), with
 * duplicates merged and null entries made null rows, so that equal strings always have
 * equal codes: group_by and join compare codes. */
#include "frame/io/arrow_dictionary.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "frame/io/arrow_check.h"
#include "frame/table/categorical.h"

#define NO_CODE UINT32_MAX /* a null dictionary entry */

static const int64_t no_rows[2] = {0, 0}; /* the values of a column of no rows */

static weft_type index_type(const char *f) {
  static const char formats[] = "csilCSIL";
  static const weft_type types[] = {WEFT_TYPE_INT8,  WEFT_TYPE_INT16,  WEFT_TYPE_INT32,
                                    WEFT_TYPE_INT64, WEFT_TYPE_UINT8,  WEFT_TYPE_UINT16,
                                    WEFT_TYPE_UINT32, WEFT_TYPE_UINT64};
  const char *at = f[0] && !f[1] ? strchr(formats, f[0]) : NULL;
  return at ? types[at - formats] : WEFT_TYPE_BOOL;
}

static weft__arrow_layout string_layout(const char *f) {
  return !strcmp(f, "u") ? WEFT__ARROW_NATIVE : !strcmp(f, "U") ? WEFT__ARROW_LARGE_UTF8
       : !strcmp(f, "vu") ? WEFT__ARROW_UTF8_VIEW : (weft__arrow_layout)-1;
}

weft_status weft__arrow_dict_field(const struct ArrowSchema *field, const char *name, int *is) {
  *is = field->dictionary != NULL;
  if (!*is) return WEFT_OK;
  const char *f = field->format ? field->format : "";
  const char *df = field->dictionary->format ? field->dictionary->format : "";
  if (index_type(f) == WEFT_TYPE_BOOL || (int)string_layout(df) < 0)
    return weft__error(WEFT_ERR_UNSUPPORTED, "Arrow column \"%s\" is dictionary-encoded with "
                       "indices \"%s\" over values \"%s\"; weft takes integer indices over "
                       "utf8, large_utf8 or string_view values (a categorical column); decode "
                       "it first (pyarrow: .dictionary_decode())", name, f, df);
  return WEFT_OK;
}

static int bit_at(const uint8_t *bits, int64_t i) { return (bits[i >> 3] >> (i & 7)) & 1; }

/* Dictionary entry i (absolute index) in its layout. */
static const char *entry(const struct ArrowArray *d, weft__arrow_layout how, int64_t i, int32_t *len) {
  if (how == WEFT__ARROW_NATIVE) {
    const int32_t *o = d->buffers[1];
    *len = o[i + 1] - o[i];
    return *len ? (const char *)d->buffers[2] + o[i] : "";
  }
  if (how == WEFT__ARROW_LARGE_UTF8) {
    const int64_t *o = d->buffers[1];
    *len = (int32_t)(o[i + 1] - o[i]);
    return *len ? (const char *)d->buffers[2] + o[i] : "";
  }
  const int32_t *v = (const int32_t *)d->buffers[1] + 4 * i;
  *len = v[0];
  return v[0] <= 12 ? (const char *)(v + 1) : (const char *)d->buffers[2 + v[2]] + v[3];
}

/* The dictionary interned: map[i] = weft's code of entry i (NO_CODE for a null entry);
 * *identity when every entry kept its index. */
static weft_status read_dictionary(const struct ArrowSchema *field, const struct ArrowArray *d,
                                   const char *name, uint32_t **map, int *identity, weft__dict **out) {
  weft__arrow_layout how = string_layout(field->dictionary->format);
  int64_t nulls = 0;
  WEFT_RETURN_NOT_OK(weft__arrow_check_child(d, WEFT_TYPE_UTF8, how, 0, d->length, name, &nulls));
  if (how == WEFT__ARROW_LARGE_UTF8 && d->length > 0) {
    const int64_t *o = d->buffers[1];
    for (int64_t i = 0; i < d->length; i++)
      if (o[d->offset + i + 1] - o[d->offset + i] > INT32_MAX)
        return weft__error(WEFT_ERR_UNSUPPORTED, "Arrow column \"%s\": dictionary entry %lld is "
                           "longer than 2 GiB", name, (long long)i);
  }
  if (d->length > (int64_t)INT32_MAX)
    return weft__error(WEFT_ERR_UNSUPPORTED, "Arrow column \"%s\" has a dictionary of %lld "
                       "entries; weft's hold at most 2^31 - 1", name, (long long)d->length);
  *map = weft__malloc((size_t)(d->length ? d->length : 1) * sizeof **map);
  if (!*map) return weft__error(WEFT_ERR_OUT_OF_MEMORY, "no host memory for a dictionary");
  weft__interner in;
  weft__interner_init(&in);
  const uint8_t *valid = nulls ? d->buffers[0] : NULL;
  weft_status st = WEFT_OK;
  *identity = 1;
  for (int64_t i = 0; st == WEFT_OK && i < d->length; i++) {
    int64_t at = d->offset + i;
    if (valid && !bit_at(valid, at)) {
      (*map)[i] = NO_CODE, *identity = 0;
      continue;
    }
    int32_t len;
    const char *p = entry(d, how, at, &len);
    st = weft__interner_add(&in, p, len, &(*map)[i]);
    *identity &= (*map)[i] == (uint32_t)i;
  }
  int ordered = (field->flags & ARROW_FLAG_DICTIONARY_ORDERED) != 0;
  if (st == WEFT_OK) st = weft__interner_finish(&in, ordered, out);
  weft__interner_free(&in);
  if (st != WEFT_OK) free(*map), *map = NULL;
  return st;
}

/* The code of row i (absolute) as int64 (uint64 past INT64_MAX reads negative: out of range). */
static int64_t code_at(const void *values, weft_type t, int64_t i) {
  switch (t) {
    case WEFT_TYPE_INT8: return ((const int8_t *)values)[i];
    case WEFT_TYPE_INT16: return ((const int16_t *)values)[i];
    case WEFT_TYPE_INT32: return ((const int32_t *)values)[i];
    case WEFT_TYPE_INT64: return ((const int64_t *)values)[i];
    case WEFT_TYPE_UINT8: return ((const uint8_t *)values)[i];
    case WEFT_TYPE_UINT16: return ((const uint16_t *)values)[i];
    case WEFT_TYPE_UINT32: return ((const uint32_t *)values)[i];
    default: return (int64_t)((const uint64_t *)values)[i];
  }
}

weft_status weft__arrow_dict_import(const struct ArrowSchema *field, const struct ArrowArray *a,
                                    int64_t parent_offset, int64_t n, const char *name,
                                    weft__owner *owner, weft__column *out) {
  memset(out, 0, sizeof *out);
  weft_type it = index_type(field->format);
  int64_t nulls = 0;
  WEFT_RETURN_NOT_OK(weft__arrow_check_child(a, it, WEFT__ARROW_NATIVE, parent_offset, n, name, &nulls));
  WEFT_CHECK_ARG(a->dictionary && a->dictionary->release, "Arrow column \"%s\" is dictionary-"
                 "encoded but its array has no dictionary", name);
  uint32_t *map = NULL;
  int identity = 0;
  weft__dict *d = NULL;
  WEFT_RETURN_NOT_OK(read_dictionary(field, a->dictionary, name, &map, &identity, &d));
  const int64_t off = a->offset + parent_offset, size = a->dictionary->length;
  const uint8_t *valid = nulls ? a->buffers[0] : NULL;
  const void *values = a->buffers[1];
  weft_status st = WEFT_OK;
  int64_t lost = 0; /* rows whose entry is a null */
  for (int64_t r = 0; r < n; r++) {
    if (valid && !bit_at(valid, off + r)) continue;
    int64_t c = code_at(values, it, off + r);
    if (c < 0 || c >= size) {
      st = weft__error(WEFT_ERR_INVALID_ARGUMENT, "Arrow column \"%s\": row %lld has dictionary "
                       "index %lld, outside the dictionary's %lld entries", name, (long long)r,
                       (long long)c, (long long)size);
      break;
    }
    lost += map[c] == NO_CODE;
  }
  int share = st == WEFT_OK && identity && (it == WEFT_TYPE_INT32 || it == WEFT_TYPE_UINT32);
  if (share) { /* the producer's codes as they are */
    out->view.length = n;
    out->view.offset = n ? off : 0;
    out->view.validity = valid;
    out->view.values = n ? values : (const void *)no_rows;
    out->view.null_count = nulls;
    weft__owner_ref(owner);
    out->owners[0] = owner;
    weft__column_set_dict(out, d);
  } else if (st == WEFT_OK) {
    int with_validity = nulls + lost > 0;
    st = weft__column_alloc(WEFT_TYPE_UINT32, n, with_validity, 0, out);
    uint32_t *codes = st == WEFT_OK ? (uint32_t *)out->view.values : NULL;
    uint8_t *bits = st == WEFT_OK ? (uint8_t *)out->view.validity : NULL;
    for (int64_t r = 0; codes && r < n; r++) {
      int ok = !valid || bit_at(valid, off + r);
      uint32_t c = ok ? map[code_at(values, it, off + r)] : NO_CODE;
      codes[r] = c == NO_CODE ? 0 : c;
      if (c == NO_CODE) bits[r >> 3] &= (uint8_t)~(1u << (r & 7));
    }
    if (codes) {
      out->view.null_count = nulls + lost;
      weft__column_set_dict(out, d);
    }
  }
  weft__dict_unref(d);
  free(map);
  return st;
}

weft_status weft__arrow_dict_empty(weft__column *col) {
  weft__interner in;
  weft__interner_init(&in);
  weft__dict *d;
  WEFT_RETURN_NOT_OK(weft__interner_finish(&in, 0, &d));
  weft__column_set_dict(col, d);
  weft__dict_unref(d);
  return WEFT_OK;
}

/* A categorical field's schema: the name, then the dictionary's schema, in one block. */
typedef struct dict_schema {
  struct ArrowSchema values;
  char name[];
} dict_schema;

static void release_values_schema(struct ArrowSchema *s) { s->release = NULL; }

static void release_dict_schema(struct ArrowSchema *s) {
  dict_schema *p = s->private_data;
  if (p->values.release) p->values.release(&p->values);
  free(p);
  s->release = NULL;
}

int weft__arrow_dict_schema(struct ArrowSchema *k, const char *name, const weft__column *col) {
  size_t len = strlen(name) + 1;
  dict_schema *p = weft__calloc(1, sizeof *p + len);
  if (!p) return 0;
  memcpy(p->name, name, len);
  p->values.format = "u";
  p->values.name = "";
  p->values.flags = 0;
  p->values.release = release_values_schema;
  memset(k, 0, sizeof *k);
  k->format = "i"; /* codes are below 2^31: a dictionary holds fewer distinct strings */
  k->name = p->name;
  k->flags = ARROW_FLAG_NULLABLE | (col->dict && col->dict->ordered ? ARROW_FLAG_DICTIONARY_ORDERED : 0);
  k->dictionary = &p->values;
  k->private_data = p;
  k->release = release_dict_schema;
  return 1;
}
