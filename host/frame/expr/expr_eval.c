/* Evaluating a bound expression a chunk at a time: each node fills its vec (expr.h) from its
 * children's, so a chunk's temporaries stay in cache while the whole tree is computed. */
#define _GNU_SOURCE /* memmem */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/alloc.h"
#include "frame/expr/expr.h"
#include "frame/table/categorical.h"
#include "frame/expr/expr_regex.h"
#include "frame/expr/str_case.h"

weft_status weft__eval_init(weft__eval *ev, const weft__bound *bound) {
  ev->bound = bound;
  ev->stamp = NULL;
  ev->sel = NULL;
  ev->gen = 0;
  ev->vecs = weft__calloc((size_t)bound->n, sizeof *ev->vecs);
  ev->cached = weft__calloc((size_t)bound->n + 1, 1);
  ev->cval = weft__calloc((size_t)bound->n + 1, sizeof *ev->cval);
  int ok = ev->vecs && ev->cached && ev->cval, decimal = 0;
  for (int i = 0; i < bound->n; i++) decimal |= bound->nodes[i].lane == WEFT__LANE_D;
  for (int i = 0; ok && i < bound->n; i++) {
    weft__vec *v = &ev->vecs[i];
    v->v = weft__malloc(WEFT__CHUNK * sizeof *v->v);
    v->valid = weft__malloc(WEFT__CHUNK);
    /* every node gets string slots too: alias swaps vecs with its child (see below) */
    v->sp = weft__malloc(WEFT__CHUNK * sizeof *v->sp);
    v->sl = weft__malloc(WEFT__CHUNK * sizeof *v->sl);
    v->d = decimal ? weft__malloc(WEFT__CHUNK * sizeof *v->d) : NULL;
    ok = v->v && v->valid && v->sp && v->sl && (v->d || !decimal);
  }
  if (!ok) {
    weft__eval_free(ev);
    return weft__error(WEFT_ERR_OUT_OF_MEMORY, "no host memory to evaluate an expression");
  }
  return WEFT_OK;
}

void weft__eval_free(weft__eval *ev) {
  for (int i = 0; ev->vecs && i < ev->bound->n; i++) {
    weft__vec *v = &ev->vecs[i];
    free(v->v), free(v->valid), free(v->sp), free(v->sl), free(v->buf), free(v->d);
    weft__regex_md_free(v->md);
  }
  free(ev->vecs), free(ev->stamp), free(ev->cached), free(ev->cval);
  ev->vecs = NULL, ev->stamp = NULL, ev->cached = NULL, ev->cval = NULL;
}

/* Lane conversion without checks (numeric promotion, never narrowing). */
static void to_lane(weft__vec *v, int from, int to, int64_t n) {
  weft__val *x = v->v;
  if (from == to) return;
  if (to == WEFT__LANE_F && from == WEFT__LANE_I) for (int64_t i = 0; i < n; i++) x[i].f = (double)x[i].i;
  if (to == WEFT__LANE_F && from == WEFT__LANE_U) for (int64_t i = 0; i < n; i++) x[i].f = (double)x[i].u;
  /* I <-> U: the same bits (mixed signedness is int64, and wraps like an int64 cast) */
}

void weft__to_lane(weft__vec *v, int from, int to, int64_t n) { to_lane(v, from, to, n); }

/* A categorical column's rows (o + i, or o + sel[i]) as pointers into its dictionary; a null
 * row's code is not read (it may be anything a producer left there). */
static void load_categories(const weft__column *c, weft__vec *out, int64_t o, const int32_t *sel,
                            int64_t n) {
  const uint32_t *codes = (const uint32_t *)c->view.values + o;
  const uint8_t *valid = c->view.validity;
  for (int64_t i = 0; i < n; i++) {
    int64_t r = sel ? sel[i] : i;
    if (valid && !((valid[(o + r) >> 3] >> ((o + r) & 7)) & 1)) {
      out->sp[i] = "", out->sl[i] = 0;
      continue;
    }
    out->sp[i] = weft__dict_str(c->dict, codes[r], &out->sl[i]);
  }
}

