/* One column's statistics for weft_table_describe, and how they are put together from
 * blocks of rows, shared by the CPU path (op_describe.c) and the device path
 * (describe_device.c): both fold the same blocks into the same parts and merge the parts in
 * row order with this code, so a device gives the CPU's bits. */
#ifndef WEFT_HOST_FRAME_DESCRIBE_STATS_H
#define WEFT_HOST_FRAME_DESCRIBE_STATS_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "../../../kernels/describe_blocks.h"
#include "weft.h"

#define WEFT__DESC_BLOCK WK_DESC_BLOCK /* rows loaded at once: they stay in L1/L2 */
#define WEFT__DESC_MAX_PARTS 64

/* numbers and bool as double; date, timestamp as int64; utf8 */
enum { WEFT__DESC_LANE_F, WEFT__DESC_LANE_I, WEFT__DESC_LANE_S };

typedef struct weft__dstats {
  int64_t valid;      /* non-null rows */
  int64_t nan;        /* NaN among them */
  int64_t kept;       /* non-null, non-NaN values: what sum, mean, m2, min, max are over */
  double sum, mean, m2;
  double fmin, fmax;  /* LANE_F */
  int64_t imin, imax; /* LANE_I: the values; LANE_S: the rows holding them */
} weft__dstats;

int weft__desc_lane(weft_type t);
/* a before b in the order describe's min and max use: numbers, then -0.0 before +0.0 (an
 * order, unlike `<`, so min and max do not depend on the order values are met in) */
static inline int weft__desc_lt(double a, double b) {
  return a < b || (a == b && signbit(a) && !signbit(b));
}
/* One block's kept, sum, mean, m2, fmin, fmax from its n rows x (keep[i] all ones: a
 * non-null, non-NaN value; 0: a row left out, whatever its x): the lanes and tree of
 * kernels/describe_blocks.h, so the device kernel gives the same bits. valid and nan are
 * the caller's. */
void weft__desc_block_f(const double *x, const uint64_t *keep, size_t n, weft__dstats *b);
/* The same for a block without nulls, every row kept (no masks: about twice as fast); 0
 * (and b untouched) when a value is NaN or infinite, for the masked path to take. */
int weft__desc_block_f_dense(const double *x, size_t n, weft__dstats *b);
/* The same for dates and timestamps (sums in double, imin and imax; m2 stays 0). */
void weft__desc_block_i(const int64_t *x, const uint64_t *keep, size_t n, weft__dstats *b);
/* 1 when row a's string of utf8 column v sorts before row b's (by bytes, then length). */
int weft__desc_utf8_less(const weft_column_view *v, int64_t a, int64_t b);
/* Empty statistics (no row yet). */
void weft__dstats_init(weft__dstats *s);
/* Folds b (the statistics of later rows) into a (Chan et al.'s pairwise update for M2). v:
 * the column, for utf8 comparisons. */
void weft__dstats_merge(weft__dstats *a, const weft__dstats *b, int lane,
                        const weft_column_view *v);
/* The fixed row ranges ("parts") of a column of `rows` rows, set by the row count alone so
 * the bits do not depend on the thread count: returns their number, *chunk their rows (a
 * multiple of WEFT__DESC_BLOCK). */
int weft__desc_parts(int64_t rows, int64_t *chunk);

#endif
