/* Compiling a bound expression to the device bytecode (kernels/expr_program.h). Each node
 * emits its children, then the lane conversions and the operator the CPU evaluator
 * (expr_eval.c, expr_cast.c) applies, then the same narrowing (weft__normalize), so the
 * kernel repeats the CPU's arithmetic step for step. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "frame/expr/expr_device.h"

_Static_assert(WK_T_BOOL == WEFT_TYPE_BOOL && WK_T_INT8 == WEFT_TYPE_INT8 &&
                   WK_T_INT64 == WEFT_TYPE_INT64 && WK_T_UINT64 == WEFT_TYPE_UINT64 &&
                   WK_T_FLOAT32 == WEFT_TYPE_FLOAT32 && WK_T_FLOAT64 == WEFT_TYPE_FLOAT64 &&
                   WK_T_DATE32 == WEFT_TYPE_DATE32 && WK_T_TIMESTAMP_US == WEFT_TYPE_TIMESTAMP_US,
               "kernels/expr_program.h types match weft_type");
_Static_assert(WK_CMP_EQ == WEFT_OP_EQ && WK_CMP_GE == WEFT_OP_GE,
               "kernels/expr_program.h comparisons match weft_binary_op");
_Static_assert(WK_OP_COUNT < 256, "an opcode fits 8 bits");

typedef struct compiler {
  const weft__bound *b;
  weft__expr_program *p;
  int ninstr, depth;
  char *why;
  size_t why_cap;
} compiler;

#define INSTR0 (WK_EXPR_HEADER_WORDS + 2 * WK_EXPR_MAX_COLUMNS)

static int refuse(compiler *c, const char *fmt, const char *arg) {
  snprintf(c->why, c->why_cap, fmt, arg);
  return 0;
}

/* depth_change: what the instruction does to the stack size. */
static int emit(compiler *c, int op, int a, int b, int64_t imm, int depth_change) {
  if (c->ninstr >= WK_EXPR_MAX_INSTR)
    return refuse(c, "the expression needs more than %s device instructions", "128");
  c->depth += depth_change;
  if (c->depth > WK_EXPR_STACK)
    return refuse(c, "the expression nests deeper than the device stack (%s values)", "16");
  int64_t *w = &c->p->words[INSTR0 + 2 * c->ninstr++];
  w[0] = (int64_t)op | (int64_t)a << 8 | (int64_t)b << 16;
  w[1] = imm;
  return 1;
}

/* to_lane in expr_eval.c: only integer -> double changes bits. */
static int convert(compiler *c, int from, int to) {
  if (to != WEFT__LANE_F || from == WEFT__LANE_F) return 1;
  return emit(c, from == WEFT__LANE_U ? WK_OP_U2F : WK_OP_I2F, 0, 0, 0, 0);
}

static int norm(compiler *c, weft_type t) {
  int narrows = t == WEFT_TYPE_INT8 || t == WEFT_TYPE_INT16 || t == WEFT_TYPE_INT32 ||
                t == WEFT_TYPE_DATE32 || t == WEFT_TYPE_UINT8 || t == WEFT_TYPE_UINT16 ||
                t == WEFT_TYPE_UINT32 || t == WEFT_TYPE_FLOAT32;
  return narrows ? emit(c, WK_OP_NORM, (int)t, 0, 0, 0) : 1;
}

static int column(compiler *c, const weft__column *col) {
  weft__expr_program *p = c->p;
  for (int i = 0; i < p->ncols; i++)
    if (p->cols[i] == col) return i;
  if (p->ncols == WK_EXPR_MAX_COLUMNS) return -1;
  const weft_column_view *v = &col->view;
  int64_t bits = v->type == WEFT_TYPE_BOOL ? 1 : (int64_t)weft__type_width(v->type) * 8;
  int64_t *w = &p->words[WK_EXPR_HEADER_WORDS + 2 * p->ncols];
  w[0] = (int64_t)v->type | (int64_t)(v->validity != NULL) << 8 | (v->offset % 8) << 16;
  w[1] = bits;
  p->in_row_bits += (size_t)bits + (v->validity ? 1 : 0);
  p->in_regions += v->validity ? 2 : 1;
  p->cols[p->ncols] = col;
  return p->ncols++;
}