static void load_column(const weft__column *c, weft__vec *out, int64_t row0, int64_t n) {
  const weft_column_view *cv = &c->view;
  int64_t o = cv->offset + row0;
  weft__val *x = out->v;
  if (weft__type_is_decimal(cv->type))
    memcpy(out->d, (const weft__i128 *)cv->values + o, (size_t)n * sizeof *out->d);
  switch (cv->type) {
#define LOAD(T, CT, F) case T: { const CT *s = (const CT *)cv->values + o; \
      for (int64_t i = 0; i < n; i++) { x[i].F = s[i]; } break; }
    WEFT__FOR_EACH_LANE_TYPE(LOAD)
#undef LOAD
    default: break; /* decimal128: loaded into d above */
    case WEFT_TYPE_BOOL: {
      const uint8_t *b = cv->values;
      for (int64_t i = 0; i < n; i++) x[i].i = (b[(o + i) >> 3] >> ((o + i) & 7)) & 1;
      break;
    }
    case WEFT_TYPE_UTF8: {
      const int32_t *of = (const int32_t *)cv->values + o;
      for (int64_t i = 0; i < n; i++) {
        out->sp[i] = cv->data + of[i];
        out->sl[i] = of[i + 1] - of[i];
      }
      break;
    }
    case WEFT_TYPE_CATEGORICAL: load_categories(c, out, o, NULL, n); break;
  }
  out->all_valid = cv->validity == NULL;
  if (cv->validity)
    for (int64_t i = 0; i < n; i++) out->valid[i] = (cv->validity[(o + i) >> 3] >> ((o + i) & 7)) & 1;
}

/* load_column of the rows row0 + sel[i]: the same values, gathered. */
static void load_selected(const weft__column *c, weft__vec *out, int64_t row0, const int32_t *sel,
                          int64_t n) {
  const weft_column_view *cv = &c->view;
  int64_t o = cv->offset + row0;
  weft__val *x = out->v;
  if (weft__type_is_decimal(cv->type))
    for (int64_t i = 0; i < n; i++)
      memcpy(&out->d[i], (const weft__i128 *)cv->values + o + sel[i], sizeof *out->d);
  switch (cv->type) {
#define LOAD(T, CT, F) case T: { const CT *s = (const CT *)cv->values + o; \
      for (int64_t i = 0; i < n; i++) { x[i].F = s[sel[i]]; } break; }
    WEFT__FOR_EACH_LANE_TYPE(LOAD)
#undef LOAD
    default: break;
    case WEFT_TYPE_BOOL: {
      const uint8_t *b = cv->values;
      for (int64_t i = 0; i < n; i++) x[i].i = (b[(o + sel[i]) >> 3] >> ((o + sel[i]) & 7)) & 1;
      break;
    }
    case WEFT_TYPE_UTF8: {
      const int32_t *of = (const int32_t *)cv->values + o;
      for (int64_t i = 0; i < n; i++) {
        out->sp[i] = cv->data + of[sel[i]];
        out->sl[i] = of[sel[i] + 1] - of[sel[i]];
      }
      break;
    }
    case WEFT_TYPE_CATEGORICAL: load_categories(c, out, o, sel, n); break;
  }
  out->all_valid = cv->validity == NULL;
  if (cv->validity)
    for (int64_t i = 0; i < n; i++)
      out->valid[i] = (cv->validity[(o + sel[i]) >> 3] >> ((o + sel[i]) & 7)) & 1;
}

static void load_literal(const weft__bnode *nd, weft__vec *out, int64_t n) {
  const weft_expr *e = nd->e;
  out->all_valid = !e->is_null;
  if (e->is_null) memset(out->valid, 0, (size_t)n);
  weft__val x = {0};
  if (nd->lane == WEFT__LANE_F) x.f = e->type == WEFT_TYPE_FLOAT64 ? e->f : (double)e->i;
  else x.i = e->i;
  weft__vec one = {0}; /* narrowed once, not once a row (a chunk of one-hot comparisons) */
  one.v = &x;
  weft__normalize(&one, nd->type, 1);
  for (int64_t i = 0; i < n; i++) out->v[i] = x;
  if (nd->lane == WEFT__LANE_D) memset(out->d, 0, (size_t)n * sizeof *out->d); /* a null */
  if (nd->lane == WEFT__LANE_S) {
    int32_t len = e->s ? (int32_t)strlen(e->s) : 0;
    for (int64_t i = 0; i < n; i++) out->sp[i] = e->s ? e->s : "", out->sl[i] = len;
  }
}

