/* Hashing and equality of key rows over one or more columns of any type, for group_by,
 * unique (and joins). A null is a value of its own here: null equals null, as group_by and
 * unique need (a join, where null never matches, checks validity itself).
 *
 * Non-utf8 values are reduced to 64-bit words: integers, dates and timestamps as int64
 * (so widths do not matter), bool as 0/1, floats with -0.0 made 0.0 and every NaN one NaN,
 * as Polars groups them. utf8 values are hashed and compared by bytes. */
#ifndef WEFT_HOST_FRAME_HASH_KEYS_H
#define WEFT_HOST_FRAME_HASH_KEYS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "frame/table/table.h"

#define WEFT_HASH_BLOCK 1024 /* rows hashed at once by weft__hash_rows */
#define WEFT_HASH_NULL 0x5bd1e9955bd1e995ULL /* the hash of a null (one-column rows) */

/* A 64-bit finalizer (MurmurHash3's): inline, it runs once a row in every hash loop. */
static inline uint64_t weft__hash_mix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}
/* The first min(len, 8) bytes of p, zero-padded, as a little-endian word: fixed-size loads
 * only (a variable-length memcpy is a call, and its byte stores stall the load after it). */
static inline uint64_t weft__prefix8(const char *p, size_t len) {
  uint64_t w = 0;
  if (len >= 8) {
    memcpy(&w, p, 8);
  } else if (len >= 4) { /* two overlapping 4-byte loads cover the bytes exactly */
    uint32_t lo, hi;
    memcpy(&lo, p, 4);
    memcpy(&hi, p + len - 4, 4);
    w = (uint64_t)lo | (uint64_t)hi << (8 * (len - 4));
  } else if (len > 0) {
    w = (uint64_t)(uint8_t)p[0] | (uint64_t)(uint8_t)p[len >> 1] << (8 * (len >> 1)) |
        (uint64_t)(uint8_t)p[len - 1] << (8 * (len - 1));
  }
  return w;
}
uint64_t weft__hash_bytes_long(const char *p, size_t len); /* len > 8 */
/* The hash of a string; short keys (flags, codes) are common: one mix, inline. */
static inline uint64_t weft__hash_bytes(const char *p, size_t len) {
  if (len <= 8) return weft__hash_mix(weft__prefix8(p, len) ^ ((len + 1) * 0x9e3779b97f4a7c15ULL));
  return weft__hash_bytes_long(p, len);
}
/* The word of row `row` (relative to the view) of a non-utf8 column; nulls not looked at. */
uint64_t weft__key_word(const weft_column_view *v, int64_t row);
/* out[i] = the word of row row0 + i of a non-utf8 column (nulls not looked at). */
void weft__key_words(const weft_column_view *v, int64_t row0, size_t n, uint64_t *out);
/* out[i] = hash of key row row0 + i over all columns, for i in [0, n), n <= WEFT_HASH_BLOCK.
 * A null hashes as a fixed value of its own; a one-column row hashes as
 * weft__hash_mix(its word) (utf8: weft__hash_bytes) or WEFT_HASH_NULL. */
void weft__hash_rows(const weft__column *const *cols, size_t ncols, int64_t row0, size_t n,
                     uint64_t *out);
/* True when key row `a` of `ca` equals key row `b` of `cb` (same column types; null == null). */
int weft__key_rows_equal(const weft__column *const *ca, int64_t a, const weft__column *const *cb,
                         int64_t b, size_t ncols);

#endif
