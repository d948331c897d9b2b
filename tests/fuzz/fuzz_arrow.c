/* weft_table_from_arrow of ArrowSchema / ArrowArray structs built from the input: formats,
 * names, lengths, offsets, null counts, buffer counts, NULL buffers and children, utf8
 * offsets and string views all come from the bytes. The import must refuse what is
 * malformed and never read outside the buffers.
 *
 * What the harness promises (the C Data Interface gives no buffer sizes, so this is all an
 * importer may rely on): a child's own offset and length are small (0..CHILD_CAP) or
 * negative, and its buffers are exactly as long as Arrow's layout says for offset + length
 * elements (each its own allocation, so ASan sees one byte more); a utf8 / large_utf8 data
 * buffer holds the last offset's bytes; a string view's data buffers hold the sizes its last
 * buffer lists. Contents (offsets, views, bitmaps, null counts) are whatever the bytes say,
 * and the struct's own length, offset and null count may be anything, huge ones included.
 * A fixed-size list ("+w:dim", weft's vector columns) gets one item child whose format,
 * length, offset, null count and buffers come from the bytes too; its buffers, as every
 * child's, are as long as its own declared offset and length say. A dictionary-encoded child
 * gets a dictionary schema and array the same way (make_dictionary). */
#include "fuzz_common.h"
#include "fuzz_table_check.h"
#include "weft.h"

enum { MAX_CHILDREN = 4, CHILD_CAP = 64, DATA_CAP = 256, MAX_BUFS = 8 };

static const char *const formats[] = {
    "b", "c", "s", "i", "l", "C", "S", "I", "L", "f", "g", "u", "tdD", "tsu:", "tsu:UTC",
    "d:10,2", "d:38,0,128", "d:5,2,256", "d:39,1", "d:abc", "d:9,2,", "U", "vu", "tsn:", "tdm",
    "+s", "z", "", "+w:3", "+w:1", "+w:4", "+w:0", "+w:-2", "+w:x", "+w:99999999999", NULL};
#define NFORMATS (sizeof formats / sizeof *formats)

static const int64_t specials[] = {-1, INT64_MIN, INT64_MAX, INT64_MAX - 1, (int64_t)1 << 40,
                                   (int64_t)INT32_MAX + 1, -((int64_t)1 << 40), 3};

typedef enum kind { K_BITS, K_FIXED, K_UTF8, K_LARGE_UTF8, K_VIEW, K_LIST } kind;

static kind kind_of(const char *f, size_t *width) {
  *width = 8;
  if (!f) return K_FIXED;
  if (!strcmp(f, "b")) return K_BITS;
  if (!strcmp(f, "u")) return K_UTF8;
  if (!strcmp(f, "U")) return K_LARGE_UTF8;
  if (!strcmp(f, "vu")) return K_VIEW;
  if (!strncmp(f, "+w:", 3)) return K_LIST;
  if (f[0] == 'd') return *width = 16, K_FIXED;
  if (strchr("cC", f[0]) && f[0] && !f[1]) return *width = 1, K_FIXED;
  if (strchr("sS", f[0]) && f[0] && !f[1]) return *width = 2, K_FIXED;
  if ((strchr("iIf", f[0]) && f[0] && !f[1]) || !strcmp(f, "tdD")) return *width = 4, K_FIXED;
  return K_FIXED;
}

/* Every allocation of one input, freed at its end. */
typedef struct pool {
  void *items[128];
  int n;
} pool;

static void *pool_alloc(pool *p, size_t bytes, fuzz_bytes *in) {
  if (p->n == 128) abort();
  uint8_t *b = malloc(bytes ? bytes : 8);
  for (size_t i = 0; i < bytes; i++) b[i] = fuzz_u8(in);
  /* An empty buffer is the (aligned) end of an 8-byte allocation: ASan sees no byte of it. */
  p->items[p->n++] = b;
  return bytes ? b : b + 8;
}

static int released_schema, released_array, released_child;
static void release_schema(struct ArrowSchema *s) { released_schema++, s->release = NULL; }
static void release_array(struct ArrowArray *a) { released_array++, a->release = NULL; }
static void release_child_schema(struct ArrowSchema *s) { s->release = NULL; }
static void release_child_array(struct ArrowArray *a) { released_child++, a->release = NULL; }

static int64_t pick_length(fuzz_bytes *in, int64_t small_mod) {
  uint8_t v = fuzz_u8(in);
  if (v < 224) return v % small_mod;
  return specials[v % (sizeof specials / sizeof *specials)];
}

