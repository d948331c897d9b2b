/* Aggregation and window nodes of weft_expr: construction, the names of the columns that
 * hold their values, and collecting the ones a list of expressions needs (see expr_agg.h). */
#include "frame/expr/expr_agg.h"
#include "core/alloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"

static const char *agg_names[] = {"sum", "mean", "min", "max", "count", "n_unique",
                                  "std", "var", "first", "last", "len"};

/* A node holding references to a and b; takes `text` and `s` (malloc'd, may be NULL). */
static weft_status node(weft__expr_kind kind, int op, const weft_expr *a, const weft_expr *b,
                        char *s, char *text, weft_expr **out) {
  weft_expr *e = text ? weft__calloc(1, sizeof *e) : NULL;
  if (!e) {
    free(s), free(text);
    return weft__error(WEFT_ERR_OUT_OF_MEMORY, "no host memory for an expression");
  }
  atomic_init(&e->refs, 1);
  e->kind = kind;
  e->op = op;
  if (a) atomic_fetch_add(&((weft_expr *)a)->refs, 1);
  if (b) atomic_fetch_add(&((weft_expr *)b)->refs, 1);
  e->a = (weft_expr *)a, e->b = (weft_expr *)b;
  e->s = s, e->text = text;
  *out = e;
  return WEFT_OK;
}

weft_status weft_expr_agg(weft_agg_kind kind, const weft_expr *input, weft_expr **out) {
  WEFT_CHECK_ARG(out, "weft_expr_agg: out is NULL");
  *out = NULL;
  WEFT_CHECK_ARG((unsigned)kind <= WEFT_AGG_LEN, "weft_expr_agg: unknown aggregation kind %d", (int)kind);
  WEFT_CHECK_ARG(input || kind == WEFT_AGG_LEN,
                 "weft_expr_agg: input is NULL; only WEFT_AGG_LEN may omit it");
  char *text = input ? weft__expr_format("%s.%s()", input->text, agg_names[kind]) : weft__expr_format("len()");
  return node(WEFT__E_AGG, (int)kind, kind == WEFT_AGG_LEN ? NULL : input, NULL, NULL, text, out);
}

weft_status weft_expr_over(const weft_expr *input, size_t nkeys, const weft_expr *const *keys,
                           weft_expr **out) {
  WEFT_CHECK_ARG(out, "weft_expr_over: out is NULL");
  *out = NULL;
  WEFT_CHECK_ARG(input, "weft_expr_over: input is NULL");
  WEFT_CHECK_ARG(nkeys > 0 && keys, "weft_expr_over: needs at least one key, got %zu", nkeys);
  for (size_t k = 0; k < nkeys; k++)
    WEFT_CHECK_ARG(keys[k], "weft_expr_over: keys[%zu] is NULL", k);
  weft_expr *chain = NULL; /* the keys as a list of OVER_KEY nodes, built from the last */
  weft_status st = WEFT_OK;
  for (size_t k = nkeys; st == WEFT_OK && k-- > 0;) {
    weft_expr *link = NULL;
    st = node(WEFT__E_OVER_KEY, 0, keys[k], chain, NULL, weft__expr_format("%s", keys[k]->text), &link);
    weft_expr_free(chain);
    chain = link;
  }
  size_t len = 3;
  for (size_t k = 0; k < nkeys; k++) len += strlen(keys[k]->text) + 2;
  char *list = st == WEFT_OK ? weft__malloc(len) : NULL;
  if (st == WEFT_OK && !list) st = weft__error(WEFT_ERR_OUT_OF_MEMORY, "no host memory for an expression");
  if (st == WEFT_OK) {
    strcpy(list, "[");
    for (size_t k = 0; k < nkeys; k++) {
      if (k) strcat(list, ", ");
      strcat(list, keys[k]->text);
    }
    strcat(list, "]");
    char *text = weft__expr_format("%s.over(%s)", input->text, list);
    st = node(WEFT__E_OVER, 0, input, chain, list, text, out);
  }
  weft_expr_free(chain);
  return st;
}

