/* Aggregations inside expressions in lazy plans: group_by(keys).agg(expressions), and a
 * select of aggregations only (no keys), become a group_by node of the plain aggregations
 * under a select node that computes the expressions from them (frame/group/agg_split.h),
 * so the group_by fuses with a filter or a join under it as any group_by does. Other
 * aggregations (beside per-row columns, or in windows) stay in their select, with_columns or
 * filter node, whose eager operation computes and broadcasts them; the optimizer moves no
 * filter across such a node (plan_pushdown.c). */
#include "plan/plan_agg.h"

#include "frame/group/agg_split.h"

weft_status weft_plan_agg(const weft_plan *input, size_t nkeys, const char *const *keys, size_t n,
                          const weft_expr *const *exprs, weft_plan **out) {
  WEFT_CHECK_ARG(out, "weft_plan_agg: out is NULL");
  *out = NULL;
  WEFT_CHECK_ARG(input, "weft_plan_agg: input is NULL");
  weft__agg_split s;
  weft_status st = weft__agg_split_make("weft_plan_agg", input->proto, nkeys, keys, n, exprs, &s);
  weft_plan *grouped = NULL;
  if (st == WEFT_OK) st = weft_plan_group_by(input, nkeys, keys, s.naggs, s.aggs, &grouped);
  if (st == WEFT_OK && s.plain) {
    *out = grouped;
    grouped = NULL;
  } else if (st == WEFT_OK) {
    st = weft_plan_select(grouped, s.nproj, (const weft_expr *const *)s.proj, out);
  }
  weft_plan_free(grouped);
  weft__agg_split_free(&s);
  return st;
}

int weft__plan_aggs_only(const weft_plan *input, size_t n, const weft_expr *const *exprs) {
  int any = 0;
  for (size_t i = 0; !any && exprs && i < n; i++) any = exprs[i] && weft__expr_has_agg(exprs[i]);
  if (!any) return 0;
  weft__agg_uses u;
  int only = weft__agg_collect("weft_plan_select", input->proto, n, exprs, &u) == WEFT_OK &&
             u.n > 0 && !u.row;
  weft__error_clear();
  weft__agg_uses_free(&u);
  return only;
}

int weft__plan_has_aggs(const weft_plan *p) {
  for (size_t i = 0; i < p->n && p->exprs; i++)
    if (weft__expr_has_agg(p->exprs[i])) return 1;
  return 0;
}
