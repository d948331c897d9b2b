/* Conjunctions of `column <cmp> constant`, evaluated from the columns' own types (see the
 * header for why each term can be planned exactly as the interpreter decides it). */
#include "frame/select/filter_literal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "frame/table/categorical.h"
#include "frame/table/table.h"

#define I128_MAX ((weft__i128)(((unsigned __int128)1 << 127) - 1))
#define I128_MIN (-I128_MAX - 1)

static int is_compare(int op) { return op >= WEFT_OP_EQ && op <= WEFT_OP_GE; }

static int flipped(int op) {
  switch (op) {
    case WEFT_OP_LT: return WEFT_OP_GT;
    case WEFT_OP_LE: return WEFT_OP_GE;
    case WEFT_OP_GT: return WEFT_OP_LT;
    case WEFT_OP_GE: return WEFT_OP_LE;
    default: return op;
  }
}

/* Column types the kernels read natively; uint64 (its own lane), bool and strings are not. */
static int int_like(weft_type t) {
  switch (t) {
    case WEFT_TYPE_INT8: case WEFT_TYPE_INT16: case WEFT_TYPE_INT32: case WEFT_TYPE_INT64:
    case WEFT_TYPE_UINT8: case WEFT_TYPE_UINT16: case WEFT_TYPE_UINT32:
    case WEFT_TYPE_DATE32: case WEFT_TYPE_TIMESTAMP_US: return 1;
    default: return weft__type_is_decimal(t);
  }
}

static int is_float(weft_type t) { return t == WEFT_TYPE_FLOAT32 || t == WEFT_TYPE_FLOAT64; }

/* The constant operand, as the interpreter holds it. */
typedef struct constant {
  int lane;
  int scale; /* decimal lane */
  int64_t i;
  double f;
  weft__i128 d;
} constant;

/* Polars' float order: NaN equals NaN and is above every number. */
static int cmp_f(double p, double q) {
  return isnan(p) ? !isnan(q) : isnan(q) ? -1 : (p > q) - (p < q);
}

/* x * 10^k, clamped to the 128-bit range as the interpreter's comparisons clamp. */
static weft__i128 scaled(weft__i128 x, int k) {
  weft__i128 m = weft__dec_pow10(k), r;
  if (__builtin_mul_overflow(x, m, &r)) r = x < 0 ? I128_MIN : I128_MAX;
  return r;
}

/* How the interpreter compares an integer-like column's value x (decimal scale sa) with the
 * constant: -1, 0, 1. Monotone non-decreasing in x. */
static int cmp_int_like(weft__i128 x, int sa, const constant *k) {
  if (k->lane == WEFT__LANE_F) {
    double v = sa ? (double)x / pow(10.0, sa) : (double)(int64_t)x;
    return cmp_f(v, k->f);
  }
  weft__i128 c = k->lane == WEFT__LANE_D ? k->d : k->i;
  int sb = k->lane == WEFT__LANE_D ? k->scale : 0, s = sa > sb ? sa : sb;
  weft__i128 X = scaled(x, s - sa), C = scaled(c, s - sb);
  return (X > C) - (X < C);
}

/* The least x in [lo, hi] with cmp >= at_least, or hi + 1 (hi < I128_MAX). */
static weft__i128 first_at_least(int sa, const constant *k, int at_least, weft__i128 lo, weft__i128 hi) {
  weft__i128 end = hi + 1;
  while (lo <= hi) {
    weft__i128 mid = lo + (weft__i128)(((unsigned __int128)hi - (unsigned __int128)lo) / 2);
    if (cmp_int_like(mid, sa, k) >= at_least) end = mid, hi = mid - 1;
    else lo = mid + 1;
  }
  return end;
}

