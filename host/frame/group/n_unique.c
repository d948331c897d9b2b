/* n_unique per group of a non-utf8 column whose values span a small enough range that each
 * (group, value) pair packs into one word: gid * span + (value - lo), the last of each span
 * for a null. Grouping those pairs as rows in one hash table (what agg.c does otherwise)
 * runs on one thread when they are mostly distinct, and its table outgrows the caches. Here
 * the pairs are radix-partitioned, in parallel, into partitions small enough for L2; then
 * each thread takes partitions in turn, finds the distinct pairs of each in a small
 * open-addressing set and counts each new one for its group. With many groups a partition
 * is a range of group ids (its counts its own, in cache; rows sorted by the key, as order
 * lines are, then scatter almost in order); with few, the pairs' hash chooses (no partition
 * gets a large group alone) and the counts are atomic adds. */
#include "frame/group/n_unique.h"
#include "core/alloc.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/scratch.h"
#include "core/thread_pool.h"
#include "frame/table/hash_keys.h"

#define MAX_WORKERS 64
#define PART_ROWS ((int64_t)1 << 14) /* rows per partition aimed at: its set stays in L2 */
#define EMPTY UINT64_MAX

typedef struct nu_ctx {
  const weft__column *in;
  const int32_t *gid;
  int64_t rows, chunk, lo;
  uint64_t span;
  int nulls, bits, workers;
  int gshift; /* by group-id range: part = gid >> gshift; -1: by hash */
  int64_t nparts;
  int64_t *hist;       /* [worker][part]: pairs of the worker's rows in each part, then offsets */
  int64_t *part_start; /* [nparts + 1] */
  uint64_t *pairs;     /* rows words, grouped by part */
  _Atomic uint32_t *counts;
  int pass; /* 0: range, 1: histogram, 2: scatter, 3: distinct */
  int64_t *lo_of, *hi_of;
  _Atomic int64_t next;
  _Atomic int failed;
} nu_ctx;

static void words_of(const nu_ctx *c, int64_t b, size_t n, uint64_t *w) {
  weft__key_words(&c->in->view, b, n, w);
}

/* The smallest and largest valid value of the worker's rows, as int64. */
static void range_pass(nu_ctx *c, int w) {
  int64_t r0 = w * c->chunk, r1 = r0 + c->chunk < c->rows ? r0 + c->chunk : c->rows;
  int64_t lo = INT64_MAX, hi = INT64_MIN;
  uint64_t buf[WEFT_HASH_BLOCK];
  for (int64_t b = r0; b < r1; b += WEFT_HASH_BLOCK) {
    size_t n = (size_t)(r1 - b < WEFT_HASH_BLOCK ? r1 - b : WEFT_HASH_BLOCK);
    words_of(c, b, n, buf);
    for (size_t i = 0; i < n; i++) {
      if (c->nulls && !weft__column_valid(c->in, b + (int64_t)i)) continue;
      int64_t v = (int64_t)buf[i];
      lo = v < lo ? v : lo;
      hi = v > hi ? v : hi;
    }
  }
  c->lo_of[w] = lo, c->hi_of[w] = hi;
}

/* The packed pairs of rows [b, b + n). */
static void pairs_of(const nu_ctx *c, int64_t b, size_t n, uint64_t *out) {
  words_of(c, b, n, out);
  for (size_t i = 0; i < n; i++) {
    int64_t r = b + (int64_t)i;
    uint64_t off = c->nulls && !weft__column_valid(c->in, r) ? c->span - 1 : out[i] - (uint64_t)c->lo;
    out[i] = (uint64_t)c->gid[r] * c->span + off;
  }
}

static inline int64_t part_of(const nu_ctx *c, uint64_t pair) {
  return c->bits ? (int64_t)(weft__hash_mix(pair) >> (64 - c->bits)) : 0;
}

/* Pass 1: how many of the worker's pairs fall in each part; pass 2: each sent there. */
static void scatter_pass(nu_ctx *c, int w, int write) {
  int64_t r0 = w * c->chunk, r1 = r0 + c->chunk < c->rows ? r0 + c->chunk : c->rows;
  int64_t *h = c->hist + (size_t)w * (size_t)c->nparts;
  uint64_t buf[WEFT_HASH_BLOCK];
  for (int64_t b = r0; b < r1; b += WEFT_HASH_BLOCK) {
    size_t n = (size_t)(r1 - b < WEFT_HASH_BLOCK ? r1 - b : WEFT_HASH_BLOCK);
    pairs_of(c, b, n, buf);
    const int32_t *gid = c->gid + b;
    if (c->gshift >= 0 && !write)
      for (size_t i = 0; i < n; i++) h[gid[i] >> c->gshift]++;
    else if (c->gshift >= 0)
      for (size_t i = 0; i < n; i++) c->pairs[h[gid[i] >> c->gshift]++] = buf[i];
    else if (!write)
      for (size_t i = 0; i < n; i++) h[part_of(c, buf[i])]++;
    else
      for (size_t i = 0; i < n; i++) c->pairs[h[part_of(c, buf[i])]++] = buf[i];
  }
}

