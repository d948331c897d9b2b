/* Plan nodes: the public constructors, weft_plan_free, and the rebuild the optimizer uses.
 * A constructor copies its arguments (expressions by reference, names by copy) and runs the
 * eager operation on its inputs' protos (0 rows), so a bad plan fails where it is built,
 * with the eager operation's message. */
#include <stdlib.h>
#include <string.h>

#include "frame/expr/expr.h"
#include "core/alloc.h"
#include "frame/join/join.h"
#include "frame/table/table.h"
#include "frame/select/filter_keep.h"
#include "plan/plan.h"
#include "plan/plan_agg.h"

weft_plan *weft__plan_ref(const weft_plan *plan) {
  weft_plan *p = (weft_plan *)plan;
  if (p) atomic_fetch_add(&p->refs, 1);
  return p;
}

static weft_expr *expr_ref(const weft_expr *e) {
  weft_expr *x = (weft_expr *)e;
  if (x) atomic_fetch_add(&x->refs, 1);
  return x;
}

static void free_names(char **names, size_t n) {
  for (size_t i = 0; names && i < n; i++) free(names[i]);
  free(names);
}

weft_status weft_plan_free(weft_plan *p) {
  while (p && atomic_fetch_sub(&p->refs, 1) == 1) {
    weft_plan *in = p->in;
    weft_plan_free(p->right);
    weft_table_free(p->table);
    weft_table_free(p->proto);
    for (size_t i = 0; p->exprs && i < p->n; i++) weft_expr_free(p->exprs[i]);
    free(p->exprs);
    free_names(p->keys, p->n);
    free_names(p->right_keys, p->n);
    free(p->descending);
    free(p->nulls_last);
    weft__scan_source_free(p->source);
    weft_expr_free(p->scan_predicate);
    for (size_t i = 0; p->aggs && i < p->naggs; i++) {
      weft_expr_free((weft_expr *)p->aggs[i].input);
      free((char *)p->aggs[i].name);
    }
    free(p->aggs);
    free(p->suffix);
    free_names(p->keep, p->nkeep);
    free(p->queries);
    free(p->explain_text);
    free(p->ran);
    free(p);
    p = in; /* a chain of inputs is freed in a loop, not by recursion */
  }
  return WEFT_OK;
}

static weft_status node_new(weft__plan_kind kind, const weft_plan *in, const weft_plan *right,
                            const char *fn, weft_plan **out) {
  weft_plan *p = weft__calloc(1, sizeof *p);
  if (!p) return weft__error(WEFT_ERR_OUT_OF_MEMORY, "%s: no host memory for a plan node", fn);
  atomic_init(&p->refs, 1);
  p->kind = kind;
  p->in = weft__plan_ref(in);
  p->right = weft__plan_ref(right);
  p->rows = in ? in->rows : 0;
  *out = p;
  return WEFT_OK;
}

/* Hands the node out, or frees it and returns st. */
static weft_status finish(weft_plan *p, weft_status st, weft_plan **out) {
  if (st == WEFT_OK) {
    *out = p;
    return WEFT_OK;
  }
  weft_plan_free(p);
  return st;
}

static weft_status copy_names(const char *fn, const char *what, size_t n, const char *const *src,
                              char ***dst) {
  *dst = weft__calloc(n ? n : 1, sizeof **dst);
  if (!*dst) return weft__error(WEFT_ERR_OUT_OF_MEMORY, "%s: no host memory", fn);
  for (size_t i = 0; i < n; i++) {
    if (!src[i]) return weft__error(WEFT_ERR_INVALID_ARGUMENT, "%s: %s[%zu] is NULL", fn, what, i);
    if (!((*dst)[i] = weft__strdup(src[i]))) return weft__error(WEFT_ERR_OUT_OF_MEMORY, "%s: no host memory", fn);
  }
  return WEFT_OK;
}

static weft_status copy_exprs(const char *fn, size_t n, const weft_expr *const *src, weft_plan *p) {
  p->exprs = weft__calloc(n ? n : 1, sizeof *p->exprs);
  if (!p->exprs) return weft__error(WEFT_ERR_OUT_OF_MEMORY, "%s: no host memory", fn);
  p->n = n;
  for (size_t i = 0; i < n; i++) {
    if (!src[i]) return weft__error(WEFT_ERR_INVALID_ARGUMENT, "%s: exprs[%zu] is NULL", fn, i);
    p->exprs[i] = expr_ref(src[i]);
  }
  return WEFT_OK;
}

