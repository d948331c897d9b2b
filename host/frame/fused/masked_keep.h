/* The predicate of the fused filter + aggregate (masked_agg.c) split into its conjuncts,
 * and the conjuncts of a column against a constant evaluated on the column in place, into a
 * byte a row (masked_keep.c). */
#ifndef WEFT_HOST_FRAME_MASKED_KEEP_H
#define WEFT_HOST_FRAME_MASKED_KEEP_H

#include <stdint.h>

#include "frame/expr/expr.h"
#include "core/vector_clones.h"

/* A conjunct of the predicate (the predicate is true where every conjunct is valid and
 * true, exactly when its Kleene AND is true). `fast`: a numeric column compared with a
 * constant, done here on the column's values in place; else the conjunct's subtree goes
 * through the chunk evaluator. */
typedef struct weft__conj {
  int node;
  int fast;
  int op;      /* as if the column were on the left */
  int lane;    /* the lane the comparison runs in: WEFT__LANE_I or WEFT__LANE_F */
  const weft__column *col;
  weft__val k; /* the constant, in that lane */
  int k_null;
} weft__conj;

/* Splits the predicate's top-level ANDs (from node `node` of `b`) into conjuncts, appended
 * at out[*n]; a column compared with a constant (evaluated once here, with `ev`) becomes a
 * fast one. */
weft_status weft__add_conjs(const weft__bound *b, weft__eval *ev, int node, weft__conj *out, int *n);
/* keep[i] &= (column op constant) for rows [at, at + n) of a fast conjunct. */
void weft__fast_keep(const weft__conj *c, int64_t at, int64_t n, uint8_t *keep);
/* The rows of keep[0, n) that are kept. */
int64_t weft__count_kept(const uint8_t *keep, int64_t n);

#endif
