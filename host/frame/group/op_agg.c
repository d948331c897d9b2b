/* weft_table_agg: group_by(keys).agg(expressions), by the split of agg_split.h: the
 * aggregations by weft_table_group_by (every device and CPU path it has), then the
 * expressions over its result by weft_table_select, where each aggregation reads as the
 * column that holds it. */
#include <stdlib.h>
#include <string.h>

#include "core/progress.h"
#include "core/error.h"
#include "core/alloc.h"
#include "frame/group/agg_split.h"

weft_status weft__agg_split_make(const char *opname, const weft_table *table, size_t nkeys,
                                 const char *const *keys, size_t n, const weft_expr *const *exprs,
                                 weft__agg_split *out) {
  memset(out, 0, sizeof *out);
  WEFT_CHECK_ARG(n == 0 || exprs, "%s: exprs is NULL with n = %zu", opname, n);
  WEFT_CHECK_ARG(nkeys == 0 || keys, "%s: keys is NULL with nkeys = %zu", opname, nkeys);
  for (size_t k = 0; k < nkeys; k++) WEFT_CHECK_ARG(keys[k], "%s: keys[%zu] is NULL", opname, k);
  WEFT_RETURN_NOT_OK(weft__agg_collect(opname, table, n, exprs, &out->uses));
  const weft__agg_uses *u = &out->uses;
  if (u->row && u->row->kind == WEFT__E_OVER)
    return weft__error(WEFT_ERR_INVALID_ARGUMENT, "%s: the window %s in %s: .over() is for select, "
                       "with_columns and filter; inside group_by(...).agg() aggregate per group "
                       "without it", opname, u->row->text, u->row_in->text);
  if (u->row)
    return weft__error(WEFT_ERR_INVALID_ARGUMENT, "%s: %s is read per row in %s, but group_by(...)"
                       ".agg() gives one row per group: aggregate it, e.g. %s.sum(), %s.first() "
                       "or %s.mean()", opname, u->row->text, u->row_in->text, u->row->text,
                       u->row->text, u->row->text);
  out->aggs = weft__calloc(u->n ? u->n : 1, sizeof *out->aggs);
  out->proj = weft__calloc(nkeys + n ? nkeys + n : 1, sizeof *out->proj);
  if (!out->aggs || !out->proj) return weft__error(WEFT_ERR_OUT_OF_MEMORY, "%s: no host memory", opname);
  out->plain = 1;
  for (size_t i = 0; i < n; i++) {
    const weft_expr *e = exprs[i];
    while (e->kind == WEFT__E_ALIAS) e = e->a;
    out->plain &= e->kind == WEFT__E_AGG;
  }
  if (out->plain && n > 0) { /* named as the expressions: the group_by's columns are the result */
    free(out->aggs);
    out->aggs = weft__calloc(n, sizeof *out->aggs);
    if (!out->aggs) return weft__error(WEFT_ERR_OUT_OF_MEMORY, "%s: no host memory", opname);
    for (size_t i = 0; i < n; i++) {
      const weft_expr *e = exprs[i];
      while (e->kind == WEFT__E_ALIAS) e = e->a;
      out->aggs[out->naggs++] = (weft_agg){.kind = (weft_agg_kind)e->op, .input = e->a,
                                           .name = weft__expr_out_name(exprs[i])};
    }
    return WEFT_OK;
  }
  out->plain = 0;
  for (size_t i = 0; i < u->n; i++)
    out->aggs[out->naggs++] = (weft_agg){.kind = (weft_agg_kind)u->v[i].agg->op,
                                         .input = u->v[i].agg->a, .name = u->v[i].column};
  for (size_t k = 0; k < nkeys; k++) {
    WEFT_RETURN_NOT_OK(weft_expr_column(keys[k], &out->proj[k]));
    out->nproj++;
  }
  for (size_t i = 0; i < n; i++) {
    out->proj[out->nproj++] = (weft_expr *)exprs[i];
    atomic_fetch_add(&((weft_expr *)exprs[i])->refs, 1);
  }
  return WEFT_OK;
}

void weft__agg_split_free(weft__agg_split *s) {
  for (size_t i = 0; i < s->nproj; i++) weft_expr_free(s->proj[i]);
  free(s->proj);
  free(s->aggs);
  weft__agg_uses_free(&s->uses);
  memset(s, 0, sizeof *s);
}

static weft_status weft_table_agg_run(weft_exec *exec, const weft_table *table, size_t nkeys,
                                      const char *const *keys, size_t n, const weft_expr *const *exprs,
                                      weft_table **out);

/* Progress: as weft_table_group_by, one scope over the group_by and the select. */
weft_status weft_table_agg(weft_exec *exec, const weft_table *table, size_t nkeys,
                           const char *const *keys, size_t n, const weft_expr *const *exprs,
                           weft_table **out) {
  weft__progress *progress = weft__progress_begin("group_by", 0);
  weft_status st = weft_table_agg_run(exec, table, nkeys, keys, n, exprs, out);
  if (st == WEFT_OK && weft__progress_check("weft_table_agg") != WEFT_OK) {
    weft_table_free(*out);
    *out = NULL;
    st = WEFT_ERR_CANCELLED;
  }
  return weft__progress_end(progress, st);
}

static weft_status weft_table_agg_run(weft_exec *exec, const weft_table *table, size_t nkeys,
                                      const char *const *keys, size_t n, const weft_expr *const *exprs,
                                      weft_table **out) {
  WEFT_CHECK_ARG(out, "weft_table_agg: out is NULL");
  *out = NULL;
  WEFT_CHECK_ARG(table, "weft_table_agg: table is NULL");
  weft__agg_split s;
  weft_status st = weft__agg_split_make("weft_table_agg", table, nkeys, keys, n, exprs, &s);
  weft_table *grouped = NULL;
  if (st == WEFT_OK) st = weft_table_group_by(exec, table, nkeys, keys, s.naggs, s.aggs, &grouped);
  if (st == WEFT_OK && s.plain) {
    *out = grouped;
    grouped = NULL;
  } else if (st == WEFT_OK) {
    st = weft_table_select(NULL, grouped, s.nproj, (const weft_expr *const *)s.proj, out);
  }
  weft_table_free(grouped);
  weft__agg_split_free(&s);
  return st;
}
