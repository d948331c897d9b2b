/* The fused filter + aggregate's conjuncts (masked_keep.h): a column compared with a
 * constant runs here on the column's values, vectorized, into a byte a row. */
#include "frame/fused/masked_keep.h"

#include <math.h>
#include <string.h>

#include "core/error.h"

/* keep[i] &= (x[i] op q) for a number q: NaN compares above it, as in expr_eval.c. Through
 * 64-bit masks: a double compare narrowed straight to a byte does not vectorize. */
WEFT_VECTOR_CLONES static void keep_cmp_f64(int op, const double *restrict x, double q, int64_t n,
                                            uint8_t *restrict keep) {
  uint64_t m[WEFT__CHUNK];
  switch (op) {
    case WEFT_OP_EQ: for (int64_t i = 0; i < n; i++) m[i] = x[i] == q; break;
    case WEFT_OP_NE: for (int64_t i = 0; i < n; i++) m[i] = !(x[i] == q); break;
    case WEFT_OP_LT: for (int64_t i = 0; i < n; i++) m[i] = x[i] < q; break;
    case WEFT_OP_LE: for (int64_t i = 0; i < n; i++) m[i] = x[i] <= q; break;
    case WEFT_OP_GT: for (int64_t i = 0; i < n; i++) m[i] = !(x[i] <= q); break;
    default: for (int64_t i = 0; i < n; i++) m[i] = !(x[i] < q); break;
  }
  for (int64_t i = 0; i < n; i++) keep[i] &= (uint8_t)m[i];
}

/* keep[i] &= (x[i] op q) in the integer lane, through 64-bit masks as keep_cmp_f64. */
WEFT_VECTOR_CLONES static void keep_cmp_i64(int op, const int64_t *restrict x, int64_t q, int64_t n,
                                            uint8_t *restrict keep) {
  uint64_t m[WEFT__CHUNK];
  switch (op) {
    case WEFT_OP_EQ: for (int64_t i = 0; i < n; i++) m[i] = x[i] == q; break;
    case WEFT_OP_NE: for (int64_t i = 0; i < n; i++) m[i] = x[i] != q; break;
    case WEFT_OP_LT: for (int64_t i = 0; i < n; i++) m[i] = x[i] < q; break;
    case WEFT_OP_LE: for (int64_t i = 0; i < n; i++) m[i] = x[i] <= q; break;
    case WEFT_OP_GT: for (int64_t i = 0; i < n; i++) m[i] = x[i] > q; break;
    default: for (int64_t i = 0; i < n; i++) m[i] = x[i] >= q; break;
  }
  for (int64_t i = 0; i < n; i++) keep[i] &= (uint8_t)m[i];
}

/* The kept rows of a chunk (a 32-bit count widens less than a 64-bit one). */
WEFT_VECTOR_CLONES int64_t weft__count_kept(const uint8_t *restrict keep, int64_t n) {
  uint32_t k = 0;
  for (int64_t i = 0; i < n; i++) k += keep[i];
  return k;
}

/* keep[i] &= (column op constant) for rows [at, at + n), with expr_eval.c's semantics: null
 * is not true; in the float lane NaN equals NaN and is above every number. */
