/* weft__sort_perm: an LSD sort over the keys. The rows are stably sorted by the last key,
 * then by the one before, ..., then by the first: since every pass is stable, ties of a key
 * keep the order the later keys gave, which is the multi-key order. Rows whose key is null
 * go after the others in each pass, in the order they had (nulls last in both directions).
 *
 * A non-utf8 key becomes order-preserving unsigned integers (sign bit flipped for integers;
 * for floats the IEEE trick, with -0.0 made 0.0 and every NaN one NaN above +inf;
 * complemented when descending) that are radix sorted with their rows (sort_radix.c skips
 * the bytes no key changes, so a small-range integer key costs one or two passes). The
 * values are read through the order of the previous pass; on the CPU pool when the key has
 * no nulls. A utf8 key is radix sorted by its first 8 bytes (big-endian, zero-padded, which
 * orders like the strings whenever two prefixes differ); runs of equal prefixes whose strings
 * differ are then merge sorted by comparing the strings.
 *
 * With a device (run->dev), each key's encoded pairs are radix sorted there instead
 * (sort_device.c); nulls, the string refinement and the order of the keys stay here, so the
 * permutation is the CPU's. A device that fails (no memory under its cap, a driver error)
 * hands the key and the rest to the CPU, unless strict. */
#include "frame/sort/sort_perm.h"

#include <math.h>
#include <stdio.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/scratch.h"
#include "core/thread_pool.h"
#include "frame/table/hash_keys.h"
#include "frame/sort/sort_device.h"
#include "frame/sort/sort_radix.h"

#define ENCODE_BLOCK ((int64_t)1 << 16) /* rows encoded at once by one pool worker */
#define PAR_MERGE_ROWS 8192             /* runs at least this long are merge sorted in parallel */

static weft_status no_memory(int64_t rows) {
  return weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_table_sort: no host memory to sort %lld rows",
                     (long long)rows);
}

/* ---- keys as order-preserving words */

static int is_unsigned(weft_type t) { return t >= WEFT_TYPE_UINT8 && t <= WEFT_TYPE_UINT64; }

static int key_bytes(weft_type t) {
  if (t == WEFT_TYPE_UTF8) return 8;
  return t == WEFT_TYPE_BOOL ? 1 : (int)weft__type_width(t);
}

/* The first 8 bytes of a string, big-endian, zero-padded. */
static uint64_t utf8_prefix(const weft_column_view *v, int64_t r) {
  const int32_t *o = (const int32_t *)v->values + v->offset;
  int32_t len = o[r + 1] - o[r];
  const unsigned char *p = (const unsigned char *)v->data + o[r];
  uint64_t w = 0;
  for (int32_t i = 0; i < 8; i++) w = w << 8 | (i < len ? p[i] : 0);
  return w;
}

/* A float64's order-preserving word: -0.0 as 0.0, every NaN as one, above +inf. */
static inline uint64_t f64_word(double d, uint64_t top) {
  if (d == 0) d = 0;
  uint64_t b = 0x7ff8000000000000ULL;
  if (!isnan(d)) memcpy(&b, &d, 8);
  return b & top ? ~b : b | top;
}

static uint64_t radix_key(const weft_column_view *v, int64_t r, int bytes) {
  uint64_t top = (uint64_t)1 << (bytes * 8 - 1);
  uint64_t mask = bytes == 8 ? ~(uint64_t)0 : (top << 1) - 1;
  int64_t i = v->offset + r;
  if (v->type == WEFT_TYPE_FLOAT64) return f64_word(((const double *)v->values)[i], top);
  if (v->type == WEFT_TYPE_FLOAT32) {
    float f = ((const float *)v->values)[i];
    if (f == 0) f = 0;
    uint32_t b = 0x7fc00000u;
    if (!isnan(f)) memcpy(&b, &f, 4);
    return (b & 0x80000000u) ? (uint32_t)~b : (b | 0x80000000u);
  }
  if (v->type == WEFT_TYPE_UTF8) return utf8_prefix(v, r);
  uint64_t w = weft__key_word(v, r);
  if (v->type == WEFT_TYPE_BOOL || is_unsigned(v->type)) return w;
  return (w ^ top) & mask;
}