/* ---------------------------------------------------------------- constructors */

weft_status weft_plan_scan(const weft_table *table, weft_plan **out) {
  WEFT_CHECK_ARG(out, "weft_plan_scan: out is NULL");
  *out = NULL;
  WEFT_CHECK_ARG(table, "weft_plan_scan: table is NULL");
  weft_plan *p = NULL;
  WEFT_RETURN_NOT_OK(node_new(WEFT__P_SCAN, NULL, NULL, "weft_plan_scan", &p));
  int64_t rows = 0;
  weft_status st = weft_table_num_rows(table, &rows);
  if (st == WEFT_OK) st = weft_table_slice(table, 0, rows, &p->table); /* a view: no copy */
  if (st == WEFT_OK) st = weft_table_slice(table, 0, 0, &p->proto);
  if (st == WEFT_OK) st = weft_table_num_columns(table, &p->source_ncols);
  p->rows = rows;
  return finish(p, st, out);
}

weft_status weft_plan_scan_source(const weft_table *schema, int64_t rows, const char *name,
                                  weft_scan_read_fn read, weft_scan_release_fn release, void *ctx,
                                  weft_plan **out) {
  const char *fn = "weft_plan_scan_source";
  weft__scan_source *src = NULL;
  weft_status st = WEFT_OK;
  if (!out) st = weft__error(WEFT_ERR_INVALID_ARGUMENT, "%s: out is NULL", fn);
  else *out = NULL;
  if (st == WEFT_OK && (!schema || !read || !name))
    st = weft__error(WEFT_ERR_INVALID_ARGUMENT, "%s: schema, read and name must not be NULL", fn);
  if (st == WEFT_OK && rows < 0) st = weft__error(WEFT_ERR_INVALID_ARGUMENT, "%s: rows %lld is negative", fn, (long long)rows);
  if (st == WEFT_OK && !(src = weft__calloc(1, sizeof *src)))
    st = weft__error(WEFT_ERR_OUT_OF_MEMORY, "%s: no host memory", fn);
  if (st != WEFT_OK) {
    if (release) release(ctx); /* the caller's context is released on every path */
    return st;
  }
  atomic_init(&src->refs, 1);
  src->read = read, src->release = release, src->ctx = ctx;
  weft_plan *p = NULL;
  if (!(src->name = weft__strdup(name)) || (st = node_new(WEFT__P_SCAN, NULL, NULL, fn, &p)) != WEFT_OK) {
    weft__scan_source_free(src);
    return st != WEFT_OK ? st : weft__error(WEFT_ERR_OUT_OF_MEMORY, "%s: no host memory", fn);
  }
  p->source = src;
  p->rows = rows;
  st = weft_table_slice(schema, 0, 0, &p->table); /* the columns it reads: 0 rows */
  if (st == WEFT_OK) st = weft_table_slice(schema, 0, 0, &p->proto);
  if (st == WEFT_OK) st = weft_table_num_columns(schema, &p->source_ncols);
  return finish(p, st, out);
}

void weft__scan_source_free(weft__scan_source *s) {
  if (!s || atomic_fetch_sub(&s->refs, 1) != 1) return;
  if (s->release) s->release(s->ctx);
  free(s->name);
  free(s);
}

weft_status weft__plan_scan_columns(const weft_plan *scan, size_t ncols, const size_t *cols,
                                    weft_plan **out) {
  weft_plan *p = NULL;
  WEFT_RETURN_NOT_OK(node_new(WEFT__P_SCAN, NULL, NULL, "weft_plan (projection)", &p));
  const weft_table *src = scan->table;
  p->rows = scan->rows;
  p->source_ncols = scan->source_ncols;
  if ((p->source = scan->source)) atomic_fetch_add(&p->source->refs, 1);
  p->scan_predicate = expr_ref(scan->scan_predicate);
  weft_status st = weft__table_new(ncols, src->rows, &p->table);
  for (size_t i = 0; st == WEFT_OK && i < ncols; i++) {
    weft__column c = src->cols[cols[i]];
    weft__column_retain(&c);
    st = weft__table_set_column(p->table, i, src->names[cols[i]], c);
  }
  if (st == WEFT_OK) st = weft_table_slice(p->table, 0, 0, &p->proto);
  return finish(p, st, out);
}