/* out->valid = a.valid & b.valid */
static void and_valid(weft__vec *out, const weft__vec *a, const weft__vec *b, int64_t n) {
  out->all_valid = a->all_valid && b->all_valid;
  if (out->all_valid) return;
  for (int64_t i = 0; i < n; i++)
    out->valid[i] = (a->all_valid || a->valid[i]) && (b->all_valid || b->valid[i]);
}

static void copy_valid(weft__vec *out, const weft__vec *a, int64_t n) {
  out->all_valid = a->all_valid;
  if (!a->all_valid && out != a) memcpy(out->valid, a->valid, (size_t)n);
}

void weft__copy_valid(weft__vec *out, const weft__vec *a, int64_t n) { copy_valid(out, a, n); }

static int64_t py_mod_i(int64_t a, int64_t b) {
  if (b == -1) return 0; /* INT64_MIN % -1 overflows in C */
  int64_t r = a % b;
  return r != 0 && ((r < 0) != (b < 0)) ? r + b : r;
}

/* Polars' float modulo, a - b * floor(a / b) (the divisor's sign; x % 0 and x % inf are
 * NaN), rounded step by step as kernels/expr_eval.kern does, not fmod's exact remainder. */
static double py_mod_f(double a, double b) { return a - b * floor(a / b); }

static void arith(int op, int lane, weft__val *o, const weft__val *x, const weft__val *y, int64_t n,
                  uint8_t *valid, int *all_valid) {
  if (lane == WEFT__LANE_F) {
    switch (op) {
      case WEFT_OP_ADD: for (int64_t i = 0; i < n; i++) o[i].f = x[i].f + y[i].f; break;
      case WEFT_OP_SUB: for (int64_t i = 0; i < n; i++) o[i].f = x[i].f - y[i].f; break;
      case WEFT_OP_MUL: for (int64_t i = 0; i < n; i++) o[i].f = x[i].f * y[i].f; break;
      case WEFT_OP_DIV: for (int64_t i = 0; i < n; i++) o[i].f = x[i].f / y[i].f; break;
      default: for (int64_t i = 0; i < n; i++) o[i].f = py_mod_f(x[i].f, y[i].f); break;
    }
    return;
  }
  /* integers wrap: computed on uint64 bits to stay defined */
  switch (op) {
    case WEFT_OP_ADD: for (int64_t i = 0; i < n; i++) o[i].u = x[i].u + y[i].u; break;
    case WEFT_OP_SUB: for (int64_t i = 0; i < n; i++) o[i].u = x[i].u - y[i].u; break;
    case WEFT_OP_MUL: for (int64_t i = 0; i < n; i++) o[i].u = x[i].u * y[i].u; break;
    default: /* MOD: division by zero gives null, as Polars */
      for (int64_t i = 0; i < n; i++) {
        if (y[i].i == 0) {
          if (*all_valid) memset(valid, 1, (size_t)n), *all_valid = 0;
          valid[i] = 0;
          o[i].i = 0;
        } else {
          o[i].i = lane == WEFT__LANE_U ? (int64_t)(x[i].u % y[i].u) : py_mod_i(x[i].i, y[i].i);
        }
      }
  }
}

static int cmp_str(const char *a, int32_t la, const char *b, int32_t lb) {
  int c = memcmp(a, b, (size_t)(la < lb ? la : lb));
  return c ? c : (la > lb) - (la < lb);
}

