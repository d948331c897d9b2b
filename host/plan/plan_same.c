/* Whether two plan nodes compute the same thing from equal inputs (plan_same.h): every field
 * compared, expressions by structure, scans by the buffers they read. */
#include <stdint.h>
#include <string.h>

#include "frame/expr/expr.h"
#include "frame/table/table.h"
#include "plan/plan_same.h"

/* A field added to either struct must be compared below (or shown not to change what a
 * node computes) before two nodes can be called equal: these sizes make that a build error. */
#if UINTPTR_MAX == UINT64_MAX && defined(__x86_64__)
_Static_assert(sizeof(struct weft_expr) == 120, "weft_expr has a new field: compare it in same_expr");
_Static_assert(sizeof(struct weft_plan) == 1304, "weft_plan has a new field: compare it in weft__plan_same_node");
#endif

/* ---------------------------------------------------------------- equality */

static int same_str(const char *a, const char *b) { return a == b || (a && b && !strcmp(a, b)); }

static int same_names(char *const *a, char *const *b, size_t n) {
  if (!a || !b) return a == b;
  for (size_t i = 0; i < n; i++)
    if (!same_str(a[i], b[i])) return 0;
  return 1;
}

static int same_ints(const int *a, const int *b, size_t n) {
  if (!a || !b) return a == b;
  return !memcmp(a, b, n * sizeof *a);
}

/* is_in's sorted values: strings by their bytes, numbers by their bits (NaN payloads and
 * -0.0 then differ: conservative). */
static int same_set(const weft_expr *a, const weft_expr *b) {
  if (a->nset == 0) return 1;
  if (!a->set || !b->set) return 0;
  if (a->type == WEFT_TYPE_UTF8) {
    const weft__str_ref *x = a->set, *y = b->set;
    for (int64_t i = 0; i < a->nset; i++)
      if (x[i].len != y[i].len || memcmp(x[i].p, y[i].p, (size_t)x[i].len)) return 0;
    return 1;
  }
  size_t width = weft__type_is_decimal(a->type) ? sizeof(weft__i128) : 8;
  return !memcmp(a->set, b->set, (size_t)a->nset * width);
}

/* Two expressions compute the same values over the same input when they are one object, or
 * of a kind known here with every field and child equal. */
static int same_expr(const weft_expr *a, const weft_expr *b) {
  if (a == b) return 1;
  if (!a || !b) return 0;
  if (a->kind != b->kind || a->op != b->op || a->type != b->type || a->is_null != b->is_null ||
      a->i != b->i || memcmp(&a->f, &b->f, sizeof a->f) || a->i2 != b->i2 ||
      a->literal != b->literal || a->duration != b->duration || a->nset != b->nset ||
      !same_str(a->s, b->s) || !same_str(a->text, b->text))
    return 0;
  switch (a->kind) {
    case WEFT__E_COLUMN: case WEFT__E_LITERAL: case WEFT__E_BINARY: case WEFT__E_UNARY:
    case WEFT__E_CAST: case WEFT__E_FILL_NULL: case WEFT__E_CONTAINS: case WEFT__E_STARTS_WITH:
    case WEFT__E_ALIAS: case WEFT__E_WHEN: case WEFT__E_BRANCHES: case WEFT__E_ROUND:
    case WEFT__E_AGG: case WEFT__E_OVER: case WEFT__E_OVER_KEY:
      if (a->set || b->set || a->s2 || b->s2) return 0; /* these kinds have none */
      break;
    case WEFT__E_STR_OP: /* str.replace's value, copied with its terminator */
      if (a->set || b->set || !same_str(a->s2, b->s2)) return 0;
      break;
    case WEFT__E_IS_IN:
      if (!same_set(a, b)) return 0;
      break;
    case WEFT__E_VEC_DISTANCE: /* the query: nset floats */
      if (!a->set || !b->set || memcmp(a->set, b->set, (size_t)a->nset * sizeof(float))) return 0;
      break;
    default: return 0; /* a kind added later: only the same object */
  }
  return same_expr(a->a, b->a) && same_expr(a->b, b->b);
}

static int same_exprs(weft_expr *const *a, weft_expr *const *b, size_t n) {
  if (!a || !b) return a == b;
  for (size_t i = 0; i < n; i++)
    if (!same_expr(a[i], b[i])) return 0;
  return 1;
}

