/* Expressions inside weft: an immutable, reference-counted tree (expr.c), bound against a
 * table's schema into a flat array of typed nodes (expr.c: weft__expr_bind), then evaluated
 * a chunk of rows at a time (expr_eval.c, expr_cast.c).
 *
 * Evaluation works in a few "lanes" rather than per weft_type, so each operator is written
 * once: every signed integer, uint8..uint32, date32 and timestamp lives in int64; uint64 in
 * uint64; float32 and float64 in double; bool in int64 as 0/1; utf8 as (pointer, length).
 * After an operator, the lane is narrowed back to the node's type (integers wrap like Polars'
 * release builds, float32 rounds), so results are those of the node's real type.
 * decimal128 has its own lane of 128-bit integers at the node's scale (expr_decimal.c). */
#ifndef WEFT_HOST_FRAME_EXPR_H
#define WEFT_HOST_FRAME_EXPR_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "frame/table/table.h"

typedef enum weft__expr_kind {
  WEFT__E_COLUMN, WEFT__E_LITERAL, WEFT__E_BINARY, WEFT__E_UNARY, WEFT__E_CAST,
  WEFT__E_FILL_NULL, WEFT__E_CONTAINS, WEFT__E_STARTS_WITH, WEFT__E_ALIAS,
  WEFT__E_WHEN,     /* a: condition, b: a WEFT__E_BRANCHES node (expr_when.c) */
  WEFT__E_BRANCHES, /* a: then, b: otherwise; only under WEFT__E_WHEN, so every walker of
                       a and b (plan/plan_names.c, fused/) sees all three operands */
  WEFT__E_IS_IN,    /* a: input; set/nset: the sorted values (expr_when.c) */
  WEFT__E_ROUND,    /* a: input; i: decimals (expr_numeric.c) */
  WEFT__E_STR_OP,   /* a: input; op: a weft__str_op (expr_str.c) */
  /* expr_agg.c: an aggregation (op: weft_agg_kind, a: input or NULL for len), a window
   * (a: the expression, b: its first key) and a window key (a: key, b: the next key). */
  WEFT__E_AGG, WEFT__E_OVER, WEFT__E_OVER_KEY,
  /* expr_vector.c: a distance of a vector column to one query vector (op: a weft_vec_metric,
   * a: the column, set: the query's nset float32 values) */
  WEFT__E_VEC_DISTANCE
} weft__expr_kind;

/* String operations with arguments (WEFT__E_STR_OP's op). */
typedef enum weft__str_op {
  WEFT__S_ENDS_WITH, WEFT__S_SLICE, WEFT__S_REPLACE, WEFT__S_STRIP
} weft__str_op;

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
  char *s2;             /* str.replace's value; is_in's string bytes */
  int64_t i2;           /* str.slice's length (-1: to the end); str.replace's n (-1: all) */
  int literal;          /* str.contains / str.replace: the pattern is plain text */
  int duration;         /* an int64 literal of microseconds (weft_expr_literal_duration) */
  void *re;             /* the compiled regex (expr_regex.c), NULL for plain text */
  void *set;            /* is_in: sorted int64, double or weft__str_ref values */
  int64_t nset;
};

/* A string of an is_in set. */
typedef struct weft__str_ref {
  const char *p;
  int32_t len;
} weft__str_ref;
/* Byte-wise order of two weft__str_ref (expr_construct.c sorts is_in's set with it). */
int weft__str_ref_cmp(const void *x, const void *y);

enum { WEFT__LANE_I, WEFT__LANE_U, WEFT__LANE_F, WEFT__LANE_S, WEFT__LANE_D };

typedef __int128 weft__i128;

/* A node of a bound expression: types resolved against one table. */
typedef struct weft__bnode {
  const struct weft_expr *e;
  weft_type type;
  int lane;
  int nullable;          /* some row may be null */
  const weft__column *col; /* WEFT__E_COLUMN */
  int a, b;              /* children (-1: none) */
  const char *name;      /* output name of this subtree (alias, leftmost column, "literal") */
  int dur;               /* an int64 duration in microseconds (weft has no duration type) */
  int constant;          /* no column below: the same value in every row */
} weft__bnode;