/* The term `column op constant` on an integer-like column as a range [lo, hi) (negate: NE). */
static void plan_int_like(weft__lit_term *t, int op, const constant *k) {
  weft_type ty = t->cv->type;
  int sa = weft__type_is_decimal(ty) ? weft__dec_scale(ty) : 0;
  weft__i128 L = weft__type_is_decimal(ty) ? I128_MIN + 1 : INT64_MIN;
  weft__i128 R = weft__type_is_decimal(ty) ? I128_MAX - 1 : INT64_MAX;
  weft__i128 t0 = first_at_least(sa, k, 0, L, R), t1 = first_at_least(sa, k, 1, L, R);
  t->lo = L, t->hi = R + 1;
  switch (op) {
    case WEFT_OP_EQ: t->lo = t0, t->hi = t1; break;
    case WEFT_OP_NE: t->lo = t0, t->hi = t1, t->negate = 1; break;
    case WEFT_OP_LT: t->hi = t0; break;
    case WEFT_OP_LE: t->hi = t1; break;
    case WEFT_OP_GT: t->lo = t1; break;
    default: t->lo = t0; break;
  }
}

static int read_constant(weft__eval *ev, const weft__bound *b, int idx, constant *k, int *is_null) {
  const weft__bnode *nd = &b->nodes[idx];
  if (nd->lane != WEFT__LANE_I && nd->lane != WEFT__LANE_F && nd->lane != WEFT__LANE_D) return 0;
  weft__eval_begin(ev);
  if (weft__eval_node(ev, idx, 0, 1) != WEFT_OK) return 0; /* the interpreter says it again */
  const weft__vec *v = &ev->vecs[idx];
  *is_null = !(v->all_valid || v->valid[0]);
  k->lane = nd->lane;
  k->scale = nd->lane == WEFT__LANE_D ? weft__dec_scale(nd->type) : 0;
  k->i = v->v[0].i;
  k->f = v->v[0].f;
  if (nd->lane == WEFT__LANE_D) k->d = v->d[0];
  return 1;
}

static weft__lit_term *new_term(weft__lit_pred *p, int kind) {
  weft__lit_term *t = &p->t[p->n++];
  memset(t, 0, sizeof *t);
  t->kind = kind, t->group = p->cur_group;
  return t;
}

static int is_column(const weft__bnode *nd) { return nd->e->kind == WEFT__E_COLUMN && !nd->dur; }

/* Ints of any width (not decimals, not uint64) or floats on both sides: the interpreter
 * compares them as int64 or as doubles, as the pair kernel does. */
static int pair_ok(weft_type x, weft_type y) {
  int ix = int_like(x) && !weft__type_is_decimal(x), iy = int_like(y) && !weft__type_is_decimal(y);
  return (ix && iy) || (is_float(x) && is_float(y));
}

/* The code of `s` in the column's dictionary, or -1. */
static int64_t code_of(const weft__column *col, const char *s, int32_t len) {
  for (int64_t c = 0; c < weft__dict_size(col->dict); c++) {
    int32_t l;
    const char *p = weft__dict_str(col->dict, (uint32_t)c, &l);
    if (l == len && (len == 0 || !memcmp(p, s, (size_t)len))) return c;
  }
  return -1;
}

/* `categorical column ==/!= "text"` or `is_in` one string of its dictionary (or none): the
 * string looked up once, then a range of one code on the codes (or no row). */
static int plan_categorical(const weft__bnode *C, const weft__str_ref *set, int64_t nset,
                            int negate, weft__lit_pred *p) {
  int64_t code = -1;
  for (int64_t i = 0; i < nset; i++) {
    int64_t c = code_of(C->col, set[i].p ? set[i].p : "", set[i].len);
    if (c < 0) continue;
    if (code >= 0 && c != code) return 0; /* several codes: the interpreter's strings */
    code = c;
  }
  if (code < 0 && !negate) {
    new_term(p, WEFT__LIT_NONE);
    return 1;
  }
  weft__lit_term *t = new_term(p, WEFT__LIT_RANGE);
  t->codes = C->col->view;
  t->codes.type = WEFT_TYPE_UINT32;
  t->cv = &t->codes, t->self_codes = 1;
  t->lo = code < 0 ? 0 : code, t->hi = code < 0 ? 0 : code + 1; /* != a missing string: every row */
  t->negate = negate;
  return 1;
}

