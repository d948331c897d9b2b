/* Stable LSD radix sort of 64-bit keys carrying row numbers, parallel on the CPU pool. */
#ifndef WEFT_HOST_FRAME_SORT_RADIX_H
#define WEFT_HOST_FRAME_SORT_RADIX_H

#include <stdint.h>

/* Sorts keys[0..n) ascending, moving rows[] along (stable); only the low `bytes` bytes of
 * the keys are looked at. Returns 0 when out of host memory (nothing changed). */
int weft__radix_sort(uint64_t *keys, int64_t *rows, int64_t n, int bytes);

#endif
