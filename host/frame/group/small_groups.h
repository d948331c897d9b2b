/* Key tuples with few distinct values, held as words, for the fused filter + group_by
 * (masked_agg.c): each range of rows numbers its own groups in order of first appearance in
 * a table small enough to stay in L1, and the ranges' tables are merged in row order.
 *
 * A row's tuple is one word per key plus a word of null bits: a non-utf8 key as its
 * hash_keys.c word (so equal words are equal keys exactly as group_by groups them), a utf8
 * key of at most 7 bytes as its bytes with the length in the top byte. Longer strings do
 * not fit: the caller then runs the unfused path. */
#ifndef WEFT_HOST_FRAME_SMALL_GROUPS_H
#define WEFT_HOST_FRAME_SMALL_GROUPS_H

#include <stddef.h>
#include <stdint.h>

#include "frame/table/table.h"

#define WEFT__SMALL_GROUPS_MAX 256 /* more distinct keys than this: not worth fusing */
#define WEFT__SMALL_KEYS_MAX 8

typedef struct weft__small_groups {
  size_t W;   /* words per tuple: keys + 1 */
  int n;      /* groups so far */
  uint64_t words[WEFT__SMALL_GROUPS_MAX * (WEFT__SMALL_KEYS_MAX + 1)];
  int64_t first[WEFT__SMALL_GROUPS_MAX]; /* first row of each group */
  int16_t slot[2 * WEFT__SMALL_GROUPS_MAX]; /* open addressing: -1 empty, else a group */
} weft__small_groups;

/* 1 when a key of type t can be a word here (every type but utf8 longer than 7 bytes,
 * which is found only when encoding). */
int weft__small_key_type_ok(weft_type t);

void weft__small_groups_init(weft__small_groups *g, size_t nkeys);

/* Tuples of rows [at, at + n) into words (n x (nkeys + 1)). 0 when a utf8 value is longer
 * than 7 bytes. */
int weft__small_keys_encode(const weft__column *const *keys, size_t nkeys, int64_t at, int64_t n,
                            uint64_t *words);

/* The group of tuple w, added with first row `row` when new; -1 when the table is full.
 * Inline, with a one-multiply hash (the slot from its top bits) and a word loop instead of
 * memcmp: it runs once per kept row. */
static inline int weft__small_groups_find(weft__small_groups *g, const uint64_t *w, int64_t row) {
  enum { SLOT_BITS = 9 }; /* 2 * WEFT__SMALL_GROUPS_MAX slots */
  size_t W = g->W;
  uint64_t h = 0;
  for (size_t k = 0; k < W; k++) h = (h ^ w[k]) * 0x9e3779b97f4a7c15ULL;
  for (size_t s = (size_t)(h >> (64 - SLOT_BITS));; s = (s + 1) & ((1u << SLOT_BITS) - 1)) {
    int id = g->slot[s];
    if (id < 0) {
      if (g->n == WEFT__SMALL_GROUPS_MAX) return -1;
      id = g->n++;
      for (size_t k = 0; k < W; k++) g->words[(size_t)id * W + k] = w[k];
      g->first[id] = row;
      g->slot[s] = (int16_t)id;
      return id;
    }
    const uint64_t *gw = &g->words[(size_t)id * W];
    size_t k = 0;
    while (k < W && gw[k] == w[k]) k++;
    if (k == W) return id;
  }
}

#endif
