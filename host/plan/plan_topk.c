/* A slice from row >= 0 directly over a sort needs only the first offset + length rows of
 * that sort: it becomes a top-k of that many rows (frame/sort/top_k.c selects them in one
 * pass over the first key and sorts only those), under the same slice. */
#include "plan/plan.h"

static weft_status rewrite(const weft_plan *p, weft_plan **out) {
  if (p->kind == WEFT__P_SCAN) {
    *out = weft__plan_ref(p);
    return WEFT_OK;
  }
  weft_plan *in = NULL, *right = NULL;
  weft_status st = rewrite(p->in, &in);
  if (st == WEFT_OK && p->right) st = rewrite(p->right, &right);
  if (st == WEFT_OK && p->kind == WEFT__P_SLICE && p->offset >= 0 && in->kind == WEFT__P_SORT &&
      p->length <= INT64_MAX - p->offset) {
    weft_plan *topk = NULL;
    st = weft_plan_top_k(in->in, p->offset + p->length, in->n, (const char *const *)in->keys,
                         in->descending, in->nulls_last, &topk);
    if (st == WEFT_OK) weft_plan_free(in), in = topk;
  }
  if (st == WEFT_OK) st = weft__plan_rebuild(p, in, right, out);
  weft_plan_free(in), weft_plan_free(right);
  return st;
}

weft_status weft__plan_top_k(const weft_plan *plan, weft_plan **out) { return rewrite(plan, out); }
