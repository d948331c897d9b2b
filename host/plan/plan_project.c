/* Projection pushdown: each node is told which of its output columns are used above it
 * (NULL: all of them, as at the root) and asks its inputs for only the columns it needs
 * for those. A scan of an in-memory table then keeps only those columns, as a view (no
 * copy); with_columns and select drop the expressions whose output nobody reads. Nodes whose result
 * depends on every column (unique without keys) ask for everything, a filter drops the
 * columns only its predicate reads, and a join keeps a
 * left column whose name a used right column clashes with, so the suffix stays the same.
 * A sub-tree met more than once is asked for what all its uses need (below), so collect can
 * run it once. */
#include <stdlib.h>
#include <string.h>

#include "frame/expr/expr.h"
#include "core/alloc.h"
#include "frame/join/join.h"
#include "frame/table/table.h"
#include "plan/plan.h"
#include "plan/plan_agg.h"
#include "plan/plan_names.h"
#include "plan/plan_reuse.h"

typedef struct project_ctx project_ctx;
static weft_status project(project_ctx *ctx, const weft_plan *p, const weft__names *need,
                           weft_plan **out);

static weft_status project_scan(const weft_plan *p, const weft__names *need, weft_plan **out) {
  const weft_table *t = p->table;
  size_t *cols = weft__calloc(t->ncols ? t->ncols : 1, sizeof *cols), n = 0;
  if (!cols) return weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft plan optimizer: no host memory");
  for (size_t c = 0; need && c < t->ncols; c++)
    if (weft__names_has(need, t->names[c])) cols[n++] = c;
  if (need && n == 0 && t->ncols > 0) cols[n++] = 0; /* one column keeps the row count */
  weft_status st;
  if (!need || n == t->ncols) {
    *out = weft__plan_ref(p);
    st = WEFT_OK;
  } else {
    st = weft__plan_scan_columns(p, n, cols, out);
  }
  free(cols);
  return st;
}

/* `p` over its input projected to `need`, with exprs `keep` (NULL: its own). */
static weft_status one_input(project_ctx *ctx, const weft_plan *p, const weft__names *need, size_t nkeep,
                             weft_expr *const *keep, weft_plan **out) {
  if (need && need->oom) return weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft plan optimizer: no host memory");
  weft_plan *child = NULL;
  weft_status st = project(ctx, p->in, need, &child);
  if (st == WEFT_OK)
    st = keep ? weft__plan_rebuild_exprs(p, child, nkeep, keep, out) : weft__plan_rebuild(p, child, NULL, out);
  weft_plan_free(child);
  return st;
}

static weft_status project_with_columns(project_ctx *ctx, const weft_plan *p, const weft__names *need, weft_plan **out) {
  if (!need) return one_input(ctx, p, NULL, 0, NULL, out);
  weft__names below = {0};
  weft_expr **keep = weft__calloc(p->n ? p->n : 1, sizeof *keep);
  const char **outs = weft__calloc(p->n ? p->n : 1, sizeof *outs);
  weft_status st = keep && outs ? WEFT_OK : weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft plan optimizer: no host memory");
  size_t nkeep = 0;
  for (size_t i = 0; st == WEFT_OK && i < p->n; i++) {
    weft_type type;
    st = weft_expr_output(p->exprs[i], p->in->proto, &outs[i], &type);
    if (st == WEFT_OK && weft__names_has(need, outs[i])) keep[nkeep++] = p->exprs[i];
  }
  for (size_t i = 0; st == WEFT_OK && i < need->n; i++) {
    int computed = 0;
    for (size_t j = 0; j < p->n; j++) computed |= !strcmp(need->v[i], outs[j]);
    if (!computed) weft__names_add(&below, need->v[i]);
  }
  for (size_t i = 0; i < nkeep; i++) weft__names_add_expr(&below, keep[i]);
  if (st == WEFT_OK) st = nkeep ? one_input(ctx, p, &below, nkeep, keep, out) : project(ctx, p->in, &below, out);
  free(keep), free(outs);
  weft__names_free(&below);
  return st;
}

/* A select drops the expressions whose output nobody reads (as with_columns), when it holds
 * no aggregation and a kept expression reads a column (a select of literals alone would
 * make one row). The join order's select that renames a chain's columns back
 * (plan_join_order.c) lists them all; this is what lets its scans keep only those used. */
