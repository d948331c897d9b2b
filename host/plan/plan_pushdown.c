/* Predicate pushdown: filters are split into their AND-ed conjuncts and carried down the
 * tree while the rows they test are unchanged below: under a select that passes their
 * columns through as they are, a with_columns that does not recompute them, a sort (a
 * stable sort keeps the order of the rows a filter keeps), and into the side of a join that
 * holds all their columns (the left side of every join; the right side of an inner join
 * when the columns keep their names there). Where a conjunct stops, the conjuncts gathered
 * there become one filter, AND-ed: consecutive filters merge. Slices, group-bys and uniques
 * stop every conjunct (the rows they make depend on the rows they see), and so do filters,
 * selects and with_columns whose expressions hold aggregations (plan_agg_split.c). A
 * conjunct that stays above a join lends each side the filter it implies there
 * (plan_implied_filter.c), when `implied` asks. */
#include <stdlib.h>
#include <string.h>

#include "frame/expr/expr.h"
#include "core/alloc.h"
#include "frame/join/join.h"
#include "frame/table/table.h"
#include "plan/plan.h"
#include "plan/plan_agg.h"
#include "plan/plan_names.h"

typedef struct preds {
  weft_expr **v; /* references held */
  size_t n, cap;
} preds;

static weft_status preds_add(preds *p, const weft_expr *e) {
  if (p->n == p->cap) {
    size_t cap = p->cap ? p->cap * 2 : 8;
    weft_expr **v = weft__realloc(p->v, cap * sizeof *v);
    if (!v) return weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft plan optimizer: no host memory");
    p->v = v, p->cap = cap;
  }
  weft_expr *x = (weft_expr *)e;
  atomic_fetch_add(&x->refs, 1);
  p->v[p->n++] = x;
  return WEFT_OK;
}

static void preds_free(preds *p) {
  for (size_t i = 0; i < p->n; i++) weft_expr_free(p->v[i]);
  free(p->v);
  memset(p, 0, sizeof *p);
}

/* The conjuncts of `e`: (a & b) & c gives a, b, c. */
static weft_status add_conjuncts(preds *p, const weft_expr *e) {
  if (e->kind == WEFT__E_BINARY && e->op == WEFT_OP_AND) {
    WEFT_RETURN_NOT_OK(add_conjuncts(p, e->a));
    return add_conjuncts(p, e->b);
  }
  return preds_add(p, e);
}

/* `node` (taken over) under one filter of every conjunct of `ps`, AND-ed in order. */
static weft_status wrap(weft_plan *node, const preds *ps, weft_plan **out) {
  if (ps->n == 0) {
    *out = node;
    return WEFT_OK;
  }
  weft_expr *acc = ps->v[0];
  atomic_fetch_add(&acc->refs, 1);
  weft_status st = WEFT_OK;
  for (size_t i = 1; st == WEFT_OK && i < ps->n; i++) {
    weft_expr *both = NULL;
    st = weft_expr_binary(WEFT_OP_AND, acc, ps->v[i], &both);
    weft_expr_free(acc);
    acc = both;
  }
  if (st == WEFT_OK) st = weft_plan_filter(node, acc, out);
  weft_expr_free(acc);
  weft_plan_free(node);
  return st;
}

static weft_status push(const weft_plan *p, preds *ps, int implied, weft_plan **out);

/* Splits `ps` into the conjuncts `keep(names, e)` lets go down and the rest. */
static weft_status split(preds *ps, const weft__names *names, int (*down_ok)(const weft__names *, const weft_expr *),
                         preds *down, preds *stay) {
  if (names->oom) return weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft plan optimizer: no host memory");
  for (size_t i = 0; i < ps->n; i++)
    WEFT_RETURN_NOT_OK(preds_add(down_ok(names, ps->v[i]) ? down : stay, ps->v[i]));
  return WEFT_OK;
}

