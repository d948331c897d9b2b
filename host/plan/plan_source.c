/* Scans of a caller's source (weft_plan_scan_source, Python's scan_parquet): the optimizer
 * lends each such scan the predicate of the filter directly above it, and collect calls the
 * source's read with the scan's columns and that predicate.
 *
 * The filter stays above the scan: the source only has to return a superset of the rows
 * that match (Parquet row groups its statistics cannot rule out), and weft's own filter
 * decides row by row, with weft's semantics (NaN, nulls, casts), and still fuses with a
 * group_by above it. So a predicate the source cannot translate costs pruning, never
 * correctness. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/exec.h"
#include "core/alloc.h"
#include "frame/expr/expr.h"
#include "frame/table/table.h"
#include "plan/plan.h"

static weft_status with_predicate(const weft_plan *scan, const weft_expr *pred, weft_plan **out) {
  size_t n = scan->table->ncols;
  size_t *cols = weft__calloc(n ? n : 1, sizeof *cols);
  if (!cols) return weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft plan optimizer: no host memory");
  for (size_t c = 0; c < n; c++) cols[c] = c;
  weft_status st = weft__plan_scan_columns(scan, n, cols, out);
  free(cols);
  if (st == WEFT_OK) {
    weft_expr_free((*out)->scan_predicate);
    (*out)->scan_predicate = (weft_expr *)pred;
    atomic_fetch_add(&(*out)->scan_predicate->refs, 1);
  }
  return st;
}

static weft_status rewrite(const weft_plan *p, weft_plan **out) {
  if (p->kind == WEFT__P_SCAN) {
    *out = weft__plan_ref(p);
    return WEFT_OK;
  }
  weft_plan *in = NULL, *right = NULL;
  weft_status st = rewrite(p->in, &in);
  if (st == WEFT_OK && p->right) st = rewrite(p->right, &right);
  if (st == WEFT_OK && p->kind == WEFT__P_FILTER && in->kind == WEFT__P_SCAN && in->source) {
    weft_plan *scan = NULL;
    st = with_predicate(in, p->exprs[0], &scan);
    if (st == WEFT_OK) weft_plan_free(in), in = scan;
  }
  if (st == WEFT_OK) st = weft__plan_rebuild(p, in, right, out);
  weft_plan_free(in), weft_plan_free(right);
  return st;
}

weft_status weft__plan_scan_predicates(const weft_plan *plan, weft_plan **out) {
  return rewrite(plan, out);
}

/* The source's table must have the scan's columns, names and types in order. */
static weft_status check_schema(const weft_plan *scan, const weft_table *got) {
  const weft_table *want = scan->table;
  if (got->ncols != want->ncols)
    return weft__error(WEFT_ERR_INVALID_ARGUMENT, "scan of %s: the source returned %zu columns, "
                       "%zu were asked for", scan->source->name, got->ncols, want->ncols);
  for (size_t c = 0; c < want->ncols; c++)
    if (strcmp(got->names[c], want->names[c]) || got->cols[c].view.type != want->cols[c].view.type)
      return weft__error(WEFT_ERR_INVALID_ARGUMENT, "scan of %s: the source returned column %zu "
                         "as \"%s\" %s, the schema says \"%s\" %s", scan->source->name, c,
                         got->names[c], weft_type_name(got->cols[c].view.type), want->names[c],
                         weft_type_name(want->cols[c].view.type));
  return WEFT_OK;
}

weft_status weft__plan_read_source(weft_exec *exec, const weft_plan *scan, weft_table **out) {
  const weft_table *t = scan->table;
  char note[512] = "";
  weft_table *got = NULL;
  weft_status st = scan->source->read(scan->source->ctx, t->ncols, (const char *const *)t->names,
                                      scan->scan_predicate, &got, note, sizeof note);
  if (st != WEFT_OK) {
    weft_table_free(got);
    return weft__error(st, "scan of %s: the source's read failed (status %d)", scan->source->name, (int)st);
  }
  if (!got) return weft__error(WEFT_ERR_INTERNAL, "scan of %s: the source returned no table", scan->source->name);
  if ((st = check_schema(scan, got)) != WEFT_OK) {
    weft_table_free(got);
    return st;
  }
  note[sizeof note - 1] = '\0';
  if (exec && *note) weft__report(exec, "%s", note);
  *out = got;
  return WEFT_OK;
}