static weft_status project_select(project_ctx *ctx, const weft_plan *p, const weft__names *need, weft_plan **out) {
  weft__names below = {0}, read = {0};
  weft_expr **keep = weft__calloc(p->n ? p->n : 1, sizeof *keep);
  weft_status st = keep ? WEFT_OK : weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft plan optimizer: no host memory");
  size_t nkeep = 0;
  for (size_t i = 0; st == WEFT_OK && i < p->n; i++) {
    const char *name;
    weft_type type;
    st = weft_expr_output(p->exprs[i], p->in->proto, &name, &type);
    if (st == WEFT_OK && (!need || weft__names_has(need, name))) keep[nkeep++] = p->exprs[i];
  }
  for (size_t i = 0; i < nkeep; i++) weft__names_add_expr(&read, keep[i]);
  int prune = need && nkeep < p->n && read.n > 0 && !weft__plan_has_aggs(p);
  for (size_t i = 0; i < (prune ? nkeep : p->n); i++) weft__names_add_expr(&below, prune ? keep[i] : p->exprs[i]);
  if (st == WEFT_OK) st = one_input(ctx, p, &below, prune ? nkeep : 0, prune ? keep : NULL, out);
  free(keep);
  weft__names_free(&below), weft__names_free(&read);
  return st;
}

/* Each side keeps its keys and the columns of the output columns asked for, plus those
 * whose names made an asked-for column take the suffix (dropping them would change its
 * name). Semi and anti joins read only the right keys. */
static weft_status project_join(project_ctx *ctx, const weft_plan *p, const weft__names *need, weft_plan **out) {
  weft__names left = {0}, right = {0};
  const weft_table *lt = p->in->proto, *rt = p->right->proto;
  weft_join_kind kind = WEFT__JOIN_KIND(p->how);
  int all_left = need == NULL, all_right = need == NULL;
  if (kind == WEFT_JOIN_SEMI || kind == WEFT_JOIN_ANTI) all_right = 0;
  for (size_t k = 0; k < p->n; k++) weft__names_add(&left, p->keys[k]), weft__names_add(&right, p->right_keys[k]);
  weft__join_out *cols = NULL;
  size_t ncols = 0;
  weft_status st = weft__join_layout_of(lt, rt, p->n, (const char *const *)p->keys,
                                        (const char *const *)p->right_keys, p->how, p->suffix,
                                        &cols, &ncols);
  char *kept = st == WEFT_OK ? weft__calloc(ncols + 1, 1) : NULL;
  if (st == WEFT_OK && !kept) st = weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft plan optimizer: no host memory");
  for (size_t c = 0; st == WEFT_OK && need && c < ncols; c++) kept[c] = (char)weft__names_has(need, cols[c].name);
  for (int changed = 1; st == WEFT_OK && need && changed;) {
    changed = 0;
    for (size_t c = 0; c < ncols; c++) {
      if (!kept[c] || cols[c].side != 1 || !strcmp(cols[c].name, rt->names[cols[c].col])) continue;
      for (size_t j = 0; j < c; j++)
        if (!kept[j] && !strcmp(cols[j].name, rt->names[cols[c].col])) kept[j] = 1, changed = 1;
    }
  }
  for (size_t c = 0; st == WEFT_OK && need && c < ncols; c++) {
    if (!kept[c]) continue;
    if (cols[c].side != 1) weft__names_add(&left, lt->names[cols[c].col]);
    if (cols[c].side == 1) weft__names_add(&right, rt->names[cols[c].col]);
    if (cols[c].side == 2) weft__names_add(&right, rt->names[cols[c].col2]);
  }
  free(kept);
  weft__join_layout_free(cols, ncols);
  weft_plan *l = NULL, *r = NULL;
  if (st == WEFT_OK && (left.oom || right.oom))
    st = weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft plan optimizer: no host memory");
  if (st == WEFT_OK) st = project(ctx, p->in, all_left ? NULL : &left, &l);
  if (st == WEFT_OK) st = project(ctx, p->right, all_right ? NULL : &right, &r);
  if (st == WEFT_OK) st = weft__plan_rebuild(p, l, r, out);
  weft_plan_free(l), weft_plan_free(r);
  weft__names_free(&left), weft__names_free(&right);
  return st;
}