static int untouched(const weft__names *s, const weft_expr *e) { return !weft__names_touches_expr(s, e); }

/* A one-input node whose rows a conjunct in `down` may be tested below. */
static weft_status through(const weft_plan *p, preds *down, preds *stay, int implied,
                           weft_plan **out) {
  weft_plan *child = NULL, *node = NULL;
  weft_status st = push(p->in, down, implied, &child);
  if (st == WEFT_OK) st = weft__plan_rebuild(p, child, NULL, &node);
  weft_plan_free(child);
  if (st == WEFT_OK) return wrap(node, stay, out);
  return st;
}

/* Which output columns a filter over the join can take below it, per side: those that come
 * from that side under the same name, on a side whose rows the join keeps or drops but never
 * pads with nulls (both sides of inner and cross joins, the left of left / semi / anti, the
 * right of a right join; neither of a full join). */
static weft_status push_join(const weft_plan *p, preds *ps, int implied, weft_plan **out) {
  weft__names left = {0}, right = {0};
  const weft_table *lt = p->in->proto, *rt = p->right->proto;
  weft_join_kind kind = WEFT__JOIN_KIND(p->how);
  int to_l = kind == WEFT_JOIN_INNER || kind == WEFT_JOIN_LEFT || kind == WEFT_JOIN_SEMI ||
             kind == WEFT_JOIN_ANTI || kind == WEFT_JOIN_CROSS;
  int to_r = kind == WEFT_JOIN_INNER || kind == WEFT_JOIN_RIGHT || kind == WEFT_JOIN_CROSS;
  weft__join_out *cols = NULL;
  size_t ncols = 0;
  weft_status lst = weft__join_layout_of(lt, rt, p->n, (const char *const *)p->keys,
                                         (const char *const *)p->right_keys, p->how, p->suffix,
                                         &cols, &ncols);
  if (lst != WEFT_OK) return lst;
  for (size_t c = 0; c < ncols; c++) {
    const weft__join_out *o = &cols[c];
    /* the sets keep pointers: the inputs' names, which outlive the layout */
    if (o->side == 0 && to_l && !strcmp(o->name, lt->names[o->col])) weft__names_add(&left, lt->names[o->col]);
    if (o->side == 1 && to_r && !strcmp(o->name, rt->names[o->col])) weft__names_add(&right, rt->names[o->col]);
  }
  weft__join_layout_free(cols, ncols);
  preds to_left = {0}, rest = {0}, to_right = {0}, stay = {0};
  weft_status st = split(ps, &left, weft__names_covers_expr, &to_left, &rest);
  if (st == WEFT_OK) st = split(&rest, &right, weft__names_covers_expr, &to_right, &stay);
  /* an OR over both sides stays, and lends each side what it implies there */
  for (size_t i = 0; implied && st == WEFT_OK && i < stay.n; i++) {
    weft_expr *l_implied = NULL, *r_implied = NULL;
    if (to_l) st = weft__plan_implied_filter(stay.v[i], &left, &l_implied);
    if (st == WEFT_OK && l_implied) st = preds_add(&to_left, l_implied);
    if (st == WEFT_OK && to_r) st = weft__plan_implied_filter(stay.v[i], &right, &r_implied);
    if (st == WEFT_OK && r_implied) st = preds_add(&to_right, r_implied);
    weft_expr_free(l_implied), weft_expr_free(r_implied);
  }
  weft_plan *l = NULL, *r = NULL, *node = NULL;
  if (st == WEFT_OK) st = push(p->in, &to_left, implied, &l);
  if (st == WEFT_OK) st = push(p->right, &to_right, implied, &r);
  if (st == WEFT_OK) st = weft__plan_rebuild(p, l, r, &node);
  if (st == WEFT_OK) st = wrap(node, &stay, out);
  weft_plan_free(l), weft_plan_free(r);
  preds_free(&to_left), preds_free(&rest), preds_free(&to_right), preds_free(&stay);
  weft__names_free(&left), weft__names_free(&right);
  return st;
}

