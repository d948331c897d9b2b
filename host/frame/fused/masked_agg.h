/* A filter and a group_by in one pass (masked_agg.c), for the lazy plan's filter directly
 * under a group_by without keys or with keys of few distinct values: the filtered table is
 * never built. */
#ifndef WEFT_HOST_FRAME_MASKED_AGG_H
#define WEFT_HOST_FRAME_MASKED_AGG_H

#include <stddef.h>
#include <stdint.h>

#include "frame/table/table.h"

/* 1 when weft__masked_agg computes `agg` over a table of schema `schema` as group_by does:
 * sum, mean, min, max, count of a numeric, bool, date or timestamp expression without a
 * cast (a strict cast could fail on a row the filter drops, where the unfused path never
 * looks), and len. Anything else: 0, the caller runs filter then group_by. */
int weft__masked_agg_supports(const weft_agg *agg, const weft_table *schema);

/* 1 when the key columns can be grouped by the fused pass (at most WEFT__SMALL_KEYS_MAX keys
 * of types small_groups.h holds as words). */
int weft__masked_agg_keys_ok(const weft_table *schema, size_t nkeys, const char *const *keys);

/* The group_by of the rows of `table` where `predicate` is true (null counts as false; a
 * NULL predicate keeps every row):
 * without keys one row, with keys one row per group in order of first appearance among the
 * kept rows, named and typed as in `proto` (the group_by's 0-row output: keys, then
 * aggregations). Runs on the CPU pool over fixed ranges of rows whose partials merge in row
 * order, so the result does not depend on the number of threads. When the keys have more
 * distinct values than the pass holds (WEFT__SMALL_GROUPS_MAX) or a utf8 key is longer than
 * 7 bytes, returns WEFT_OK with *out NULL: the caller runs filter and group_by instead.
 * exec may be NULL. */
weft_status weft__masked_agg(weft_exec *exec, const weft_table *table, const weft_expr *predicate,
                             size_t nkeys, const char *const *keys, size_t naggs,
                             const weft_agg *aggs, const weft_table *proto, weft_table **out);

/* Rows that come from elsewhere than one table (join_agg.c: a join's output, never built).
 * open gives a table to bind the aggregations to (one a worker, and one for the types):
 * its columns are read in place at rows [at, at + n) of each chunk, after fill has written
 * the rows of that chunk into the columns it makes (a column may be seen from a negative
 * offset, so row `at` is its first stored row) and cleared keep[i] for rows that are not
 * rows of the source. fill runs for every chunk, in parallel on different tables. */
typedef struct weft__agg_source {
  const char *name; /* the operator, for messages and the report */
  void *ctx;
  weft_status (*open)(void *ctx, weft_table **table);
  void (*fill)(void *ctx, weft_table *table, int64_t at, int64_t n, uint8_t *keep);
  void (*close)(void *ctx, weft_table *table);
} weft__agg_source;

/* The aggregations over the rows of `src`, as weft__masked_agg with no predicate: grouped by
 * `keys` (columns the source's tables read in place, not ones fill makes), typed as
 * `proto`; *out NULL when there are more groups than the pass holds. */
weft_status weft__masked_agg_source(weft_exec *exec, const weft__agg_source *src, size_t nkeys,
                                    const char *const *keys, size_t naggs, const weft_agg *aggs,
                                    const weft_table *proto, weft_table **out);

#endif
