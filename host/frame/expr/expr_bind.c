/* Binding an expression to a table: every node gets its type, lane, nullability and, for
 * columns, the column. Type rules follow Polars, simplified to be easy to state:
 *  - integers: both signed -> the wider signed, both unsigned -> the wider unsigned, mixed
 *    signedness -> int64;
 *  - any float -> float64, except float32 with float32, int8/16 or uint8/16 -> float32;
 *  - an int64 literal next to a numeric column takes the column's type when its value fits
 *    (col_int32 + 1 stays int32), a float64 literal next to a float32 column is float32, and a
 *    null literal takes the other side's type;
 *  - `/` is float64 (float32 when both sides are float32); comparisons give bool; & | and ~
 *    take bool; sqrt/log/exp give float64 (float32 stays float32). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/alloc.h"
#include "frame/expr/expr.h"
#include "frame/expr/expr_agg.h"

static const char *bin_sym[] = {"+", "-", "*", "/", "%", "==", "!=", "<", "<=", ">", ">=", "&", "|", "//"};

int weft__type_lane(weft_type t) {
  switch (t) {
    case WEFT_TYPE_UINT64: return WEFT__LANE_U;
    case WEFT_TYPE_FLOAT32: case WEFT_TYPE_FLOAT64: return WEFT__LANE_F;
    case WEFT_TYPE_UTF8: return WEFT__LANE_S;
    default: return weft__type_is_decimal(t) ? WEFT__LANE_D : WEFT__LANE_I;
  }
}

static int is_signed(weft_type t) { return t >= WEFT_TYPE_INT8 && t <= WEFT_TYPE_INT64; }

static weft_type promote(weft_type a, weft_type b) {
  if (weft__type_is_float(a) || weft__type_is_float(b)) {
    weft_type other = weft__type_is_float(a) ? b : a;
    if (a == WEFT_TYPE_FLOAT64 || b == WEFT_TYPE_FLOAT64) return WEFT_TYPE_FLOAT64;
    if (other == WEFT_TYPE_FLOAT32 || other == WEFT_TYPE_INT8 || other == WEFT_TYPE_INT16 ||
        other == WEFT_TYPE_UINT8 || other == WEFT_TYPE_UINT16)
      return WEFT_TYPE_FLOAT32;
    return WEFT_TYPE_FLOAT64;
  }
  if (is_signed(a) == is_signed(b)) return weft__type_width(a) >= weft__type_width(b) ? a : b;
  return WEFT_TYPE_INT64;
}

static int int_fits(int64_t v, weft_type t) {
  switch (t) {
    case WEFT_TYPE_INT8: return v >= INT8_MIN && v <= INT8_MAX;
    case WEFT_TYPE_INT16: return v >= INT16_MIN && v <= INT16_MAX;
    case WEFT_TYPE_INT32: return v >= INT32_MIN && v <= INT32_MAX;
    case WEFT_TYPE_INT64: return 1;
    case WEFT_TYPE_UINT8: return v >= 0 && v <= UINT8_MAX;
    case WEFT_TYPE_UINT16: return v >= 0 && v <= UINT16_MAX;
    case WEFT_TYPE_UINT32: return v >= 0 && v <= (int64_t)UINT32_MAX;
    case WEFT_TYPE_UINT64: return v >= 0;
    default: return 0;
  }
}

static int push(weft__bound *b, const weft_expr *e) {
  if (b->n == b->cap) {
    int cap = b->cap ? b->cap * 2 : 16;
    weft__bnode *n = weft__realloc(b->nodes, (size_t)cap * sizeof *n);
    if (!n) return -1;
    b->nodes = n;
    b->cap = cap;
  }
  weft__bnode *n = &b->nodes[b->n];
  memset(n, 0, sizeof *n);
  n->e = e;
  n->a = n->b = -1;
  return b->n++;
}

/* "utf8 column \"s\"", "int64 literal", or "utf8 expression col(\"s\").str.to_lowercase()". */
static const char *describe(const weft__bound *b, int i, char *buf, size_t cap) {
  const weft__bnode *n = &b->nodes[i];
  const char *t = weft_type_name(n->type);
  if (n->e->kind == WEFT__E_COLUMN) snprintf(buf, cap, "%s column \"%s\"", t, n->e->s);
  else if (n->e->kind == WEFT__E_LITERAL) snprintf(buf, cap, "%s literal", t);
  else snprintf(buf, cap, "%s expression %s", t, n->e->text);
  return buf;
}