uint64_t weft__sort_word(const weft_column_view *v, int64_t r, uint64_t *flip) {
  int bytes = key_bytes(v->type);
  *flip = bytes >= 8 ? ~(uint64_t)0 : ((uint64_t)1 << (bytes * 8)) - 1;
  return radix_key(v, r, bytes);
}

/* Encodes the key of rows perm[0..n) (perm NULL: rows 0..n) into keys[], rows into rows[]:
 * used when the key has no nulls, so position i maps to position i. */
typedef struct encode_ctx {
  const weft_column_view *v;
  const int64_t *perm;
  int64_t n;
  int bytes;
  uint64_t flip; /* all ones (within `bytes`) when descending */
  uint64_t *keys;
  int64_t *rows;
  _Atomic int64_t next;
  _Atomic int inexact; /* a float64 key met -0.0 or NaN (their words do not decode back) */
} encode_ctx;


static void encode_range(encode_ctx *c, int64_t i0, int64_t i1) {
  const weft_column_view *v = c->v;
  int int64_like = v->type == WEFT_TYPE_INT64 || v->type == WEFT_TYPE_TIMESTAMP_US;
  if (int64_like && c->bytes == 8) { /* the common cases, without the switch a row */
    const uint64_t *p = (const uint64_t *)v->values + v->offset;
    const uint64_t top = (uint64_t)1 << 63;
    if (!c->perm)
      for (int64_t i = i0; i < i1; i++) c->keys[i] = (p[i] ^ top) ^ c->flip;
    else
      for (int64_t i = i0; i < i1; i++) c->keys[i] = (p[c->perm[i]] ^ top) ^ c->flip;
  } else if (v->type == WEFT_TYPE_FLOAT64) {
    const double *p = (const double *)v->values + v->offset;
    const uint64_t top = (uint64_t)1 << 63;
    int inexact = 0;
    for (int64_t i = i0; i < i1; i++) {
      double d = p[c->perm ? c->perm[i] : i];
      inexact |= (d == 0 && signbit(d)) || isnan(d);
      c->keys[i] = f64_word(d, top) ^ c->flip;
    }
    if (inexact) atomic_store(&c->inexact, 1);
  } else {
    for (int64_t i = i0; i < i1; i++) {
      int64_t r = c->perm ? c->perm[i] : i;
      c->keys[i] = radix_key(v, r, c->bytes) ^ c->flip;
    }
  }
  if (c->rows)
    for (int64_t i = i0; i < i1; i++) c->rows[i] = c->perm ? c->perm[i] : i;
}

static void encode_worker(void *ctx, int worker, int workers) {
  (void)worker, (void)workers;
  encode_ctx *c = ctx;
  for (;;) {
    int64_t i0 = atomic_fetch_add(&c->next, ENCODE_BLOCK);
    if (i0 >= c->n) return;
    encode_range(c, i0, c->n - i0 < ENCODE_BLOCK ? c->n : i0 + ENCODE_BLOCK);
  }
}

/* ---- comparing strings (runs of equal prefixes) */

static int cmp_utf8(const weft_column_view *v, int64_t a, int64_t b) {
  const int32_t *o = (const int32_t *)v->values + v->offset;
  int32_t la = o[a + 1] - o[a], lb = o[b + 1] - o[b];
  int c = memcmp(v->data + o[a], v->data + o[b], (size_t)(la < lb ? la : lb));
  return c ? (c < 0 ? -1 : 1) : (la > lb) - (la < lb);
}

typedef struct cmp_ctx {
  const weft_column_view *v;
  int desc;
} cmp_ctx;

