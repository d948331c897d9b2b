/* A join that reads only the groups of a group_by (under filters and column picks) whose
 * keys the other side holds lets the group_by read just those keys' rows, since a group's
 * row depends on its own rows only. When the other side is estimated far smaller than the
 * group_by's input (of 4096 rows or more), that input is first semi-joined with it:
 *
 *   semi(L, filter(group_by_k(R)))   ->  semi(L, filter(group_by_k(semi(R, L))))
 *   inner(L, select(group_by_k(R)))  ->  inner(L, select(group_by_k(semi(R, L))))
 *
 * The group_by may be the right side of a semi, anti, left or inner join (they read only
 * the groups the left keys match) or the left side of an inner or right join. TPC-H Q21's
 * n_unique group_bys then read the lines of the ~150k late Saudi lines' orders, not all
 * 6M lines; Q20's sums by (part, supplier) read the lines of ~8.5k forest parts' suppliers,
 * not 900k lines into 543k groups. The other side becomes a sub-plan used twice:
 * projection asks it for both uses' columns and collect runs it once (plan_reuse.c).
 *
 * Exact for any join kind above because whole groups are kept or dropped, and a group_by
 * lists groups in order of first appearance, which the semi join (keeping R's row order)
 * does not change; nulls match nothing in either join. Not for filters or selects holding
 * an aggregation or a window (they read other groups), selects that do not pass a key
 * column through unchanged, nor group_bys without keys. Only for aggregations whose value
 * does not depend on where a group's rows fall among the input's partitions (n_unique,
 * count, len, min, max, first, last, and sums of integers or decimals, which are exact), so
 * the answer is the same bit for bit; a float sum would be added in other partials. */
#include <string.h>

#include "frame/expr/expr.h"
#include "frame/expr/expr_agg.h"
#include "frame/join/join.h"
#include "frame/table/table.h"
#include "plan/plan.h"
#include "plan/plan_reuse.h"

/* How much smaller the other side must be estimated than the group_by's input: the probe of
 * every input row by the other side's keys must pay for itself in the rows the group_by
 * skips. */
#define WEFT__SEMI_REDUCE_RATIO 10.0
/* Under this many input rows the group_by is cheap anyway: the plan stays as written. */
#define WEFT__SEMI_REDUCE_MIN_ROWS 4096.0

static int is_join(const weft_plan *p, weft_join_kind kind) {
  return p->kind == WEFT__P_JOIN && WEFT__JOIN_KIND(p->how) == kind;
}

/* The share of its scan's rows that `p`, filters and column picks over a scan, keeps (1
 * when `p` is anything else). */
static double kept_share(const weft_plan *p) {
  const weft_plan *s = p;
  while (s->kind == WEFT__P_FILTER || s->kind == WEFT__P_SELECT || s->kind == WEFT__P_WITH_COLUMNS)
    s = s->in;
  if (s == p || s->kind != WEFT__P_SCAN || s->rows <= 0) return 1.0;
  double share = weft__plan_estimate_rows(p) / (double)s->rows;
  return share < 1.0 ? share : 1.0;
}

/* Rows of `p` as estimated. A semi join with a filtered table keeps about the share of
 * rows the filter keeps of that table (join keys mostly name that table's rows: partsupp
 * semi-joined with 1% of the parts keeps about 1% of partsupp), an anti join at most its
 * left side's rows; a join placed by the join order carries its own estimate. */
static double side_rows(const weft_plan *p) {
  if (is_join(p, WEFT_JOIN_SEMI)) return side_rows(p->in) * kept_share(p->right);
  if (is_join(p, WEFT_JOIN_ANTI)) return side_rows(p->in);
  if (p->kind == WEFT__P_JOIN && p->reordered) return p->estimate;
  return weft__plan_estimate_rows(p);
}

static int has_key(const weft_plan *group, const char *name) {
  for (size_t k = 0; k < group->n; k++)
    if (!strcmp(group->keys[k], name)) return 1;
  return 0;
}

/* Whether filter, select or with_columns `p` computes no aggregation or window (they read
 * other groups); one its input holds as a column (a group_by's, split from the select
 * above it by plan_agg_split.c) is read row by row. */
static int per_row(const weft_plan *p) {
  weft__agg_uses u;
  int none = weft__agg_collect("semi-join reduction", p->in->proto, p->n,
                               (const weft_expr *const *)p->exprs, &u) == WEFT_OK && u.n == 0;
  weft__error_clear();
  weft__agg_uses_free(&u);
  return none;
}

/* Whether select or with_columns `p` outputs its input's column `name` unchanged. */
static int passes_column(const weft_plan *p, const char *name) {
  for (size_t e = 0; e < p->n; e++) {
    if (strcmp(weft__expr_out_name(p->exprs[e]), name)) continue;
    return p->kind == WEFT__P_SELECT && p->exprs[e]->kind == WEFT__E_COLUMN &&
           !strcmp(p->exprs[e]->s, name);
  }
  return p->kind == WEFT__P_WITH_COLUMNS;
}