weft_status weft_plan_filter(const weft_plan *input, const weft_expr *predicate, weft_plan **out) {
  WEFT_CHECK_ARG(out, "weft_plan_filter: out is NULL");
  *out = NULL;
  WEFT_CHECK_ARG(input, "weft_plan_filter: input is NULL");
  WEFT_CHECK_ARG(predicate, "weft_plan_filter: predicate is NULL");
  weft_plan *p = NULL;
  WEFT_RETURN_NOT_OK(node_new(WEFT__P_FILTER, input, NULL, "weft_plan_filter", &p));
  weft_status st = copy_exprs("weft_plan_filter", 1, &predicate, p);
  if (st == WEFT_OK && (st = weft_table_filter(NULL, input->proto, predicate, &p->proto)) != WEFT_OK)
    st = weft__error_context(st, "weft_plan_filter: predicate");
  return finish(p, st, out);
}

weft_status weft__plan_filter_keep(const weft_plan *input, const weft_expr *predicate,
                                   size_t nkeep, const char *const *keep, weft_plan **out) {
  weft_plan *p = NULL;
  WEFT_RETURN_NOT_OK(weft_plan_filter(input, predicate, &p));
  weft_status st = WEFT_OK;
  p->keep = weft__calloc(nkeep ? nkeep : 1, sizeof *p->keep);
  if (!p->keep) st = weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft plan optimizer: no host memory");
  for (size_t i = 0; st == WEFT_OK && i < nkeep; i++) {
    p->keep[i] = weft__strdup(keep[i]);
    p->nkeep = i + 1;
    if (!p->keep[i]) st = weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft plan optimizer: no host memory");
  }
  weft_table *proto = NULL;
  if (st == WEFT_OK) st = weft__table_filter_keep(NULL, input->proto, predicate, nkeep, keep, &proto);
  if (st == WEFT_OK) {
    weft_table_free(p->proto);
    p->proto = proto;
    *out = p;
    return WEFT_OK;
  }
  weft_plan_free(p);
  return st;
}

static weft_status exprs_node(weft__plan_kind kind, const char *fn, const weft_plan *input, size_t n,
                              const weft_expr *const *exprs, weft_plan **out) {
  WEFT_CHECK_ARG(out, "%s: out is NULL", fn);
  *out = NULL;
  WEFT_CHECK_ARG(input, "%s: input is NULL", fn);
  WEFT_CHECK_ARG(n == 0 || exprs, "%s: exprs is NULL with n = %zu", fn, n);
  weft_plan *p = NULL;
  WEFT_RETURN_NOT_OK(node_new(kind, input, NULL, fn, &p));
  weft_status st = copy_exprs(fn, n, exprs, p);
  if (st == WEFT_OK) {
    st = kind == WEFT__P_SELECT ? weft_table_select(NULL, input->proto, n, exprs, &p->proto)
                                : weft_table_with_columns(NULL, input->proto, n, exprs, &p->proto);
    if (st != WEFT_OK) st = weft__error_context(st, "%s", fn);
  }
  if (kind == WEFT__P_SELECT && n == 0) p->rows = 0; /* no columns, no rows (as eager) */
  return finish(p, st, out);
}

weft_status weft_plan_select(const weft_plan *input, size_t n, const weft_expr *const *exprs,
                             weft_plan **out) {
  if (input && weft__plan_aggs_only(input, n, exprs)) return weft_plan_agg(input, 0, NULL, n, exprs, out);
  return exprs_node(WEFT__P_SELECT, "weft_plan_select", input, n, exprs, out);
}

weft_status weft_plan_with_columns(const weft_plan *input, size_t n, const weft_expr *const *exprs,
                                   weft_plan **out) {
  return exprs_node(WEFT__P_WITH_COLUMNS, "weft_plan_with_columns", input, n, exprs, out);
}