static int is_categorical(const weft__bnode *nd) {
  return nd->e->kind == WEFT__E_COLUMN && nd->col && nd->col->view.type == WEFT_TYPE_CATEGORICAL;
}

/* `utf8 column is_in [strings]` or `utf8 column ==/!= "text"`. */
static int plan_strings(weft__eval *ev, const weft__bound *b, int idx, weft__lit_pred *p) {
  const weft__bnode *nd = &b->nodes[idx];
  if (nd->e->kind == WEFT__E_IS_IN) {
    const weft__bnode *C = &b->nodes[nd->a];
    if (is_categorical(C)) return plan_categorical(C, nd->e->set, nd->e->nset, 0, p);
    if (!is_column(C) || C->col->view.type != WEFT_TYPE_UTF8 || C->lane != WEFT__LANE_S) return 0;
    weft__lit_term *t = new_term(p, WEFT__LIT_STR_SET);
    t->cv = &C->col->view;
    t->set = nd->e->set, t->nset = nd->e->nset;
    return 1;
  }
  int op = nd->e->op;
  const weft__bnode *A = &b->nodes[nd->a], *B = &b->nodes[nd->b];
  const weft__bnode *C = A->constant ? B : A, *K = A->constant ? A : B;
  if ((op == WEFT_OP_EQ || op == WEFT_OP_NE) && is_categorical(C) && K->constant &&
      K->e->kind == WEFT__E_LITERAL && K->lane == WEFT__LANE_S) {
    if (K->e->is_null) {
      new_term(p, WEFT__LIT_NONE);
      return 1;
    }
    weft__str_ref one = {K->e->s ? K->e->s : "", (int32_t)strlen(K->e->s ? K->e->s : "")};
    return plan_categorical(C, &one, 1, op == WEFT_OP_NE, p);
  }
  if ((op != WEFT_OP_EQ && op != WEFT_OP_NE) || !is_column(C) || !K->constant ||
      C->col->view.type != WEFT_TYPE_UTF8 || K->e->kind != WEFT__E_LITERAL || K->lane != WEFT__LANE_S)
    return 0;
  (void)ev;
  if (K->e->is_null) {
    new_term(p, WEFT__LIT_NONE);
    return 1;
  }
  weft__lit_term *t = new_term(p, WEFT__LIT_STR_SET);
  t->cv = &C->col->view, t->negate = op == WEFT_OP_NE;
  t->one.p = K->e->s ? K->e->s : "", t->one.len = (int32_t)strlen(t->one.p);
  t->set = &t->one, t->nset = 1, t->self_set = 1;
  return 1;
}

/* One comparison leaf; 0 when it is not `column op constant` of a planned type. */
static int plan_leaf(weft__eval *ev, const weft__bound *b, int idx, weft__lit_pred *p) {
  const weft__bnode *nd = &b->nodes[idx];
  if (p->n == WEFT__LIT_MAX_TERMS) return 0;
  if (nd->e->kind == WEFT__E_IS_IN) return plan_strings(ev, b, idx, p);
  if (nd->e->kind != WEFT__E_BINARY || !is_compare(nd->e->op)) return 0;
  const weft__bnode *A = &b->nodes[nd->a], *B = &b->nodes[nd->b];
  if (A->lane == WEFT__LANE_S || B->lane == WEFT__LANE_S) return plan_strings(ev, b, idx, p);
  if (is_column(A) && is_column(B)) {
    if (!pair_ok(A->col->view.type, B->col->view.type)) return 0;
    weft__lit_term *t = new_term(p, WEFT__LIT_PAIR);
    t->cv = &A->col->view, t->cv2 = &B->col->view, t->op = nd->e->op;
    return 1;
  }
  int op = nd->e->op, col = nd->a, con = nd->b;
  if (A->constant && B->e->kind == WEFT__E_COLUMN) col = nd->b, con = nd->a, op = flipped(op);
  const weft__bnode *C = &b->nodes[col], *K = &b->nodes[con];
  if (C->e->kind != WEFT__E_COLUMN || !K->constant || C->dur || K->dur) return 0;
  weft_type ty = C->col->view.type;
  if (!int_like(ty) && !is_float(ty)) return 0;
  constant k = {0};
  int is_null = 0;
  if (!read_constant(ev, b, con, &k, &is_null)) return 0;
  if (is_null) {
    new_term(p, WEFT__LIT_NONE);
    return 1;
  }
  weft__lit_term *t = new_term(p, WEFT__LIT_RANGE);
  t->cv = &C->col->view, t->op = op;
  if (is_float(ty)) {
    t->kind = WEFT__LIT_FLOAT;
    t->c = k.lane == WEFT__LANE_F ? k.f
         : k.lane == WEFT__LANE_D ? (double)k.d / pow(10.0, k.scale) : (double)k.i;
    return 1;
  }
  plan_int_like(t, op, &k);
  return 1;
}