static weft_status type_error(const weft__bound *b, const char *what, int x, int y) {
  char d1[256], d2[256];
  if (y < 0)
    return weft__error(WEFT_ERR_INVALID_ARGUMENT, "cannot apply %s to %s", what, describe(b, x, d1, sizeof d1));
  return weft__error(WEFT_ERR_INVALID_ARGUMENT, "cannot apply %s to %s and %s", what,
                     describe(b, x, d1, sizeof d1), describe(b, y, d2, sizeof d2));
}

static int is_dyn_int(const weft__bnode *n) {
  return n->e->kind == WEFT__E_LITERAL && !n->e->is_null && n->e->type == WEFT_TYPE_INT64 &&
         !n->e->duration;
}
static int is_dyn_float(const weft__bnode *n) {
  return n->e->kind == WEFT__E_LITERAL && !n->e->is_null && n->e->type == WEFT_TYPE_FLOAT64;
}
static int is_null_lit(const weft__bnode *n) { return n->e->kind == WEFT__E_LITERAL && n->e->is_null; }

static void retype(weft__bnode *n, weft_type t) {
  n->type = t;
  n->lane = weft__type_lane(t);
}

/* A literal beside a typed expression adopts its type where Polars would. */
static void adopt_literals(weft__bound *b, int x, int y) {
  for (int k = 0; k < 2; k++) {
    weft__bnode *lit = &b->nodes[k ? y : x], *other = &b->nodes[k ? x : y];
    if (other->e->kind == WEFT__E_LITERAL) continue;
    if (is_null_lit(lit)) retype(lit, other->type);
    else if (is_dyn_int(lit) && weft__type_is_integer(other->type) && int_fits(lit->e->i, other->type))
      retype(lit, other->type);
    else if (is_dyn_int(lit) && weft__type_is_float(other->type)) retype(lit, other->type);
    else if (is_dyn_float(lit) && other->type == WEFT_TYPE_FLOAT32) retype(lit, WEFT_TYPE_FLOAT32);
  }
}

static int temporal(weft_type t) { return t == WEFT_TYPE_DATE32 || t == WEFT_TYPE_TIMESTAMP_US; }

/* The common type of two operands for comparisons and fill_null; -1 when there is none. */
static int common_type(weft_type a, weft_type b) {
  if (weft__type_is_decimal(a) || weft__type_is_decimal(b)) return weft__dec_supertype(a, b);
  if (weft__type_is_numeric(a) && weft__type_is_numeric(b)) return (int)promote(a, b);
  if (a == b) return (int)a;
  return -1;
}

static weft_status bind(weft__bound *b, const weft_expr *e, const weft_table *t, int *out);

/* Dates and timestamps shifted by durations, and differences of two (Polars' duration, which
 * weft keeps as int64 microseconds with the node's `dur` mark). */
static weft_status bind_temporal_arith(weft__bound *b, int me, int op) {
  weft__bnode *n = &b->nodes[me];
  const weft__bnode *A = &b->nodes[n->a], *B = &b->nodes[n->b];
  if (temporal(A->type) && B->dur) retype(n, A->type);
  else if (op == WEFT_OP_ADD && A->dur && temporal(B->type)) retype(n, B->type);
  else if (op == WEFT_OP_SUB && temporal(A->type) && A->type == B->type) n->dur = 1;
  else if (A->dur && B->dur) n->dur = 1;
  else return type_error(b, bin_sym[op], n->a, n->b);
  if (n->dur) retype(n, WEFT_TYPE_INT64);
  return WEFT_OK;
}

