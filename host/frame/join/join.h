/* Internals of weft_table_join shared by op_join.c, join_keys.c and join_gather.c.
 *
 * Keys are reduced to 64-bit words (integers as int64, floats with -0.0 and NaN made
 * canonical, bool as 0/1, dates and timestamps as their integers) so that left and right
 * keys of different integer widths compare by value. utf8 keys are hashed and compared by
 * bytes (hash_keys.h). weft__join_gather is also the shared weft__column_gather (gather.c). */
#ifndef WEFT_HOST_FRAME_JOIN_H
#define WEFT_HOST_FRAME_JOIN_H

#include <stddef.h>
#include <stdint.h>

#include "frame/table/hash_keys.h"
#include "frame/table/table.h"

#define WEFT_JOIN_BLOCK WEFT_HASH_BLOCK /* rows whose keys are converted and hashed at once */

/* The key columns of one side. */
typedef struct weft__join_keys {
  size_t n;
  const weft__column *const *cols;
  int single_word; /* one non-utf8 key: the word itself is compared, no hash needed */
} weft__join_keys;

/* For rows [row0, row0 + n) (n <= WEFT_JOIN_BLOCK): valid[i] = 1 when no key is null, and
 * key[i] = the word (single_word) or a hash of every key. */
void weft__join_block_keys(const weft__join_keys *keys, int64_t row0, size_t n, uint8_t *valid,
                           uint64_t *key);
/* True when every key of left row `l` equals the key of right row `r`. */
int weft__join_rows_equal(const weft__join_keys *left, int64_t l, const weft__join_keys *right,
                          int64_t r);

/* The right side's hash table: entries grouped by bucket, each bucket's rows ascending. */
typedef struct weft__join_entry {
  uint64_t key;
  int64_t row;
} weft__join_entry;

typedef struct weft__join_table {
  uint64_t mask;           /* buckets - 1 */
  uint32_t *start;         /* buckets + 1 offsets into entries */
  weft__join_entry *entries;
  /* A single-word key whose right values are unique and span a range of at most a few
   * times the rows: `direct[key - base]` is the row + 1 (0: none), one load per probe, no
   * hash and no compare. Else NULL and the buckets above are used. */
  uint32_t *direct;
  uint64_t base, span;
} weft__join_table;

/* The bucket of a key: words are mixed, hashes already are. */
static inline uint64_t weft__join_bucket(const weft__join_keys *keys, uint64_t key, uint64_t mask) {
  return (keys->single_word ? weft__hash_mix(key) : key) & mask;
}

/* The key columns of both sides (and their indexes), checked as weft_table_join checks them:
 * names exist, types can be compared, no right key twice. */
weft_status weft__join_find_keys(const weft_table *left, const weft_table *right, size_t nkeys,
                                 const char *const *left_on, const char *const *right_on,
                                 const weft__column **lcols, const weft__column **rcols,
                                 size_t *lidx, size_t *ridx);

/* A join whose output only feeds aggregations, without keys or grouped by left columns of
 * few values, in one pass over the left rows (join_agg.c). `join_proto` is the join's 0-row
 * output, `proto` the group_by's. When an inner or left join's right keys repeat, a right
 * column is utf8 or there are more groups than the pass holds, returns WEFT_OK with *out
 * NULL: the caller joins, then groups. */
weft_status weft__join_agg(weft_exec *exec, const weft_table *left, const weft_table *right,
                           size_t nkeys, const char *const *left_on, const char *const *right_on,
                           weft_join_kind kind, const weft_table *join_proto, size_t ngroup_keys,
                           const char *const *group_keys, size_t naggs, const weft_agg *aggs,
                           const weft_table *proto, weft_table **out);

weft_status weft__join_build(const weft__join_keys *right, int64_t rows, weft__join_table *out);
void weft__join_table_free(weft__join_table *t);

/* dst[i] = src[rows[i]] for i in [0, n), row -1 giving null; every type. `dst` is a fresh
 * column made here (validity only when some output row is null). Runs on the CPU pool. */
weft_status weft__join_gather(const weft__column *src, const int64_t *rows, int64_t n,
                              int may_have_minus_one, weft__column *dst);

#endif
