/* The optimizer: predicates first (plan_pushdown.c, with the filters ORs imply on join
 * sides), so filtered inputs are seen as small when chains of inner joins are ordered
 * (plan_join_order.c), then predicates again (the filters over a reordered chain go down to
 * the join where their columns meet), so the columns the moved filters read
 * count as used when projections are pushed next (plan_project.c); then a slice over a sort
 * becomes a top-k (plan_topk.c) and a filter over a scan of a source lends that scan its
 * predicate (plan_source.c). Each pass builds a new
 * tree through the public constructors, so every rewritten node is checked again against
 * its new inputs: a wrong rewrite fails loudly rather than computing something else. */
#include "plan/plan.h"

weft_status weft__plan_optimize(const weft_plan *plan, weft_plan **out) {
  weft_plan *pushed = NULL, *ordered = NULL, *repushed = NULL, *projected = NULL, *topk = NULL;
  WEFT_RETURN_NOT_OK(weft__plan_pushdown(plan, 1, &pushed));
  weft_status st = weft__plan_join_order(pushed, &ordered);
  if (st == WEFT_OK) st = weft__plan_pushdown(ordered, 0, &repushed);
  if (st == WEFT_OK) st = weft__plan_project(repushed, &projected);
  if (st == WEFT_OK) st = weft__plan_top_k(projected, &topk);
  if (st == WEFT_OK) st = weft__plan_scan_predicates(topk, out);
  weft_plan_free(pushed), weft_plan_free(ordered), weft_plan_free(repushed);
  weft_plan_free(projected), weft_plan_free(topk);
  return st;
}
