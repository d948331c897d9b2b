/* Lists of 64-bit k-NN keys (knn_keys.h: orderable distance << 32 | position): the max-heap
 * a scan keeps of its k best (the worst on top, the bar a new key must beat), the sort
 * that orders a list at the end, and the selection of a list's k best (the IVF-PQ scan's
 * candidates). The exact scan, the IVF-PQ scan and the sort share them. */
#ifndef WEFT_HOST_KNN_KEY_HEAP_H
#define WEFT_HOST_KNN_KEY_HEAP_H

#include <stddef.h>
#include <stdint.h>

/* Key i of a max-heap of k keys moved down to its place. */
static inline void weft__keys_sift_down(uint64_t *h, size_t k, size_t i) {
  for (;;) {
    size_t l = 2 * i + 1, r = l + 1, m = i;
    if (l < k && h[l] > h[m]) m = l;
    if (r < k && h[r] > h[m]) m = r;
    if (m == i) return;
    uint64_t t = h[i];
    h[i] = h[m];
    h[m] = t;
    i = m;
  }
}

/* k keys made a max-heap. */
static inline void weft__keys_heapify(uint64_t *h, size_t k) {
  for (size_t i = k / 2; i-- > 0;) weft__keys_sift_down(h, k, i);
}

/* Ascending sort in place. glibc's qsort (a merge sort through a comparison callback) took
 * a quarter of an IVF-PQ search with refine. */
void weft__sort_keys(uint64_t *a, size_t n);
/* The k smallest of a[0..n) moved to a[0..k), in no particular order (k <= n). */
void weft__select_keys(uint64_t *a, size_t n, size_t k);

#endif