static int cmp_rows(const cmp_ctx *c, int64_t a, int64_t b) {
  int r = cmp_utf8(c->v, a, b);
  return c->desc ? -r : r;
}

static void merge(const cmp_ctx *c, const int64_t *src, int64_t lo, int64_t mid, int64_t hi,
                  int64_t *dst) {
  int64_t i = lo, j = mid, o = lo;
  while (i < mid && j < hi) dst[o++] = cmp_rows(c, src[j], src[i]) < 0 ? src[j++] : src[i++];
  while (i < mid) dst[o++] = src[i++];
  while (j < hi) dst[o++] = src[j++];
}

static void insertion_sort(const cmp_ctx *c, int64_t *a, int64_t n) {
  for (int64_t i = 1; i < n; i++) {
    int64_t x = a[i], j = i;
    while (j > 0 && cmp_rows(c, x, a[j - 1]) < 0) a[j] = a[j - 1], j--;
    a[j] = x;
  }
}

/* Stably sorts a[0..n) using tmp; the result ends in a. */
static void merge_sort(const cmp_ctx *c, int64_t *a, int64_t *tmp, int64_t n) {
  const int64_t run = 16;
  for (int64_t i = 0; i < n; i += run) insertion_sort(c, a + i, n - i < run ? n - i : run);
  int64_t *src = a, *dst = tmp;
  for (int64_t w = run; w < n; w *= 2) {
    for (int64_t lo = 0; lo < n; lo += 2 * w) {
      int64_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
      merge(c, src, lo, mid, hi, dst);
    }
    int64_t *t = src; src = dst; dst = t;
  }
  if (src != a) memcpy(a, src, (size_t)n * sizeof *a);
}

typedef struct par_ctx {
  const cmp_ctx *c;
  int64_t *a, *tmp, n, width;
  int64_t *src, *dst; /* merge level: runs of `width` in src merged into dst */
  _Atomic int64_t next;
  int level;
} par_ctx;

static void par_worker(void *ctx, int worker, int workers) {
  (void)worker, (void)workers;
  par_ctx *p = ctx;
  for (;;) {
    int64_t lo = atomic_fetch_add(&p->next, p->level ? 2 * p->width : p->width);
    if (lo >= p->n) return;
    if (!p->level) {
      int64_t len = p->n - lo < p->width ? p->n - lo : p->width;
      merge_sort(p->c, p->a + lo, p->tmp + lo, len);
    } else {
      int64_t mid = lo + p->width < p->n ? lo + p->width : p->n;
      int64_t hi = lo + 2 * p->width < p->n ? lo + 2 * p->width : p->n;
      merge(p->c, p->src, lo, mid, hi, p->dst);
    }
  }
}

/* Stably sorts a[0..n) by the strings; runs of n / (2 * workers) sorted in parallel. */
static void sort_run(const cmp_ctx *c, int64_t *a, int64_t *tmp, int64_t n) {
  if (n < PAR_MERGE_ROWS) {
    merge_sort(c, a, tmp, n);
    return;
  }
  int64_t chunks = weft__pool_size() * 2;
  par_ctx p = {.c = c, .a = a, .tmp = tmp, .n = n};
  p.width = (n + chunks - 1) / chunks;
  weft__pool_run(par_worker, &p);
  p.level = 1;
  p.src = a, p.dst = tmp;
  for (; p.width < n; p.width *= 2) {
    atomic_store(&p.next, 0);
    weft__pool_run(par_worker, &p);
    int64_t *t = p.src; p.src = p.dst; p.dst = t;
  }
  if (p.src != a) memcpy(a, p.src, (size_t)n * sizeof *a);
}

/* After the prefix sort: each run of equal prefixes holding different strings is sorted by
 * comparing them (runs of one value, the common case for repeated strings, are left). */
