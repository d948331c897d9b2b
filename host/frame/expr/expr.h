/* Expressions inside weft: an immutable, reference-counted tree (expr.c), bound against a
 * table's schema into a flat array of typed nodes (expr.c: weft__expr_bind), then evaluated
 * a chunk of rows at a time (expr_eval.c, expr_cast.c).
 *
 * Evaluation works in a few "lanes" rather than per weft_type, so each operator is written
 * once: every signed integer, uint8..uint32, date32 and timestamp lives in int64; uint64 in
 * uint64; float32 and float64 in double; bool in int64 as 0/1; utf8 as (pointer, length).
 * After an operator, the lane is narrowed back to the node's type (integers wrap like Polars'
 * release builds, float32 rounds), so results are those of the node's real type. */
#ifndef WEFT_HOST_FRAME_EXPR_H
#define WEFT_HOST_FRAME_EXPR_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "frame/table/table.h"

typedef enum weft__expr_kind {
  WEFT__E_COLUMN, WEFT__E_LITERAL, WEFT__E_BINARY, WEFT__E_UNARY, WEFT__E_CAST,
  WEFT__E_FILL_NULL, WEFT__E_CONTAINS, WEFT__E_STARTS_WITH, WEFT__E_ALIAS
} weft__expr_kind;

struct weft_expr {
  _Atomic int64_t refs;
  weft__expr_kind kind;
  int op;               /* weft_binary_op or weft_unary_op */
  weft_type type;       /* literal type, cast target */
  int is_null;          /* null literal */
  int64_t i;            /* int64 / bool literal */
  double f;             /* float64 literal */
  char *s;              /* column name, utf8 literal, alias, pattern */
  struct weft_expr *a, *b;
  char *text;           /* weft_expr_to_string, made at construction */
};

enum { WEFT__LANE_I, WEFT__LANE_U, WEFT__LANE_F, WEFT__LANE_S };

/* A node of a bound expression: types resolved against one table. */
typedef struct weft__bnode {
  const struct weft_expr *e;
  weft_type type;
  int lane;
  int nullable;          /* some row may be null */
  const weft__column *col; /* WEFT__E_COLUMN */
  int a, b;              /* children (-1: none) */
  const char *name;      /* output name of this subtree (alias, leftmost column, "literal") */
  int constant;          /* no column below: the same value in every row */
} weft__bnode;

typedef struct weft__bound {
  weft__bnode *nodes;
  int n, cap;
  int root;
} weft__bound;

int weft__type_lane(weft_type type);
/* Resolves types; errors name the operator, columns and types. Free with _unbind. */
weft_status weft__expr_bind(const struct weft_expr *expr, const weft_table *table, weft__bound *out);
void weft__expr_unbind(weft__bound *b);

/* One node's values for a chunk of at most WEFT__CHUNK rows. */
#define WEFT__CHUNK 4096

typedef union weft__val {
  int64_t i;
  uint64_t u;
  double f;
} weft__val;

typedef struct weft__vec {
  weft__val *v;
  const char **sp;  /* utf8 lane: row pointers and lengths */
  int32_t *sl;
  uint8_t *valid;   /* one byte per row; `all_valid` set means ignore it */
  int all_valid;
  char *buf;        /* bytes of strings this node made */
  size_t cap;
} weft__vec;

/* Scratch for evaluating a bound expression: one vec per node. */
typedef struct weft__eval {
  const weft__bound *bound;
  weft__vec *vecs;
  /* A constant node's value (a cast literal: a date, a scaled number), computed for one row
   * at its first evaluation and then only spread over each chunk: folded once per
   * evaluation, not redone per chunk. cached[i]: 0 not yet, 1 valid value, 2 null. */
  uint8_t *cached;
  weft__val *cval;
} weft__eval;

weft_status weft__eval_init(weft__eval *ev, const weft__bound *bound);
void weft__eval_free(weft__eval *ev);
/* Whether comparison `op` (WEFT_OP_EQ ... WEFT_OP_GE) holds for a three-way result c. */
int weft__cmp_holds(int op, int c);
/* Evaluates rows [row0, row0 + n) (n <= WEFT__CHUNK) into ev->vecs[bound->root]. */
weft_status weft__eval_chunk(weft__eval *ev, int64_t row0, int64_t n);
weft_status weft__eval_node(weft__eval *ev, int node, int64_t row0, int64_t n);

/* expr_cast.c: converts vec `v` (node `from` of the bound tree) to `to` in place. */
weft_status weft__cast_vec(weft__eval *ev, int node, int64_t n);
/* Narrows a lane to `type`: integers wrap, float32 rounds. */
void weft__normalize(weft__vec *v, weft_type type, int64_t n);
/* Makes sure the vec's string buffer holds `bytes` (keeps contents only when keep). */
weft_status weft__vec_reserve(weft__vec *v, size_t bytes);

#endif