static weft_status bind_binary(weft__bound *b, int me, const weft_expr *e) {
  weft__bnode *n = &b->nodes[me];
  int x = n->a, y = n->b;
  adopt_literals(b, x, y);
  n = &b->nodes[me];
  weft_type ta = b->nodes[x].type, tb = b->nodes[y].type;
  int op = e->op;
  n->nullable = b->nodes[x].nullable || b->nodes[y].nullable;
  weft_type dt;
  int dec = weft__dec_binary_type(op, ta, tb, &dt);
  if (dec < 0) return type_error(b, bin_sym[op], x, y);
  if (dec > 0) {
    retype(n, dt);
    return WEFT_OK;
  }
  if ((op == WEFT_OP_ADD || op == WEFT_OP_SUB) &&
      (temporal(ta) || temporal(tb) || b->nodes[x].dur || b->nodes[y].dur))
    return bind_temporal_arith(b, me, op);
  if (op == WEFT_OP_FLOORDIV) {
    if (!weft__type_is_numeric(ta) || !weft__type_is_numeric(tb)) return type_error(b, "//", x, y);
    weft_type r = promote(ta, tb);
    if (weft__type_is_integer(r)) n->nullable = 1; /* x // 0 is null */
    retype(n, r);
  } else if (op <= WEFT_OP_MOD) {
    if (!weft__type_is_numeric(ta) || !weft__type_is_numeric(tb)) return type_error(b, bin_sym[op], x, y);
    weft_type r = promote(ta, tb);
    if (op == WEFT_OP_DIV && r != WEFT_TYPE_FLOAT32)
      r = ta == WEFT_TYPE_FLOAT32 && tb == WEFT_TYPE_FLOAT32 ? WEFT_TYPE_FLOAT32 : WEFT_TYPE_FLOAT64;
    if (op == WEFT_OP_MOD && weft__type_is_integer(r)) n->nullable = 1; /* x % 0 is null */
    retype(n, r);
  } else if (op <= WEFT_OP_GE) {
    if (common_type(ta, tb) < 0) return type_error(b, bin_sym[op], x, y);
    retype(n, WEFT_TYPE_BOOL);
  } else {
    if (ta != WEFT_TYPE_BOOL || tb != WEFT_TYPE_BOOL) return type_error(b, bin_sym[op], x, y);
    retype(n, WEFT_TYPE_BOOL);
  }
  return WEFT_OK;
}

/* decimal(p, s) -> decimal(p + 1, s), at most 38 digits: what a carry out of rounding needs. */
static weft_type decimal_one_more_digit(weft_type t) {
  int p = weft__dec_precision(t);
  return WEFT_TYPE_DECIMAL(p < 38 ? p + 1 : 38, weft__dec_scale(t));
}

static weft_status bind_unary(weft__bound *b, int me, const weft_expr *e) {
  static const char *names[] = {"~ (not)", "- (neg)", "is_null", "is_not_null", "abs", "sqrt", "log",
                                "exp", "str.len_chars", "str.to_lowercase", "str.to_uppercase",
                                "str.len_bytes", "floor", "ceil", "dt.year", "dt.month", "dt.day",
                                "dt.weekday", "dt.total_days"};
  int x = b->nodes[me].a;
  weft_type t = b->nodes[x].type;
  weft__bnode *n = &b->nodes[me];
  n->nullable = b->nodes[x].nullable;
  int ok = 1;
  switch (e->op) {
    case WEFT_OP_NOT: ok = t == WEFT_TYPE_BOOL; retype(n, t); break;
    case WEFT_OP_NEG:
      ok = is_signed(t) || weft__type_is_float(t) || weft__type_is_decimal(t);
      retype(n, t);
      n->dur = b->nodes[x].dur;
      break;
    case WEFT_OP_ABS: ok = weft__type_is_numeric(t) || weft__type_is_decimal(t); retype(n, t); break;
    case WEFT_OP_IS_NULL: case WEFT_OP_IS_NOT_NULL: n->nullable = 0; retype(n, WEFT_TYPE_BOOL); break;
    case WEFT_OP_SQRT: case WEFT_OP_LOG: case WEFT_OP_EXP:
      ok = weft__type_is_numeric(t) || weft__type_is_decimal(t);
      retype(n, t == WEFT_TYPE_FLOAT32 ? WEFT_TYPE_FLOAT32 : WEFT_TYPE_FLOAT64);
      break;
    case WEFT_OP_STR_LEN: case WEFT_OP_STR_LEN_BYTES: ok = t == WEFT_TYPE_UTF8; retype(n, WEFT_TYPE_UINT32); break;
    case WEFT_OP_FLOOR: case WEFT_OP_CEIL:
      ok = weft__type_is_numeric(t) || weft__type_is_decimal(t);
      retype(n, weft__type_is_decimal(t) ? decimal_one_more_digit(t) : t);
      break;
    case WEFT_OP_DT_YEAR: ok = temporal(t); retype(n, WEFT_TYPE_INT32); break;
    case WEFT_OP_DT_MONTH: case WEFT_OP_DT_DAY: case WEFT_OP_DT_WEEKDAY:
      ok = temporal(t);
      retype(n, WEFT_TYPE_INT8);
      break;
    case WEFT_OP_DT_TOTAL_DAYS: ok = b->nodes[x].dur; retype(n, WEFT_TYPE_INT64); break;
    default: ok = t == WEFT_TYPE_UTF8; retype(n, WEFT_TYPE_UTF8); break;
  }
  if (!ok && e->op == WEFT_OP_DT_TOTAL_DAYS) {
    char d[256];
    return weft__error(WEFT_ERR_INVALID_ARGUMENT,
                       "cannot apply dt.total_days to %s: it takes a duration (date - date, "
                       "datetime - datetime or a duration literal)", describe(b, x, d, sizeof d));
  }
  if (!ok) return type_error(b, names[e->op], x, -1);
  return WEFT_OK;
}

