/* A filter whose predicate is a conjunction of `column <cmp> constant` terms (dates in a
 * range, a price under a bound, TPC-H's usual shape) is evaluated straight from the
 * columns' own types into the keep mask, without the interpreter's 8-byte lanes and
 * per-node passes. Each term is turned once into what the interpreter would decide per row:
 * on an integer-like column (ints, dates, timestamps, decimals) every comparison, a float
 * constant's included, is monotone in the row's integer, so it becomes an integer range
 * [lo, hi) found by bisection with the interpreter's own arithmetic; on a float column it
 * stays a comparison with Polars' NaN order. Terms on one column are intersected (is_between
 * makes one range). Two columns compared (l_commitdate < l_receiptdate) and a string column
 * in a set (is_in, == "text") are terms too, strings tested last and only on rows still
 * kept. An OR of such conjunctions is planned too (each disjunct a conjunction evaluated on
 * the rows the top conjunction kept; a row is kept when one disjunct holds: Kleene's OR
 * under a filter). Anything else (an OR inside a disjunct, a cast column, uint64, a string
 * order) is not planned and goes through the interpreter. */
#ifndef WEFT_HOST_FRAME_SELECT_FILTER_LITERAL_H
#define WEFT_HOST_FRAME_SELECT_FILTER_LITERAL_H

#include <stdint.h>

#include "frame/expr/expr.h"

#define WEFT__LIT_MAX_TERMS 32

enum { WEFT__LIT_RANGE, WEFT__LIT_FLOAT, WEFT__LIT_PAIR, WEFT__LIT_STR_SET, WEFT__LIT_NONE };

typedef struct weft__lit_term {
  const weft_column_view *cv;
  int kind;     /* RANGE: an integer-like column in [lo, hi); FLOAT: `op` against `c`;
                 * PAIR: `op` against column cv2 (both ints or both floats); STR_SET: a
                 * utf8 column in set[0, nset) (is_in, or == one string); NONE: no row
                 * (a null constant, an empty range) */
  int group;    /* 0: the top conjunction; else OR number * 1024 + its disjunct, a
                 * conjunction of its own (Q19's OR of three ANDs) */
  const weft_column_view *cv2;
  const weft__str_ref *set;
  int64_t nset;
  weft__str_ref one; /* the set of `== "text"` (self_set: set points here) */
  int self_set;
  weft_column_view codes; /* a categorical column's codes (self_codes: cv points here) */
  int self_codes;
  int op;
  double c;
  int negate;   /* NE: keep rows outside [lo, hi) */
  weft__i128 lo, hi;
} weft__lit_term;

typedef struct weft__lit_pred {
  int n;
  int never;     /* the top conjunction has a NONE term: no row is kept */
  int cur_group; /* while planning: the group new terms join */
  int nor, ndisjunct;
  weft__lit_term t[WEFT__LIT_MAX_TERMS];
} weft__lit_pred;

/* 1 when the bound boolean expression has the shape above (out filled), else 0. */
int weft__lit_pred_plan(const weft__bound *b, weft__lit_pred *out);

/* keep[i] = 1 where row row0 + i is kept (valid and true in every term), 0 elsewhere;
 * n <= WEFT__CHUNK. */
void weft__lit_pred_keep(const weft__lit_pred *p, int64_t row0, int64_t n, uint8_t *keep);

#endif