static int node(compiler *c, int me);

static int literal(compiler *c, const weft__bnode *nd) {
  const weft_expr *e = nd->e;
  /* load_literal in expr_eval.c */
  weft__val x = {0};
  if (nd->lane == WEFT__LANE_F) x.f = e->type == WEFT_TYPE_FLOAT64 ? e->f : (double)e->i;
  else x.i = e->i;
  weft__vec v = {.v = &x};
  weft__normalize(&v, nd->type, 1);
  return emit(c, WK_OP_LIT, 0, !e->is_null, x.i, 1);
}

static int binary(compiler *c, const weft__bnode *nd) {
  const weft__bnode *A = &c->b->nodes[nd->a], *B = &c->b->nodes[nd->b];
  int op = nd->e->op;
  if (op == WEFT_OP_FLOORDIV) {
    /* float32 divides in float32 on the CPU; OpenCL's float division need not round right */
    if (nd->type == WEFT_TYPE_FLOAT32)
      return refuse(c, "floor division (//) of float32 in %s has no device bytecode", nd->e->text);
    int code = nd->lane == WEFT__LANE_F ? WK_OP_FLOORDIV_F
             : nd->lane == WEFT__LANE_U ? WK_OP_FLOORDIV_U : WK_OP_FLOORDIV_I;
    return node(c, nd->a) && convert(c, A->lane, nd->lane) && node(c, nd->b) &&
           convert(c, B->lane, nd->lane) && emit(c, code, 0, 0, 0, -1) && norm(c, nd->type);
  }
  if ((op == WEFT_OP_ADD || op == WEFT_OP_SUB) &&
      (A->type == WEFT_TYPE_DATE32 || B->type == WEFT_TYPE_DATE32)) /* shift() in expr_temporal.c */
    return node(c, nd->a) && node(c, nd->b) &&
           emit(c, WK_OP_TSHIFT, op == WEFT_OP_SUB,
                (A->type == WEFT_TYPE_DATE32) | (B->type == WEFT_TYPE_DATE32) << 1,
                nd->type == WEFT_TYPE_DATE32, -1) &&
           norm(c, nd->type);
  if (op == WEFT_OP_AND || op == WEFT_OP_OR)
    return node(c, nd->a) && node(c, nd->b) &&
           emit(c, op == WEFT_OP_AND ? WK_OP_AND : WK_OP_OR, 0, 0, 0, -1);
  int lane = op == WEFT_OP_DIV ? WEFT__LANE_F : nd->lane;
  if (op >= WEFT_OP_EQ) {
    int la = A->lane, lb = B->lane;
    lane = (la == WEFT__LANE_F || lb == WEFT__LANE_F) ? WEFT__LANE_F
         : (la == WEFT__LANE_U && lb == WEFT__LANE_U) ? WEFT__LANE_U : WEFT__LANE_I;
    if (lane == WEFT__LANE_I && (la == WEFT__LANE_U || lb == WEFT__LANE_U))
      return node(c, nd->a) && node(c, nd->b) &&
             emit(c, WK_OP_CMP_SU, op, la == WEFT__LANE_U, 0, -1);
  }
  if (!node(c, nd->a) || !convert(c, A->lane, lane) || !node(c, nd->b) || !convert(c, B->lane, lane))
    return 0;
  if (op >= WEFT_OP_EQ)
    return emit(c, lane == WEFT__LANE_F ? WK_OP_CMP_F : lane == WEFT__LANE_U ? WK_OP_CMP_U : WK_OP_CMP_I,
                op, 0, 0, -1);
  static const int float_ops[] = {WK_OP_ADD_F, WK_OP_SUB_F, WK_OP_MUL_F, WK_OP_DIV_F, WK_OP_MOD_F};
  static const int int_ops[] = {WK_OP_ADD_I, WK_OP_SUB_I, WK_OP_MUL_I, -1, WK_OP_MOD_I};
  int code = lane == WEFT__LANE_F ? float_ops[op] : int_ops[op];
  if (code == WK_OP_MOD_I && lane == WEFT__LANE_U) code = WK_OP_MOD_U;
  return emit(c, code, 0, 0, 0, -1) && norm(c, nd->type);
}