/* A filter asks its input for what is needed above plus what its predicate reads; a column
 * only the predicate reads is then dropped by the filter itself (its `keep`), not carried
 * (and, for strings, copied) past it. */
static weft_status project_filter(project_ctx *ctx, const weft_plan *p, const weft__names *need, weft_plan **out) {
  if (!need) return one_input(ctx, p, NULL, 0, NULL, out);
  weft__names below = {0};
  for (size_t i = 0; i < need->n; i++) weft__names_add(&below, need->v[i]);
  weft__names_add_expr(&below, p->exprs[0]);
  weft_plan *child = NULL;
  weft_status st = below.oom ? weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft plan optimizer: no host memory")
                             : project(ctx, p->in, &below, &child);
  const weft_table *ct = child ? child->proto : NULL;
  const char **keep = st == WEFT_OK ? weft__calloc(ct->ncols ? ct->ncols : 1, sizeof *keep) : NULL;
  if (st == WEFT_OK && !keep) st = weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft plan optimizer: no host memory");
  size_t nkeep = 0;
  for (size_t c = 0; st == WEFT_OK && c < ct->ncols; c++)
    if (weft__names_has(need, ct->names[c])) keep[nkeep++] = ct->names[c];
  if (st == WEFT_OK && nkeep == 0 && ct->ncols > 0) keep[nkeep++] = ct->names[0]; /* the row count */
  if (st == WEFT_OK)
    st = nkeep == ct->ncols ? weft__plan_rebuild(p, child, NULL, out)
                            : weft__plan_filter_keep(child, p->exprs[0], nkeep, keep, out);
  free(keep);
  weft_plan_free(child);
  weft__names_free(&below);
  return st;
}

static weft_status project_node(project_ctx *ctx, const weft_plan *p, const weft__names *need,
                                weft_plan **out) {
  weft__names below = {0};
  weft_status st;
  switch (p->kind) {
    case WEFT__P_SCAN: return project_scan(p, need, out);
    case WEFT__P_WITH_COLUMNS: return project_with_columns(ctx, p, need, out);
    case WEFT__P_JOIN: return project_join(ctx, p, need, out);
    case WEFT__P_SELECT: return project_select(ctx, p, need, out);
    case WEFT__P_GROUP_BY:
      for (size_t k = 0; k < p->n; k++) weft__names_add(&below, p->keys[k]);
      for (size_t a = 0; a < p->naggs; a++) weft__names_add_expr(&below, p->aggs[a].input);
      st = one_input(ctx, p, &below, 0, NULL, out);
      break;
    case WEFT__P_ROW_INDEX: /* every column it passes, but its own */
      if (!need) return one_input(ctx, p, NULL, 0, NULL, out);
      for (size_t i = 0; i < need->n; i++)
        if (strcmp(need->v[i], p->keys[0])) weft__names_add(&below, need->v[i]);
      st = one_input(ctx, p, &below, 0, NULL, out);
      break;
    case WEFT__P_FILTER: return project_filter(ctx, p, need, out);
    case WEFT__P_NEAREST: /* the rows it returns, less its own columns, its vectors and pre-filter */
      if (!need) return one_input(ctx, p, NULL, 0, NULL, out);
      for (size_t i = 0; i < need->n; i++)
        if (strcmp(need->v[i], "_distance") && strcmp(need->v[i], "_query")) weft__names_add(&below, need->v[i]);
      weft__names_add(&below, p->keys[0]);
      if (p->exprs) weft__names_add_expr(&below, p->exprs[0]);
      st = one_input(ctx, p, &below, 0, NULL, out);
      break;
    case WEFT__P_UNIQUE:
      if (p->n == 0) need = NULL; /* every column is a key */
      /* fall through */
    case WEFT__P_SORT: case WEFT__P_SLICE: case WEFT__P_TOP_K:
      if (!need) return one_input(ctx, p, NULL, 0, NULL, out);
      for (size_t i = 0; i < need->n; i++) weft__names_add(&below, need->v[i]);
      for (size_t k = 0; p->kind != WEFT__P_SLICE && k < p->n; k++)
        weft__names_add(&below, p->keys[k]);
      st = one_input(ctx, p, &below, 0, NULL, out);
      break;
    default:
      st = weft__error(WEFT_ERR_INTERNAL, "weft plan optimizer: unknown node kind %d", (int)p->kind);
  }
  weft__names_free(&below);
  return st;
}