static void fix_utf8_runs(const weft__column *key, int desc, const uint64_t *keys, int64_t *rows,
                          int64_t n, int64_t *tmp) {
  cmp_ctx c = {&key->view, desc};
  for (int64_t a = 0; a < n;) {
    int64_t b = a + 1;
    while (b < n && keys[b] == keys[a]) b++;
    int same = 1;
    for (int64_t i = a + 1; i < b && same; i++) same = cmp_utf8(&key->view, rows[a], rows[i]) == 0;
    if (!same) sort_run(&c, rows + a, tmp, b - a);
    a = b;
  }
}

/* ---- one key */

/* Sorts the pairs on run->dev, or on the CPU pool (also after a device failure, unless
 * strict). Returns WEFT_OK, the device's error (strict), or 0 in *ok for no host memory. */
static weft_status sort_pairs(weft__sort_run *run, uint64_t *keys, int64_t *rows, int64_t n,
                              int bytes, int want_keys, int *ok) {
  *ok = 1;
  if (run && run->dev && !run->dev->backend->host_memory) {
    weft_status st = weft__sort_device_pairs(run->dev, keys, rows, n, bytes, want_keys);
    if (st == WEFT_OK) {
      run->device_keys++;
      return WEFT_OK;
    }
    if (run->strict) return st;
    snprintf(run->fallback, sizeof run->fallback, "%s", weft_last_error());
    weft__error_clear();
    run->dev = NULL;
  }
  *ok = weft__radix_sort(keys, rows, n, bytes);
  return WEFT_OK;
}

/* Stably sorts perm[0..rows) by one key, nulls last; `identity`: perm is 0..rows-1. */
/* Whether the words of a key of type t decode back to its values (exactly, bit for bit):
 * integers and dates of 4 or 8 bytes; float64 unless it held -0.0 or NaN. */
static int decodable(weft_type t) {
  return t == WEFT_TYPE_INT64 || t == WEFT_TYPE_TIMESTAMP_US || t == WEFT_TYPE_INT32 ||
         t == WEFT_TYPE_DATE32 || t == WEFT_TYPE_FLOAT64;
}

static weft_status sort_by_key(const weft__column *key, int desc, int64_t rows, int64_t *perm,
                               int identity, int primary, weft__sort_run *run) {
  int bytes = key_bytes(key->view.type);
  uint64_t flip = !desc ? 0 : bytes == 8 ? ~(uint64_t)0 : ((uint64_t)1 << (bytes * 8)) - 1;
  uint64_t *keys = weft__scratch_alloc((size_t)(rows ? rows : 1) * sizeof *keys);
  int64_t *sorted = weft__scratch_alloc((size_t)(rows ? rows : 1) * sizeof *sorted);
  if (!keys || !sorted) {
    weft__scratch_free(keys), weft__scratch_free(sorted);
    return no_memory(rows);
  }
  int64_t n = 0, nulls = 0;
  int keep_words = 0; /* the sorted words are handed to the caller (run->primary) */
  if (!key->view.validity || weft__column_null_count((weft__column *)key) == 0) {
    encode_ctx c = {&key->view, identity ? NULL : perm, rows, bytes, flip, keys, sorted, 0, 0};
    if (rows <= ENCODE_BLOCK) encode_range(&c, 0, rows);
    else weft__pool_run(encode_worker, &c);
    n = rows;
    keep_words = primary && run && run->want_primary && decodable(key->view.type) &&
                 !atomic_load(&c.inexact);
  } else {
    /* Null rows are moved to the front of perm in their order (never past the reading
     * position), then after the sorted rows. */
    for (int64_t i = 0; i < rows; i++) {
      int64_t r = identity ? i : perm[i];
      if (!weft__column_valid(key, r)) {
        perm[nulls++] = r;
        continue;
      }
      keys[n] = radix_key(&key->view, r, bytes) ^ flip;
      sorted[n++] = r;
    }
    memmove(perm + n, perm, (size_t)nulls * sizeof *perm);
  }
  int ok = 1, utf8 = key->view.type == WEFT_TYPE_UTF8;
  weft_status st = sort_pairs(run, keys, sorted, n, bytes, utf8 || keep_words, &ok);
  if (st != WEFT_OK) {
    weft__scratch_free(keys), weft__scratch_free(sorted);
    return st;
  }
  if (ok && key->view.type == WEFT_TYPE_UTF8) fix_utf8_runs(key, desc, keys, sorted, n, perm);
  if (ok) memcpy(perm, sorted, (size_t)n * sizeof *perm);
  if (ok && keep_words) {
    run->primary = keys, run->primary_flip = flip, run->primary_bytes = bytes;
    keys = NULL;
  }
  weft__scratch_free(keys), weft__scratch_free(sorted);
  return ok ? WEFT_OK : no_memory(rows);
}