static int cast_allowed(weft_type from, weft_type to) {
  if (from == to) return 1;
  if (to == WEFT_TYPE_CATEGORICAL) return from == WEFT_TYPE_UTF8; /* as Polars: strings only */
  if (weft__type_is_decimal(from) || weft__type_is_decimal(to)) { /* numbers and text */
    weft_type o = weft__type_is_decimal(from) ? to : from;
    return weft__type_is_decimal(o) || weft__type_is_numeric(o) || o == WEFT_TYPE_UTF8 ||
           (o == WEFT_TYPE_BOOL && o == to); /* decimal -> bool: non-zero, as Polars */
  }
  int fnum = weft__type_is_numeric(from) || from == WEFT_TYPE_BOOL;
  int tnum = weft__type_is_numeric(to) || to == WEFT_TYPE_BOOL;
  if (fnum && tnum) return 1;
  if ((weft__type_is_numeric(from) || from == WEFT_TYPE_BOOL) && to == WEFT_TYPE_UTF8) return 1;
  if (from == WEFT_TYPE_UTF8 && weft__type_is_numeric(to)) return 1;
  if (temporal(from) && temporal(to)) return 1;
  if (weft__type_is_integer(from) && temporal(to)) return 1;
  if (temporal(from) && weft__type_is_integer(to)) return 1;
  return 0;
}

/* A vector column is read only by the operations made for it (expr_vector.c), is_null /
 * is_not_null and an alias; anything else names the column and says what it takes. */
static weft_status check_vector_operands(const weft__bound *b, int me) {
  const weft_expr *e = b->nodes[me].e;
  int takes = e->kind == WEFT__E_ALIAS || e->kind == WEFT__E_VEC_DISTANCE ||
              (e->kind == WEFT__E_UNARY && (e->op == WEFT_OP_IS_NULL || e->op == WEFT_OP_IS_NOT_NULL));
  for (int k = 0; k < 2 && !takes; k++) {
    int x = k ? b->nodes[me].b : b->nodes[me].a;
    if (x < 0 || !weft__type_is_vector(b->nodes[x].type)) continue;
    char d[256];
    return weft__error(WEFT_ERR_INVALID_ARGUMENT, "cannot apply %s to %s: a vector column takes "
                       "cosine_distance, l2_distance, dot, is_null and is_not_null", e->text,
                       describe(b, x, d, sizeof d));
  }
  return WEFT_OK;
}

