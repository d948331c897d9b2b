/* Aggregations inside expressions (expr_agg.c): `col("v").sum() * 2`, `col("v") -
 * col("v").mean()`, `col("v").sum().over("g")`.
 *
 * One evaluator: an aggregation node is never evaluated row by row. A table operation first
 * computes each aggregation the expressions use into a column of its own (named by
 * weft__agg_column_name: the aggregation's text, and its window's keys), with group_by's
 * machinery (one row per group for group_by(...).agg(), or broadcast to every row of its
 * group for select / with_columns / filter), and the binder then reads an aggregation node
 * as that column. An aggregation whose column is not there cannot be computed where it
 * stands, and binding it is an error that says so. */
#ifndef WEFT_HOST_FRAME_EXPR_AGG_H
#define WEFT_HOST_FRAME_EXPR_AGG_H

#include "frame/expr/expr.h"

/* Whether `e` holds an aggregation or a window anywhere. */
int weft__expr_has_agg(const weft_expr *e);
/* The output name of `e` by the binder's rule (alias, leftmost column, "len", "literal");
 * points into `e` or is static. */
const char *weft__expr_out_name(const weft_expr *e);
/* The name of the column that holds the values of aggregation `agg` under window `over`
 * (NULL: none), malloc'd. */
char *weft__agg_column_name(const weft_expr *agg, const weft_expr *over);

/* The aggregations of some expressions whose columns a table lacks (distinct ones). */
typedef struct weft__agg_use {
  const weft_expr *agg, *over; /* borrowed from the expressions */
  char *column;                /* weft__agg_column_name */
} weft__agg_use;

typedef struct weft__agg_uses {
  weft__agg_use *v;
  size_t n, cap;
  /* The expressions need rows: a column read outside any aggregation, or a window. `row`
   * is the first such node, `row_in` the expression it is in (for messages). */
  const weft_expr *row, *row_in;
} weft__agg_uses;

/* Collects the aggregations of exprs[0..n) not yet computed in `table`; errors (naming
 * `opname` and the expression) for an aggregation inside an aggregation or a window key, and
 * for windows inside windows. Free with weft__agg_uses_free (also on failure). */
weft_status weft__agg_collect(const char *opname, const weft_table *table, size_t n,
                              const weft_expr *const *exprs, weft__agg_uses *out);
void weft__agg_uses_free(weft__agg_uses *u);

/* For the binder: the column reference standing for `agg` under b->over, kept in b->made;
 * an error naming the aggregation when `t` lacks its column. */
weft_status weft__agg_bind_column(weft__bound *b, const weft_expr *agg, const weft_table *t,
                                  const weft_expr **col);

#endif
