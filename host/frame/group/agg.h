/* One aggregation of a column over groups, for weft_table_group_by. */
#ifndef WEFT_HOST_FRAME_AGG_H
#define WEFT_HOST_FRAME_AGG_H

#include "frame/group/group_rows.h"
#include "frame/table/table.h"

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

/* For the device path (agg_device.c). The accumulator class of `kind` over `t`: 'f' double,
 * 'i' int64, 'u' uint64. */
char weft__agg_class(weft_agg_kind kind, weft_type t);
/* Rows [r0, r0 + n) of `in` as the class's 64-bit words (out != NULL), and (valid != NULL)
 * 1 / 0 per row. */
void weft__agg_load_words(const weft__column *in, char cls, int64_t r0, size_t n, uint64_t *out,
                          uint8_t *valid);
/* The output column of a numeric aggregation (sum, mean, min, max, std, var) from per-group
 * accumulators as agg.c keeps them: ai (integer result bits), ad (double result, mean sum,
 * Welford mean), am2 (Welford M2), an (values that took part). */
weft_status weft__agg_finish(weft_agg_kind kind, char cls, weft_type otype, int64_t ngroups,
                             const int64_t *ai, const double *ad, const double *am2,
                             const int64_t *an, weft__column *out);
/* The group ids of g as an int32 column of `rows` rows (a view, not a copy), to group on. */
weft__column weft__gid_column(const weft__groups *g, int64_t rows);
/* n_unique's last step, on any device's grouping: out (uint32, one per group of g) = the
 * number of groups of `pairs` (the grouping of (group id, value) rows) in each group of g.
 * Frees pairs. */
weft_status weft__n_unique_counts(const weft__groups *g, weft__groups *pairs, weft__column *out);

#endif
