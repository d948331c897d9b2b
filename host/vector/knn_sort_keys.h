/* Ascending sort of 64-bit k-NN keys in place. The k-NN paths sort a list of k keys per
 * query, per probed list and per re-rank; glibc's qsort (a merge sort through a comparison
 * callback) took a quarter of an IVF-PQ search with refine. */
#ifndef WEFT_HOST_KNN_SORT_KEYS_H
#define WEFT_HOST_KNN_SORT_KEYS_H

#include <stddef.h>
#include <stdint.h>

void weft__sort_keys(uint64_t *a, size_t n);

#endif
