/* weft__sort_perm. One non-utf8 key: its values become order-preserving unsigned integers
 * (sign bit flipped for integers; for floats the IEEE trick, with -0.0 made 0.0 and every
 * NaN one NaN above +inf; complemented when descending) and are radix sorted with their
 * rows; null rows follow in row order. Otherwise: a stable merge sort of row numbers with a
 * comparator over the keys, runs sorted in parallel on the CPU pool and merged pairwise. */
#include "sort_perm.h"

#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "../error.h"
#include "../thread_pool.h"
#include "hash_keys.h"
#include "sort_radix.h"

/* ---- radix path */

static int is_unsigned(weft_type t) { return t >= WEFT_TYPE_UINT8 && t <= WEFT_TYPE_UINT64; }

static int key_bytes(weft_type t) {
  return t == WEFT_TYPE_BOOL ? 1 : (int)weft__type_width(t);
}

static uint64_t radix_key(const weft_column_view *v, int64_t r, int bytes) {
  uint64_t top = (uint64_t)1 << (bytes * 8 - 1);
  uint64_t mask = bytes == 8 ? ~(uint64_t)0 : (top << 1) - 1;
  int64_t i = v->offset + r;
  if (v->type == WEFT_TYPE_FLOAT64) {
    double d = ((const double *)v->values)[i];
    if (d == 0) d = 0;
    uint64_t b = 0x7ff8000000000000ULL;
    if (!isnan(d)) memcpy(&b, &d, 8);
    return b & top ? ~b : b | top;
  }
  if (v->type == WEFT_TYPE_FLOAT32) {
    float f = ((const float *)v->values)[i];
    if (f == 0) f = 0;
    uint32_t b = 0x7fc00000u;
    if (!isnan(f)) memcpy(&b, &f, 4);
    return (b & 0x80000000u) ? (uint32_t)~b : (b | 0x80000000u);
  }
  uint64_t w = weft__key_word(v, r);
  if (v->type == WEFT_TYPE_BOOL || is_unsigned(v->type)) return w;
  return (w ^ top) & mask;
}

static weft_status radix_perm(const weft__column *key, int desc, int64_t rows, int64_t *perm) {
  int bytes = key_bytes(key->view.type);
  uint64_t mask = bytes == 8 ? ~(uint64_t)0 : ((uint64_t)1 << (bytes * 8)) - 1;
  uint64_t *keys = malloc((size_t)(rows ? rows : 1) * sizeof *keys);
  if (!keys) return weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_table_sort: no host memory for %lld "
                                "keys", (long long)rows);
  int64_t n = 0, nulls = 0;
  int check = key->view.validity && weft__column_null_count((weft__column *)key) > 0;
  for (int64_t r = 0; r < rows; r++) {
    if (check && !weft__column_valid(key, r)) {
      perm[rows - 1 - nulls++] = r; /* reversed below */
      continue;
    }
    uint64_t k = radix_key(&key->view, r, bytes);
    keys[n] = desc ? ~k & mask : k;
    perm[n++] = r;
  }
  for (int64_t a = n, b = rows - 1; a < b; a++, b--) {
    int64_t t = perm[a];
    perm[a] = perm[b];
    perm[b] = t;
  }
  int ok = weft__radix_sort(keys, perm, n, bytes);
  free(keys);
  if (!ok) return weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_table_sort: no host memory to sort "
                              "%lld rows", (long long)rows);
  return WEFT_OK;
}

/* ---- merge path */

typedef struct cmp_ctx {
  const weft__column *const *keys;
  const int *desc;
  size_t nkeys;
} cmp_ctx;

static int cmp_value(const weft_column_view *v, int64_t a, int64_t b) {
  switch (v->type) {
    case WEFT_TYPE_UTF8: {
      const int32_t *o = (const int32_t *)v->values + v->offset;
      int32_t la = o[a + 1] - o[a], lb = o[b + 1] - o[b];
      int c = memcmp(v->data + o[a], v->data + o[b], (size_t)(la < lb ? la : lb));
      return c ? (c < 0 ? -1 : 1) : (la > lb) - (la < lb);
    }
    case WEFT_TYPE_FLOAT32: case WEFT_TYPE_FLOAT64: {
      double x = v->type == WEFT_TYPE_FLOAT32 ? ((const float *)v->values)[v->offset + a]
                                              : ((const double *)v->values)[v->offset + a];
      double y = v->type == WEFT_TYPE_FLOAT32 ? ((const float *)v->values)[v->offset + b]
                                              : ((const double *)v->values)[v->offset + b];
      int xn = isnan(x), yn = isnan(y);
      if (xn || yn) return xn - yn;
      return (x > y) - (x < y);
    }
    default: {
      uint64_t x = weft__key_word(v, a), y = weft__key_word(v, b);
      if (is_unsigned(v->type) || v->type == WEFT_TYPE_BOOL) return (x > y) - (x < y);
      return ((int64_t)x > (int64_t)y) - ((int64_t)x < (int64_t)y);
    }
  }
}

static int cmp_rows(const cmp_ctx *c, int64_t a, int64_t b) {
  for (size_t k = 0; k < c->nkeys; k++) {
    const weft__column *col = c->keys[k];
    int va = weft__column_valid(col, a), vb = weft__column_valid(col, b);
    if (va != vb) return va ? -1 : 1; /* nulls last, whatever the direction */
    if (!va) continue;
    int r = cmp_value(&col->view, a, b);
    if (r) return c->desc && c->desc[k] ? -r : r;
  }
  return 0;
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

/* Sorts a[0..n) using tmp; the result ends in a. */
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

static weft_status merge_perm(const cmp_ctx *c, int64_t rows, int64_t *perm) {
  for (int64_t r = 0; r < rows; r++) perm[r] = r;
  int64_t *tmp = malloc((size_t)(rows ? rows : 1) * sizeof *tmp);
  if (!tmp) return weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_table_sort: no host memory to sort "
                               "%lld rows", (long long)rows);
  int64_t chunks = weft__pool_size() * 2;
  if (rows < 8192) chunks = 1;
  par_ctx p = {.c = c, .a = perm, .tmp = tmp, .n = rows};
  p.width = (rows + chunks - 1) / chunks;
  if (p.width < 1) p.width = 1;
  weft__pool_run(par_worker, &p); /* sorted runs of `width` */
  p.level = 1;
  p.src = perm, p.dst = tmp;
  for (; p.width < rows; p.width *= 2) {
    atomic_store(&p.next, 0);
    weft__pool_run(par_worker, &p);
    int64_t *t = p.src; p.src = p.dst; p.dst = t;
  }
  if (p.src != perm) memcpy(perm, p.src, (size_t)rows * sizeof *perm);
  free(tmp);
  return WEFT_OK;
}

weft_status weft__sort_perm(const weft__column *const *keys, const int *descending, size_t nkeys,
                            int64_t rows, int64_t *perm, const char **method) {
  if (nkeys == 1 && keys[0]->view.type != WEFT_TYPE_UTF8) {
    *method = "radix";
    return radix_perm(keys[0], descending && descending[0], rows, perm);
  }
  *method = "merge";
  for (size_t k = 0; k < nkeys; k++) weft__column_null_count((weft__column *)keys[k]);
  cmp_ctx c = {keys, descending, nkeys};
  return merge_perm(&c, rows, perm);
}
