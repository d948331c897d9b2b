/* Aggregations inside select, with_columns and filter (select_aggs.h): a planner step that
 * splits the work into an aggregation stage (group_by's machinery) and the usual evaluation,
 * which reads each aggregation as a column (expr_agg.h). */
#include "frame/select/select_aggs.h"

#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "frame/expr/expr_agg.h"
#include "frame/group/agg_window.h"

static const char *op_names[] = {"weft_table_select", "weft_table_with_columns", "weft_table_filter"};

/* `t` less its columns [from, from + n): the aggregations' columns agg_window.c added after
 * the input's (shared, not copied). By position, not by name: a user's column keeps its
 * place whatever it is called. */
static weft_status drop_added(const weft_table *t, size_t from, size_t n, weft_table **out) {
  weft_table *res = NULL;
  WEFT_RETURN_NOT_OK(weft__table_new(t->ncols - n, t->rows, &res));
  weft_status st = WEFT_OK;
  for (size_t c = 0, at = 0; st == WEFT_OK && c < t->ncols; c++) {
    if (c >= from && c < from + n) continue;
    weft__column col = t->cols[c];
    weft__column_retain(&col);
    st = weft__table_set_column(res, at++, t->names[c], col);
  }
  if (st != WEFT_OK) {
    weft_table_free(res);
    return st;
  }
  *out = res;
  return WEFT_OK;
}

weft_status weft__select_aggs(weft_exec *exec, int op, const weft_table *table, size_t n,
                              const weft_expr *const *exprs, int *handled, weft_table **out) {
  *handled = 0;
  int any = 0;
  for (size_t i = 0; !any && exprs && i < n; i++) any = exprs[i] && weft__expr_has_agg(exprs[i]);
  if (!any) return WEFT_OK;
  const char *opname = op_names[op];
  weft__agg_uses u;
  weft_status st = weft__agg_collect(opname, table, n, exprs, &u);
  if (st != WEFT_OK || u.n == 0) {
    weft__agg_uses_free(&u);
    return st;
  }
  *handled = 1;
  if (op == WEFT__SELECT && !u.row) { /* aggregations only: one row */
    weft__agg_uses_free(&u);
    return weft_table_agg(exec, table, 0, NULL, n, exprs, out);
  }
  weft_table *wide = NULL, *res = NULL;
  size_t added = u.n;
  st = weft__agg_window(exec, opname, table, &u, &wide);
  weft__agg_uses_free(&u);
  if (st == WEFT_OK) {
    if (op == WEFT__SELECT) st = weft_table_select(exec, wide, n, exprs, &res);
    else if (op == WEFT__WITH_COLUMNS) st = weft_table_with_columns(exec, wide, n, exprs, &res);
    else st = weft_table_filter(exec, wide, exprs[0], &res);
  }
  weft_table_free(wide);
  if (st == WEFT_OK && op != WEFT__SELECT) {
    weft_table *thin = NULL;
    st = drop_added(res, table->ncols, added, &thin);
    weft_table_free(res);
    res = thin;
  }
  if (st == WEFT_OK) *out = res;
  else weft_table_free(res);
  return st;
}