/* A child's buffers for `elems` elements of its layout. */
static int64_t make_buffers(pool *p, fuzz_bytes *in, const char *format, int64_t elems,
                            int with_validity, const void **bufs) {
  size_t width;
  kind k = kind_of(format, &width);
  size_t e = (size_t)elems;
  bufs[0] = with_validity ? pool_alloc(p, (e + 7) / 8, in) : NULL;
  switch (k) {
    case K_LIST: return 1; /* the values are the item child's */
    case K_BITS: bufs[1] = pool_alloc(p, (e + 7) / 8, in); return 2;
    case K_FIXED: bufs[1] = pool_alloc(p, e * width, in); return 2;
    case K_UTF8: {
      int32_t *o = pool_alloc(p, (e + 1) * 4, in);
      if (o[e] < 0 || o[e] > DATA_CAP) o[e] = (int32_t)((uint32_t)o[e] % (DATA_CAP + 1));
      bufs[1] = o;
      bufs[2] = pool_alloc(p, (size_t)o[e], in);
      return 3;
    }
    case K_LARGE_UTF8: {
      int64_t *o = pool_alloc(p, (e + 1) * 8, in);
      if (o[e] < 0 || o[e] > DATA_CAP) o[e] = (int64_t)((uint64_t)o[e] % (DATA_CAP + 1));
      bufs[1] = o;
      bufs[2] = pool_alloc(p, (size_t)o[e], in);
      return 3;
    }
    case K_VIEW: {
      bufs[1] = pool_alloc(p, e * 16, in);
      int nvar = fuzz_u8(in) % 3;
      int64_t *sizes = pool_alloc(p, (size_t)nvar * 8, in);
      for (int j = 0; j < nvar; j++) {
        sizes[j] = (int64_t)((uint64_t)sizes[j] % 64);
        bufs[2 + j] = pool_alloc(p, (size_t)sizes[j], in);
      }
      bufs[2 + nvar] = sizes;
      return 3 + nvar;
    }
  }
  return 2;
}

/* The item child of a fixed-size list of `elems` lists: mostly float32 of elems * dim
 * items, but its format, length, offset, null count and child count may lie. */
typedef struct list_item {
  struct ArrowSchema schema, *schema_ptr;
  struct ArrowArray array, *array_ptr;
  const void *bufs[2];
} list_item;

static void make_list_item(pool *p, fuzz_bytes *in, const char *list_format, int64_t elems,
                           list_item *it, struct ArrowSchema *cs, struct ArrowArray *ca) {
  static const char *const item_formats[] = {"f", "f", "f", "g", "i", "e", "+w:2", NULL};
  long dim = strtol(list_format + 3, NULL, 10);
  if (dim < 0 || dim > 8) dim = 2;
  uint8_t o1 = fuzz_u8(in), o2 = fuzz_u8(in), o3 = fuzz_u8(in);
  memset(it, 0, sizeof *it);
  it->schema.format = item_formats[o1 % 8];
  it->schema.name = "item";
  it->schema.release = release_child_schema;
  it->array.release = release_child_array;
  it->array.offset = (o2 & 7) < 6 ? (o2 & 7) % 3 : (o2 & 1 ? -1 : INT64_MIN);
  int64_t want = elems * dim;
  switch ((o2 >> 3) & 3) { /* the item length: honest, one short, longer, or negative */
    case 0: case 1: it->array.length = want; break;
    case 2: it->array.length = want > 0 ? want - 1 : 0; break;
    case 3: it->array.length = (o2 & 32) ? want + 3 : -1; break;
  }
  int64_t items = it->array.length >= 0 && it->array.offset >= 0
                      ? it->array.length + it->array.offset : 0;
  it->bufs[0] = (o3 & 1) ? pool_alloc(p, ((size_t)items + 7) / 8, in) : NULL;
  it->bufs[1] = (o3 & 2) ? NULL : pool_alloc(p, (size_t)items * 4, in);
  it->array.n_buffers = (o3 & 4) ? 1 : 2;
  it->array.buffers = it->bufs;
  it->array.null_count = (o3 & 8) ? fuzz_u8(in) % 4 : (o3 & 1) ? -1 : 0;
  it->schema_ptr = &it->schema;
  it->array_ptr = &it->array;
  /* one child, as the layout says, or none, a NULL pointer, or counts that disagree */
  switch ((o3 >> 4) & 7) {
    case 5: cs->n_children = 0, ca->n_children = 0; return;
    case 6: cs->n_children = 1, cs->children = NULL, ca->n_children = 1, ca->children = NULL; return;
    case 7: cs->n_children = 1, ca->n_children = 0; break; /* the schema's child, no array's */
    default: cs->n_children = ca->n_children = 1;
  }
  cs->children = &it->schema_ptr;
  ca->children = &it->array_ptr;
}