weft_status weft_plan_group_by(const weft_plan *input, size_t nkeys, const char *const *keys,
                               size_t naggs, const weft_agg *aggs, weft_plan **out) {
  const char *fn = "weft_plan_group_by";
  WEFT_CHECK_ARG(out, "%s: out is NULL", fn);
  *out = NULL;
  WEFT_CHECK_ARG(input, "%s: input is NULL", fn);
  WEFT_CHECK_ARG(nkeys == 0 || keys, "%s: keys is NULL with nkeys = %zu", fn, nkeys);
  WEFT_CHECK_ARG(naggs == 0 || aggs, "%s: aggs is NULL with naggs = %zu", fn, naggs);
  weft_plan *p = NULL;
  WEFT_RETURN_NOT_OK(node_new(WEFT__P_GROUP_BY, input, NULL, fn, &p));
  p->n = nkeys;
  weft_status st = copy_names(fn, "keys", nkeys, keys, &p->keys);
  if (st == WEFT_OK && !(p->aggs = weft__calloc(naggs ? naggs : 1, sizeof *p->aggs)))
    st = weft__error(WEFT_ERR_OUT_OF_MEMORY, "%s: no host memory", fn);
  for (size_t i = 0; st == WEFT_OK && i < naggs; i++, p->naggs++) {
    p->aggs[i].kind = aggs[i].kind;
    p->aggs[i].input = expr_ref(aggs[i].input);
    if (aggs[i].name && !(p->aggs[i].name = weft__strdup(aggs[i].name)))
      st = weft__error(WEFT_ERR_OUT_OF_MEMORY, "%s: no host memory", fn);
  }
  if (st == WEFT_OK &&
      (st = weft_table_group_by(NULL, input->proto, nkeys, keys, naggs, aggs, &p->proto)) != WEFT_OK)
    st = weft__error_context(st, "%s", fn);
  if (nkeys == 0) p->rows = 1;
  return finish(p, st, out);
}

/* A sort (k < 0) or a top-k of k rows (k >= 0: the first k rows of that sort). */
static weft_status sort_node(const char *fn, const weft_plan *input, int64_t k, size_t nkeys,
                             const char *const *keys, const int *descending,
                             const int *nulls_last, weft_plan **out) {
  WEFT_CHECK_ARG(out, "%s: out is NULL", fn);
  *out = NULL;
  WEFT_CHECK_ARG(input, "%s: input is NULL", fn);
  WEFT_CHECK_ARG(nkeys > 0 && keys, "%s: needs at least one key (nkeys = %zu)", fn, nkeys);
  weft_plan *p = NULL;
  WEFT_RETURN_NOT_OK(node_new(k < 0 ? WEFT__P_SORT : WEFT__P_TOP_K, input, NULL, fn, &p));
  p->n = nkeys;
  if (k >= 0) p->length = k, p->rows = input->rows < k ? input->rows : k;
  weft_status st = copy_names(fn, "keys", nkeys, keys, &p->keys);
  if (st == WEFT_OK && (!(p->descending = weft__calloc(nkeys, sizeof *p->descending)) ||
                        !(p->nulls_last = weft__calloc(nkeys, sizeof *p->nulls_last))))
    st = weft__error(WEFT_ERR_OUT_OF_MEMORY, "%s: no host memory", fn);
  for (size_t i = 0; st == WEFT_OK && i < nkeys; i++) {
    p->descending[i] = descending && descending[i] != 0;
    p->nulls_last[i] = !nulls_last || nulls_last[i] != 0;
  }
  if (st == WEFT_OK && (st = weft_table_sort_nulls(NULL, input->proto, nkeys, keys, p->descending,
                                                   p->nulls_last, &p->proto)) != WEFT_OK)
    st = weft__error_context(st, "%s", fn);
  return finish(p, st, out);
}

weft_status weft_plan_sort(const weft_plan *input, size_t nkeys, const char *const *keys,
                           const int *descending, int nulls_last, weft_plan **out) {
  int *last = weft__calloc(nkeys ? nkeys : 1, sizeof *last);
  if (!last) return weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_plan_sort: no host memory");
  for (size_t i = 0; i < nkeys; i++) last[i] = nulls_last != 0;
  weft_status st = sort_node("weft_plan_sort", input, -1, nkeys, keys, descending, last, out);
  free(last);
  return st;
}

weft_status weft_plan_sort_nulls(const weft_plan *input, size_t nkeys, const char *const *keys,
                                 const int *descending, const int *nulls_last, weft_plan **out) {
  return sort_node("weft_plan_sort_nulls", input, -1, nkeys, keys, descending, nulls_last, out);
}

weft_status weft_plan_top_k(const weft_plan *input, int64_t k, size_t nkeys, const char *const *keys,
                            const int *descending, const int *nulls_last, weft_plan **out) {
  WEFT_CHECK_ARG(k >= 0, "weft_plan_top_k: k %lld is negative", (long long)k);
  return sort_node("weft_plan_top_k", input, k, nkeys, keys, descending, nulls_last, out);
}

