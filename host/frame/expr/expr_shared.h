/* Several bound expressions as one program whose structurally equal subtrees are one node
 * (common subexpressions), so a chunk evaluates each once: TPC-H Q1's
 * col("l_extendedprice") * (1 - col("l_discount")) under two sums is computed once a chunk.
 * The fused aggregate pass (frame/fused/masked_agg.c) evaluates its aggregations' inputs
 * through one. */
#ifndef WEFT_HOST_FRAME_EXPR_SHARED_H
#define WEFT_HOST_FRAME_EXPR_SHARED_H

#include "frame/expr/expr.h"

typedef struct weft__program {
  weft__bound bound; /* every node once; bound.root is roots[0] (or -1) */
  int *roots;        /* per expression: its root in bound, -1 for an empty part */
  size_t n;
  int shared;        /* nodes that more than one parent or root uses */
  int shared_exprs;  /* of those, the ones that compute (not a column or a literal) */
} weft__program;

/* One program of the n bound expressions `parts` (an empty part, n == 0 nodes, gets root
 * -1). Two nodes merge when their operator, literal or column, types and (merged) children
 * are equal, unless a parent changes that node's values in place (an alias swaps its
 * child's buffers, arithmetic widens an integer operand to float), which would spoil them
 * for the other users. A kind this unit does not know merges only with the same
 * expression object. Free with weft__program_free. */
weft_status weft__program_build(const weft__bound *parts, size_t n, weft__program *out);
void weft__program_free(weft__program *p);

/* An evaluator of the program that computes each node at most once between two
 * weft__eval_begin calls (call it before each chunk, then weft__eval_node on the roots). */
weft_status weft__program_eval_init(weft__eval *ev, const weft__program *p);

#endif
