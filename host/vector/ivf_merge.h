/* A query's IVF result merged with its newly scanned (query, list) pairs (ivf_merge.c). */
#ifndef WEFT_HOST_IVF_MERGE_H
#define WEFT_HOST_IVF_MERGE_H

#include <stddef.h>
#include <stdint.h>

#include "vector/ivf_index.h"

/* A candidate: orderable distance, id, and (refine) where its row lies: list << 32 | pos. */
typedef struct weft__ivf_hit {
  uint32_t d;
  int64_t id;
  uint64_t loc;
} weft__ivf_hit;

/* One pair's k-NN keys (orderable(d) << 32 | position in `list`, any order, empty slots
 * WEFT_KNN_EMPTY) and the list they index. */
typedef struct weft__ivf_pair_keys {
  const uint64_t *keys;
  const weft__ivf_list *list;
  uint32_t list_index;
} weft__ivf_pair_keys;

/* A bounded max-heap of the k best hits by (distance, id), the worst on top (ties to the
 * smaller id, as the exact index): `c` enters while fewer than k are held (*n counts them)
 * or when it beats the top. */
void weft__ivf_hits_offer(weft__ivf_hit *heap, size_t k, size_t *n, weft__ivf_hit c);
/* The n hits of such a heap in place, best first. */
void weft__ivf_hits_sort(weft__ivf_hit *heap, size_t n);

/* The k best by (distance, id) of a query's result so far (rd, rid, rloc: n entries) and its
 * r pairs' keys, written back best first, or with rloc (refine, whose re-rank orders them
 * itself) in no order; returns the new count. `heap` holds 2k hits of scratch. The set
 * kept does not depend on the order of the pairs or of the keys within them. */
size_t weft__ivf_merge(size_t k, size_t n, uint32_t *rd, int64_t *rid, uint64_t *rloc,
                       const weft__ivf_pair_keys *pairs, size_t r, weft__ivf_hit *heap);

#endif