/* A filter pushed below a nearest node (or already there) is taken into it as its
 * pre-filter: its rows are the candidates of the search, so k rows come back whenever k
 * rows pass (a filter above a nearest on its input's columns means the same: it is pushed
 * here). Conjuncts that go further down stay ordinary filters there. */
static weft_status push_nearest(const weft_plan *p, preds *down, preds *stay, int implied,
                                weft_plan **out) {
  weft_plan *child = NULL, *node = NULL;
  if (p->exprs) WEFT_RETURN_NOT_OK(add_conjuncts(down, p->exprs[0])); /* applied first */
  weft_status st = push(p->in, down, implied, &child);
  if (st == WEFT_OK && child->kind == WEFT__P_FILTER && !child->keep)
    st = weft__plan_nearest_like(p, child->in, child->exprs[0], &node);
  else if (st == WEFT_OK)
    st = weft__plan_nearest_like(p, child, NULL, &node);
  weft_plan_free(child);
  if (st == WEFT_OK) return wrap(node, stay, out);
  return st;
}

/* Pushes the conjuncts `ps` (which it empties) as far down `p` as they go. */
static weft_status push(const weft_plan *p, preds *ps, int implied, weft_plan **out) {
  weft_status st = WEFT_OK;
  preds down = {0}, stay = {0};
  weft__names names = {0};
  if (weft__plan_has_aggs(p)) { /* aggregations see every row of the input: nothing crosses */
    st = through(p, &down, ps, implied, out);
    preds_free(ps);
    return st;
  }
  switch (p->kind) {
    case WEFT__P_FILTER: /* this filter's conjuncts first: they were applied first */
      st = add_conjuncts(&down, p->exprs[0]);
      for (size_t i = 0; st == WEFT_OK && i < ps->n; i++) st = preds_add(&down, ps->v[i]);
      if (st == WEFT_OK) st = push(p->in, &down, implied, out);
      break;
    case WEFT__P_SELECT: /* columns passed through as they are */
      for (size_t i = 0; i < p->n; i++)
        if (p->exprs[i]->kind == WEFT__E_COLUMN) weft__names_add(&names, p->exprs[i]->s);
      st = split(ps, &names, weft__names_covers_expr, &down, &stay);
      if (st == WEFT_OK) st = through(p, &down, &stay, implied, out);
      break;
    case WEFT__P_WITH_COLUMNS: /* columns not recomputed */
      for (size_t i = 0; st == WEFT_OK && i < p->n; i++) {
        const char *name;
        weft_type type;
        st = weft_expr_output(p->exprs[i], p->in->proto, &name, &type);
        weft__names_add(&names, name);
      }
      if (st == WEFT_OK) st = split(ps, &names, untouched, &down, &stay);
      if (st == WEFT_OK) st = through(p, &down, &stay, implied, out);
      break;
    case WEFT__P_SORT:
      st = through(p, ps, &stay, implied, out);
      break;
    case WEFT__P_JOIN:
      st = push_join(p, ps, implied, out);
      break;
    case WEFT__P_NEAREST: /* conjuncts on the input's columns become its pre-filter */
      weft__names_add(&names, "_distance"), weft__names_add(&names, "_query");
      st = split(ps, &names, untouched, &down, &stay);
      if (st == WEFT_OK) st = push_nearest(p, &down, &stay, implied, out);
      break;
    case WEFT__P_SCAN:
      st = wrap(weft__plan_ref(p), ps, out);
      break;
    default: /* slice, group_by, unique: every conjunct stays above */
      st = through(p, &down, ps, implied, out);
      break;
  }
  preds_free(&down), preds_free(&stay), preds_free(ps);
  weft__names_free(&names);
  return st;
}

weft_status weft__plan_pushdown(const weft_plan *plan, int implied, weft_plan **out) {
  preds none = {0};
  return push(plan, &none, implied, out);
}
