/* Implied filters: a predicate that stays above a join because it reads both sides, an OR of
 * conjunctions such as TPC-H Q7's (n1 = FRANCE & n2 = GERMANY) | (n1 = GERMANY & n2 = FRANCE),
 * still says something about each side alone: some branch holds, so that branch's conjuncts
 * on one side hold, and the OR over branches of those conjuncts (n1 = FRANCE | n1 = GERMANY)
 * is true on every row the whole predicate keeps. Pushdown (plan_pushdown.c) sends that
 * weaker predicate into the side and keeps the original above the join, so the side's rows
 * are cut before the join. Under Kleene logic too: a row the original keeps has a branch that
 * is true, so all its conjuncts are true, so the implied OR is true. */
#include <stdlib.h>

#include "frame/expr/expr.h"
#include "plan/plan.h"
#include "plan/plan_names.h"

/* AND of the conjuncts of `e` that `side` covers, AND-ed onto *acc (NULL: none yet). */
static weft_status covered_conjuncts(const weft_expr *e, const weft__names *side, weft_expr **acc) {
  if (e->kind == WEFT__E_BINARY && e->op == WEFT_OP_AND) {
    WEFT_RETURN_NOT_OK(covered_conjuncts(e->a, side, acc));
    return covered_conjuncts(e->b, side, acc);
  }
  if (!weft__names_covers_expr(side, e)) return WEFT_OK;
  if (!*acc) {
    *acc = (weft_expr *)e;
    atomic_fetch_add(&(*acc)->refs, 1);
    return WEFT_OK;
  }
  weft_expr *both = NULL;
  weft_status st = weft_expr_binary(WEFT_OP_AND, *acc, e, &both);
  weft_expr_free(*acc);
  *acc = both;
  return st;
}

/* The OR over the branches of `e` of each branch's covered conjuncts, OR-ed onto *acc; *none
 * is set when a branch has none (then nothing is implied). */
static weft_status implied_or(const weft_expr *e, const weft__names *side, weft_expr **acc, int *none) {
  if (e->kind == WEFT__E_BINARY && e->op == WEFT_OP_OR) {
    WEFT_RETURN_NOT_OK(implied_or(e->a, side, acc, none));
    if (*none) return WEFT_OK;
    return implied_or(e->b, side, acc, none);
  }
  weft_expr *branch = NULL;
  WEFT_RETURN_NOT_OK(covered_conjuncts(e, side, &branch));
  if (!branch) {
    *none = 1;
    return WEFT_OK;
  }
  if (!*acc) {
    *acc = branch;
    return WEFT_OK;
  }
  weft_expr *either = NULL;
  weft_status st = weft_expr_binary(WEFT_OP_OR, *acc, branch, &either);
  weft_expr_free(*acc), weft_expr_free(branch);
  *acc = either;
  return st;
}

weft_status weft__plan_implied_filter(const weft_expr *e, const weft__names *side, weft_expr **out) {
  *out = NULL;
  if (e->kind != WEFT__E_BINARY || e->op != WEFT_OP_OR) return WEFT_OK;
  if (weft__names_covers_expr(side, e)) return WEFT_OK; /* the whole predicate goes down */
  weft_expr *acc = NULL;
  int none = 0;
  weft_status st = implied_or(e, side, &acc, &none);
  if (st != WEFT_OK || none) {
    weft_expr_free(acc);
    return st;
  }
  *out = acc;
  return WEFT_OK;
}