weft_status weft_plan_with_row_index(const weft_plan *input, const char *name, int64_t offset,
                                     weft_plan **out) {
  const char *fn = "weft_plan_with_row_index";
  WEFT_CHECK_ARG(out, "%s: out is NULL", fn);
  *out = NULL;
  WEFT_CHECK_ARG(input && name, "%s: input and name must not be NULL", fn);
  weft_plan *p = NULL;
  WEFT_RETURN_NOT_OK(node_new(WEFT__P_ROW_INDEX, input, NULL, fn, &p));
  p->n = 1;
  p->offset = offset;
  weft_status st = copy_names(fn, "name", 1, &name, &p->keys);
  if (st == WEFT_OK && (st = weft_table_with_row_index(input->proto, name, offset, &p->proto)) != WEFT_OK)
    st = weft__error_context(st, "%s", fn);
  return finish(p, st, out);
}

weft_status weft_plan_join(const weft_plan *left, const weft_plan *right, size_t nkeys,
                           const char *const *left_on, const char *const *right_on,
                           weft_join_kind kind, const char *suffix, weft_plan **out) {
  const char *fn = "weft_plan_join";
  WEFT_CHECK_ARG(out, "%s: out is NULL", fn);
  *out = NULL;
  WEFT_CHECK_ARG(left && right, "%s: left and right must not be NULL", fn);
  /* the kind, flags and keys are checked by weft_table_join on the protos, below */
  WEFT_CHECK_ARG(nkeys == 0 || (left_on && right_on), "%s: left_on and right_on must not be NULL "
                 "(nkeys = %zu)", fn, nkeys);
  weft_plan *p = NULL;
  WEFT_RETURN_NOT_OK(node_new(WEFT__P_JOIN, left, right, fn, &p));
  p->n = nkeys;
  p->how = kind;
  weft_status st = copy_names(fn, "left_on", nkeys, left_on, &p->keys);
  if (st == WEFT_OK) st = copy_names(fn, "right_on", nkeys, right_on, &p->right_keys);
  if (st == WEFT_OK && !(p->suffix = weft__strdup(suffix ? suffix : "_right")))
    st = weft__error(WEFT_ERR_OUT_OF_MEMORY, "%s: no host memory", fn);
  if (st == WEFT_OK && (st = weft_table_join(NULL, left->proto, right->proto, nkeys, left_on, right_on,
                                             kind, p->suffix, &p->proto)) != WEFT_OK)
    st = weft__error_context(st, "%s", fn);
  /* an estimate: a key join is mostly about as long as its longer side */
  weft_join_kind how = WEFT__JOIN_KIND(kind);
  int64_t longer = left->rows > right->rows ? left->rows : right->rows;
  if (how == WEFT_JOIN_INNER || how == WEFT_JOIN_LEFT || how == WEFT_JOIN_RIGHT) p->rows = longer;
  if (how == WEFT_JOIN_FULL) p->rows = left->rows + right->rows;
  if (how == WEFT_JOIN_CROSS)
    p->rows = right->rows && left->rows > INT64_MAX / right->rows ? INT64_MAX : left->rows * right->rows;
  return finish(p, st, out);
}

weft_status weft_plan_slice(const weft_plan *input, int64_t offset, int64_t length, weft_plan **out) {
  const char *fn = "weft_plan_slice";
  WEFT_CHECK_ARG(out, "%s: out is NULL", fn);
  *out = NULL;
  WEFT_CHECK_ARG(input, "%s: input is NULL", fn);
  WEFT_CHECK_ARG(length >= 0, "%s: length %lld is negative", fn, (long long)length);
  weft_plan *p = NULL;
  WEFT_RETURN_NOT_OK(node_new(WEFT__P_SLICE, input, NULL, fn, &p));
  p->offset = offset;
  p->length = length;
  int64_t from = offset >= 0 ? offset : input->rows + offset, len = length;
  if (from < 0) len = len + from > 0 ? len + from : 0, from = 0;
  if (from > input->rows) from = input->rows;
  p->rows = input->rows - from < len ? input->rows - from : len;
  weft_status st = weft_table_slice(input->proto, 0, 0, &p->proto);
  return finish(p, st, out);
}

weft_status weft_plan_head(const weft_plan *input, int64_t n, weft_plan **out) {
  WEFT_CHECK_ARG(out, "weft_plan_head: out is NULL");
  *out = NULL;
  WEFT_CHECK_ARG(n >= 0, "weft_plan_head: n %lld is negative", (long long)n);
  return weft_plan_slice(input, 0, n, out);
}