void weft__fast_keep(const weft__conj *c, int64_t at, int64_t n, uint8_t *restrict keep) {
  const weft_column_view *v = &c->col->view;
  int64_t o = v->offset + at;
  if (c->k_null) {
    memset(keep, 0, (size_t)n);
    return;
  }
  if (c->lane == WEFT__LANE_F) {
    double buf[WEFT__CHUNK], q = c->k.f;
    const double *x = buf;
    switch (v->type) {
      case WEFT_TYPE_FLOAT64: x = (const double *)v->values + o; break;
#define LOADF(T, CT) case T: for (int64_t i = 0; i < n; i++) buf[i] = (double)((const CT *)v->values)[o + i]; break;
      LOADF(WEFT_TYPE_FLOAT32, float) LOADF(WEFT_TYPE_INT8, int8_t) LOADF(WEFT_TYPE_INT16, int16_t)
      LOADF(WEFT_TYPE_INT32, int32_t) LOADF(WEFT_TYPE_INT64, int64_t) LOADF(WEFT_TYPE_UINT8, uint8_t)
      LOADF(WEFT_TYPE_UINT16, uint16_t) LOADF(WEFT_TYPE_UINT32, uint32_t) LOADF(WEFT_TYPE_DATE32, int32_t)
      LOADF(WEFT_TYPE_TIMESTAMP_US, int64_t)
#undef LOADF
      default: break;
    }
    if (isnan(q)) {
      for (int64_t i = 0; i < n; i++) keep[i] &= (uint8_t)weft__cmp_holds(c->op, isnan(x[i]) ? 0 : -1);
    } else {
      keep_cmp_f64(c->op, x, q, n, keep); /* q is a number: NaN rows compare above it */
    }
  } else {
    int64_t buf[WEFT__CHUNK], q = c->k.i;
    switch (v->type) {
#define LOADI(T, CT) case T: for (int64_t i = 0; i < n; i++) buf[i] = (int64_t)((const CT *)v->values)[o + i]; break;
      LOADI(WEFT_TYPE_INT8, int8_t) LOADI(WEFT_TYPE_INT16, int16_t) LOADI(WEFT_TYPE_INT32, int32_t)
      LOADI(WEFT_TYPE_UINT8, uint8_t) LOADI(WEFT_TYPE_UINT16, uint16_t)
      LOADI(WEFT_TYPE_UINT32, uint32_t) LOADI(WEFT_TYPE_DATE32, int32_t)
#undef LOADI
      default: break;
    }
    keep_cmp_i64(c->op, v->type == WEFT_TYPE_INT64 || v->type == WEFT_TYPE_TIMESTAMP_US
                            ? (const int64_t *)v->values + o : buf, q, n, keep);
  }
  if (v->validity)
    for (int64_t i = 0; i < n; i++) keep[i] &= (uint8_t)((v->validity[(o + i) >> 3] >> ((o + i) & 7)) & 1);
}

static int has_column(const weft__bound *b, int node) {
  if (node < 0) return 0;
  const weft__bnode *nd = &b->nodes[node];
  return nd->e->kind == WEFT__E_COLUMN || has_column(b, nd->a) || has_column(b, nd->b);
}

static int fast_column(const weft__bnode *nd) {
  if (nd->e->kind != WEFT__E_COLUMN || !nd->col) return 0;
  weft_type t = nd->col->view.type;
  return (weft__type_is_numeric(t) && t != WEFT_TYPE_UINT64) || t == WEFT_TYPE_DATE32 ||
         t == WEFT_TYPE_TIMESTAMP_US;
}

/* Splits the predicate's top-level ANDs into conjuncts; a column compared with a constant
 * (its constant evaluated once, here) becomes a fast one. */
weft_status weft__add_conjs(const weft__bound *b, weft__eval *ev, int node, weft__conj *out, int *n) {
  const weft__bnode *nd = &b->nodes[node];
  if (nd->e->kind == WEFT__E_BINARY && nd->e->op == WEFT_OP_AND) {
    WEFT_RETURN_NOT_OK(weft__add_conjs(b, ev, nd->a, out, n));
    return weft__add_conjs(b, ev, nd->b, out, n);
  }
  weft__conj *c = &out[(*n)++];
  memset(c, 0, sizeof *c);
  c->node = node;
  if (nd->e->kind != WEFT__E_BINARY || nd->e->op < WEFT_OP_EQ || nd->e->op > WEFT_OP_GE) return WEFT_OK;
  int colside = fast_column(&b->nodes[nd->a]) && !has_column(b, nd->b) ? nd->a
              : fast_column(&b->nodes[nd->b]) && !has_column(b, nd->a) ? nd->b : -1;
  if (colside < 0) return WEFT_OK;
  int kside = colside == nd->a ? nd->b : nd->a;
  int lc = b->nodes[colside].lane, lk = b->nodes[kside].lane;
  if (lk != WEFT__LANE_I && lk != WEFT__LANE_F) return WEFT_OK;
  c->lane = lc == WEFT__LANE_F || lk == WEFT__LANE_F ? WEFT__LANE_F : WEFT__LANE_I;
  /* the constant has no column under it: one row of it is all of it (it fails here, as
   * it would on the first chunk, if it is a failing cast) */
  WEFT_RETURN_NOT_OK(weft__eval_node(ev, kside, 0, 1));
  const weft__vec *kv = &ev->vecs[kside];
  c->k_null = !(kv->all_valid || kv->valid[0]);
  c->k = kv->v[0];
  if (c->lane == WEFT__LANE_F && lk == WEFT__LANE_I) c->k.f = (double)kv->v[0].i;
  static const int mirror[] = {WEFT_OP_EQ, WEFT_OP_NE, WEFT_OP_GT, WEFT_OP_GE, WEFT_OP_LT, WEFT_OP_LE};
  c->op = colside == nd->a ? nd->e->op : mirror[nd->e->op - WEFT_OP_EQ];
  c->col = b->nodes[colside].col;
  c->fast = 1;
  return WEFT_OK;
}