static int unary(compiler *c, const weft__bnode *nd) {
  int lane = c->b->nodes[nd->a].lane;
  switch (nd->e->op) {
    case WEFT_OP_LOG: case WEFT_OP_EXP:
      /* The CPU's log/exp are glibc's; a device's math library may round the last bit
       * otherwise, and results must not depend on the device. */
      return refuse(c, "%s: the device math library may round differently from the CPU's",
                    nd->e->op == WEFT_OP_LOG ? "log" : "exp");
    case WEFT_OP_STR_LEN: case WEFT_OP_STR_LOWER: case WEFT_OP_STR_UPPER: case WEFT_OP_STR_LEN_BYTES:
      return refuse(c, "string operation in %s", nd->e->text);
    default: break;
  }
  if (!node(c, nd->a)) return 0;
  switch (nd->e->op) {
    case WEFT_OP_FLOOR: case WEFT_OP_CEIL:
      if (lane != WEFT__LANE_F) return 1; /* integers are whole */
      return emit(c, nd->e->op == WEFT_OP_FLOOR ? WK_OP_FLOOR_F : WK_OP_CEIL_F, 0, 0, 0, 0) &&
             norm(c, nd->type);
    case WEFT_OP_DT_YEAR: case WEFT_OP_DT_MONTH: case WEFT_OP_DT_DAY: case WEFT_OP_DT_WEEKDAY: {
      static const int parts[] = {WK_DT_YEAR, WK_DT_MONTH, WK_DT_DAY, WK_DT_WEEKDAY};
      return emit(c, WK_OP_DT_PART, parts[nd->e->op - WEFT_OP_DT_YEAR],
                  c->b->nodes[nd->a].type == WEFT_TYPE_TIMESTAMP_US, 0, 0) &&
             norm(c, nd->type);
    }
    case WEFT_OP_DT_TOTAL_DAYS: return emit(c, WK_OP_TOTAL_DAYS, 0, 0, 0, 0);
    case WEFT_OP_NOT: return emit(c, WK_OP_NOT, 0, 0, 0, 0);
    case WEFT_OP_NEG:
      return emit(c, lane == WEFT__LANE_F ? WK_OP_NEG_F : WK_OP_NEG_I, 0, 0, 0, 0) && norm(c, nd->type);
    case WEFT_OP_ABS:
      if (lane == WEFT__LANE_U) return 1;
      return emit(c, lane == WEFT__LANE_F ? WK_OP_ABS_F : WK_OP_ABS_I, 0, 0, 0, 0) && norm(c, nd->type);
    case WEFT_OP_IS_NULL: return emit(c, WK_OP_IS_NULL, 0, 0, 0, 0);
    case WEFT_OP_IS_NOT_NULL: return emit(c, WK_OP_IS_NOT_NULL, 0, 0, 0, 0);
    default: /* sqrt */
      return convert(c, lane, WEFT__LANE_F) && emit(c, WK_OP_SQRT, 0, 0, 0, 0) && norm(c, nd->type);
  }
}

/* weft__cast_vec / numeric() in expr_cast.c. */
static int cast(compiler *c, const weft__bnode *nd) {
  const weft__bnode *A = &c->b->nodes[nd->a];
  if (!node(c, nd->a)) return 0;
  weft_type to = nd->type;
  if (A->type == to) return 1;
  if (to == WEFT_TYPE_BOOL)
    return emit(c, A->lane == WEFT__LANE_F ? WK_OP_F2BOOL : WK_OP_I2BOOL, 0, 0, 0, 0);
  if (nd->lane == WEFT__LANE_F) return convert(c, A->lane, WEFT__LANE_F) && norm(c, to);
  c->p->checked_casts = 1;
  if (A->lane == WEFT__LANE_F) return emit(c, WK_OP_CAST_F2I, (int)to, 0, 0, 0);
  if (A->lane == WEFT__LANE_U) return emit(c, WK_OP_CAST_U2I, (int)to, 0, 0, 0);
  return emit(c, WK_OP_CAST_I2I, (int)to, (int)A->type, 0, 0);
}