typedef struct weft__bound {
  weft__bnode *nodes;
  int n, cap;
  int root;
  /* aggregations: the window being bound (NULL: none) and the column references made for
   * the aggregations' precomputed values (expr_agg.c), freed with the binding */
  const struct weft_expr *over;
  struct weft_expr **made;
  int nmade;
} weft__bound;

int weft__type_lane(weft_type type);
/* Resolves types; errors name the operator, columns and types. Free with _unbind. */
weft_status weft__expr_bind(const struct weft_expr *expr, const weft_table *table, weft__bound *out);
void weft__expr_unbind(weft__bound *b);

/* One node's values for a chunk of at most WEFT__CHUNK rows. */
#define WEFT__CHUNK 4096

/* The fixed-width types a vec's 8-byte lane holds, with their C type and lane field: the one
 * list every switch that loads a column into a vec or stores one back expands (X(type,
 * C type, field)). Bool, utf8 and decimal have layouts of their own. */
#define WEFT__FOR_EACH_LANE_TYPE(X)                                                              \
  X(WEFT_TYPE_INT8, int8_t, i) X(WEFT_TYPE_INT16, int16_t, i) X(WEFT_TYPE_INT32, int32_t, i)     \
  X(WEFT_TYPE_INT64, int64_t, i) X(WEFT_TYPE_UINT8, uint8_t, i) X(WEFT_TYPE_UINT16, uint16_t, i) \
  X(WEFT_TYPE_UINT32, uint32_t, i) X(WEFT_TYPE_UINT64, uint64_t, u)                              \
  X(WEFT_TYPE_FLOAT32, float, f) X(WEFT_TYPE_FLOAT64, double, f)                                 \
  X(WEFT_TYPE_DATE32, int32_t, i) X(WEFT_TYPE_TIMESTAMP_US, int64_t, i)

typedef union weft__val {
  int64_t i;
  uint64_t u;
  double f;
} weft__val;

typedef struct weft__vec {
  weft__val *v;
  const char **sp;  /* utf8 lane: row pointers and lengths */
  int32_t *sl;
  weft__i128 *d;    /* decimal lane (allocated when the tree has a decimal node) */
  uint8_t *valid;   /* one byte per row; `all_valid` set means ignore it */
  int all_valid;
  char *buf;        /* bytes of strings this node made */
  size_t cap;
  void *md;         /* this thread's regex match data (expr_regex.c), made on first use */
} weft__vec;

/* Scratch for evaluating a bound expression: one vec per node. */
typedef struct weft__eval {
  const weft__bound *bound;
  weft__vec *vecs;
  /* a program with shared nodes (expr_shared.h): node i holds this chunk's values when
   * stamp[i] == gen; NULL: every weft__eval_node computes its whole subtree */
  uint64_t *stamp;
  uint64_t gen;
  /* A constant node's value (a cast literal: a date, a scaled number), computed for one row
   * at its first evaluation and then only spread over each chunk: folded once per
   * evaluation, not redone per chunk. cached[i]: 0 not yet, 1 valid value, 2 null. */
  uint8_t *cached;
  weft__val *cval;
  /* NULL: a chunk is rows [row0, row0 + n); else its row i is row0 + sel[i] (the rows a
   * fused filter kept, so an aggregation's expression never sees a row the filter drops:
   * a decimal that would overflow there is no error, as in the unfused plan) */
  const int32_t *sel;
} weft__eval;

weft_status weft__eval_init(weft__eval *ev, const weft__bound *bound);
/* A new chunk: the nodes a shared program computed are stale (no-op without stamps). */
static inline void weft__eval_begin(weft__eval *ev) { ev->gen++; }
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