int weft__cmp_holds(int op, int c) {
  switch (op) {
    case WEFT_OP_EQ: return c == 0;
    case WEFT_OP_NE: return c != 0;
    case WEFT_OP_LT: return c < 0;
    case WEFT_OP_LE: return c <= 0;
    case WEFT_OP_GT: return c > 0;
    default: return c >= 0;
  }
}

static void compare(int op, int lane, weft__val *o, const weft__vec *a, const weft__vec *b, int64_t n) {
  const weft__val *x = a->v, *y = b->v;
#define CMP_LOOP(F) /* integers and bool */ switch (op) { \
    case WEFT_OP_EQ: for (int64_t i = 0; i < n; i++) o[i].i = x[i].F == y[i].F; break; \
    case WEFT_OP_NE: for (int64_t i = 0; i < n; i++) o[i].i = x[i].F != y[i].F; break; \
    case WEFT_OP_LT: for (int64_t i = 0; i < n; i++) o[i].i = x[i].F < y[i].F; break; \
    case WEFT_OP_LE: for (int64_t i = 0; i < n; i++) o[i].i = x[i].F <= y[i].F; break; \
    case WEFT_OP_GT: for (int64_t i = 0; i < n; i++) o[i].i = x[i].F > y[i].F; break; \
    default: for (int64_t i = 0; i < n; i++) o[i].i = x[i].F >= y[i].F; break; }
  if (lane == WEFT__LANE_F) {
    /* Polars' order: NaN equals NaN and is above every number */
    for (int64_t i = 0; i < n; i++) {
      double p = x[i].f, q = y[i].f;
      int c = isnan(p) ? !isnan(q) : isnan(q) ? -1 : (p > q) - (p < q);
      o[i].i = weft__cmp_holds(op, c);
    }
  } else if (lane == WEFT__LANE_U) CMP_LOOP(u)
  else if (lane == WEFT__LANE_I) CMP_LOOP(i)
  else
    for (int64_t i = 0; i < n; i++)
      o[i].i = weft__cmp_holds(op, cmp_str(a->sp[i], a->sl[i], b->sp[i], b->sl[i]));
#undef CMP_LOOP
}

/* Kleene logic: false & null = false, true | null = true. */
static void kleene(int op, weft__vec *out, const weft__vec *a, const weft__vec *b, int64_t n) {
  int all = a->all_valid && b->all_valid;
  for (int64_t i = 0; i < n; i++) {
    int va = a->all_valid || a->valid[i], vb = b->all_valid || b->valid[i];
    int x = (int)a->v[i].i, y = (int)b->v[i].i;
    int dom = op == WEFT_OP_AND ? 0 : 1; /* the value that decides alone */
    if ((va && x == dom) || (vb && y == dom)) out->v[i].i = dom, out->valid[i] = 1;
    else if (va && vb) out->v[i].i = op == WEFT_OP_AND ? (x && y) : (x || y), out->valid[i] = 1;
    else out->v[i].i = 0, out->valid[i] = 0;
  }
  out->all_valid = all;
}

