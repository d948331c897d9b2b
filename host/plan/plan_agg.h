/* Aggregations inside expressions in lazy plans (plan_agg_split.c). */
#ifndef WEFT_HOST_PLAN_PLAN_AGG_H
#define WEFT_HOST_PLAN_PLAN_AGG_H

#include "plan/plan.h"

/* A select over `input` of aggregations only (one row): built by weft_plan_agg without keys. */
int weft__plan_aggs_only(const weft_plan *input, size_t n, const weft_expr *const *exprs);
/* A filter, select or with_columns node whose expressions hold aggregations or windows: its
 * result depends on every row it sees, so no filter moves across it. */
int weft__plan_has_aggs(const weft_plan *p);

#endif
