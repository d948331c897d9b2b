/* A bounded max-heap of the k best hits, the worst on top: a key that does not beat the top
 * costs one comparison, so the pairs' lists need no sorting first (sorting k * refine keys
 * per pair took a fifth of an IVF-PQ search). Ties in distance go to the smaller id, as in
 * the exact index, and ids are unique, so the k kept are one set whatever the input order.
 * Refine's candidates (k * refine of them, re-ranked after, so their order does not matter)
 * are kept as a set instead: a buffer of 2k cut back to the k best by a selection when full;
 * the heap's sift per candidate and its final sort had taken a quarter of a refined search. */
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

static void swap_hits(weft__ivf_hit *h, size_t a, size_t b) {
  weft__ivf_hit t = h[a];
  h[a] = h[b];
  h[b] = t;
}

/* The k best of h[0..n) (k < n) moved to h[0..k), in no particular order: a quickselect on
 * (distance, id), a total order (ids are unique), so the k are one set whatever the input
 * order. */
static void select_best(weft__ivf_hit *h, size_t n, size_t k) {
  size_t lo = 0, hi = n; /* [0, lo) are among the k best, [hi, n) are not; lo <= k <= hi */
  while (hi - lo > 1) {
    size_t mid = lo + (hi - lo) / 2, last = hi - 1;
    if (worse(&h[lo], &h[mid])) swap_hits(h, lo, mid); /* median of three, then to the end */
    if (worse(&h[mid], &h[last])) swap_hits(h, mid, last);
    if (worse(&h[lo], &h[mid])) swap_hits(h, lo, mid);
    swap_hits(h, mid, last);
    size_t store = lo;
    for (size_t i = lo; i < last; i++)
      if (worse(&h[last], &h[i])) swap_hits(h, i, store++);
    swap_hits(h, store, last); /* the pivot: [lo, store) better, (store, hi) worse */
    if (store + 1 == k) return;
    if (store >= k) hi = store;
    else lo = store + 1;
  }
}

/* The worst of h[0..n). */
static weft__ivf_hit worst_of(const weft__ivf_hit *h, size_t n) {
  weft__ivf_hit w = h[0];
  for (size_t i = 1; i < n; i++)
    if (worse(&h[i], &w)) w = h[i];
  return w;
}

/* weft__ivf_merge for refine: the k best as a set, in no order. */
static size_t merge_set(size_t k, size_t n, uint32_t *rd, int64_t *rid, uint64_t *rloc,
                        const weft__ivf_pair_keys *pairs, size_t r, weft__ivf_hit *buf) {
  size_t have = 0;
  int full = 0; /* once cut back: bar is the k-th best so far, and only better ones enter */
  weft__ivf_hit bar = {0, 0, 0};
  for (size_t i = 0; i < n; i++) buf[have++] = (weft__ivf_hit){rd[i], rid[i], rloc[i]};
  for (size_t j = 0; j < r; j++) {
    const uint64_t *keys = pairs[j].keys;
    const weft__ivf_list *l = pairs[j].list;
    for (size_t e = 0; e < k; e++) {
      uint64_t key = keys[e];
      if (key == WEFT_KNN_EMPTY) continue;
      const uint32_t d = (uint32_t)(key >> 32), pos = (uint32_t)key;
      if (full && d > bar.d) continue;
      weft__ivf_hit c = {d, l->ids[pos], ((uint64_t)pairs[j].list_index << 32) | pos};
      if (full && worse(&c, &bar)) continue;
      buf[have++] = c;
      if (have == 2 * k) {
        select_best(buf, have, k);
        have = k;
        bar = worst_of(buf, k);
        full = 1;
      }
    }
  }
  if (have > k) select_best(buf, have, k), have = k;
  for (size_t i = 0; i < have; i++) rd[i] = buf[i].d, rid[i] = buf[i].id, rloc[i] = buf[i].loc;
  return have;
}

size_t weft__ivf_merge(size_t k, size_t n, uint32_t *rd, int64_t *rid, uint64_t *rloc,
                       const weft__ivf_pair_keys *pairs, size_t r, weft__ivf_hit *heap) {
  if (k == 0) return 0;
  if (rloc) return merge_set(k, n, rd, rid, rloc, pairs, r, heap);
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
