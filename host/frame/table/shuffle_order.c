/* weft_shuffled_rows and the keys of the seeded permutation (shuffle_order.h). */
#include "frame/table/shuffle_order.h"

#include <stdatomic.h>

#include "core/error.h"
#include "core/thread_pool.h"

void weft__shuffle_order_init(weft__shuffle_order *o, int64_t n, uint64_t seed) {
  unsigned bits = 0;
  while (bits < 63 && ((int64_t)1 << bits) < n) bits++;
  o->n = n;
  o->hi_bits = bits / 2;
  o->lo_bits = bits - o->hi_bits;
  o->lo_mask = o->lo_bits ? (~0ull >> (64 - o->lo_bits)) : 0;
  o->hi_mask = o->hi_bits ? (~0ull >> (64 - o->hi_bits)) : 0;
  /* splitmix64's stream from the seed; n is mixed in so that two sizes differ in more than
   * where the cycle walk stops. */
  uint64_t state = seed ^ weft__mix64((uint64_t)n + 0x632be59bd9b4e019ull);
  for (int r = 0; r < WEFT_SHUFFLE_ROUNDS; r++)
    o->keys[r] = weft__mix64(state += 0x9e3779b97f4a7c15ull);
}

#define WALK_CHUNK 1024

/* Few rows: Fisher-Yates, each draw an unbiased integer below i + 1 (Lemire's multiply and
 * reject) from splitmix64 seeded by the first key. */
static void small_rows(const weft__shuffle_order *o, int64_t p0, int64_t len, int64_t *rows) {
  int64_t perm[WEFT_SHUFFLE_SMALL];
  uint64_t state = o->keys[0];
  for (int64_t i = 0; i < o->n; i++) perm[i] = i;
  for (int64_t i = o->n - 1; i > 0; i--) {
    uint64_t bound = (uint64_t)i + 1, threshold = -bound % bound;
    unsigned __int128 m;
    do m = (unsigned __int128)weft__mix64(state += 0x9e3779b97f4a7c15ull) * bound;
    while ((uint64_t)m < threshold);
    int64_t j = (int64_t)(m >> 64), t = perm[i];
    perm[i] = perm[j];
    perm[j] = t;
  }
  for (int64_t k = 0; k < len; k++) rows[k] = perm[p0 + k];
}

void weft__shuffle_rows(const weft__shuffle_order *o, int64_t p0, int64_t len, int64_t *rows) {
  if (o->n <= WEFT_SHUFFLE_SMALL) {
    small_rows(o, p0, len, rows);
    return;
  }
  uint32_t walking[WALK_CHUNK];
  uint64_t n = (uint64_t)o->n;
  for (int64_t c0 = 0; c0 < len; c0 += WALK_CHUNK) {
    int64_t c1 = len - c0 < WALK_CHUNK ? len : c0 + WALK_CHUNK;
    uint32_t m = 0;
    for (int64_t k = c0; k < c1; k++) {
      uint64_t x = weft__shuffle_network(o, (uint64_t)(p0 + k));
      rows[k] = (int64_t)x;
      walking[m] = (uint32_t)(k - c0);
      m += x >= n;
    }
    while (m) {
      uint32_t still = 0;
      for (uint32_t j = 0; j < m; j++) {
        int64_t k = c0 + walking[j];
        uint64_t x = weft__shuffle_network(o, (uint64_t)rows[k]);
        rows[k] = (int64_t)x;
        walking[still] = walking[j];
        still += x >= n;
      }
      m = still;
    }
  }
}

#define POOL_BLOCK 16384 /* positions one claim computes: long enough to amortise the claim */

typedef struct rows_ctx {
  const weft__shuffle_order *order;
  int64_t p0, len;
  int64_t *rows;
  _Atomic int64_t next;
} rows_ctx;

static void rows_worker(void *ctx, int worker, int workers) {
  (void)worker, (void)workers;
  rows_ctx *c = ctx;
  for (;;) {
    int64_t p = atomic_fetch_add(&c->next, POOL_BLOCK);
    if (p >= c->len) return;
    int64_t len = c->len - p < POOL_BLOCK ? c->len - p : POOL_BLOCK;
    weft__shuffle_rows(c->order, c->p0 + p, len, c->rows + p);
  }
}

void weft__shuffle_rows_pooled(const weft__shuffle_order *o, int64_t p0, int64_t len,
                               int64_t *rows) {
  if (len <= POOL_BLOCK || o->n <= WEFT_SHUFFLE_SMALL) {
    weft__shuffle_rows(o, p0, len, rows);
    return;
  }
  rows_ctx c = {.order = o, .p0 = p0, .len = len, .rows = rows};
  weft__pool_run(rows_worker, &c);
}

weft_status weft_shuffled_rows(int64_t n, uint64_t seed, int64_t start, int64_t count,
                               int64_t *rows) {
  WEFT_CHECK_ARG(n >= 0, "weft_shuffled_rows: n %lld is negative", (long long)n);
  WEFT_CHECK_ARG(start >= 0 && count >= 0 && start <= n && count <= n - start,
                 "weft_shuffled_rows: positions [%lld, %lld + %lld) are outside 0..%lld",
                 (long long)start, (long long)start, (long long)count, (long long)n);
  WEFT_CHECK_ARG(rows || count == 0, "weft_shuffled_rows: rows is NULL for count = %lld",
                 (long long)count);
  weft__shuffle_order o;
  weft__shuffle_order_init(&o, n, seed);
  weft__shuffle_rows_pooled(&o, start, count, rows);
  return WEFT_OK;
}