static weft_status eval_binary(weft__eval *ev, int me, int64_t n) {
  const weft__bnode *nd = &ev->bound->nodes[me];
  const weft__bnode *A = &ev->bound->nodes[nd->a], *B = &ev->bound->nodes[nd->b];
  weft__vec *out = &ev->vecs[me], *a = &ev->vecs[nd->a], *b = &ev->vecs[nd->b];
  int op = nd->e->op;
  if (op == WEFT_OP_FLOORDIV) return weft__eval_numeric(ev, me, n);
  if ((op == WEFT_OP_ADD || op == WEFT_OP_SUB) &&
      (A->type == WEFT_TYPE_DATE32 || B->type == WEFT_TYPE_DATE32))
    return weft__eval_temporal(ev, me, n);
  if (op == WEFT_OP_AND || op == WEFT_OP_OR) {
    kleene(op, out, a, b, n);
    return WEFT_OK;
  }
  if (A->lane == WEFT__LANE_D || B->lane == WEFT__LANE_D) {
    int done;
    WEFT_RETURN_NOT_OK(weft__dec_binary(ev, me, n, &done));
    if (done) return WEFT_OK;
  }
  /* the lane both operands are brought to */
  int lane = op == WEFT_OP_DIV ? WEFT__LANE_F : nd->lane;
  if (op >= WEFT_OP_EQ) {
    int la = A->lane, lb = B->lane;
    lane = la == WEFT__LANE_S ? la : (la == WEFT__LANE_F || lb == WEFT__LANE_F) ? WEFT__LANE_F
         : (la == WEFT__LANE_U && lb == WEFT__LANE_U) ? WEFT__LANE_U : WEFT__LANE_I;
    /* uint64 against a signed integer: exact, a negative value being below every uint64 */
    if (lane == WEFT__LANE_I && (la == WEFT__LANE_U || lb == WEFT__LANE_U)) {
      and_valid(out, a, b, n);
      for (int64_t i = 0; i < n; i++) {
        int64_t s = la == WEFT__LANE_U ? b->v[i].i : a->v[i].i;
        uint64_t u = la == WEFT__LANE_U ? a->v[i].u : b->v[i].u;
        int c = s < 0 ? -1 : ((uint64_t)s > u) - ((uint64_t)s < u); /* signed vs unsigned */
        out->v[i].i = weft__cmp_holds(op, la == WEFT__LANE_U ? -c : c);
      }
      return WEFT_OK;
    }
  }
  to_lane(a, A->lane, lane, n);
  to_lane(b, B->lane, lane, n);
  and_valid(out, a, b, n);
  if (op >= WEFT_OP_EQ) compare(op, lane, out->v, a, b, n);
  else {
    arith(op, lane, out->v, a->v, b->v, n, out->valid, &out->all_valid);
    weft__normalize(out, nd->type, n);
  }
  return WEFT_OK;
}

static int32_t utf8_chars(const char *s, int32_t len) {
  int32_t c = 0;
  for (int32_t i = 0; i < len; i++) c += ((unsigned char)s[i] & 0xC0) != 0x80;
  return c;
}

static weft_status eval_unary(weft__eval *ev, int me, int64_t n) {
  const weft__bnode *nd = &ev->bound->nodes[me];
  weft__vec *out = &ev->vecs[me], *a = &ev->vecs[nd->a];
  int lane = ev->bound->nodes[nd->a].lane;
  weft__val *o = out->v, *x = a->v;
  if (weft__unary_is_newer(nd->e->op)) {
    int op = nd->e->op;
    if (op == WEFT_OP_STR_LEN_BYTES) return weft__eval_str(ev, me, n);
    if (op == WEFT_OP_FLOOR || op == WEFT_OP_CEIL) return weft__eval_numeric(ev, me, n);
    return weft__eval_temporal(ev, me, n);
  }
  if (lane == WEFT__LANE_D) {
    int done;
    WEFT_RETURN_NOT_OK(weft__dec_unary(ev, me, n, &done));
    if (done) return WEFT_OK;
  }
  copy_valid(out, a, n);
  switch (nd->e->op) {
    case WEFT_OP_NOT: for (int64_t i = 0; i < n; i++) o[i].i = !x[i].i; break;
    case WEFT_OP_NEG:
      if (lane == WEFT__LANE_F) for (int64_t i = 0; i < n; i++) o[i].f = -x[i].f;
      else for (int64_t i = 0; i < n; i++) o[i].u = 0 - x[i].u;
      break;
    case WEFT_OP_ABS:
      if (lane == WEFT__LANE_F) for (int64_t i = 0; i < n; i++) o[i].f = fabs(x[i].f);
      else if (lane == WEFT__LANE_U) for (int64_t i = 0; i < n; i++) o[i].u = x[i].u;
      else for (int64_t i = 0; i < n; i++) o[i].u = x[i].i < 0 ? 0 - x[i].u : x[i].u;
      break;
    case WEFT_OP_IS_NULL: case WEFT_OP_IS_NOT_NULL: {
      int want_valid = nd->e->op == WEFT_OP_IS_NOT_NULL;
      for (int64_t i = 0; i < n; i++) o[i].i = (a->all_valid || a->valid[i]) == want_valid;
      out->all_valid = 1;
      break;
    }
    case WEFT_OP_SQRT: case WEFT_OP_LOG: case WEFT_OP_EXP: {
      to_lane(a, lane, WEFT__LANE_F, n);
      double (*fn)(double) = nd->e->op == WEFT_OP_SQRT ? sqrt : nd->e->op == WEFT_OP_LOG ? log : exp;
      for (int64_t i = 0; i < n; i++) o[i].f = fn(x[i].f);
      break;
    }
    case WEFT_OP_STR_LEN: for (int64_t i = 0; i < n; i++) o[i].i = utf8_chars(a->sp[i], a->sl[i]); break;
    default: { /* lower / upper: Unicode's full mappings (str_case.c), lengths may change */
      size_t total = 0;
      for (int64_t i = 0; i < n; i++) total += (size_t)a->sl[i];
      WEFT_RETURN_NOT_OK(weft__vec_reserve(out, total * WEFT__STR_CASE_GROWTH + 1));
      WEFT_RETURN_NOT_OK(weft__str_case_map(nd->e->op == WEFT_OP_STR_UPPER, a, out, n));
    }
  }
  weft__normalize(out, nd->type, n);
  return WEFT_OK;
}