static weft_status bind(weft__bound *b, const weft_expr *e, const weft_table *t, int *out) {
  if (e->kind == WEFT__E_OVER) { /* its aggregations read the window's columns */
    const weft_expr *outer = b->over;
    b->over = e;
    weft_status st = bind(b, e->a, t, out);
    b->over = outer;
    return st;
  }
  if (e->kind == WEFT__E_AGG) { /* its precomputed column, under the aggregation's name */
    const weft_expr *col;
    WEFT_RETURN_NOT_OK(weft__agg_bind_column(b, e, t, &col));
    WEFT_RETURN_NOT_OK(bind(b, col, t, out));
    b->nodes[*out].name = weft__expr_out_name(e);
    return WEFT_OK;
  }
  int me = push(b, e);
  if (me < 0) return weft__error(WEFT_ERR_OUT_OF_MEMORY, "no host memory to bind an expression");
  if (e->a) {
    int x;
    WEFT_RETURN_NOT_OK(bind(b, e->a, t, &x));
    b->nodes[me].a = x;
  }
  if (e->b) {
    int y;
    WEFT_RETURN_NOT_OK(bind(b, e->b, t, &y));
    b->nodes[me].b = y;
  }
  weft__bnode *n = &b->nodes[me];
  const weft__bnode *A = n->a >= 0 ? &b->nodes[n->a] : NULL, *B = n->b >= 0 ? &b->nodes[n->b] : NULL;
  WEFT_RETURN_NOT_OK(check_vector_operands(b, me));
  /* The leftmost column name names the output, as Polars does. */
  n->name = A ? A->name : (B ? B->name : "literal");
  if (A && !strcmp(A->name, "literal") && B) n->name = B->name;
  weft_status st = WEFT_OK;
  switch (e->kind) {
    case WEFT__E_COLUMN: {
      size_t ci;
      WEFT_RETURN_NOT_OK(weft__table_find(t, e->s, &ci));
      n->col = &t->cols[ci];
      n->nullable = weft__column_null_count((weft__column *)n->col) > 0;
      n->name = e->s;
      /* a categorical column reads as its strings (expr_eval.c looks the codes up) */
      retype(n, n->col->view.type == WEFT_TYPE_CATEGORICAL ? WEFT_TYPE_UTF8 : n->col->view.type);
      break;
    }
    case WEFT__E_LITERAL:
      n->nullable = e->is_null;
      n->dur = e->duration;
      n->name = "literal";
      retype(n, e->type);
      break;
    case WEFT__E_BINARY: st = bind_binary(b, me, e); break;
    case WEFT__E_UNARY: st = bind_unary(b, me, e); break;
    case WEFT__E_CAST:
      if (!cast_allowed(A->type, e->type)) {
        char d[256];
        return weft__error(WEFT_ERR_INVALID_ARGUMENT, "cannot cast %s to %s",
                           describe(b, n->a, d, sizeof d), weft_type_name(e->type));
      }
      n->nullable = A->nullable;
      /* to categorical: strings here; a select encodes its result once (op_select.c) */
      retype(n, e->type == WEFT_TYPE_CATEGORICAL ? WEFT_TYPE_UTF8 : e->type);
      break;
    case WEFT__E_FILL_NULL: {
      adopt_literals(b, n->a, n->b);
      n = &b->nodes[me];
      int ct = common_type(b->nodes[n->a].type, b->nodes[n->b].type);
      if (ct < 0) return type_error(b, "fill_null", n->a, n->b);
      n->nullable = b->nodes[n->a].nullable && b->nodes[n->b].nullable;
      n->name = b->nodes[n->a].name;
      retype(n, (weft_type)ct);
      break;
    }
    case WEFT__E_CONTAINS: case WEFT__E_STARTS_WITH:
      if (A->type != WEFT_TYPE_UTF8)
        return type_error(b, e->kind == WEFT__E_CONTAINS ? "str.contains" : "str.starts_with", n->a, -1);
      n->nullable = A->nullable;
      retype(n, WEFT_TYPE_BOOL);
      break;
    case WEFT__E_ALIAS:
      n->nullable = A->nullable;
      n->name = e->s;
      n->dur = A->dur;
      retype(n, A->type);
      break;
    case WEFT__E_WHEN:
      if (A->type != WEFT_TYPE_BOOL && !is_null_lit(A)) return type_error(b, "when (a bool condition)", n->a, -1);
      n->nullable = B->nullable;
      n->name = B->name;
      n->dur = B->dur;
      retype(n, B->type);
      break;
    case WEFT__E_BRANCHES: {
      adopt_literals(b, n->a, n->b);
      n = &b->nodes[me];
      const weft__bnode *T = &b->nodes[n->a], *O = &b->nodes[n->b];
      int ct = common_type(T->type, O->type);
      if (ct < 0) return type_error(b, "when/then/otherwise", n->a, n->b);
      n->nullable = T->nullable || O->nullable;
      n->name = T->name;
      n->dur = T->dur && (O->dur || is_null_lit(O));
      retype(n, (weft_type)ct);
      break;
    }
    case WEFT__E_IS_IN: {
      weft_type st = e->type;
      /* Polars 2 compares integers with integers and floats with floats, without coercing */
      int ok = e->nset == 0 || st == A->type ||
               (weft__type_is_integer(st) && weft__type_is_integer(A->type)) ||
               (weft__type_is_float(st) && weft__type_is_float(A->type)) ||
               (weft__type_is_decimal(st) && weft__type_is_decimal(A->type)); /* any scales */
      if (!ok) {
        char d[256];
        return weft__error(WEFT_ERR_INVALID_ARGUMENT, "cannot apply is_in to %s with %s values",
                           describe(b, n->a, d, sizeof d), weft_type_name(st));
      }
      n->nullable = A->nullable;
      retype(n, WEFT_TYPE_BOOL);
      break;
    }
    case WEFT__E_ROUND:
      if (!weft__type_is_numeric(A->type) && !weft__type_is_decimal(A->type))
        return type_error(b, "round", n->a, -1);
      n->nullable = A->nullable;
      /* Polars: a decimal rounded to fewer places than its scale gains a digit */
      retype(n, weft__type_is_decimal(A->type) && e->i < weft__dec_scale(A->type)
                    ? decimal_one_more_digit(A->type) : A->type);
      break;
    case WEFT__E_STR_OP: {
      static const char *ops[] = {"str.ends_with", "str.slice", "str.replace", "str.strip_chars"};
      if (A->type != WEFT_TYPE_UTF8) return type_error(b, ops[e->op], n->a, -1);
      n->nullable = A->nullable;
      retype(n, e->op == WEFT__S_ENDS_WITH ? WEFT_TYPE_BOOL : WEFT_TYPE_UTF8);
      break;
    }
    case WEFT__E_VEC_DISTANCE: st = weft__bind_vector_distance(b, me); break;
    case WEFT__E_AGG: case WEFT__E_OVER: case WEFT__E_OVER_KEY: /* handled above */
      return weft__error(WEFT_ERR_INTERNAL, "a window key %s bound as an expression", e->text);
  }
  *out = me;
  return st;
}

weft_status weft__expr_bind(const weft_expr *expr, const weft_table *table, weft__bound *out) {
  memset(out, 0, sizeof *out);
  weft_status st = bind(out, expr, table, &out->root);
  if (st != WEFT_OK) {
    weft__expr_unbind(out);
    return st;
  }
  /* children come after their parent: bottom-up from the end */
  for (int i = out->n - 1; i >= 0; i--) {
    weft__bnode *n = &out->nodes[i];
    weft__expr_kind k = n->e->kind;
    int pure = k == WEFT__E_LITERAL || k == WEFT__E_BINARY || k == WEFT__E_UNARY ||
               k == WEFT__E_CAST || k == WEFT__E_FILL_NULL || k == WEFT__E_CONTAINS ||
               k == WEFT__E_STARTS_WITH || k == WEFT__E_ALIAS;
    n->constant = pure && (n->a < 0 || out->nodes[n->a].constant) &&
                  (n->b < 0 || out->nodes[n->b].constant);
  }
  return st;
}

void weft__expr_unbind(weft__bound *b) {
  for (int i = 0; i < b->nmade; i++) weft_expr_free(b->made[i]);
  free(b->made);
  free(b->nodes);
  memset(b, 0, sizeof *b);
}
