/* Rounding: floor division (//), floor, ceil and round, with Polars' rules (decimals in
 * expr_decimal_round.c): integer // 0 is
 * null and the quotient rounds toward -inf; round breaks ties to even (Polars' default mode)
 * (rint in the default rounding mode). */
#include <math.h>
#include <string.h>

#include "core/error.h"
#include "frame/expr/expr.h"

static void floordiv(const weft__bnode *nd, weft__vec *out, const weft__vec *a, const weft__vec *b,
                     int64_t n) {
  weft__val *o = out->v;
  const weft__val *x = a->v, *y = b->v;
  out->all_valid = a->all_valid && b->all_valid;
  for (int64_t i = 0; i < n; i++)
    out->valid[i] = (a->all_valid || a->valid[i]) && (b->all_valid || b->valid[i]);
  if (nd->lane == WEFT__LANE_F) {
    if (nd->type == WEFT_TYPE_FLOAT32) /* in float32's own arithmetic, as Polars */
      for (int64_t i = 0; i < n; i++) o[i].f = floorf((float)x[i].f / (float)y[i].f);
    else
      for (int64_t i = 0; i < n; i++) o[i].f = floor(x[i].f / y[i].f);
    return;
  }
  for (int64_t i = 0; i < n; i++) {
    if (y[i].i == 0) {
      out->valid[i] = 0, out->all_valid = 0, o[i].i = 0;
    } else if (nd->lane == WEFT__LANE_U) {
      o[i].u = x[i].u / y[i].u;
    } else if (y[i].i == -1) {
      o[i].u = 0 - x[i].u; /* INT64_MIN // -1 wraps, as Polars' release builds */
    } else {
      int64_t q = x[i].i / y[i].i;
      if (x[i].i % y[i].i != 0 && ((x[i].i < 0) != (y[i].i < 0))) q--;
      o[i].i = q;
    }
  }
}

static void round_floats(const weft__bnode *nd, weft__val *o, const weft__val *x, int64_t n) {
  int d = (int)nd->e->i;
  double m = pow(10.0, d); /* float32 too is scaled in double, then rounded back (Polars) */
  for (int64_t i = 0; i < n; i++) o[i].f = d ? rint(x[i].f * m) / m : rint(x[i].f);
  (void)nd;
}

weft_status weft__eval_numeric(weft__eval *ev, int me, int64_t n) {
  const weft__bnode *nd = &ev->bound->nodes[me];
  weft__vec *out = &ev->vecs[me], *a = &ev->vecs[nd->a];
  const weft__bnode *A = &ev->bound->nodes[nd->a];
  if (nd->e->kind == WEFT__E_BINARY) { /* // */
    weft__vec *b = &ev->vecs[nd->b];
    int lb = ev->bound->nodes[nd->b].lane, la = A->lane;
    if (nd->lane == WEFT__LANE_D) return weft__dec_mod_floordiv(ev, me, n);
    if (la == WEFT__LANE_D) { /* a float result: the decimal side as doubles */
      WEFT_RETURN_NOT_OK(weft__dec_operand(ev, nd->a, me, n));
      la = WEFT__LANE_F;
    }
    if (lb == WEFT__LANE_D) {
      WEFT_RETURN_NOT_OK(weft__dec_operand(ev, nd->b, me, n));
      lb = WEFT__LANE_F;
    }
    weft__to_lane(a, la, nd->lane, n);
    weft__to_lane(b, lb, nd->lane, n);
    floordiv(nd, out, a, b, n);
    weft__normalize(out, nd->type, n);
    return WEFT_OK;
  }
  if (nd->lane == WEFT__LANE_D) return weft__dec_round(ev, me, n);
  weft__copy_valid(out, a, n);
  if (nd->lane != WEFT__LANE_F) { /* integers are already whole */
    memcpy(out->v, a->v, (size_t)n * sizeof *out->v);
    return WEFT_OK;
  }
  if (nd->e->kind == WEFT__E_ROUND) round_floats(nd, out->v, a->v, n);
  else if (nd->e->op == WEFT_OP_FLOOR) for (int64_t i = 0; i < n; i++) out->v[i].f = floor(a->v[i].f);
  else for (int64_t i = 0; i < n; i++) out->v[i].f = ceil(a->v[i].f);
  weft__normalize(out, nd->type, n);
  return WEFT_OK;
}
