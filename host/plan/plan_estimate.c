/* Row estimates for the join order (plan_join_order.c). A node's `rows` field counts no
 * filter (a filter keeps its input's count), which is what join ordering needs most: a
 * 25-row nation filtered to one name must look like one row. So a chain of filters, selects
 * and with_columns over an in-memory scan is run on a sample of the scan (its first
 * SAMPLE_ROWS rows: a view, so nothing is copied) and the kept fraction scales the scan's
 * rows; tables up to that size are thus counted exactly. Elsewhere (a scan of a source, a
 * filter over a join) each conjunct's shape gives a guess, as optimizers without statistics
 * do: an equality 1/10, a set of k values k/10, a range 1/3. */
#include <math.h>

#include "frame/expr/expr.h"
#include "frame/join/join.h"
#include "frame/table/table.h"
#include "plan/plan.h"
#include "plan/plan_agg.h"

enum { SAMPLE_ROWS = 16384 };

static double guess(const weft_expr *e) {
  if (e->kind == WEFT__E_BINARY) {
    switch (e->op) {
      case WEFT_OP_AND: return guess(e->a) * guess(e->b);
      case WEFT_OP_OR: return fmin(1.0, guess(e->a) + guess(e->b));
      case WEFT_OP_EQ: return 0.1;
      case WEFT_OP_NE: return 0.9;
      case WEFT_OP_LT: case WEFT_OP_LE: case WEFT_OP_GT: case WEFT_OP_GE: return 1.0 / 3;
      default: return 0.5;
    }
  }
  if (e->kind == WEFT__E_IS_IN) return fmin(1.0, 0.1 * (double)e->nset);
  if (e->kind == WEFT__E_UNARY && e->op == WEFT_OP_NOT) return 1.0 - guess(e->a);
  if (e->kind == WEFT__E_UNARY && e->op == WEFT_OP_IS_NULL) return 0.1;
  if (e->kind == WEFT__E_UNARY && e->op == WEFT_OP_IS_NOT_NULL) return 0.9;
  if (e->kind == WEFT__E_CONTAINS || e->kind == WEFT__E_STARTS_WITH || e->kind == WEFT__E_STR_OP)
    return 0.2;
  return 0.5;
}

/* The rows of `p` (on the CPU: a sample is small) over the first rows of its in-memory scan: *out (owned) and the sample's
 * size; 0 when `p` is not such a chain (or the sample fails: then the guess is used). */
static int sample(weft_exec *exec, const weft_plan *p, weft_table **out, int64_t *drawn) {
  weft_table *in = NULL;
  if (p->kind == WEFT__P_SCAN) {
    if (p->source || !p->table) return 0;
    *drawn = p->table->rows < SAMPLE_ROWS ? p->table->rows : SAMPLE_ROWS;
    return weft_table_slice(p->table, 0, *drawn, out) == WEFT_OK;
  }
  int kind_ok = p->kind == WEFT__P_FILTER || p->kind == WEFT__P_WITH_COLUMNS ||
                (p->kind == WEFT__P_SELECT && p->n > 0);
  if (!kind_ok || weft__plan_has_aggs(p) || !sample(exec, p->in, &in, drawn)) return 0;
  weft_status st;
  if (p->kind == WEFT__P_FILTER) st = weft_table_filter(exec, in, p->exprs[0], out);
  else if (p->kind == WEFT__P_SELECT)
    st = weft_table_select(exec, in, p->n, (const weft_expr *const *)p->exprs, out);
  else st = weft_table_with_columns(exec, in, p->n, (const weft_expr *const *)p->exprs, out);
  weft_table_free(in);
  if (st != WEFT_OK) weft__error_clear(); /* the run itself will say it */
  return st == WEFT_OK;
}

static double scan_rows(const weft_plan *p) {
  while (p->kind != WEFT__P_SCAN) p = p->in;
  return (double)p->rows;
}

double weft__plan_estimate_rows(const weft_plan *p) {
  switch (p->kind) {
    case WEFT__P_FILTER: case WEFT__P_SELECT: case WEFT__P_WITH_COLUMNS: {
      weft_table *s = NULL;
      weft_exec *cpu = NULL;
      int64_t drawn = 0, ok = 0;
      if (weft_exec_create(&cpu) == WEFT_OK && weft_exec_set_device(cpu, "cpu") == WEFT_OK)
        ok = sample(cpu, p, &s, &drawn);
      else weft__error_clear();
      weft_exec_free(cpu);
      if (ok) {
        double kept = (double)s->rows;
        weft_table_free(s);
        if (drawn == 0) return 0;
        /* a sample that keeps nothing still leaves room for a few rows */
        return scan_rows(p) * (kept > 0 ? kept : 0.5) / (double)drawn;
      }
      double in = weft__plan_estimate_rows(p->in);
      if (p->kind == WEFT__P_FILTER) return in * guess(p->exprs[0]);
      return p->kind == WEFT__P_SELECT && p->n == 0 ? 0 : in;
    }
    case WEFT__P_SORT: case WEFT__P_ROW_INDEX: case WEFT__P_UNIQUE:
      return weft__plan_estimate_rows(p->in);
    case WEFT__P_GROUP_BY: return p->n == 0 ? 1 : weft__plan_estimate_rows(p->in);
    case WEFT__P_SLICE: case WEFT__P_TOP_K: case WEFT__P_NEAREST:
      return fmin((double)p->rows, weft__plan_estimate_rows(p->in));
    case WEFT__P_JOIN: {
      double l = weft__plan_estimate_rows(p->in), r = weft__plan_estimate_rows(p->right);
      switch (WEFT__JOIN_KIND(p->how)) {
        case WEFT_JOIN_INNER: return fmax(l, r);
        case WEFT_JOIN_LEFT: case WEFT_JOIN_SEMI: case WEFT_JOIN_ANTI: return l;
        case WEFT_JOIN_RIGHT: return r;
        case WEFT_JOIN_FULL: return l + r;
        default: return l * r;
      }
    }
    case WEFT__P_SCAN: break;
  }
  return (double)p->rows;
}