static int is_op(const weft__bnode *nd, int op) { return nd->e->kind == WEFT__E_BINARY && nd->e->op == op; }

static int plan_tree(weft__eval *ev, const weft__bound *b, int idx, weft__lit_pred *p);

/* The disjuncts under an OR (nested ORs flattened), each a group of its own. */
static int plan_or(weft__eval *ev, const weft__bound *b, int idx, int or_id, weft__lit_pred *p) {
  const weft__bnode *nd = &b->nodes[idx];
  if (is_op(nd, WEFT_OP_OR))
    return plan_or(ev, b, nd->a, or_id, p) && plan_or(ev, b, nd->b, or_id, p);
  if (++p->ndisjunct >= 1024) return 0;
  p->cur_group = or_id * 1024 + p->ndisjunct;
  int ok = plan_tree(ev, b, idx, p);
  p->cur_group = 0;
  return ok;
}

static int plan_tree(weft__eval *ev, const weft__bound *b, int idx, weft__lit_pred *p) {
  const weft__bnode *nd = &b->nodes[idx];
  if (is_op(nd, WEFT_OP_AND)) return plan_tree(ev, b, nd->a, p) && plan_tree(ev, b, nd->b, p);
  if (is_op(nd, WEFT_OP_OR)) {
    if (p->cur_group != 0) return 0; /* an OR inside a disjunct */
    return plan_or(ev, b, idx, ++p->nor, p);
  }
  return plan_leaf(ev, b, idx, p);
}

/* Ranges on one column of one group meet in one term (is_between's two bounds: one pass,
 * not two); an empty range is no row. */
static void merge_ranges(weft__lit_pred *p) {
  int n = 0;
  for (int i = 0; i < p->n; i++) {
    weft__lit_term *t = &p->t[i];
    int merged = 0;
    for (int j = 0; j < n && t->kind == WEFT__LIT_RANGE && !t->negate; j++) {
      weft__lit_term *u = &p->t[j];
      if (u->cv != t->cv || u->group != t->group || u->kind != WEFT__LIT_RANGE || u->negate) continue;
      if (t->lo > u->lo) u->lo = t->lo;
      if (t->hi < u->hi) u->hi = t->hi;
      merged = 1;
      break;
    }
    if (!merged) p->t[n++] = *t;
  }
  p->n = n;
  for (int i = 0; i < n; i++)
    if (p->t[i].kind == WEFT__LIT_RANGE && !p->t[i].negate && p->t[i].lo >= p->t[i].hi)
      p->t[i].kind = WEFT__LIT_NONE;
}

/* Each group's terms together, the top conjunction first (the disjuncts are tested only on
 * the rows it kept), and within a group strings last (tested only on the rows the cheap terms
 * kept): a stable insertion sort, the order within a rank kept. */
static int rank(const weft__lit_term *t) { return t->group * 2 + (t->kind == WEFT__LIT_STR_SET); }

