/* when/then/otherwise and is_in: the two operators that choose, per row, among values. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "frame/expr/expr.h"

/* A null condition counts as false (Polars). Both branches were computed for every row. */
weft_status weft__eval_when(weft__eval *ev, int me, int64_t n) {
  const weft__bnode *nd = &ev->bound->nodes[me], *br = &ev->bound->nodes[nd->b];
  weft__vec *out = &ev->vecs[me], *c = &ev->vecs[nd->a];
  weft__vec *t = &ev->vecs[br->a], *o = &ev->vecs[br->b];
  if (out->d) { /* the tree holds decimals */
    WEFT_RETURN_NOT_OK(weft__dec_operand(ev, br->a, me, n));
    WEFT_RETURN_NOT_OK(weft__dec_operand(ev, br->b, me, n));
  }
  weft__to_lane(t, ev->bound->nodes[br->a].lane, nd->lane, n);
  weft__to_lane(o, ev->bound->nodes[br->b].lane, nd->lane, n);
  int all = 1;
  for (int64_t i = 0; i < n; i++) {
    int take = (c->all_valid || c->valid[i]) && c->v[i].i;
    const weft__vec *s = take ? t : o;
    out->v[i] = s->v[i];
    if (nd->lane == WEFT__LANE_S) out->sp[i] = s->sp[i], out->sl[i] = s->sl[i];
    if (nd->lane == WEFT__LANE_D) out->d[i] = s->d[i];
    out->valid[i] = s->all_valid || s->valid[i];
    all &= out->valid[i];
  }
  out->all_valid = all;
  weft__normalize(out, nd->type, n);
  return WEFT_OK;
}

static int cmp_i64(const void *x, const void *y) {
  int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
  return (a > b) - (a < b);
}
static int cmp_f64(const void *x, const void *y) { /* NaN equals NaN (Polars' is_in), -0.0 == 0.0 */
  double a = *(const double *)x, b = *(const double *)y;
  return isnan(a) ? !isnan(b) : isnan(b) ? -1 : (a > b) - (a < b);
}

int weft__i128_cmp(const void *x, const void *y) {
  weft__i128 a, b;
  memcpy(&a, x, sizeof a), memcpy(&b, y, sizeof b);
  return (a > b) - (a < b);
}

/* Whether decimal x (scale sx) is in the sorted set (scale ss): compared at the larger scale,
 * a value too big to scale up, or with digits below the set's scale, is in no set. */
static int dec_in(weft__i128 x, int sx, const weft_expr *e, int ss) {
  if (sx < ss) {
    if (__builtin_mul_overflow(x, weft__dec_pow10(ss - sx), &x)) return 0;
  } else if (sx > ss) {
    weft__i128 m = weft__dec_pow10(sx - ss);
    if (x % m) return 0;
    x /= m;
  }
  return bsearch(&x, e->set, (size_t)e->nset, sizeof x, weft__i128_cmp) != NULL;
}

weft_status weft__eval_is_in(weft__eval *ev, int me, int64_t n) {
  const weft__bnode *nd = &ev->bound->nodes[me];
  const weft_expr *e = nd->e;
  weft__vec *out = &ev->vecs[me], *a = &ev->vecs[nd->a];
  int lane = ev->bound->nodes[nd->a].lane;
  weft__copy_valid(out, a, n);
  size_t ns = (size_t)e->nset;
  for (int64_t i = 0; i < n; i++) {
    const void *hit = NULL;
    if (ns == 0) {
    } else if (lane == WEFT__LANE_D) {
      out->v[i].i = dec_in(a->d[i], weft__dec_scale(ev->bound->nodes[nd->a].type), e,
                           weft__dec_scale(e->type));
      continue;
    } else if (lane == WEFT__LANE_S) {
      weft__str_ref key = {a->sp[i], a->sl[i]};
      hit = bsearch(&key, e->set, ns, sizeof key, weft__str_ref_cmp);
    } else if (lane == WEFT__LANE_F) {
      hit = bsearch(&a->v[i].f, e->set, ns, 8, cmp_f64);
    } else if (lane == WEFT__LANE_U) {
      if (a->v[i].u <= (uint64_t)INT64_MAX) hit = bsearch(&a->v[i].i, e->set, ns, 8, cmp_i64);
    } else {
      hit = bsearch(&a->v[i].i, e->set, ns, 8, cmp_i64);
    }
    out->v[i].i = hit != NULL;
  }
  return WEFT_OK;
}