/* A sub-tree met more than once (the same node under two parents, or equal copies) is
 * asked, at every use, for the columns all its uses need: its copies then stay equal, and
 * collect runs it once (plan_reuse.c). The union is found by repeating the pass until no
 * use adds a column (twice, usually: a use's need can depend on another shared sub-tree's
 * union above it); a plan whose unions do not settle in a few passes is projected use by
 * use, as without sharing. In-memory scans are left out: they are views, free to repeat. */
typedef struct col_union {
  int seen, all;      /* some use was met; some use needs every column */
  char **v;           /* the names (copies) */
  size_t n, cap;
} col_union;

struct project_ctx {
  const weft__reuse *classes; /* NULL: each use projected alone */
  col_union *u;               /* per class */
  int changed;                /* a union grew in this pass */
};

/* `need` merged into the class's union; 0 on allocation failure. */
static int union_add(project_ctx *ctx, col_union *u, const weft__names *need) {
  if (!u->seen) u->seen = 1, ctx->changed = 1;
  if (u->all) return 1;
  if (!need) {
    u->all = 1, ctx->changed = 1;
    return 1;
  }
  for (size_t i = 0; i < need->n; i++) {
    size_t j = 0;
    while (j < u->n && strcmp(u->v[j], need->v[i])) j++;
    if (j < u->n) continue;
    if (u->n == u->cap) {
      size_t cap = u->cap ? u->cap * 2 : 8;
      char **v = weft__realloc(u->v, cap * sizeof *v);
      if (!v) return 0;
      u->v = v, u->cap = cap;
    }
    if (!(u->v[u->n] = weft__strdup(need->v[i]))) return 0;
    u->n++;
    ctx->changed = 1;
  }
  return 1;
}

static weft_status project(project_ctx *ctx, const weft_plan *p, const weft__names *need,
                           weft_plan **out) {
  int repeated = 0;
  int cls = ctx->classes ? weft__reuse_class_of(ctx->classes, p, &repeated) : -1;
  if (cls < 0 || !repeated || (p->kind == WEFT__P_SCAN && !p->source)) return project_node(ctx, p, need, out);
  col_union *u = &ctx->u[cls];
  if (need && need->oom) return weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft plan optimizer: no host memory");
  if (!union_add(ctx, u, need)) return weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft plan optimizer: no host memory");
  if (u->all) return project_node(ctx, p, NULL, out);
  weft__names merged = {0};
  for (size_t i = 0; i < u->n; i++) weft__names_add(&merged, u->v[i]);
  weft_status st = merged.oom ? weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft plan optimizer: no host memory")
                              : project_node(ctx, p, &merged, out);
  weft__names_free(&merged);
  return st;
}

weft_status weft__plan_project(const weft_plan *plan, weft_plan **out) {
  project_ctx ctx = {0};
  weft__reuse *classes = NULL;
  weft_status st = weft__reuse_enabled() ? weft__reuse_classes(plan, &classes) : WEFT_OK;
  int n = weft__reuse_nclasses(classes), shared = 0;
  if (st == WEFT_OK && n > 0 && !(ctx.u = weft__calloc((size_t)n, sizeof *ctx.u)))
    st = weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft plan optimizer: no host memory");
  ctx.classes = classes;
  *out = NULL;
  /* until no union grows: the last pass's tree has every use of a class asked the same */
  for (int pass = 0; st == WEFT_OK && ctx.classes && pass < 6; pass++) {
    ctx.changed = 0;
    weft_plan *tree = NULL;
    st = project(&ctx, plan, NULL, &tree);
    if (st == WEFT_OK && !ctx.changed) {
      *out = tree;
      shared = 1;
      break;
    }
    weft_plan_free(tree);
  }
  ctx.classes = NULL;
  if (st == WEFT_OK && !shared) st = project(&ctx, plan, NULL, out); /* unsettled: use by use */
  for (int c = 0; ctx.u && c < n; c++) {
    for (size_t i = 0; i < ctx.u[c].n; i++) free(ctx.u[c].v[i]);
    free(ctx.u[c].v);
  }
  free(ctx.u);
  weft__reuse_free(classes);
  return st;
}