static void order_terms(weft__lit_pred *p) {
  for (int i = 1; i < p->n; i++) {
    weft__lit_term t = p->t[i];
    int j = i;
    for (; j > 0 && rank(&p->t[j - 1]) > rank(&t); j--) p->t[j] = p->t[j - 1];
    p->t[j] = t;
  }
  for (int i = 0; i < p->n; i++) { /* terms moved: `== "text"` points into itself again */
    if (p->t[i].self_set) p->t[i].set = &p->t[i].one;
    if (p->t[i].self_codes) p->t[i].cv = &p->t[i].codes;
    if (p->t[i].group == 0 && p->t[i].kind == WEFT__LIT_NONE) p->never = 1;
  }
}

int weft__lit_pred_plan(const weft__bound *b, weft__lit_pred *out) {
  memset(out, 0, sizeof *out);
  weft__eval ev;
  if (weft__eval_init(&ev, b) != WEFT_OK) return 0;
  int ok = plan_tree(&ev, b, b->root, out);
  weft__eval_free(&ev);
  if (ok) merge_ranges(out), order_terms(out);
  return ok;
}

static void and_validity(const uint8_t *bits, int64_t o, int64_t n, uint8_t *keep) {
  if (!bits) return;
  for (int64_t i = 0; i < n; i++) keep[i] &= (uint8_t)((bits[(o + i) >> 3] >> ((o + i) & 7)) & 1);
}

/* keep[i] &= lo <= x < hi (or outside, negated): one unsigned comparison per row on the
 * range clamped to int64, the column's values being int64 or narrower. */
static void keep_int(const weft__lit_term *t, int64_t o, int64_t n, uint8_t *keep) {
  weft__i128 lo = t->lo < INT64_MIN ? INT64_MIN : t->lo;
  weft__i128 hi = t->hi > (weft__i128)INT64_MAX + 1 ? (weft__i128)INT64_MAX + 1 : t->hi;
  uint8_t flip = (uint8_t)t->negate;
  if (lo >= hi) { /* no value inside */
    if (!flip) memset(keep, 0, (size_t)n);
    return;
  }
  if (hi - lo > (weft__i128)UINT64_MAX) { /* every value inside */
    if (flip) memset(keep, 0, (size_t)n);
    return;
  }
  uint64_t base = (uint64_t)(int64_t)lo, width = (uint64_t)(hi - lo);
  switch (t->cv->type) {
#define RANGE(T, CT)                                                        \
  case T: {                                                                 \
    const CT *s = (const CT *)t->cv->values + o;                            \
    for (int64_t i = 0; i < n; i++)                                         \
      keep[i] &= (uint8_t)(((uint64_t)(int64_t)s[i] - base < width) ^ flip); \
    break;                                                                  \
  }
    RANGE(WEFT_TYPE_INT8, int8_t) RANGE(WEFT_TYPE_INT16, int16_t) RANGE(WEFT_TYPE_INT32, int32_t)
    RANGE(WEFT_TYPE_INT64, int64_t) RANGE(WEFT_TYPE_UINT8, uint8_t) RANGE(WEFT_TYPE_UINT16, uint16_t)
    RANGE(WEFT_TYPE_UINT32, uint32_t) RANGE(WEFT_TYPE_DATE32, int32_t) RANGE(WEFT_TYPE_TIMESTAMP_US, int64_t)
#undef RANGE
    default: break;
  }
}

/* Decimals hold 128 bits, but a column of precision <= 18 (TPC-H's money) has every value
 * in int64: the low words are tested in one vectorizable pass, and only a chunk where some
 * value does not fit (a producer that broke its precision) is tested again in 128 bits. */
