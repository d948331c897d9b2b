/* The optimizer: predicates first (plan_pushdown.c, with the filters ORs imply on join
 * sides), so filtered inputs are seen as small when chains of inner joins are ordered
 * (plan_join_order.c), then predicates again (the filters over a reordered chain go down to
 * the join where their columns meet), so the columns the moved filters read
 * count as used when projections are pushed next (plan_project.c) — after a semi or anti join
 * of a small side with a group_by has the group_by read only that side's keys' rows
 * (plan_semi_reduce.c); then a slice over a sort
 * becomes a top-k (plan_topk.c) and a filter over a scan of a source lends that scan its
 * predicate (plan_source.c). Each pass builds a new
 * tree through the public constructors, so every rewritten node is checked again against
 * its new inputs: a wrong rewrite fails loudly rather than computing something else. */
#include "plan/plan.h"

weft_status weft__plan_optimize(const weft_plan *plan, weft_plan **out) {
  weft_plan *pushed = NULL, *ordered = NULL, *repushed = NULL, *reduced = NULL, *projected = NULL;
  weft_plan *topk = NULL;
  WEFT_RETURN_NOT_OK(weft__plan_pushdown(plan, 1, &pushed));
  weft_status st = weft__plan_join_order(pushed, &ordered);
  if (st == WEFT_OK) st = weft__plan_pushdown(ordered, 0, &repushed);
  if (st == WEFT_OK) st = weft__plan_semi_reduce(repushed, &reduced);
  if (st == WEFT_OK) st = weft__plan_project(reduced, &projected);
  if (st == WEFT_OK) st = weft__plan_top_k(projected, &topk);
  if (st == WEFT_OK) st = weft__plan_scan_predicates(topk, out);
  if (st == WEFT_OK && (st = weft__plan_check_post_filters(*out)) != WEFT_OK) {
    weft_plan_free(*out);
    *out = NULL;
  }
  weft_plan_free(pushed), weft_plan_free(ordered), weft_plan_free(repushed), weft_plan_free(reduced);
  weft_plan_free(projected), weft_plan_free(topk);
  return st;
}
