/* A semi or anti join whose right side is a group_by (under filters) by the join's keys
 * tests only the groups of keys the left side holds, and a group's row depends on its own
 * rows only: so the group_by may read just the rows whose keys the left side holds. When
 * the left side is estimated far smaller than the group_by's input (of 4096 rows or more),
 * that input is first semi-joined with the left side's keys:
 *
 *   semi(L, filter(group_by_k(R)))  ->  semi(L, filter(group_by_k(semi(R, L))))
 *
 * TPC-H Q21's n_unique group_bys then read the lines of the ~150k late Saudi lines' orders,
 * not all 6M lines (and the 3.8M late ones). L becomes a sub-plan used twice: projection
 * asks it for both uses' columns and collect runs it once (plan_reuse.c). Not for filters
 * holding an aggregation or a window (they read other groups), nor group_bys without keys.
 * Only for aggregations whose value does not depend on where a group's rows fall among
 * the input's partitions (n_unique, count, len, min, max, first, last: the semi join keeps
 * R's row order), so the answer is the same bit for bit; a sum would be added in other
 * partials. Nulls match nothing in either join. */
#include <string.h>

#include "frame/expr/expr_agg.h"
#include "frame/join/join.h"
#include "plan/plan.h"
#include "plan/plan_reuse.h"

/* How much smaller the left side must be estimated than the group_by's input: the probe of
 * every input row by the left keys must pay for itself in the rows the group_by skips. */
#define WEFT__SEMI_REDUCE_RATIO 10.0
/* Under this many input rows the group_by is cheap anyway: the plan stays as written. */
#define WEFT__SEMI_REDUCE_MIN_ROWS 4096.0

/* Rows of `p` as estimated; a join placed by the join order carries its own estimate. */
static double left_rows(const weft_plan *p) {
  while (p->kind == WEFT__P_JOIN && (WEFT__JOIN_KIND(p->how) == WEFT_JOIN_SEMI ||
                                     WEFT__JOIN_KIND(p->how) == WEFT_JOIN_ANTI))
    p = p->in; /* at most its left side's rows */
  if (p->kind == WEFT__P_JOIN && p->reordered) return p->estimate;
  return weft__plan_estimate_rows(p);
}

static int has_key(const weft_plan *group, const char *name) {
  for (size_t k = 0; k < group->n; k++)
    if (!strcmp(group->keys[k], name)) return 1;
  return 0;
}

/* The group_by under the right side's filters, when `j` may read only its left keys' groups. */
static const weft_plan *reducible(const weft_plan *j) {
  weft_join_kind kind = WEFT__JOIN_KIND(j->how);
  if (j->kind != WEFT__P_JOIN || (kind != WEFT_JOIN_SEMI && kind != WEFT_JOIN_ANTI) || j->n == 0)
    return NULL;
  const weft_plan *g = j->right;
  for (; g->kind == WEFT__P_FILTER; g = g->in)
    if (weft__expr_has_agg(g->exprs[0])) return NULL;
  if (g->kind != WEFT__P_GROUP_BY || g->n == 0) return NULL;
  for (size_t a = 0; a < g->naggs; a++)
    switch (g->aggs[a].kind) {
      case WEFT_AGG_N_UNIQUE: case WEFT_AGG_COUNT: case WEFT_AGG_LEN: case WEFT_AGG_MIN:
      case WEFT_AGG_MAX: case WEFT_AGG_FIRST: case WEFT_AGG_LAST: break;
      default: return NULL;
    }
  for (size_t k = 0; k < j->n; k++)
    if (!has_key(g, j->right_keys[k])) return NULL;
  if (g->in == j->in) return NULL; /* its own keys: nothing to drop */
  double input = weft__plan_estimate_rows(g->in);
  if (input < WEFT__SEMI_REDUCE_MIN_ROWS || left_rows(j->in) * WEFT__SEMI_REDUCE_RATIO > input)
    return NULL;
  return g;
}

/* `p` (a filter chain down to `group`) rebuilt over `group` reading `input`. */
static weft_status rebuild_over(const weft_plan *p, const weft_plan *group, const weft_plan *input,
                                weft_plan **out) {
  if (p == group) return weft__plan_rebuild(p, input, NULL, out);
  weft_plan *below = NULL;
  WEFT_RETURN_NOT_OK(rebuild_over(p->in, group, input, &below));
  weft_status st = weft__plan_rebuild(p, below, NULL, out);
  weft_plan_free(below);
  return st;
}

static weft_status rewrite(const weft_plan *p, weft_plan **out) {
  if (p->kind == WEFT__P_SCAN) {
    *out = weft__plan_ref(p);
    return WEFT_OK;
  }
  weft_plan *in = NULL, *right = NULL, *reduced = NULL, *side = NULL;
  weft_status st = rewrite(p->in, &in);
  if (st == WEFT_OK && p->right) st = rewrite(p->right, &right);
  const weft_plan *group = NULL;
  if (st == WEFT_OK && p->kind == WEFT__P_JOIN) {
    /* asked of the rewritten join: its sides are the ones it will read */
    weft_plan *j = NULL;
    st = weft__plan_rebuild(p, in, right, &j);
    if (st == WEFT_OK && (group = reducible(j)) != NULL) {
      /* R's key columns are the group keys the join reads; L's are the join's left keys */
      st = weft_plan_join(group->in, in, p->n, (const char *const *)p->right_keys,
                          (const char *const *)p->keys, WEFT_JOIN_SEMI, NULL, &reduced);
      if (st == WEFT_OK) st = rebuild_over(right, group, reduced, &side);
      if (st == WEFT_OK) st = weft__plan_rebuild(p, in, side, out);
    } else if (st == WEFT_OK) {
      *out = j, j = NULL;
    }
    weft_plan_free(j);
  } else if (st == WEFT_OK) {
    st = weft__plan_rebuild(p, in, right, out);
  }
  weft_plan_free(in), weft_plan_free(right), weft_plan_free(reduced), weft_plan_free(side);
  return st;
}

/* Not without sharing (WEFT_TEST_NO_PLAN_REUSE): L would run twice. */
weft_status weft__plan_semi_reduce(const weft_plan *plan, weft_plan **out) {
  if (!weft__reuse_enabled()) {
    *out = weft__plan_ref(plan);
    return WEFT_OK;
  }
  return rewrite(plan, out);
}