static void keep_decimal(const weft__lit_term *t, int64_t o, int64_t n, uint8_t *keep) {
  const weft__i128 *s = (const weft__i128 *)t->cv->values + o;
  const int64_t *w = (const int64_t *)s; /* little-endian: low word, high word */
  weft__i128 lo = t->lo, hi = t->hi;
  uint8_t flip = (uint8_t)t->negate;
  weft__i128 lo64 = lo < INT64_MIN ? INT64_MIN : lo;
  weft__i128 hi64 = hi > (weft__i128)INT64_MAX + 1 ? (weft__i128)INT64_MAX + 1 : hi;
  int64_t wide = 1;
  uint8_t hit[WEFT__CHUNK];
  if (lo64 < hi64 && hi64 - lo64 <= (weft__i128)UINT64_MAX) {
    uint64_t base = (uint64_t)(int64_t)lo64, width = (uint64_t)(hi64 - lo64);
    wide = 0;
    for (int64_t i = 0; i < n; i++) {
      int64_t low = w[2 * i], high = w[2 * i + 1];
      wide |= high ^ (low >> 63); /* nonzero: the value needs more than 64 bits */
      hit[i] = (uint8_t)((((uint64_t)low - base) < width) ^ flip);
    }
    if (!wide) {
      for (int64_t i = 0; i < n; i++) keep[i] &= hit[i];
      return;
    }
  }
  for (int64_t i = 0; i < n; i++) keep[i] &= (uint8_t)((s[i] >= lo && s[i] < hi) ^ flip);
}

/* Polars' order: NaN equals NaN and is above every number; `cn`: the constant is NaN. */
#define FLOAT_TERM(CT)                                                                    \
  static void keep_float_##CT(const weft__lit_term *t, const CT *s, int64_t n, uint8_t *keep) { \
    double c = t->c;                                                                      \
    int cn = isnan(c) != 0;                                                               \
    for (int64_t i = 0; i < n; i++) {                                                     \
      double x = s[i];                                                                    \
      int xn = isnan(x) != 0, eq = (x == c) | (xn & cn);                                  \
      int hold = t->op == WEFT_OP_LT ? (x < c) | ((1 - xn) & cn)                          \
               : t->op == WEFT_OP_LE ? (x <= c) | cn                                      \
               : t->op == WEFT_OP_GT ? (x > c) | (xn & (1 - cn))                          \
               : t->op == WEFT_OP_GE ? (x >= c) | xn                                      \
               : t->op == WEFT_OP_EQ ? eq : 1 - eq;                                       \
      keep[i] &= (uint8_t)hold;                                                           \
    }                                                                                     \
  }
FLOAT_TERM(float)
FLOAT_TERM(double)
#undef FLOAT_TERM

/* A chunk of an int-like or float column widened to int64 or double. */
static void widen(const weft_column_view *cv, int64_t o, int64_t n, weft__val *out) {
  switch (cv->type) {
#define WIDEN(T, CT, F)                                \
  case T: {                                            \
    const CT *s = (const CT *)cv->values + o;          \
    for (int64_t i = 0; i < n; i++) out[i].F = s[i];   \
    break;                                             \
  }
    WIDEN(WEFT_TYPE_INT8, int8_t, i) WIDEN(WEFT_TYPE_INT16, int16_t, i) WIDEN(WEFT_TYPE_INT32, int32_t, i)
    WIDEN(WEFT_TYPE_INT64, int64_t, i) WIDEN(WEFT_TYPE_UINT8, uint8_t, i) WIDEN(WEFT_TYPE_UINT16, uint16_t, i)
    WIDEN(WEFT_TYPE_UINT32, uint32_t, i) WIDEN(WEFT_TYPE_DATE32, int32_t, i)
    WIDEN(WEFT_TYPE_TIMESTAMP_US, int64_t, i) WIDEN(WEFT_TYPE_FLOAT32, float, f)
    WIDEN(WEFT_TYPE_FLOAT64, double, f)
#undef WIDEN
    default: break;
  }
}