/* expr.c: for the constructors of the other files. */
weft_status weft__expr_new(weft__expr_kind kind, const char *s, const weft_expr *a,
                           const weft_expr *b, weft_expr **out, weft_expr **made);
weft_status weft__expr_done(weft_expr *e, char *text, weft_expr **out);
char *weft__expr_format(const char *fmt, ...) WEFT_PRINTF(1, 2);
/* expr_eval.c: lane conversion (numeric promotion only) and validity helpers. */
void weft__to_lane(weft__vec *v, int from, int to, int64_t n);
void weft__copy_valid(weft__vec *out, const weft__vec *a, int64_t n);

/* The evaluators of the newer families, called by weft__eval_node. */
weft_status weft__eval_when(weft__eval *ev, int me, int64_t n);    /* expr_when.c */
weft_status weft__eval_is_in(weft__eval *ev, int me, int64_t n);   /* expr_when.c */
weft_status weft__eval_numeric(weft__eval *ev, int me, int64_t n); /* expr_numeric.c */
weft_status weft__eval_temporal(weft__eval *ev, int me, int64_t n); /* expr_temporal.c */
weft_status weft__eval_str(weft__eval *ev, int me, int64_t n);     /* expr_str.c */
/* Whether unary `op` is one of the newer ones (floor, ceil, dt.*, len_bytes). */
int weft__unary_is_newer(int op);

/* expr_vector.c: a vector column's distance to a query: its type (float32) and values. */
weft_status weft__bind_vector_distance(weft__bound *b, int me);
weft_status weft__eval_vector_distance(weft__eval *ev, int me, int64_t row0, int64_t n);

/* expr_decimal.c: decimal128 type rules and evaluation. */
/* The type of `op` (weft_binary_op) over ta and tb when either is decimal, as Polars: 1 with
 * *out set, -1 when the operands do not go together, 0 when neither is decimal. */
int weft__dec_binary_type(int op, weft_type ta, weft_type tb, weft_type *out);
/* Polars' supertype of a decimal and another type (fill_null, comparisons); -1: none. */
int weft__dec_supertype(weft_type a, weft_type b);
/* A binary node with a decimal operand: computes it (*done = 1), or, when the operation
 * runs in float64, turns the decimal operands into the F lane for expr_eval.c (*done = 0). */
weft_status weft__dec_binary(weft__eval *ev, int me, int64_t n, int *done);
/* A unary node over a decimal: neg and abs computed (*done = 1); others get the F lane. */
weft_status weft__dec_unary(weft__eval *ev, int me, int64_t n, int *done);
/* fill_null with a decimal side (*done = 1 when the result is decimal). */
weft_status weft__dec_fill_null(weft__eval *ev, int me, int64_t n, int *done);
/* Brings operand `child` of node `me` (when/then/otherwise's branches) to me's lane when a
 * decimal is involved: decimals at me's scale in `d`, or doubles when me is float. */
weft_status weft__dec_operand(weft__eval *ev, int child, int me, int64_t n);
/* A cast from or to decimal (strict: out-of-range values are errors naming them). */
weft_status weft__dec_cast(weft__eval *ev, int me, int64_t n);
/* qsort / bsearch order of two weft__i128 (is_in's decimal sets). */
int weft__i128_cmp(const void *x, const void *y);
/* round / floor / ceil of a decimal (expr_decimal_round.c): Polars' types, ties to even. */
weft_status weft__dec_round(weft__eval *ev, int me, int64_t n);
/* x % y and x // y into a decimal lane (expr_decimal_round.c). */
weft_status weft__dec_mod_floordiv(weft__eval *ev, int me, int64_t n);
/* Writes v at `scale` as text ("-1.25"); returns the length (at most 41 bytes + NUL). */
int weft__dec_format(char *buf, weft__i128 v, int scale);
/* 10^k for k in 0..38. */
weft__i128 weft__dec_pow10(int k);

#endif
