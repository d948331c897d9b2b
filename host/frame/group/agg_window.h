/* The values of aggregations inside expressions, for select / with_columns / filter: each
 * aggregation over its window's groups (.over(keys): groups of the key tuple, nulls a group
 * of their own; no window: the whole table), broadcast to the rows of its group. */
#ifndef WEFT_HOST_FRAME_GROUP_AGG_WINDOW_H
#define WEFT_HOST_FRAME_GROUP_AGG_WINDOW_H

#include "frame/expr/expr_agg.h"
#include "frame/table/table.h"

/* `t` plus one column per use of `u`, named use->column, of t->rows rows. */
weft_status weft__agg_window(weft_exec *exec, const char *opname, const weft_table *t,
                             const weft__agg_uses *u, weft_table **out);

/* The column `in` (one value per group of `gid`; gid NULL: one value) broadcast to `rows`
 * rows: row r gets in[gid[r]]. */
weft_status weft__column_broadcast(const weft__column *in, const int32_t *gid, int64_t rows,
                                   weft__column *out);

#endif