weft_status weft__sort_encode_key(const weft__column *key, int desc, int64_t rows, uint64_t *words,
                                  weft__sort_run *run) {
  if (key->view.type == WEFT_TYPE_UTF8 ||
      (key->view.validity && weft__column_null_count((weft__column *)key) > 0))
    return weft__error(WEFT_ERR_INVALID_ARGUMENT, "weft__sort_encode_key: the key is utf8 or "
                       "has nulls");
  int bytes = key_bytes(key->view.type);
  uint64_t flip = !desc ? 0 : bytes == 8 ? ~(uint64_t)0 : ((uint64_t)1 << (bytes * 8)) - 1;
  encode_ctx c = {&key->view, NULL, rows, bytes, flip, words, NULL, 0, 0};
  if (rows <= ENCODE_BLOCK) encode_range(&c, 0, rows);
  else weft__pool_run(encode_worker, &c);
  run->primary = NULL, run->primary_flip = flip, run->primary_bytes = bytes;
  run->want_primary = decodable(key->view.type) && !atomic_load(&c.inexact);
  return WEFT_OK;
}

weft_status weft__sort_decode_primary(const weft__column *key, const weft__sort_run *run,
                                      int64_t rows, weft__column *out) {
  weft_type t = key->view.type;
  WEFT_RETURN_NOT_OK(weft__column_alloc(t, rows, 0, 0, out));
  const uint64_t *w = run->primary, flip = run->primary_flip;
  if (run->primary_bytes == 8) {
    const uint64_t top = (uint64_t)1 << 63;
    uint64_t *o = (uint64_t *)out->view.values;
    if (t == WEFT_TYPE_FLOAT64) /* the inverse of f64_word (no -0.0 or NaN was encoded) */
      for (int64_t i = 0; i < rows; i++) {
        uint64_t e = w[i] ^ flip;
        o[i] = e & top ? e & ~top : ~e;
      }
    else
      for (int64_t i = 0; i < rows; i++) o[i] = w[i] ^ flip ^ top;
  } else { /* 4-byte signed: radix_key's sign flip in the low 32 bits */
    uint32_t *o = (uint32_t *)out->view.values;
    for (int64_t i = 0; i < rows; i++) o[i] = (uint32_t)(w[i] ^ flip) ^ 0x80000000u;
  }
  return WEFT_OK;
}

weft_status weft__sort_perm(const weft__column *const *keys, const int *descending, size_t nkeys,
                            int64_t rows, int64_t *perm, const char **method, weft__sort_run *run) {
  *method = "radix";
  for (size_t k = 0; k < nkeys; k++)
    if (keys[k]->view.type == WEFT_TYPE_UTF8) *method = "radix and merge";
  for (int64_t r = 0; rows < 2 && r < rows; r++) perm[r] = r;
  if (rows < 2) return WEFT_OK;
  for (size_t k = nkeys; k-- > 0;) {
    weft_status st = sort_by_key(keys[k], descending && descending[k], rows, perm,
                                 k == nkeys - 1, k == 0, run);
    if (st != WEFT_OK) return st;
  }
  return WEFT_OK;
}
