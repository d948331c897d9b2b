/* A bounded max-heap of the k best hits, the worst on top: a key that does not beat the top
 * costs one comparison, so the pairs' lists need no sorting first (sorting k * refine keys
 * per pair took a fifth of an IVF-PQ search). Ties in distance go to the smaller id, as in
 * the exact index, and ids are unique, so the k kept are one set whatever the input order. */
#include "vector/ivf_merge.h"

#include "core/backend_impl.h"

static int worse(const weft__ivf_hit *x, const weft__ivf_hit *y) {
  return x->d > y->d || (x->d == y->d && x->id > y->id);
}

static void sift_down(weft__ivf_hit *h, size_t n, size_t i) {
  weft__ivf_hit v = h[i];
  for (;;) {
    size_t l = 2 * i + 1, m = l;
    if (l >= n) break;
    if (l + 1 < n && worse(&h[l + 1], &h[l])) m = l + 1;
    if (!worse(&h[m], &v)) break;
    h[i] = h[m];
    i = m;
  }
  h[i] = v;
}

static void sift_up(weft__ivf_hit *h, size_t i) {
  weft__ivf_hit v = h[i];
  while (i > 0 && worse(&v, &h[(i - 1) / 2])) {
    h[i] = h[(i - 1) / 2];
    i = (i - 1) / 2;
  }
  h[i] = v;
}

void weft__ivf_hits_offer(weft__ivf_hit *h, size_t k, size_t *n, weft__ivf_hit c) {
  if (*n < k) {
    h[*n] = c;
    sift_up(h, (*n)++);
  } else if (worse(&h[0], &c)) {
    h[0] = c;
    sift_down(h, k, 0);
  }
}

void weft__ivf_hits_sort(weft__ivf_hit *heap, size_t n) {
  for (size_t j = n; j-- > 0;) { /* the worst left goes to the last free slot */
    weft__ivf_hit top = heap[0];
    heap[0] = heap[j];
    sift_down(heap, j, 0);
    heap[j] = top;
  }
}

size_t weft__ivf_merge(size_t k, size_t n, uint32_t *rd, int64_t *rid, uint64_t *rloc,
                       const weft__ivf_pair_keys *pairs, size_t r, weft__ivf_hit *heap) {
  if (k == 0) return 0;
  size_t have = 0;
  for (size_t i = 0; i < n; i++) weft__ivf_hits_offer(heap, k, &have, (weft__ivf_hit){rd[i], rid[i], rloc ? rloc[i] : 0});
  for (size_t j = 0; j < r; j++) {
    const uint64_t *keys = pairs[j].keys;
    const weft__ivf_list *l = pairs[j].list;
    for (size_t e = 0; e < k; e++) {
      uint64_t key = keys[e];
      if (key == WEFT_KNN_EMPTY) continue;
      const uint32_t d = (uint32_t)(key >> 32), pos = (uint32_t)key;
      if (have == k && d > heap[0].d) continue; /* the common case: not even a tie */
      weft__ivf_hits_offer(heap, k, &have, (weft__ivf_hit){d, l->ids[pos], ((uint64_t)pairs[j].list_index << 32) | pos});
    }
  }
  weft__ivf_hits_sort(heap, have);
  for (size_t i = 0; i < have; i++) {
    rd[i] = heap[i].d;
    rid[i] = heap[i].id;
    if (rloc) rloc[i] = heap[i].loc;
  }
  return have;
}