/* Pass 3: the distinct pairs of each part taken, counted per group. */
static void distinct_pass(nu_ctx *c) {
  int64_t most = 0;
  for (int64_t p = 0; p < c->nparts; p++) {
    int64_t n = c->part_start[p + 1] - c->part_start[p];
    most = n > most ? n : most;
  }
  uint64_t cap = 16;
  while (cap < (uint64_t)most * 2) cap <<= 1;
  uint64_t *set = weft__malloc(cap * sizeof *set);
  if (!set) {
    atomic_store(&c->failed, 1);
    return;
  }
  for (;;) {
    int64_t p = atomic_fetch_add(&c->next, 1);
    if (p >= c->nparts) break;
    const uint64_t *x = c->pairs + c->part_start[p];
    int64_t n = c->part_start[p + 1] - c->part_start[p];
    uint64_t size = 16;
    while (size < (uint64_t)n * 2) size <<= 1;
    uint64_t mask = size - 1;
    memset(set, 0xFF, size * sizeof *set);
    for (int64_t i = 0; i < n; i++) {
      uint64_t k = x[i];
      /* the low bits of the hash: its top bits chose the part */
      uint64_t s = weft__hash_mix(k) & mask;
      while (set[s] != EMPTY && set[s] != k) s = (s + 1) & mask;
      if (set[s] == EMPTY) {
        set[s] = k;
        if (c->gshift >= 0) /* the part owns its groups */
          ((uint32_t *)c->counts)[k / c->span]++;
        else
          atomic_fetch_add_explicit(&c->counts[k / c->span], 1, memory_order_relaxed);
      }
    }
  }
  free(set);
}

static void nu_worker(void *ctx, int worker, int workers) {
  (void)workers;
  nu_ctx *c = ctx;
  if (c->pass == 3) {
    distinct_pass(c);
    return;
  }
  /* passes 0 to 2: worker w owns rows chunk w (a smaller pool runs the rest in turn) */
  for (int w = worker; w < c->workers; w += workers) {
    if (c->pass == 0) range_pass(c, w);
    else scatter_pass(c, w, c->pass == 2);
  }
}

static void run_pass(nu_ctx *c, int pass) {
  c->pass = pass;
  atomic_store(&c->next, 0);
  weft__pool_run(nu_worker, c);
}

int weft__n_unique_packed(const weft__column *in, const weft__groups *g, int64_t rows,
                          weft__column *out) {
  if (in->view.type == WEFT_TYPE_UTF8 || !g->gid || rows == 0) return 0;
  nu_ctx c = {.in = in, .gid = g->gid, .rows = rows};
  c.nulls = in->view.validity && weft__column_null_count((weft__column *)in) > 0;
  c.workers = weft__pool_size();
  if (c.workers > MAX_WORKERS) c.workers = MAX_WORKERS;
  if (c.workers < 1) c.workers = 1;
  c.chunk = (rows + c.workers - 1) / c.workers;
  int64_t lo_of[MAX_WORKERS], hi_of[MAX_WORKERS];
  c.lo_of = lo_of, c.hi_of = hi_of;
  run_pass(&c, 0);
  int64_t lo = INT64_MAX, hi = INT64_MIN;
  for (int w = 0; w < c.workers; w++) {
    lo = lo_of[w] < lo ? lo_of[w] : lo;
    hi = hi_of[w] > hi ? hi_of[w] : hi;
  }
  if (lo > hi) lo = hi = 0; /* every value null */
  /* span: the values' range and the null; the pairs must fit below 2^63 */
  uint64_t range = (uint64_t)hi - (uint64_t)lo;
  if (range >= ((uint64_t)1 << 40)) return 0;
  c.span = range + 2;
  uint64_t ng = (uint64_t)(g->ngroups ? g->ngroups : 1);
  if (ng > (((uint64_t)1 << 63) / c.span)) return 0;
  c.lo = lo;
  while (c.bits < 12 && ((int64_t)1 << c.bits) * PART_ROWS < rows) c.bits++;
  c.nparts = (int64_t)1 << c.bits;
  c.gshift = -1;
  if ((int64_t)ng >= c.nparts * 64) { /* enough groups that a part of a range of them balances */
    c.gshift = 0;
    while (((ng - 1) >> c.gshift) >= (uint64_t)c.nparts) c.gshift++;
  }
  int ret = -1;
  c.hist = weft__calloc((size_t)c.workers * (size_t)c.nparts, sizeof *c.hist);
  c.part_start = weft__malloc((size_t)(c.nparts + 1) * sizeof *c.part_start);
  c.pairs = weft__scratch_alloc((size_t)rows * sizeof *c.pairs);
  if (!c.hist || !c.part_start || !c.pairs) goto done;
  if (weft__column_alloc(WEFT_TYPE_UINT32, g->ngroups, 0, 0, out) != WEFT_OK) goto done;
  memset((uint32_t *)out->view.values, 0, (size_t)g->ngroups * sizeof(uint32_t));
  c.counts = (_Atomic uint32_t *)out->view.values;
  run_pass(&c, 1);
  /* offsets: parts in order, within a part the workers in order */
  int64_t at = 0;
  for (int64_t p = 0; p < c.nparts; p++) {
    c.part_start[p] = at;
    for (int w = 0; w < c.workers; w++) {
      int64_t n = c.hist[(size_t)w * (size_t)c.nparts + (size_t)p];
      c.hist[(size_t)w * (size_t)c.nparts + (size_t)p] = at;
      at += n;
    }
  }
  c.part_start[c.nparts] = at;
  run_pass(&c, 2);
  run_pass(&c, 3);
  if (atomic_load(&c.failed)) {
    weft__column_release(out);
    goto done;
  }
  ret = 1;
done:
  free(c.hist), free(c.part_start);
  weft__scratch_free(c.pairs);
  return ret;
}
