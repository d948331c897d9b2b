/* The optimizer: predicates first (plan_pushdown.c), so the columns the moved filters read
 * count as used when projections are pushed next (plan_project.c). Each pass builds a new
 * tree through the public constructors, so every rewritten node is checked again against
 * its new inputs: a wrong rewrite fails loudly rather than computing something else. */
#include "plan/plan.h"

weft_status weft__plan_optimize(const weft_plan *plan, weft_plan **out) {
  weft_plan *pushed = NULL;
  WEFT_RETURN_NOT_OK(weft__plan_pushdown(plan, &pushed));
  weft_status st = weft__plan_project(pushed, out);
  weft_plan_free(pushed);
  return st;
}
