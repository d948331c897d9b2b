/* A filter and a whole-table aggregation in one pass (masked_agg.c), for the lazy plan's
 * filter directly under a group_by without keys: the filtered table is never built. */
#ifndef WEFT_HOST_FRAME_MASKED_AGG_H
#define WEFT_HOST_FRAME_MASKED_AGG_H

#include <stddef.h>

#include "table.h"

/* 1 when weft__masked_agg computes `agg` over a table of schema `schema` as group_by does:
 * sum, mean, min, max, count of a numeric, bool, date or timestamp expression without a
 * cast (a strict cast could fail on a row the filter drops, where the unfused path never
 * looks), and len. Anything else: 0, the caller runs filter then group_by. */
int weft__masked_agg_supports(const weft_agg *agg, const weft_table *schema);

/* One row: each aggregation over the rows of `table` where `predicate` is true (null counts
 * as false), named and typed as in `proto` (the group_by's 0-row output). Runs on the CPU
 * pool over fixed ranges of rows whose partials merge in row order, so the result does not
 * depend on the number of threads. exec may be NULL. */
weft_status weft__masked_agg(weft_exec *exec, const weft_table *table, const weft_expr *predicate,
                             size_t naggs, const weft_agg *aggs, const weft_table *proto,
                             weft_table **out);

#endif
