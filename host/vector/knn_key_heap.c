/* Quicksort with a median-of-three pivot and Hoare's partition (equal keys, such as the
 * empty slots' all-ones, split evenly rather than piling up on one side), insertion sort
 * below 24 keys, and a heap sort once the depth passes 2 log2 n: O(n log n) on any input.
 * The selection is the same partition down one side only. */
#include "vector/knn_key_heap.h"

#define SMALL 24

static void insertion(uint64_t *a, size_t n) {
  for (size_t i = 1; i < n; i++) {
    uint64_t v = a[i];
    size_t j = i;
    while (j > 0 && a[j - 1] > v) {
      a[j] = a[j - 1];
      j--;
    }
    a[j] = v;
  }
}

static void heap_sort(uint64_t *a, size_t n) {
  weft__keys_heapify(a, n);
  for (size_t end = n; end-- > 1;) {
    uint64_t t = a[0];
    a[0] = a[end];
    a[end] = t;
    weft__keys_sift_down(a, end, 0);
  }
}

static void swap(uint64_t *x, uint64_t *y) {
  uint64_t t = *x;
  *x = *y;
  *y = t;
}

/* a[0..n) (n > 2) split around a median-of-three pivot, which ends at the index returned:
 * a[0..j) <= a[j] <= a[j+1..n). */
static size_t partition(uint64_t *a, size_t n) {
  /* median of first, middle, last into a[0] as the pivot */
  size_t mid = n / 2;
  if (a[mid] < a[0]) swap(&a[mid], &a[0]);
  if (a[n - 1] < a[0]) swap(&a[n - 1], &a[0]);
  if (a[n - 1] < a[mid]) swap(&a[n - 1], &a[mid]);
  swap(&a[0], &a[mid]);
  const uint64_t p = a[0];
  size_t i = 0, j = n;
  for (;;) { /* Hoare: a[0..j] <= p <= a[j+1..n) */
    do i++; while (i < n && a[i] < p);
    do j--; while (a[j] > p);
    if (i >= j) break;
    swap(&a[i], &a[j]);
  }
  swap(&a[0], &a[j]);
  return j;
}

static int depth_of(size_t n) {
  int depth = 0;
  for (size_t m = n; m > 1; m >>= 1) depth += 2;
  return depth;
}

static void sort_range(uint64_t *a, size_t n, int depth) {
  while (n > SMALL) {
    if (depth-- == 0) {
      heap_sort(a, n);
      return;
    }
    size_t j = partition(a, n);
    /* recurse into the smaller side, loop on the larger: stack depth O(log n) */
    size_t left = j, right = n - j - 1;
    if (left < right) {
      sort_range(a, left, depth);
      a += j + 1;
      n = right;
    } else {
      sort_range(a + j + 1, right, depth);
      n = left;
    }
  }
  insertion(a, n);
}

void weft__sort_keys(uint64_t *a, size_t n) { sort_range(a, n, depth_of(n)); }

void weft__select_keys(uint64_t *a, size_t n, size_t k) {
  size_t lo = 0, hi = n; /* a[0..lo) <= a[lo..hi) <= a[hi..n), lo <= k <= hi */
  int depth = depth_of(n);
  while (hi - lo > SMALL) {
    if (depth-- == 0) {
      heap_sort(a + lo, hi - lo);
      return;
    }
    size_t j = lo + partition(a + lo, hi - lo);
    if (j == k || j + 1 == k) return;
    if (j > k) hi = j;
    else lo = j + 1;
  }
  insertion(a + lo, hi - lo);
}
