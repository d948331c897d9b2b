/* select / with_columns / filter over expressions that hold aggregations (expr_agg.h). */
#ifndef WEFT_HOST_FRAME_SELECT_AGGS_H
#define WEFT_HOST_FRAME_SELECT_AGGS_H

#include "frame/table/table.h"

enum { WEFT__SELECT, WEFT__WITH_COLUMNS, WEFT__FILTER };

/* When exprs hold aggregations whose values `table` lacks: a select of aggregations only
 * (no column read outside one, no window) gives one row, as group_by(...).agg() without keys;
 * otherwise each aggregation is computed over its window and broadcast to the rows
 * (agg_window.c) and the operation runs on the table with those columns, which the result
 * then drops. *handled = 0 (and nothing done) when no aggregation is pending. */
weft_status weft__select_aggs(weft_exec *exec, int op, const weft_table *table, size_t n,
                              const weft_expr *const *exprs, int *handled, weft_table **out);

#endif