static int node(compiler *c, int me) {
  const weft__bnode *nd = &c->b->nodes[me];
  if (nd->type == WEFT_TYPE_UTF8) {
    if (nd->e->kind == WEFT__E_COLUMN && nd->col && nd->col->view.type == WEFT_TYPE_CATEGORICAL)
      return refuse(c, "categorical column \"%s\" (read as its strings, which no device holds)", nd->e->s);
    if (nd->e->kind == WEFT__E_COLUMN) return refuse(c, "utf8 column \"%s\"", nd->e->s);
    return refuse(c, "string expression %s", nd->e->text);
  }
  if (nd->lane == WEFT__LANE_D) /* 128-bit values: no device lane holds them */
    return refuse(c, "decimal128 expression %s runs on the CPU", nd->e->text);
  if (weft__type_is_vector(nd->type) || nd->e->kind == WEFT__E_VEC_DISTANCE)
    return refuse(c, "vector expression %s runs on the CPU", nd->e->text);
  switch (nd->e->kind) {
    case WEFT__E_COLUMN: {
      int col = column(c, nd->col);
      if (col < 0) return refuse(c, "the expression reads more than %s columns", "16");
      return emit(c, WK_OP_LOAD, col, 0, 0, 1);
    }
    case WEFT__E_LITERAL: return literal(c, nd);
    case WEFT__E_BINARY: return binary(c, nd);
    case WEFT__E_UNARY: return unary(c, nd);
    case WEFT__E_CAST: return cast(c, nd);
    case WEFT__E_FILL_NULL: {
      const weft__bnode *A = &c->b->nodes[nd->a], *B = &c->b->nodes[nd->b];
      return node(c, nd->a) && convert(c, A->lane, nd->lane) && node(c, nd->b) &&
             convert(c, B->lane, nd->lane) && emit(c, WK_OP_FILL_NULL, 0, 0, 0, -1) &&
             norm(c, nd->type);
    }
    case WEFT__E_CONTAINS: case WEFT__E_STARTS_WITH:
      return refuse(c, "string operation in %s", nd->e->text);
    case WEFT__E_ALIAS: return node(c, nd->a);
    case WEFT__E_STR_OP: return refuse(c, "string operation in %s", nd->e->text);
    case WEFT__E_WHEN: { /* weft__eval_when in expr_when.c */
      const weft__bnode *br = &c->b->nodes[nd->b];
      const weft__bnode *T = &c->b->nodes[br->a], *O = &c->b->nodes[br->b];
      return node(c, nd->a) && node(c, br->a) && convert(c, T->lane, nd->lane) && node(c, br->b) &&
             convert(c, O->lane, nd->lane) && emit(c, WK_OP_WHEN, 0, 0, 0, -2) && norm(c, nd->type);
    }
    case WEFT__E_BRANCHES: return refuse(c, "then/otherwise outside a when in %s", nd->e->text);
    case WEFT__E_IS_IN: return refuse(c, "is_in has no device bytecode (in %s)", nd->e->text);
    case WEFT__E_ROUND: { /* round_floats in expr_numeric.c */
      if (!node(c, nd->a)) return 0;
      if (nd->lane != WEFT__LANE_F) return 1;
      weft__val m = {.f = pow(10.0, (double)nd->e->i)};
      return emit(c, WK_OP_ROUND_F, 0, 0, nd->e->i ? m.i : 0, 0) && norm(c, nd->type);
    }
    case WEFT__E_AGG: case WEFT__E_OVER: case WEFT__E_OVER_KEY: break; /* bound as columns */
    case WEFT__E_VEC_DISTANCE: break; /* refused above */
  }
  return refuse(c, "unknown expression %s", nd->e->text);
}

int weft__expr_compile(const weft__bound *b, weft__expr_program *out, char *why, size_t why_cap) {
  memset(out, 0, sizeof *out);
  compiler c = {b, out, 0, 0, why, why_cap};
  if (!node(&c, b->root)) return 0;
  /* The instructions move down to follow the columns actually used. */
  size_t cols_end = WK_EXPR_HEADER_WORDS + 2 * (size_t)out->ncols;
  memmove(&out->words[cols_end], &out->words[INSTR0], (size_t)c.ninstr * 2 * sizeof out->words[0]);
  out->nwords = cols_end + 2 * (size_t)c.ninstr;
  out->words[0] = c.ninstr;
  out->words[1] = out->ncols;
  out->words[2] = b->nodes[b->root].type;
  out->words[3] = out->checked_casts;
  return 1;
}