/* Names and types: the schema. */
static int same_schema(const weft_table *a, const weft_table *b) {
  if (a == b) return 1;
  if (!a || !b || a->ncols != b->ncols) return 0;
  for (size_t c = 0; c < a->ncols; c++)
    if (!same_str(a->names[c], b->names[c]) || a->cols[c].view.type != b->cols[c].view.type) return 0;
  return 1;
}

/* A scan's rows: the very same buffers seen over the same rows (tables are immutable, so
 * equal pointers held alive by both scans are equal contents). */
static int same_rows(const weft_table *a, const weft_table *b) {
  if (!same_schema(a, b)) return 0;
  if (!a || a == b) return 1;
  if (a->rows != b->rows) return 0;
  for (size_t c = 0; c < a->ncols; c++) {
    const weft_column_view *x = &a->cols[c].view, *y = &b->cols[c].view;
    if (x->length != y->length || x->offset != y->offset || x->validity != y->validity ||
        x->values != y->values || x->data != y->data)
      return 0;
  }
  return 1;
}

int weft__plan_same_node(const weft_plan *a, const weft_plan *b) {
  if (a == b) return 1;
  if (a->kind != b->kind || a->n != b->n || a->rows != b->rows || a->how != b->how ||
      a->offset != b->offset || a->length != b->length || a->nkeep != b->nkeep ||
      a->naggs != b->naggs || a->nq != b->nq || a->dim != b->dim || a->metric != b->metric ||
      a->batch != b->batch || a->reordered != b->reordered ||
      memcmp(&a->estimate, &b->estimate, sizeof a->estimate) || a->vindex != b->vindex ||
      a->no_post_filter != b->no_post_filter || a->source != b->source ||
      a->source_ncols != b->source_ncols || !same_str(a->suffix, b->suffix))
    return 0;
  size_t nexprs = a->kind == WEFT__P_NEAREST ? 1 : a->n; /* nearest: n counts its column */
  if (!same_exprs(a->exprs, b->exprs, nexprs) || !same_names(a->keys, b->keys, a->n) ||
      !same_names(a->right_keys, b->right_keys, a->n) ||
      !same_ints(a->descending, b->descending, a->n) ||
      !same_ints(a->nulls_last, b->nulls_last, a->n) || !same_names(a->keep, b->keep, a->nkeep) ||
      !same_expr(a->scan_predicate, b->scan_predicate))
    return 0;
  if (!a->aggs != !b->aggs) return 0;
  for (size_t i = 0; a->aggs && i < a->naggs; i++)
    if (a->aggs[i].kind != b->aggs[i].kind || !same_expr(a->aggs[i].input, b->aggs[i].input) ||
        !same_str(a->aggs[i].name, b->aggs[i].name))
      return 0;
  if (!a->queries != !b->queries ||
      (a->queries && memcmp(a->queries, b->queries, a->nq * a->dim * sizeof *a->queries)))
    return 0;
  return same_rows(a->table, b->table) && same_schema(a->proto, b->proto);
}

/* ---------------------------------------------------------------- hashing */

static uint64_t mix(uint64_t h, uint64_t v) {
  h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
  return h * 0xff51afd7ed558ccdull;
}

static uint64_t mix_str(uint64_t h, const char *s) {
  uint64_t f = 1469598103934665603ull; /* FNV-1a */
  for (; s && *s; s++) f = (f ^ (unsigned char)*s) * 1099511628211ull;
  return mix(h, f);
}

uint64_t weft__plan_node_hash(const weft_plan *p, int in, int right) {
  uint64_t h = mix(mix(mix((uint64_t)p->kind, (uint64_t)(int64_t)in), (uint64_t)(int64_t)right), p->n);
  h = mix(mix(h, (uint64_t)p->rows), p->naggs);
  size_t nexprs = p->kind == WEFT__P_NEAREST ? 1 : p->n;
  for (size_t i = 0; p->exprs && i < nexprs; i++) h = mix_str(h, p->exprs[i] ? p->exprs[i]->text : "");
  for (size_t i = 0; p->keys && i < p->n; i++) h = mix_str(h, p->keys[i]);
  if (p->table)
    for (size_t c = 0; c < p->table->ncols; c++) h = mix(h, (uint64_t)(uintptr_t)p->table->cols[c].view.values);
  return h;
}
