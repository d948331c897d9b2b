/* One aggregation of a column over groups, for weft_table_group_by. */
#ifndef WEFT_HOST_FRAME_AGG_H
#define WEFT_HOST_FRAME_AGG_H

#include "group_rows.h"
#include "table.h"

/* The output type of `kind` over an input of type `in` (what Polars gives, except float32
 * sums and means: see agg.c); WEFT_ERR_INVALID_ARGUMENT naming `name` and the type when
 * `kind` does not apply to it. */
weft_status weft__agg_type(weft_agg_kind kind, weft_type in, const char *name, weft_type *out);
/* Per-group double sums and value counts already computed for some inputs of one group_by:
 * a float sum and any mean of the same column need the same pass, so the second reuses the
 * first's (same additions in the same order: the same bits). Zero-initialise; free with
 * weft__agg_memo_free. */
#define WEFT_AGG_MEMO 8
typedef struct weft__agg_memo {
  size_t n;
  struct {
    weft_column_view view;
    double *sum;
    int64_t *count;
  } e[WEFT_AGG_MEMO];
} weft__agg_memo;
void weft__agg_memo_free(weft__agg_memo *m);

/* `in`: one value per row of the grouped table (ignored for WEFT_AGG_LEN); `g` with gid.
 * `memo`: NULL, or shared by the aggregations over one `g`. `out`: a fresh column of
 * g->ngroups rows. */
weft_status weft__aggregate(weft_agg_kind kind, const weft__column *in, const weft__groups *g,
                            int64_t rows, const char *name, weft__agg_memo *memo,
                            weft__column *out);

#endif