weft_status weft_plan_unique(const weft_plan *input, size_t nkeys, const char *const *keys,
                             weft_plan **out) {
  const char *fn = "weft_plan_unique";
  WEFT_CHECK_ARG(out, "%s: out is NULL", fn);
  *out = NULL;
  WEFT_CHECK_ARG(input, "%s: input is NULL", fn);
  WEFT_CHECK_ARG(nkeys == 0 || keys, "%s: keys is NULL with nkeys = %zu", fn, nkeys);
  weft_plan *p = NULL;
  WEFT_RETURN_NOT_OK(node_new(WEFT__P_UNIQUE, input, NULL, fn, &p));
  p->n = nkeys;
  weft_status st = copy_names(fn, "keys", nkeys, keys, &p->keys);
  if (st == WEFT_OK && (st = weft_table_unique(NULL, input->proto, nkeys, keys, &p->proto)) != WEFT_OK)
    st = weft__error_context(st, "%s", fn);
  return finish(p, st, out);
}

weft_status weft_plan_schema(const weft_plan *plan, weft_table **out) {
  WEFT_CHECK_ARG(out, "weft_plan_schema: out is NULL");
  *out = NULL;
  WEFT_CHECK_ARG(plan, "weft_plan_schema: plan is NULL");
  return weft_table_slice(plan->proto, 0, 0, out);
}

/* ---------------------------------------------------------------- rebuild */

weft_status weft__plan_rebuild_exprs(const weft_plan *p, const weft_plan *in, size_t n,
                                     weft_expr *const *exprs, weft_plan **out) {
  const weft_expr *const *e = (const weft_expr *const *)exprs;
  switch (p->kind) {
    case WEFT__P_FILTER:
      if (p->keep) return weft__plan_filter_keep(in, e[0], p->nkeep, (const char *const *)p->keep, out);
      return weft_plan_filter(in, e[0], out);
    case WEFT__P_SELECT: return weft_plan_select(in, n, e, out);
    case WEFT__P_WITH_COLUMNS: return weft_plan_with_columns(in, n, e, out);
    default: return weft__error(WEFT_ERR_INTERNAL, "weft plan: node %s has no expressions",
                                weft__plan_kind_name(p->kind));
  }
}

weft_status weft__plan_rebuild(const weft_plan *p, const weft_plan *in, const weft_plan *right,
                               weft_plan **out) {
  const char *const *keys = (const char *const *)p->keys;
  switch (p->kind) {
    case WEFT__P_SCAN: *out = weft__plan_ref(p); return WEFT_OK;
    case WEFT__P_FILTER: case WEFT__P_SELECT: case WEFT__P_WITH_COLUMNS:
      return weft__plan_rebuild_exprs(p, in, p->n, p->exprs, out);
    case WEFT__P_GROUP_BY: return weft_plan_group_by(in, p->n, keys, p->naggs, p->aggs, out);
    case WEFT__P_SORT: return weft_plan_sort_nulls(in, p->n, keys, p->descending, p->nulls_last, out);
    case WEFT__P_TOP_K:
      return weft_plan_top_k(in, p->length, p->n, keys, p->descending, p->nulls_last, out);
    case WEFT__P_JOIN: {
      weft_status st = weft_plan_join(in, right, p->n, keys, (const char *const *)p->right_keys,
                                      p->how, p->suffix, out);
      if (st == WEFT_OK) (*out)->reordered = p->reordered, (*out)->estimate = p->estimate;
      return st;
    }
    case WEFT__P_SLICE: return weft_plan_slice(in, p->offset, p->length, out);
    case WEFT__P_UNIQUE: return weft_plan_unique(in, p->n, keys, out);
    case WEFT__P_ROW_INDEX: return weft_plan_with_row_index(in, keys[0], p->offset, out);
    case WEFT__P_NEAREST:
      return weft__plan_nearest_like(p, in, p->exprs ? p->exprs[0] : NULL, out);
  }
  return weft__error(WEFT_ERR_INTERNAL, "weft plan: unknown node kind %d", (int)p->kind);
}

const char *weft__plan_kind_name(weft__plan_kind kind) {
  static const char *names[] = {"SCAN", "FILTER", "SELECT", "WITH_COLUMNS", "GROUP_BY",
                                "SORT", "JOIN",   "SLICE",  "UNIQUE", "TOP_K", "WITH_ROW_INDEX",
                                "NEAREST"};
  return (unsigned)kind < sizeof names / sizeof *names ? names[kind] : "UNKNOWN";
}
