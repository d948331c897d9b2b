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

struct weft_exec;

#define WEFT_JOIN_BLOCK WEFT_HASH_BLOCK /* rows whose keys are converted and hashed at once */

/* The key columns of one side. */
typedef struct weft__join_keys {
  size_t n;
  const weft__column *const *cols;
  int single_word; /* one non-utf8 key: the word itself is compared, no hash needed */
  /* Bit k: key k is uint64 against a signed key on the other side (or the reverse), so a word
   * with its top bit set (>= 2^63, or negative) equals no key there: such rows never match
   * (weft__join_sign_guards). */
  uint64_t sign_guard;
} weft__join_keys;

/* Sets both sides' sign_guard from their key types; fails past 64 keys when one is needed. */
weft_status weft__join_sign_guards(weft__join_keys *left, weft__join_keys *right);

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

/* An inner or left join grouped by the left join keys (unique, never null on the left) into
 * lens and counts of right columns, without listing the join's rows (join_group.c): the
 * left rows in order with their counts. *out NULL (WEFT_OK) for any other shape. */
weft_status weft__join_group_count(weft_exec *exec, const weft_table *left, const weft_table *right,
                                   size_t nkeys, const char *const *left_on,
                                   const weft__column *const *lcols,
                                   const weft__column *const *rkeys, weft_join_kind kind,
                                   const weft_table *join_proto, const weft__column *const *rcols,
                                   size_t nright, size_t ngroup_keys,
                                   const char *const *group_keys, size_t naggs,
                                   const weft_agg *aggs, const weft_table *proto, weft_table **out);

weft_status weft__join_build(const weft__join_keys *right, int64_t rows, weft__join_table *out);
/* The direct table only: out->direct NULL (WEFT_OK) when the keys do not allow one. */
weft_status weft__join_build_direct(const weft__join_keys *right, int64_t rows,
                                    weft__join_table *out);
/* 1 when no two rows of the hash table `t` (built on `keys`) have equal keys. */
int weft__join_keys_unique(const weft__join_table *t, const weft__join_keys *keys);
void weft__join_table_free(weft__join_table *t);

/* Kinds without flags, and the flags (weft.h). */
#define WEFT__JOIN_KIND(k) ((weft_join_kind)((int)(k) & 0xff))
#define WEFT__JOIN_FLAGS(k) ((int)(k) & ~0xff)

/* One output column of a join: side 0 (left) or 1 (right) column `col`, or side 2, a full
 * join's coalesced key: left column `col`, else right column `col2`, as `type`. */
typedef struct weft__join_out {
  char *name;
  int side;
  size_t col, col2;
  weft_type type;
} weft__join_out;

/* The output columns of a join of `kind` (no flags) over key indexes lidx / ridx, as Polars
 * lays them out (join_layout.c); fails on a name that appears twice even with the suffix,
 * or on a coalesced key pair with no common type. */
weft_status weft__join_layout(const weft_table *left, const weft_table *right, size_t nkeys,
                              const char *const *left_on, const char *const *right_on,
                              const size_t *lidx, const size_t *ridx, weft_join_kind kind,
                              int coalesce, const char *suffix, weft__join_out **out,
                              size_t *nout);
void weft__join_layout_free(weft__join_out *cols, size_t n);
/* The same from the key names and a kind with its flags (the planner's view of a join). */
weft_status weft__join_layout_of(const weft_table *left, const weft_table *right, size_t nkeys,
                                 const char *const *left_on, const char *const *right_on,
                                 weft_join_kind kind_flags, const char *suffix,
                                 weft__join_out **out, size_t *nout);
/* Whether a join of `kind` with these flags merges its key columns (Polars' coalesce). */
int weft__join_coalesces(weft_join_kind kind, int flags);

/* A growing list of output rows: left[i] with right[i] (right NULL for semi / anti). */
typedef struct weft__join_pairs {
  int64_t *left, *right;
  size_t n, cap;
} weft__join_pairs;

#define WEFT__JOIN_PROBE_ROWS ((size_t)16384) /* probe rows per partition */

/* The CPU probes (join_probe.c), scheduled on the CPU pool with the report in `exec`.
 * probe_left: the table is over `build` (the right side); each partition of the `probe`
 * rows (the left side) lists its pairs for `kind` (inner, left, semi, anti) in parts[row0 /
 * WEFT__JOIN_PROBE_ROWS]; with `match` and `mask` set and a direct table, every probe row's
 * build row (-1: none) is written to match and its output bit to mask instead.
 * probe_right: the table is over the left side, probed by the right rows: for semi and anti
 * matched[l] is set for each left row that has a match; else each partition lists its
 * (left, right) pairs in right order (order them with weft__join_order_by_left). */
weft_status weft__join_probe_cpu(struct weft_exec *exec, weft_join_kind kind, int build_left,
                             const weft__join_keys *probe_keys, int64_t probe_rows,
                             const weft__join_keys *build_keys, const weft__join_table *table,
                             weft__join_pairs *parts, int64_t *match, uint8_t *mask,
                             uint8_t *matched);

/* Semi / anti with the table on the left and one non-utf8 key (join_exists.c): matched[l] =
 * whether some right row has left row l's key, by a set of the left keys that the right rows
 * probe on the CPU pool. */
weft_status weft__join_exists(struct weft_exec *exec, const weft__join_keys *lk, int64_t lrows,
                              const weft__join_keys *rk, int64_t rrows, uint8_t *matched);

/* The pairs of `parts` (in right order) put in left order, stable (join_order.c); with
 * left_outer, each of the `lrows` left rows without a pair gets (l, -1) in its place.
 * *left and *right are scratch blocks. */
weft_status weft__join_order_by_left(const weft__join_pairs *parts, size_t nparts, int64_t lrows,
                                     int left_outer, int64_t **left, int64_t **right, size_t *n);
/* The pairs of `parts` joined in partition order into scratch blocks. */
weft_status weft__join_concat(const weft__join_pairs *parts, size_t nparts, int pairs,
                              int64_t **left, int64_t **right, size_t *n);
/* Appends (-1, r) for each of the `rrows` right rows that no pair names, in right order (a
 * full join's tail); the blocks are replaced. */
weft_status weft__join_append_unmatched(int64_t rrows, int64_t **left, int64_t **right, size_t *n);
/* Every (l, r) of a cross join, left row by left row. */
weft_status weft__join_cross_rows(int64_t lrows, int64_t rrows, int64_t **left, int64_t **right,
                                  size_t *n);
/* A coalesced key column: per output row, src_left[lrows[i]] when lrows[i] >= 0, else
 * src_right[rrows[i]] when rrows[i] >= 0, else null; as `type` (join_coalesce.c). */
weft_status weft__join_coalesce_keys(const weft__column *src_left, const weft__column *src_right,
                                     const int64_t *lrows, const int64_t *rrows, int64_t n,
                                     weft_type type, weft__column *dst);

/* dst[i] = src[rows[i]] for i in [0, n), row -1 giving null; every type. `dst` is a fresh
 * column made here (validity only when some output row is null). Runs on the CPU pool. */
weft_status weft__join_gather(const weft__column *src, const int64_t *rows, int64_t n,
                              int may_have_minus_one, weft__column *dst);

#endif