int weft__expr_has_agg(const weft_expr *e) {
  for (; e; e = e->b) {
    if (e->kind == WEFT__E_AGG || e->kind == WEFT__E_OVER) return 1;
    if (weft__expr_has_agg(e->a)) return 1;
  }
  return 0;
}

const char *weft__expr_out_name(const weft_expr *e) {
  switch (e->kind) {
    case WEFT__E_COLUMN: case WEFT__E_ALIAS: return e->s;
    case WEFT__E_LITERAL: return "literal";
    case WEFT__E_AGG: return e->a ? weft__expr_out_name(e->a) : "len";
    case WEFT__E_OVER: return weft__expr_out_name(e->a);
    default: break;
  }
  const char *a = e->a ? weft__expr_out_name(e->a) : NULL;
  const char *b = e->b ? weft__expr_out_name(e->b) : NULL;
  if (a && b && !strcmp(a, "literal")) return b;
  return a ? a : b ? b : "literal";
}

char *weft__agg_column_name(const weft_expr *agg, const weft_expr *over) {
  return over ? weft__expr_format("__weft_agg %s over %s", agg->text, over->s)
              : weft__expr_format("__weft_agg %s", agg->text);
}

static weft_status add_use(weft__agg_uses *u, const weft_expr *agg, const weft_expr *over,
                           const weft_table *table) {
  char *name = weft__agg_column_name(agg, over);
  if (!name) return weft__error(WEFT_ERR_OUT_OF_MEMORY, "no host memory for an aggregation");
  int known = 0;
  for (size_t c = 0; !known && table && c < table->ncols; c++) known = !strcmp(table->names[c], name);
  for (size_t i = 0; !known && i < u->n; i++) known = !strcmp(u->v[i].column, name);
  if (known) {
    free(name);
    return WEFT_OK;
  }
  if (u->n == u->cap) {
    size_t cap = u->cap ? u->cap * 2 : 8;
    weft__agg_use *v = weft__realloc(u->v, cap * sizeof *v);
    if (!v) {
      free(name);
      return weft__error(WEFT_ERR_OUT_OF_MEMORY, "no host memory for an aggregation");
    }
    u->v = v, u->cap = cap;
  }
  u->v[u->n++] = (weft__agg_use){.agg = agg, .over = over, .column = name};
  return WEFT_OK;
}

typedef struct walk {
  const char *opname;
  const weft_table *table;
  const weft_expr *root;
  weft__agg_uses *u;
} walk;

static weft_status visit(walk *w, const weft_expr *e, const weft_expr *over, const weft_expr *in_agg) {
  for (; e; e = e->b) {
    if (e->kind == WEFT__E_AGG) {
      if (in_agg)
        return weft__error(WEFT_ERR_INVALID_ARGUMENT, "%s: %s aggregates the aggregation %s in %s; "
                           "aggregations of aggregations are not supported: compute the inner one "
                           "in a select or group_by first", w->opname, in_agg->text, e->text, w->root->text);
      WEFT_RETURN_NOT_OK(add_use(w->u, e, over, w->table));
      WEFT_RETURN_NOT_OK(visit(w, e->a, over, e));
      return WEFT_OK; /* an aggregation has no `b` */
    }
    if (e->kind == WEFT__E_OVER) {
      if (over || in_agg)
        return weft__error(WEFT_ERR_INVALID_ARGUMENT, "%s: the window %s is inside %s in %s; windows "
                           "cannot nest or be aggregated: compute it in a with_columns first",
                           w->opname, e->text, over ? over->text : in_agg->text, w->root->text);
      if (!w->u->row) w->u->row = e, w->u->row_in = w->root;
      WEFT_RETURN_NOT_OK(visit(w, e->a, e, NULL));
      for (const weft_expr *k = e->b; k; k = k->b)
        if (weft__expr_has_agg(k->a))
          return weft__error(WEFT_ERR_INVALID_ARGUMENT, "%s: the window key %s of %s holds an "
                             "aggregation; window keys are per-row expressions", w->opname,
                             k->a->text, e->text);
      return WEFT_OK;
    }
    if (e->kind == WEFT__E_COLUMN && !in_agg && !w->u->row) w->u->row = e, w->u->row_in = w->root;
    WEFT_RETURN_NOT_OK(visit(w, e->a, over, in_agg));
  }
  return WEFT_OK;
}

