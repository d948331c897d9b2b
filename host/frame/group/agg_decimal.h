/* Aggregations of decimal128 columns over groups (sum, mean, min, max), for agg.c. */
#ifndef WEFT_HOST_FRAME_AGG_DECIMAL_H
#define WEFT_HOST_FRAME_AGG_DECIMAL_H

#include "frame/group/group_rows.h"
#include "frame/table/table.h"

/* `kind` (sum, mean, min or max) of decimal column `in` per group of g into a fresh column of
 * type `otype` (agg.c's weft__agg_type). An overflow of the sum is an error naming `name`. */
weft_status weft__agg_decimal(weft_agg_kind kind, const weft__column *in, const weft__groups *g,
                              int64_t rows, const char *name, weft_type otype, weft__column *out);

#endif
