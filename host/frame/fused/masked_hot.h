/* The hot loop of the fused filter + aggregate (masked_agg.c) when every conjunct of the
 * predicate compares a column without nulls (float64, int64, int32, date32, timestamp) with
 * a number and every aggregation is a float sum or mean (or len): filter_sum and TPC-H Q6.
 * The predicate becomes a 64-bit mask a row (all ones: kept), which the sums AND with the
 * values' bits directly: no byte mask to narrow to and widen back, which measured a third
 * of the pass. Sums add in masked_agg.c's 8 interleaved lanes, so the bits are the same. */
#ifndef WEFT_HOST_FRAME_MASKED_HOT_H
#define WEFT_HOST_FRAME_MASKED_HOT_H

#include <stdint.h>

#include "frame/table/table.h"

typedef struct weft__hot_conj {
  int op;          /* WEFT_OP_EQ .. WEFT_OP_GE, the column on the left */
  weft_type type;  /* FLOAT64 (compared as double), or INT64 / TIMESTAMP_US / INT32 / DATE32 */
  const void *x;   /* the column's values at row 0 of the table (offset applied) */
  double kf;       /* the number, not NaN (FLOAT64) */
  int64_t ki;      /* the number (integer types) */
} weft__hot_conj;

/* mask[i] = ~0 when every conjunct (nconj >= 1) holds at row at + i, else 0, for i in
 * [0, n); returns the rows kept. */
int64_t weft__hot_mask(const weft__hot_conj *c, int nconj, int64_t at, int64_t n, uint64_t *mask);
#define WEFT__HOT_LANES 8    /* masked_agg.c's interleaved lanes */
#define WEFT__HOT_SUB 512    /* rows a mask covers at once (a multiple of the lanes) */
#define WEFT__HOT_MAX_AGGS 32
#define WEFT__HOT_MAX_CONJ 16 /* conjuncts weft__hot_one_sum takes */

/* Adds the kept rows' x[i], or x[i] * y[i] when y is not NULL, into acc[i % 8], as
 * masked_agg.c's masked_sum adds (the product rounded first, no fma, as the evaluator);
 * rows [0, n) continue lanes that started on a multiple of 8. */
void weft__hot_sum_lanes(const double *x, const double *y, const uint64_t *mask, int64_t n,
                         double *acc);
/* The kept rows of [at, at + n) (every conjunct, nconj <= WEFT__HOT_MAX_CONJ) summed as
 * x[i], or x[i] * y[i] when y is not NULL (x[0], y[0] at row at), into acc's lanes as
 * weft__hot_mask then weft__hot_sum_lanes would add them, in one loop with the mask in
 * registers; returns the rows kept. For one float sum (filter_sum, TPC-H Q6). */
int64_t weft__hot_one_sum(const weft__hot_conj *c, int nconj, const double *x, const double *y,
                          int64_t at, int64_t n, double *acc);
/* The lanes added together in masked_agg.c's fixed order. */
double weft__hot_lanes_total(const double *acc);

#endif