static void keep_pair(const weft__lit_term *t, int64_t row0, int64_t n, uint8_t *keep) {
  weft__val x[WEFT__CHUNK], y[WEFT__CHUNK];
  widen(t->cv, t->cv->offset + row0, n, x);
  widen(t->cv2, t->cv2->offset + row0, n, y);
  int op = t->op;
  if (is_float(t->cv->type)) {
    for (int64_t i = 0; i < n; i++) keep[i] &= (uint8_t)weft__cmp_holds(op, cmp_f(x[i].f, y[i].f));
    return;
  }
  for (int64_t i = 0; i < n; i++) {
    int64_t p = x[i].i, q = y[i].i;
    int hold = op == WEFT_OP_LT ? p < q : op == WEFT_OP_LE ? p <= q : op == WEFT_OP_GT ? p > q
             : op == WEFT_OP_GE ? p >= q : op == WEFT_OP_EQ ? p == q : p != q;
    keep[i] &= (uint8_t)hold;
  }
}

/* A short set is scanned (lengths first), a long one searched as the interpreter does. */
static void keep_str_set(const weft__lit_term *t, int64_t o, int64_t n, uint8_t *keep) {
  const int32_t *of = (const int32_t *)t->cv->values + o;
  const char *data = t->cv->data;
  uint8_t flip = (uint8_t)t->negate;
  for (int64_t i = 0; i < n; i++) {
    if (!keep[i]) continue;
    weft__str_ref key = {data + of[i], of[i + 1] - of[i]};
    int hit = 0;
    if (t->nset <= 16) {
      for (int64_t k = 0; k < t->nset && !hit; k++)
        hit = t->set[k].len == key.len && !memcmp(t->set[k].p, key.p, (size_t)key.len);
    } else {
      hit = bsearch(&key, t->set, (size_t)t->nset, sizeof key, weft__str_ref_cmp) != NULL;
    }
    keep[i] = (uint8_t)(hit ^ flip);
  }
}

static void apply_term(const weft__lit_term *t, int64_t row0, int64_t n, uint8_t *keep) {
  if (t->kind == WEFT__LIT_NONE) {
    memset(keep, 0, (size_t)n);
    return;
  }
  int64_t o = t->cv->offset + row0;
  if (t->kind == WEFT__LIT_PAIR) {
    keep_pair(t, row0, n, keep);
    and_validity(t->cv->validity, o, n, keep);
    and_validity(t->cv2->validity, t->cv2->offset + row0, n, keep);
    return;
  }
  if (t->kind == WEFT__LIT_STR_SET) { /* validity first: only the rows still kept are tested */
    and_validity(t->cv->validity, o, n, keep);
    keep_str_set(t, o, n, keep);
    return;
  }
  if (t->cv->type == WEFT_TYPE_FLOAT32) keep_float_float(t, (const float *)t->cv->values + o, n, keep);
  else if (t->cv->type == WEFT_TYPE_FLOAT64) keep_float_double(t, (const double *)t->cv->values + o, n, keep);
  else if (weft__type_is_decimal(t->cv->type)) keep_decimal(t, o, n, keep);
  else keep_int(t, o, n, keep);
  and_validity(t->cv->validity, o, n, keep);
}

void weft__lit_pred_keep(const weft__lit_pred *p, int64_t row0, int64_t n, uint8_t *keep) {
  memset(keep, !p->never, (size_t)n);
  int j = 0;
  for (; j < p->n && !p->never && p->t[j].group == 0; j++) apply_term(&p->t[j], row0, n, keep);
  uint8_t any[WEFT__CHUNK], one[WEFT__CHUNK];
  while (j < p->n && !p->never) { /* an OR: its disjuncts' terms follow each other */
    int or_id = p->t[j].group / 1024;
    memset(any, 0, (size_t)n);
    while (j < p->n && p->t[j].group / 1024 == or_id) {
      int g = p->t[j].group;
      memcpy(one, keep, (size_t)n);
      for (; j < p->n && p->t[j].group == g; j++) apply_term(&p->t[j], row0, n, one);
      for (int64_t i = 0; i < n; i++) any[i] |= one[i];
    }
    memcpy(keep, any, (size_t)n);
  }
}
