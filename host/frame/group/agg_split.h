/* group_by(keys).agg(expressions) split into a group_by of plain aggregations and a select
 * over its result: `col("a").sum() / col("b").sum()` groups once, sums a and b into columns
 * of their own (named by weft__agg_column_name) and divides those. Shared by the eager
 * operation (weft_table_agg) and the lazy plan (weft_plan_agg), which builds the same two
 * operators as plan nodes. */
#ifndef WEFT_HOST_FRAME_GROUP_AGG_SPLIT_H
#define WEFT_HOST_FRAME_GROUP_AGG_SPLIT_H

#include "frame/expr/expr_agg.h"

typedef struct weft__agg_split {
  weft__agg_uses uses;
  weft_agg *aggs;   /* one per use: inputs borrowed from the expressions, names the uses' */
  size_t naggs;
  weft_expr **proj; /* col(key) for each key, then the expressions (references held) */
  size_t nproj;
  /* Every expression is an aggregation (aliased or not): `aggs` has one per expression,
   * named as the expression, and the group_by alone is the result (no select). */
  int plain;
} weft__agg_split;

/* Errors (naming `opname` and the expression) for a column read outside an aggregation
 * and for windows. Free with weft__agg_split_free (also on failure). */
weft_status weft__agg_split_make(const char *opname, const weft_table *table, size_t nkeys,
                                 const char *const *keys, size_t n, const weft_expr *const *exprs,
                                 weft__agg_split *out);
void weft__agg_split_free(weft__agg_split *s);

#endif