weft_status weft__agg_collect(const char *opname, const weft_table *table, size_t n,
                              const weft_expr *const *exprs, weft__agg_uses *out) {
  memset(out, 0, sizeof *out);
  for (size_t i = 0; i < n; i++) {
    if (!exprs[i]) return weft__error(WEFT_ERR_INVALID_ARGUMENT, "%s: exprs[%zu] is NULL", opname, i);
    walk w = {.opname = opname, .table = table, .root = exprs[i], .u = out};
    WEFT_RETURN_NOT_OK(visit(&w, exprs[i], NULL, NULL));
  }
  return WEFT_OK;
}

void weft__agg_uses_free(weft__agg_uses *u) {
  for (size_t i = 0; i < u->n; i++) free(u->v[i].column);
  free(u->v);
  memset(u, 0, sizeof *u);
}

weft_status weft__agg_bind_column(weft__bound *b, const weft_expr *agg, const weft_table *t,
                                  const weft_expr **col) {
  char *name = weft__agg_column_name(agg, b->over);
  if (!name) return weft__error(WEFT_ERR_OUT_OF_MEMORY, "no host memory to bind an expression");
  size_t idx;
  int found = 0;
  for (idx = 0; !found && idx < t->ncols; idx++) found = !strcmp(t->names[idx], name);
  if (!found) {
    free(name);
    return weft__error(WEFT_ERR_INVALID_ARGUMENT, "%s is an aggregation (one value per group), which "
                       "cannot be computed here: aggregations work in select, with_columns and "
                       "filter (broadcast over the rows, or per group with .over(keys)) and in "
                       "group_by(...).agg(); compute it there first", agg->text);
  }
  weft_expr **made = weft__realloc(b->made, (size_t)(b->nmade + 1) * sizeof *made);
  weft_expr *c = NULL;
  weft_status st = made ? weft_expr_column(name, &c)
                        : weft__error(WEFT_ERR_OUT_OF_MEMORY, "no host memory to bind an expression");
  free(name);
  if (made) b->made = made;
  if (st != WEFT_OK) return st;
  b->made[b->nmade++] = c;
  *col = c;
  return WEFT_OK;
}

static weft_status agg_output(const weft_expr *expr, const weft_table *table, const char **name,
                             weft_type *type) {
  weft_table *empty = NULL, *res = NULL; /* the type from a run over no rows */
  WEFT_RETURN_NOT_OK(weft__table_new(table->ncols, 0, &empty));
  weft_status st = WEFT_OK;
  for (size_t c = 0; st == WEFT_OK && c < table->ncols; c++)
    st = weft__table_set_column(empty, c, table->names[c], weft__column_slice(&table->cols[c], 0, 0));
  if (st == WEFT_OK) st = weft_table_select(NULL, empty, 1, &expr, &res);
  if (st == WEFT_OK) {
    if (name) *name = weft__expr_out_name(expr);
    if (type) *type = res->cols[0].view.type;
  }
  weft_table_free(res);
  weft_table_free(empty);
  return st;
}

/* Here rather than in expr.c: an expression with aggregations takes agg_output's path. */
weft_status weft_expr_output(const weft_expr *expr, const weft_table *table, const char **name,
                             weft_type *type) {
  WEFT_CHECK_ARG(expr && table, "weft_expr_output: expr and table must not be NULL");
  if (weft__expr_has_agg(expr)) return agg_output(expr, table, name, type);
  weft__bound b;
  WEFT_RETURN_NOT_OK(weft__expr_bind(expr, table, &b));
  if (name) *name = b.nodes[b.root].name;
  if (type) *type = b.nodes[b.root].type;
  weft__expr_unbind(&b);
  return WEFT_OK;
}