/* A dictionary-encoded child: integer indices (or a format weft refuses) over a utf8,
 * large_utf8 or string_view dictionary (or an int one) of up to 11 entries at offset 0 or 1,
 * whose contents (offsets, views, validity, the indices themselves) come from the bytes; or
 * a schema's dictionary with no dictionary array. */
typedef struct dictionary {
  struct ArrowSchema schema;
  struct ArrowArray array;
  const void *bufs[MAX_BUFS];
} dictionary;

static void make_dictionary(pool *p, fuzz_bytes *in, struct ArrowSchema *cs, struct ArrowArray *ca,
                            dictionary *d) {
  static const char *const index_formats[] = {"c", "s", "i", "l", "C", "S", "I", "L", "u", "f"};
  static const char *const value_formats[] = {"u", "U", "vu", "i"};
  uint8_t o = fuzz_u8(in), o2 = fuzz_u8(in);
  memset(d, 0, sizeof *d);
  cs->format = index_formats[o % 10];
  d->schema.format = value_formats[(o >> 4) & 3];
  d->schema.name = "";
  d->schema.release = release_child_schema;
  cs->dictionary = &d->schema;
  if (o & 64) return; /* no dictionary array */
  d->array.length = o2 % 12;
  d->array.offset = (o2 >> 4) & 1;
  int64_t nb = make_buffers(p, in, d->schema.format, d->array.length + d->array.offset, o2 & 32, d->bufs);
  d->array.n_buffers = nb;
  d->array.buffers = d->bufs;
  d->array.null_count = -1;
  d->array.release = release_child_array;
  ca->dictionary = &d->array;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_bytes in = {data, size};
  pool p = {.n = 0};
  uint8_t top = fuzz_u8(&in), flags = fuzz_u8(&in);
  int64_t nchildren = top % (MAX_CHILDREN + 1);
  struct ArrowSchema schema, child_schemas[MAX_CHILDREN];
  struct ArrowArray array, child_arrays[MAX_CHILDREN];
  struct ArrowSchema *schema_children[MAX_CHILDREN + 1];
  struct ArrowArray *array_children[MAX_CHILDREN + 1];
  const void *parent_bufs[1];
  const void *child_bufs[MAX_CHILDREN][MAX_BUFS];
  char names[MAX_CHILDREN][8];
  list_item items[MAX_CHILDREN];
  dictionary dicts[MAX_CHILDREN];
  memset(&schema, 0, sizeof schema);
  memset(&array, 0, sizeof array);

  schema.format = (flags & 16) ? "+l" : "+s";
  schema.name = "";
  schema.n_children = nchildren;
  schema.children = (flags & 1) && nchildren ? NULL : schema_children;
  schema.release = (flags & 64) ? NULL : release_schema;
  array.length = pick_length(&in, 40);
  array.offset = pick_length(&in, 10);
  array.null_count = pick_length(&in, 3);
  array.n_children = nchildren + ((flags & 32) ? 1 : 0);
  array.children = (flags & 2) && nchildren ? NULL : array_children;
  array.release = (flags & 128) ? NULL : release_array;
  /* The struct's own validity only when its layout can be backed. */
  if ((flags & 4) && array.length >= 0 && array.offset >= 0 && array.length <= CHILD_CAP &&
      array.offset <= CHILD_CAP) {
    parent_bufs[0] = pool_alloc(&p, (size_t)(array.length + array.offset + 7) / 8, &in);
    array.n_buffers = 1;
    array.buffers = parent_bufs;
  } else {
    array.n_buffers = (flags & 8) ? 1 : 0;
    parent_bufs[0] = NULL;
    array.buffers = parent_bufs;
  }
  array_children[nchildren] = NULL; /* the extra child of a count mismatch */

  for (int64_t i = 0; i < nchildren; i++) {
    struct ArrowSchema *cs = &child_schemas[i];
    struct ArrowArray *ca = &child_arrays[i];
    memset(cs, 0, sizeof *cs);
    memset(ca, 0, sizeof *ca);
    uint8_t f = fuzz_u8(&in), nm = fuzz_u8(&in), opts = fuzz_u8(&in), opts2 = fuzz_u8(&in);
    cs->format = formats[f % NFORMATS];
    snprintf(names[i], sizeof names[i], "c%d", (int)i);
    switch (nm % 8) {
      case 4: cs->name = ""; break;
      case 5: cs->name = NULL; break;
      case 6: cs->name = "c0"; break; /* a duplicate when i > 0 */
      default: cs->name = names[i];
    }
    if (nm % 8 == 7) make_dictionary(&p, &in, cs, ca, &dicts[i]);
    cs->release = release_child_schema;
    schema_children[i] = (opts2 & 1) ? NULL : cs;
    array_children[i] = (opts2 & 2) ? NULL : ca;
    ca->release = (opts2 & 4) ? NULL : release_child_array;
    /* Own offset and length: small, or negative (never backed beyond CHILD_CAP). */
    uint8_t lo = fuzz_u8(&in), oo = fuzz_u8(&in);
    ca->length = lo < 240 ? lo % (CHILD_CAP - 8) : (lo & 1 ? -1 : INT64_MIN);
    ca->offset = oo < 240 ? oo % 8 : (oo & 1 ? -1 : INT64_MIN);
    int64_t elems = ca->length >= 0 && ca->offset >= 0 ? ca->length + ca->offset : 0;
    int64_t nb = make_buffers(&p, &in, cs->format, elems, opts & 1, child_bufs[i]);
    if (kind_of(cs->format, &(size_t){0}) == K_LIST)
      make_list_item(&p, &in, cs->format, elems, &items[i], cs, ca);
    for (int64_t b = nb; b < MAX_BUFS; b++) child_bufs[i][b] = NULL;
    for (int64_t b = 0; b < nb; b++)
      if (opts & (2 << (b < 3 ? b : 2)) && b > 0) child_bufs[i][b] = NULL; /* a missing buffer */
    switch ((opts >> 4) & 3) { /* the declared buffer count */
      case 0: case 1: ca->n_buffers = nb; break;
      /* One buffer fewer: refused for every layout but string_view's, where it would make a
       * data buffer the sizes buffer, a lie no importer can see (so not made). */
      case 2: ca->n_buffers = kind_of(cs->format, &(size_t){0}) == K_VIEW ? nb : nb - 1; break;
      case 3: ca->n_buffers = (opts & 64) ? 0 : nb + 1; break;
    }
    ca->buffers = (opts & 128) && ca->n_buffers == 0 ? NULL : child_bufs[i];
    int64_t zeros = 0;
    if (child_bufs[i][0])
      for (int64_t r = 0; r < elems; r++)
        zeros += !fuzz_bit(child_bufs[i][0], r);
    switch ((opts2 >> 3) & 7) {
      case 0: case 1: case 2: ca->null_count = zeros; break; /* honest, whole array */
      case 3: ca->null_count = -1; break;
      case 4: ca->null_count = 0; break;
      case 5: ca->null_count = ca->length + 1; break;
      case 6: ca->null_count = INT64_MIN; break;
      case 7: ca->null_count = fuzz_u8(&in) % 8; break;
    }
  }

  weft_table *t = NULL;
  released_schema = released_array = released_child = 0;
  int had_release = schema.release && array.release;
  weft_status st = weft_table_from_arrow(&schema, &array, &t);
  if (st == WEFT_OK) {
    FUZZ_CHECK(t && had_release, "import succeeded: table %p", (void *)t);
    FUZZ_CHECK(!schema.release && !array.release, "import succeeded without moving the structs");
    fuzz_check_table(t);
    struct ArrowSchema out_schema;
    struct ArrowArray out_array;
    FUZZ_CHECK(weft_table_to_arrow(t, &out_schema, &out_array) == WEFT_OK, "%s", weft_last_error());
    out_array.release(&out_array);
    out_schema.release(&out_schema);
    weft_table_free(t);
    FUZZ_CHECK(released_schema == 1 && released_array == 1,
               "after the table: schema released %d times, array %d", released_schema,
               released_array);
  } else {
    FUZZ_CHECK(t == NULL, "import failed (%d) but gave a table", (int)st);
    FUZZ_CHECK(released_schema == 0 && released_array == 0,
               "a failed import released schema %d, array %d", released_schema, released_array);
    FUZZ_CHECK(!had_release || (schema.release && array.release), "a failed import moved the structs");
    FUZZ_CHECK(weft_last_error()[0] != '\0', "import failed (%d) with no message", (int)st);
  }
  for (int i = 0; i < p.n; i++) free(p.items[i]);
  return 0;
}
