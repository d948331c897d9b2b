/* LSD radix sort of (key, row) pairs on the CPU pool, 8 bits a pass: each pass counts the
 * digits of every chunk in parallel, turns the counts into each chunk's output positions,
 * and scatters the chunks in parallel. LSD with chunks scattered in chunk order is stable.
 * Passes whose digit is the same for every key are skipped. */
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
