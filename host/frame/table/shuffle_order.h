/* A seeded permutation of 0..n-1 computed position by position, costing no memory: a
 * keyed Feistel network over the smallest power of two >= n, cycle-walked into [0, n).
 * Position i's row depends on (n, seed, i) alone, so any thread count, any split of the
 * positions (DataLoader workers, groups of batches) gives the same order. A network over a
 * few bits has too few distinct round functions to be uniform (over 4,000 seeds, n = 10
 * put some rows at a position 25% more often than others), so up to WEFT_SHUFFLE_SMALL rows
 * the order is a Fisher-Yates shuffle driven by splitmix64 instead, made whole each call. */
#ifndef WEFT_HOST_FRAME_SHUFFLE_ORDER_H
#define WEFT_HOST_FRAME_SHUFFLE_ORDER_H

#include <stdint.h>

/* Luby-Rackoff: 4 rounds of a good hash make a strong pseudo-random permutation. */
#define WEFT_SHUFFLE_ROUNDS 4
/* From 1,025 rows on, the network's rows per position measure uniform. */
#define WEFT_SHUFFLE_SMALL 1024

typedef struct weft__shuffle_order {
  int64_t n;
  unsigned lo_bits, hi_bits;  /* the halves of a position's bits the rounds alternate on */
  uint64_t lo_mask, hi_mask;
  uint64_t keys[WEFT_SHUFFLE_ROUNDS];
} weft__shuffle_order;

/* splitmix64's output step: a bijective mix of 64 bits. */
static inline uint64_t weft__mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

void weft__shuffle_order_init(weft__shuffle_order *o, int64_t n, uint64_t seed);

/* One pass of the network: a bijection of [0, 2^(lo_bits + hi_bits)). Each round XORs one
 * half with a keyed hash of the other, which any key keeps invertible. */
static inline uint64_t weft__shuffle_network(const weft__shuffle_order *o, uint64_t x) {
  uint64_t lo = x & o->lo_mask, hi = x >> o->lo_bits;
  for (int r = 0; r < WEFT_SHUFFLE_ROUNDS; r += 2) {
    hi ^= weft__mix64(lo ^ o->keys[r]) & o->hi_mask;
    lo ^= weft__mix64(hi ^ o->keys[r + 1]) & o->lo_mask;
  }
  return hi << o->lo_bits | lo;
}

/* The row at position i (0 <= i < n). The network maps [0, 2^bits) onto itself, fewer than
 * half of which lie past n, so repeating it until the value is below n ends after under two
 * passes on average, and stays a bijection of [0, n). */
static inline int64_t weft__shuffle_row(const weft__shuffle_order *o, int64_t i) {
  uint64_t x = (uint64_t)i;  /* (n > WEFT_SHUFFLE_SMALL: see weft__shuffle_rows) */
  do x = weft__shuffle_network(o, x);
  while (x >= (uint64_t)o->n);
  return (int64_t)x;
}

/* rows[k] = the row at position p0 + k for k < len. Past WEFT_SHUFFLE_SMALL rows, as
 * weft__shuffle_row but without its data-dependent branch: one pass over every position,
 * then passes over those still past n (a list that at least halves each time), so the CPU
 * overlaps the positions' hashes. */
void weft__shuffle_rows(const weft__shuffle_order *o, int64_t p0, int64_t len, int64_t *rows);

/* The same rows, computed in blocks on the CPU pool when len is long (each position's row
 * depends on the position alone, so the result is the same on any thread count). */
void weft__shuffle_rows_pooled(const weft__shuffle_order *o, int64_t p0, int64_t len,
                               int64_t *rows);

#endif
