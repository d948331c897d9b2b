/* Radix sort of (key, row) pairs on the CPU pool, 8 bits a pass. A pass counts the digits
 * of every chunk in parallel, turns the counts into each chunk's output positions, and
 * scatters the chunks in parallel; chunks scattered in chunk order keep it stable. Passes
 * whose digit is the same for every key are skipped.
 *
 * Large inputs: the first pass scatters by the highest varying digit (MSD) into 256 buckets,
 * then each bucket is sorted on its own by one thread: split again by the next digit while
 * it is larger than the cache, then by LSD passes over the lower digits in cache, instead
 * of every pass streaming the whole array through memory. Every step is stable, so the
 * whole is. */
#include "sort_radix.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "../thread_pool.h"
#include "../scratch.h"

#define MAX_CHUNKS 64

typedef struct radix_ctx {
  int64_t n, chunk;
  int nchunks, shift;
  const uint64_t *src_k;
  const int64_t *src_i;
  uint64_t *dst_k;
  int64_t *dst_i;
  size_t (*hist)[256]; /* per chunk: counts, then output positions */
  _Atomic int next;
  int scatter;
} radix_ctx;

static void radix_worker(void *ctx, int worker, int workers) {
  (void)worker, (void)workers;
  radix_ctx *c = ctx;
  for (;;) {
    int ch = atomic_fetch_add(&c->next, 1);
    if (ch >= c->nchunks) return;
    int64_t r0 = (int64_t)ch * c->chunk, r1 = r0 + c->chunk < c->n ? r0 + c->chunk : c->n;
    size_t *h = c->hist[ch];
    int s = c->shift;
    if (!c->scatter) {
      memset(h, 0, 256 * sizeof *h);
      for (int64_t i = r0; i < r1; i++) h[(c->src_k[i] >> s) & 255]++;
    } else {
      for (int64_t i = r0; i < r1; i++) {
        uint64_t k = c->src_k[i];
        size_t at = h[(k >> s) & 255]++;
        c->dst_k[at] = k;
        c->dst_i[at] = c->src_i[i];
      }
    }
  }
}

static void run(radix_ctx *c, int scatter) {
  c->scatter = scatter;
  atomic_store(&c->next, 0);
  if (c->nchunks == 1) radix_worker(c, 0, 1);
  else weft__pool_run(radix_worker, c);
}

/* Buckets up to this many pairs (1 MB of them) are sorted by LSD passes in cache; larger
 * ones (a skewed digit: float keys crowd a few exponents) are split by one more MSD digit. */
#define CACHED_PAIRS ((int64_t)1 << 16)

/* Counts the digit at `shift` of k[0, n) into h and turns the counts into positions. */
static void digit_positions(const uint64_t *k, int64_t n, int shift, size_t h[256]) {
  memset(h, 0, 256 * sizeof *h);
  for (int64_t i = 0; i < n; i++) h[(k[i] >> shift) & 255]++;
  size_t at = 0;
  for (int d = 0; d < 256; d++) {
    size_t c = h[d];
    h[d] = at;
    at += c;
  }
}

static void scatter(const uint64_t *k, const int64_t *r, uint64_t *dk, int64_t *dr, int64_t n,
                    int shift, size_t h[256]) {
  for (int64_t i = 0; i < n; i++) {
    size_t to = h[(k[i] >> shift) & 255]++;
    dk[to] = k[i];
    dr[to] = r[i];
  }
}

/* Sorts the pairs (sk, si)[0, n) by their bits below `top`, stably, with (bk, bi)[0, n) as
 * the other array; the result ends in b when `into_b`, else in s. */
static void sort_range(uint64_t *sk, int64_t *si, uint64_t *bk, int64_t *bi, int64_t n, int top,
                       int into_b) {
  if (n < 2 || top <= 0) {
    if (into_b && n > 0) {
      memcpy(bk, sk, (size_t)n * sizeof *bk);
      memcpy(bi, si, (size_t)n * sizeof *bi);
    }
    return;
  }
  uint64_t all_or = 0, all_and = ~(uint64_t)0;
  for (int64_t i = 0; i < n; i++) all_or |= sk[i], all_and &= sk[i];
  uint64_t varies = (all_or ^ all_and) & (top >= 64 ? ~(uint64_t)0 : ((uint64_t)1 << top) - 1);
  size_t h[256];
  int hi = -1; /* the highest varying digit */
  for (int s = 0; s < top; s += 8)
    if ((varies >> s) & 255) hi = s;
  if (hi < 0) { /* every key alike below top: already in order */
    sort_range(sk, si, bk, bi, n, 0, into_b);
    return;
  }
  if (n > CACHED_PAIRS && hi > 0) { /* split by it, then each part below it */
    int shift = hi;
    digit_positions(sk, n, shift, h);
    size_t start[257];
    memcpy(start, h, sizeof start[0] * 256);
    start[256] = (size_t)n;
    scatter(sk, si, bk, bi, n, shift, h);
    for (int d = 0; d < 256; d++) {
      size_t lo = start[d], m = start[d + 1] - lo;
      sort_range(bk + lo, bi + lo, sk + lo, si + lo, (int64_t)m, shift, !into_b);
    }
    return;
  }
  uint64_t *k = sk, *dk = bk;
  int64_t *r = si, *dr = bi;
  for (int s = 0; s < top; s += 8) {
    if (!((varies >> s) & 255)) continue;
    digit_positions(k, n, s, h);
    scatter(k, r, dk, dr, n, s, h);
    uint64_t *t = k; k = dk; dk = t;
    int64_t *u = r; r = dr; dr = u;
  }
  uint64_t *want_k = into_b ? bk : sk;
  int64_t *want_i = into_b ? bi : si;
  if (k != want_k) {
    memcpy(want_k, k, (size_t)n * sizeof *k);
    memcpy(want_i, r, (size_t)n * sizeof *r);
  }
}

