/* Stable radix sort of 64-bit keys carrying row numbers, parallel on the CPU pool. */
#ifndef WEFT_HOST_FRAME_SORT_RADIX_H
#define WEFT_HOST_FRAME_SORT_RADIX_H

#include <stddef.h>
#include <stdint.h>

/* Sorts keys[0..n) ascending, moving rows[] along (stable); only the low `bytes` bytes of
 * the keys are looked at. Returns 0 when out of host memory (nothing changed). */
int weft__radix_sort(uint64_t *keys, int64_t *rows, int64_t n, int bytes);

/* A column moved with the keys by weft__radix_sort_carry: dst[i] = src[the row sorted to
 * i], `width` bytes a row (1, 2, 4 or 8). src NULL: the row numbers themselves (int64).
 * dst (not overlapping src) also holds the column in the split's order on the way. */
typedef struct weft__radix_carry {
  const void *src;
  void *dst;
  int width;
} weft__radix_carry;

/* The fewest rows weft__radix_sort_carry sorts. */
#define WEFT_RADIX_CARRY_MIN_ROWS ((int64_t)1 << 18)

/* Sorts keys[0..n) ascending (stable), as weft__radix_sort, and writes each carried column
 * in that order, without a list of row numbers read at random: the columns move with the
 * keys in one parallel split, then each bucket is sorted and gathered in cache. Returns 1
 * when done, 0 out of host memory, -1 when the keys do not suit it (under
 * WEFT_RADIX_CARRY_MIN_ROWS rows, one varying digit, a split leaving one bucket too large
 * for one thread) or the carried copies do not fit in memory: nothing changed on 0 and -1. */
int weft__radix_sort_carry(uint64_t *keys, int64_t n, int bytes, size_t ncarry,
                           const weft__radix_carry *carry);

#endif