/* Whether aggregation `a` of `group` has the same value whatever partitions its rows fall
 * in: a sum does when it adds integers (its output is an integer or a decimal). */
static int partition_free(const weft_plan *group, size_t a) {
  switch (group->aggs[a].kind) {
    case WEFT_AGG_N_UNIQUE: case WEFT_AGG_COUNT: case WEFT_AGG_LEN: case WEFT_AGG_MIN:
    case WEFT_AGG_MAX: case WEFT_AGG_FIRST: case WEFT_AGG_LAST: return 1;
    case WEFT_AGG_SUM: {
      weft_type t = group->proto->cols[group->n + a].view.type;
      return weft__type_is_decimal(t) || (t >= WEFT_TYPE_INT8 && t <= WEFT_TYPE_UINT64);
    }
    default: return 0;
  }
}

/* The group_by under `side` (filters, selects and with_columns) grouped by the join keys
 * `keys` of that side, when a join may read only its groups of the other side's keys. */
static const weft_plan *group_under(const weft_plan *side, size_t n, char *const *keys) {
  const weft_plan *g = side;
  for (; g->kind == WEFT__P_FILTER || g->kind == WEFT__P_SELECT || g->kind == WEFT__P_WITH_COLUMNS;
       g = g->in) {
    if (!per_row(g)) return NULL;
    if (g->kind != WEFT__P_FILTER)
      for (size_t k = 0; k < n; k++)
        if (!passes_column(g, keys[k])) return NULL;
  }
  if (g->kind != WEFT__P_GROUP_BY || g->n == 0) return NULL;
  for (size_t a = 0; a < g->naggs; a++)
    if (!partition_free(g, a)) return NULL;
  for (size_t k = 0; k < n; k++)
    if (!has_key(g, keys[k])) return NULL;
  return g;
}

/* Whether reading only `other`'s keys' rows pays for `group`. */
static int worth_it(const weft_plan *group, const weft_plan *other) {
  if (group->in == other) return 0; /* its own keys: nothing to drop */
  double input = weft__plan_estimate_rows(group->in);
  return input >= WEFT__SEMI_REDUCE_MIN_ROWS && side_rows(other) * WEFT__SEMI_REDUCE_RATIO <= input;
}

/* The group_by join `j` may reduce, and on which side (*on_left). */
static const weft_plan *reducible(const weft_plan *j, int *on_left) {
  if (j->kind != WEFT__P_JOIN || j->n == 0) return NULL;
  weft_join_kind kind = WEFT__JOIN_KIND(j->how);
  const weft_plan *g = NULL;
  if (kind == WEFT_JOIN_SEMI || kind == WEFT_JOIN_ANTI || kind == WEFT_JOIN_LEFT ||
      kind == WEFT_JOIN_INNER) {
    g = group_under(j->right, j->n, j->right_keys);
    if (g && worth_it(g, j->in)) return *on_left = 0, g;
  }
  if (kind == WEFT_JOIN_INNER || kind == WEFT_JOIN_RIGHT) {
    g = group_under(j->in, j->n, j->keys);
    if (g && worth_it(g, j->right)) return *on_left = 1, g;
  }
  return NULL;
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
  int on_left = 0;
  if (st == WEFT_OK && p->kind == WEFT__P_JOIN) {
    /* asked of the rewritten join: its sides are the ones it will read */
    weft_plan *j = NULL;
    st = weft__plan_rebuild(p, in, right, &j);
    if (st == WEFT_OK && (group = reducible(j, &on_left)) != NULL) {
      /* the group_by's input keeps the rows whose keys (the join keys of its side, which
       * the nodes between pass through unchanged) the other side holds */
      const weft_plan *other = on_left ? right : in, *grouped = on_left ? in : right;
      char *const *own = on_left ? p->keys : p->right_keys;
      char *const *their = on_left ? p->right_keys : p->keys;
      st = weft_plan_join(group->in, other, p->n, (const char *const *)own,
                          (const char *const *)their, WEFT_JOIN_SEMI, NULL, &reduced);
      if (st == WEFT_OK) st = rebuild_over(grouped, group, reduced, &side);
      if (st == WEFT_OK) st = on_left ? weft__plan_rebuild(p, side, right, out)
                                      : weft__plan_rebuild(p, in, side, out);
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

/* Not without sharing (WEFT_TEST_NO_PLAN_REUSE): the other side would run twice. */
weft_status weft__plan_semi_reduce(const weft_plan *plan, weft_plan **out) {
  if (!weft__reuse_enabled()) {
    *out = weft__plan_ref(plan);
    return WEFT_OK;
  }
  return rewrite(plan, out);
}