static int contains(const char *s, int32_t len, const char *p, size_t plen) {
  if (plen == 0) return 1;
  return len > 0 && memmem(s, (size_t)len, p, plen) != NULL;
}

static weft_status eval_string_test(weft__eval *ev, int me, int64_t n) {
  const weft__bnode *nd = &ev->bound->nodes[me];
  weft__vec *out = &ev->vecs[me], *a = &ev->vecs[nd->a];
  const char *p = nd->e->s;
  size_t plen = strlen(p);
  if (nd->e->re) return weft__eval_str(ev, me, n);
  copy_valid(out, a, n);
  if (nd->e->kind == WEFT__E_CONTAINS)
    for (int64_t i = 0; i < n; i++) out->v[i].i = contains(a->sp[i], a->sl[i], p, plen);
  else
    for (int64_t i = 0; i < n; i++)
      out->v[i].i = (size_t)a->sl[i] >= plen && !memcmp(a->sp[i], p, plen);
  return WEFT_OK;
}

static void fill_null(weft__eval *ev, int me, int64_t n) {
  const weft__bnode *nd = &ev->bound->nodes[me];
  weft__vec *out = &ev->vecs[me], *a = &ev->vecs[nd->a], *b = &ev->vecs[nd->b];
  to_lane(a, ev->bound->nodes[nd->a].lane, nd->lane, n);
  to_lane(b, ev->bound->nodes[nd->b].lane, nd->lane, n);
  int all = 1;
  for (int64_t i = 0; i < n; i++) {
    const weft__vec *s = a->all_valid || a->valid[i] ? a : b;
    out->v[i] = s->v[i];
    if (nd->lane == WEFT__LANE_S) out->sp[i] = s->sp[i], out->sl[i] = s->sl[i];
    out->valid[i] = s->all_valid || s->valid[i];
    all &= out->valid[i];
  }
  out->all_valid = all;
  weft__normalize(out, nd->type, n);
}

static weft_status eval_node(weft__eval *ev, int me, int64_t row0, int64_t n);

/* A constant node other than a literal (whose fill is as cheap) or an alias (which swaps
 * vecs), of a 64-bit number lane (strings would point into a buffer a parent may take): its value
 * found once, then spread. A fresh fill each chunk, since parents convert lanes in place. */
static int foldable(const weft__bnode *nd) {
  return nd->constant && nd->lane != WEFT__LANE_S && nd->lane != WEFT__LANE_D && /* 128-bit: not in cval */
         nd->e->kind != WEFT__E_LITERAL &&
         nd->e->kind != WEFT__E_ALIAS;
}