typedef struct bucket_ctx {
  uint64_t *tk, *keys;
  int64_t *ti, *rows;
  const size_t *start; /* 257 bucket starts */
  int top;
  _Atomic int next;
} bucket_ctx;

static void bucket_worker(void *ctx, int worker, int workers) {
  (void)worker, (void)workers;
  bucket_ctx *c = ctx;
  for (;;) {
    int b = atomic_fetch_add(&c->next, 1);
    if (b >= 256) return;
    size_t lo = c->start[b], n = c->start[b + 1] - lo;
    sort_range(c->tk + lo, c->ti + lo, c->keys + lo, c->rows + lo, (int64_t)n, c->top, 1);
  }
}

/* Below this many pairs the LSD passes over the whole array are cheap enough. */
#define MSD_MIN_ROWS ((int64_t)1 << 18)

int weft__radix_sort(uint64_t *keys, int64_t *rows, int64_t n, int bytes) {
  if (n < 2) return 1;
  uint64_t *tk = weft__scratch_alloc((size_t)n * sizeof *tk);
  int64_t *ti = weft__scratch_alloc((size_t)n * sizeof *ti);
  int nchunks = weft__pool_size() * 2;
  if (nchunks > MAX_CHUNKS) nchunks = MAX_CHUNKS;
  if (n < ((int64_t)1 << 16)) nchunks = 1;
  size_t (*hist)[256] = malloc((size_t)nchunks * sizeof *hist);
  if (!tk || !ti || !hist) {
    weft__scratch_free(tk), weft__scratch_free(ti), free(hist);
    return 0;
  }
  /* Which digits vary: one pass over the keys. */
  uint64_t all_or = 0, all_and = ~(uint64_t)0;
  for (int64_t i = 0; i < n; i++) all_or |= keys[i], all_and &= keys[i];
  uint64_t varies = all_or ^ all_and;
  radix_ctx c = {.n = n, .chunk = (n + nchunks - 1) / nchunks, .nchunks = nchunks, .hist = hist};
  int top = -1, varying = 0;
  for (int s = 0; s < bytes * 8; s += 8)
    if ((varies >> s) & 255) top = s, varying++;
  if (n >= MSD_MIN_ROWS && varying > 1) {
    /* the MSD pass into tk / ti, then the buckets back into keys / rows */
    c.shift = top, c.src_k = keys, c.src_i = rows, c.dst_k = tk, c.dst_i = ti;
    run(&c, 0);
    size_t start[257], at = 0;
    for (int d = 0; d < 256; d++) {
      start[d] = at;
      for (int ch = 0; ch < nchunks; ch++) {
        size_t cnt = hist[ch][d];
        hist[ch][d] = at;
        at += cnt;
      }
    }
    start[256] = at;
    run(&c, 1);
    bucket_ctx b = {.tk = tk, .keys = keys, .ti = ti, .rows = rows, .start = start, .top = top};
    atomic_init(&b.next, 0);
    weft__pool_run(bucket_worker, &b);
    weft__scratch_free(tk), weft__scratch_free(ti), free(hist);
    return 1;
  }
  uint64_t *k = keys, *ok = tk;
  int64_t *r = rows, *orr = ti;
  for (int pass = 0; pass < bytes; pass++) {
    c.shift = pass * 8;
    if (!((varies >> c.shift) & 255)) continue;
    c.src_k = k, c.src_i = r, c.dst_k = ok, c.dst_i = orr;
    run(&c, 0);
    size_t at = 0;
    for (int d = 0; d < 256; d++)
      for (int ch = 0; ch < nchunks; ch++) {
        size_t cnt = hist[ch][d];
        hist[ch][d] = at;
        at += cnt;
      }
    run(&c, 1);
    uint64_t *tkk = k; k = ok; ok = tkk;
    int64_t *tii = r; r = orr; orr = tii;
  }
  if (k != keys) {
    memcpy(keys, k, (size_t)n * sizeof *keys);
    memcpy(rows, r, (size_t)n * sizeof *rows);
  }
  weft__scratch_free(tk), weft__scratch_free(ti), free(hist);
  return 1;
}