/* A foldable node's value: computed for one row at its first evaluation, then spread. */
static weft_status eval_folded(weft__eval *ev, int me, int64_t row0, int64_t n) {
  const weft__bnode *nd = &ev->bound->nodes[me];
  if (!foldable(nd) || !ev->cached) return eval_node(ev, me, row0, n);
  weft__vec *out = &ev->vecs[me];
  if (!ev->cached[me]) {
    /* without the shared-node stamps: the one-row pass must not mark its children as
     * computed for the whole chunk */
    uint64_t *stamp = ev->stamp;
    ev->stamp = NULL;
    weft_status st = eval_node(ev, me, 0, 1);
    ev->stamp = stamp;
    WEFT_RETURN_NOT_OK(st);
    ev->cval[me] = out->v[0];
    ev->cached[me] = out->all_valid || out->valid[0] ? 1 : 2;
  }
  weft__val x = ev->cval[me];
  for (int64_t i = 0; i < n; i++) out->v[i] = x;
  out->all_valid = ev->cached[me] == 1;
  if (!out->all_valid) memset(out->valid, 0, (size_t)n);
  return WEFT_OK;
}

weft_status weft__eval_node(weft__eval *ev, int me, int64_t row0, int64_t n) {
  if (!ev->stamp) return eval_folded(ev, me, row0, n);
  if (ev->stamp[me] == ev->gen) return WEFT_OK; /* a shared node, computed this chunk */
  weft_status st = eval_folded(ev, me, row0, n);
  if (st == WEFT_OK) ev->stamp[me] = ev->gen;
  return st;
}

static weft_status eval_node(weft__eval *ev, int me, int64_t row0, int64_t n) {
  const weft__bnode *nd = &ev->bound->nodes[me];
  if (nd->a >= 0) WEFT_RETURN_NOT_OK(weft__eval_node(ev, nd->a, row0, n));
  if (nd->b >= 0) WEFT_RETURN_NOT_OK(weft__eval_node(ev, nd->b, row0, n));
  weft__vec *out = &ev->vecs[me];
  switch (nd->e->kind) {
    case WEFT__E_COLUMN:
      if (ev->sel) load_selected(nd->col, out, row0, ev->sel, n);
      else load_column(nd->col, out, row0, n);
      return WEFT_OK;
    case WEFT__E_LITERAL: load_literal(nd, out, n); return WEFT_OK;
    case WEFT__E_BINARY: return eval_binary(ev, me, n);
    case WEFT__E_UNARY: return eval_unary(ev, me, n);
    case WEFT__E_CAST: return weft__cast_vec(ev, me, n);
    case WEFT__E_FILL_NULL: {
      int done = 0;
      if (ev->vecs[nd->a].d) WEFT_RETURN_NOT_OK(weft__dec_fill_null(ev, me, n, &done));
      if (!done) fill_null(ev, me, n);
      return WEFT_OK;
    }
    case WEFT__E_CONTAINS: case WEFT__E_STARTS_WITH: return eval_string_test(ev, me, n);
    case WEFT__E_WHEN: return weft__eval_when(ev, me, n);
    case WEFT__E_BRANCHES: return WEFT_OK; /* its children are WEFT__E_WHEN's operands */
    case WEFT__E_IS_IN: return weft__eval_is_in(ev, me, n);
    case WEFT__E_ROUND: return weft__eval_numeric(ev, me, n);
    case WEFT__E_STR_OP: return weft__eval_str(ev, me, n);
    case WEFT__E_ALIAS: {
      /* the child's vec is the result: swap buffers so nothing is copied */
      weft__vec tmp = *out;
      *out = ev->vecs[nd->a];
      ev->vecs[nd->a] = tmp;
      return WEFT_OK;
    }
    case WEFT__E_VEC_DISTANCE: return weft__eval_vector_distance(ev, me, row0, n);
    case WEFT__E_AGG: case WEFT__E_OVER: case WEFT__E_OVER_KEY: /* bound as columns */
      return weft__error(WEFT_ERR_INTERNAL, "%s evaluated per row", nd->e->text);
  }
  return WEFT_OK;
}

weft_status weft__eval_chunk(weft__eval *ev, int64_t row0, int64_t n) {
  weft__eval_begin(ev);
  return weft__eval_node(ev, ev->bound->root, row0, n);
}
