/* weft_table_select, weft_table_with_columns, weft_table_filter: expressions evaluated over
 * partitions. On the CPU pool rows go a chunk (WEFT__CHUNK) at a time through the whole
 * tree (expr_eval.c); on OpenCL and CUDA the expression runs as bytecode (expr_device.h),
 * and expressions it cannot express (strings, log/exp) stay on the CPU with the reason in
 * the report. Partitions start on multiples of 8 rows, so they write disjoint bytes of every
 * bitmap. A bare column (aliased or not) is shared, not copied. A filter's predicate becomes
 * a bitmap (valid and true) and the kept rows are gathered on the host. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frame/families.h"
#include "core/alloc.h"
#include "core/error.h"
#include "core/scheduler.h"
#include "core/thread_pool.h"
#include "frame/expr/expr.h"
#include "frame/expr/expr_device.h"
#include "frame/select/filter_compact.h"
#include "frame/table/categorical.h"
#include "frame/select/select_aggs.h"
#include "frame/select/filter_keep.h"
#include "frame/select/filter_literal.h"
#include "frame/select/select_literal.h"
#include "frame/table/gather.h"

#define PART_ROWS ((size_t)65536)

static int can_evaluate(const weft__device *dev) {
  return dev->backend->host_memory || dev->backend->expr_eval != NULL;
}

const weft__family weft__family_expr = {.name = "expressions", .verb = "evaluate",
                                        .min_rows_auto = WEFT__AUTO_MIN_ROWS,
                                        .has_kernels = can_evaluate};

typedef struct eval_ctx {
  const weft__bound *bound;
  const weft__expr_program *prog; /* NULL: the CPU only */
  weft__column *out;     /* select: the output column */
  uint8_t *mask;         /* filter: bit i set where the predicate is true */
  const weft__lit_pred *lit; /* the predicate's column-against-constant plan, or NULL: a
                              * filter's mask, or a select's 0 / 1 values (select_literal.h) */
  char **pieces;         /* utf8 output: each partition's bytes */
  uint32_t *cast_err;    /* per WEFT_PARTITION_ALIGN rows: a device's cast error flag */
} eval_ctx;

static void put_bits(uint8_t *bits, int64_t at, const int64_t *v, const uint8_t *valid, int64_t n) {
  /* at is a multiple of 8: whole bytes, the last one possibly partial */
  for (int64_t i = 0; i < n; i += 8) {
    uint8_t byte = 0;
    for (int64_t k = 0; k < 8 && i + k < n; k++)
      byte |= (uint8_t)(((valid ? valid[i + k] : v[i + k]) != 0) << k);
    bits[(at + i) >> 3] = byte;
  }
}

static void store(const weft__bnode *root, const weft__vec *v, weft__column *out, int64_t at, int64_t n) {
  void *dst = (void *)out->view.values;
  const weft__val *x = v->v;
  if (weft__type_is_decimal(root->type))
    memcpy((weft__i128 *)dst + at, v->d, (size_t)n * sizeof *v->d);
  switch (root->type) {
#define STORE(T, CT, F) case T: { CT *d = (CT *)dst + at; for (int64_t i = 0; i < n; i++) { d[i] = (CT)x[i].F; } break; }
    WEFT__FOR_EACH_LANE_TYPE(STORE)
#undef STORE
    default: break; /* decimal128: stored above */
    case WEFT_TYPE_BOOL: {
      /* the bool lane is int64 0/1: pack from it */
      uint8_t *bits = dst;
      for (int64_t i = 0; i < n; i += 8) {
        uint8_t byte = 0;
        for (int64_t k = 0; k < 8 && i + k < n; k++) byte |= (uint8_t)((x[i + k].i != 0) << k);
        bits[(at + i) >> 3] = byte;
      }
      break;
    }
    case WEFT_TYPE_UTF8: { /* lengths for now; the caller turns them into offsets */
      int32_t *of = dst;
      for (int64_t i = 0; i < n; i++) of[at + i + 1] = (v->all_valid || v->valid[i]) ? v->sl[i] : 0;
      break;
    }
  }
  if (out->view.validity) {
    uint8_t *vb = (uint8_t *)out->view.validity;
    if (v->all_valid) memset(vb + (at >> 3), 0xFF, (size_t)(n + 7) / 8);
    else put_bits(vb, at, NULL, v->valid, n);
  }
}

/* A device partition: the bytecode, values (or the mask) and validity copied back. */
static weft_status device_run(eval_ctx *c, weft__stage *stage, size_t row0, size_t rows) {
  const weft__bnode *root = &c->bound->nodes[c->bound->root];
  uint32_t *err = &c->cast_err[row0 / WEFT_PARTITION_ALIGN];
  if (c->mask)
    return weft__expr_device_run(c->prog, stage, row0, rows, WK_EXPR_MODE_MASK, c->mask, 1, NULL, err);
  size_t bits = root->type == WEFT_TYPE_BOOL ? 1 : weft__type_width(root->type) * 8;
  return weft__expr_device_run(c->prog, stage, row0, rows, WK_EXPR_MODE_VALUES,
                               (void *)c->out->view.values, bits, (uint8_t *)c->out->view.validity, err);
}

static weft_status eval_run(void *ctx, weft__stage *stage, size_t row0, size_t rows) {
  eval_ctx *c = ctx;
  if (!stage->dev->backend->host_memory) return device_run(c, stage, row0, rows);
  if (c->mask && c->lit) {
    uint8_t keep[WEFT__CHUNK];
    for (size_t r = row0; r < row0 + rows; r += WEFT__CHUNK) {
      int64_t n = (int64_t)(row0 + rows - r < WEFT__CHUNK ? row0 + rows - r : WEFT__CHUNK);
      weft__lit_pred_keep(c->lit, (int64_t)r, n, keep);
      put_bits(c->mask, (int64_t)r, NULL, keep, n);
    }
    return WEFT_OK;
  }
  if (c->lit) { /* a select's predicate values: bits, or 0 / 1 of the integer type */
    uint8_t keep[WEFT__CHUNK];
    void *dst = (void *)c->out->view.values;
    weft_type t = c->out->view.type;
    size_t w = t == WEFT_TYPE_BOOL ? 0 : weft__type_width(t);
    for (size_t r = row0; r < row0 + rows; r += WEFT__CHUNK) {
      int64_t n = (int64_t)(row0 + rows - r < WEFT__CHUNK ? row0 + rows - r : WEFT__CHUNK);
      weft__lit_pred_keep(c->lit, (int64_t)r, n, keep);
      if (w == 0) put_bits(dst, (int64_t)r, NULL, keep, n);
      else if (w == 1) memcpy((uint8_t *)dst + r, keep, (size_t)n);
      else if (w == 2) for (int64_t i = 0; i < n; i++) ((uint16_t *)dst)[r + i] = keep[i];
      else if (w == 4) for (int64_t i = 0; i < n; i++) ((uint32_t *)dst)[r + i] = keep[i];
      else for (int64_t i = 0; i < n; i++) ((uint64_t *)dst)[r + i] = keep[i];
    }
    return WEFT_OK;
  }
  const weft__bnode *root = &c->bound->nodes[c->bound->root];
  weft__eval ev;
  WEFT_RETURN_NOT_OK(weft__eval_init(&ev, c->bound));
  weft_status st = WEFT_OK;
  size_t used = 0, cap = 0;
  char *piece = NULL;
  uint8_t keep[WEFT__CHUNK];
  for (size_t r = row0; st == WEFT_OK && r < row0 + rows; r += WEFT__CHUNK) {
    int64_t n = (int64_t)(row0 + rows - r < WEFT__CHUNK ? row0 + rows - r : WEFT__CHUNK);
    st = weft__eval_chunk(&ev, (int64_t)r, n);
    if (st != WEFT_OK) break;
    weft__vec *v = &ev.vecs[c->bound->root];
    if (c->mask) {
      for (int64_t i = 0; i < n; i++) keep[i] = (uint8_t)((v->all_valid || v->valid[i]) && v->v[i].i);
      put_bits(c->mask, (int64_t)r, NULL, keep, n);
      continue;
    }
    store(root, v, c->out, (int64_t)r, n);
    if (root->type == WEFT_TYPE_UTF8) {
      size_t add = 0;
      for (int64_t i = 0; i < n; i++) add += (v->all_valid || v->valid[i]) ? (size_t)v->sl[i] : 0;
      if (used + add > cap) {
        size_t ncap = cap ? cap : 4096;
        while (ncap < used + add) ncap *= 2;
        char *p = weft__realloc(piece, ncap);
        if (!p) {
          st = weft__error(WEFT_ERR_OUT_OF_MEMORY, "no host memory for %zu bytes of strings", ncap);
          break;
        }
        piece = p, cap = ncap;
      }
      for (int64_t i = 0; add > 0 && i < n; i++) /* add == 0: piece may still be NULL */
        if (v->all_valid || v->valid[i]) {
          memcpy(piece + used, v->sp[i], (size_t)v->sl[i]);
          used += (size_t)v->sl[i];
        }
    }
  }
  weft__eval_free(&ev);
  if (c->pieces) c->pieces[row0 / PART_ROWS] = piece;
  else free(piece);
  return st;
}

/* Runs the expression over every row: on the devices the exec allows when it compiles to
 * bytecode, else on the CPU (the report and strict mode say why). `out_bits`: bits per row
 * of the result (1 for bool and for a filter's mask); `out_validity`: the result has a
 * validity bitmap. */
static weft_status run_eval(weft_exec *exec, const char *name, int64_t rows, eval_ctx *c,
                            size_t out_bits, int out_validity) {
  weft__expr_program prog;
  char why[256] = "";
  int on_devices = weft__expr_compile(c->bound, &prog, why, sizeof why);
  weft__op op = {.name = name, .rows = (size_t)rows, .cpu_partition_rows = PART_ROWS,
                 .align_rows = c->pieces ? PART_ROWS : WEFT_PARTITION_ALIGN,
                 .flops_per_row = 2 * (double)c->bound->n, .needs_fp64 = on_devices,
                 .family = &weft__family_expr, .device_unsupported = on_devices ? NULL : why,
                 .ctx = c, .run = eval_run};
  if (on_devices) {
    weft__expr_device_slots(&prog, out_bits, out_validity, &op);
    c->prog = &prog;
    c->cast_err = weft__calloc((size_t)rows / WEFT_PARTITION_ALIGN + 1, sizeof *c->cast_err);
    if (!c->cast_err) return weft__error(WEFT_ERR_OUT_OF_MEMORY, "%s: no host memory", name);
  } else {
    op.slot_row_bits[0] = out_bits;
  }
  struct weft_exec local;
  if (!exec) weft__exec_defaults(&local);
  weft_status st = weft__schedule(exec ? exec : &local, &op);
  if (!exec) weft__exec_release(&local);
  /* A device found a value a cast cannot take: the CPU evaluator, from the first partition
   * that flagged one, stops at that row with the message the CPU gives. */
  for (size_t p = 0; st == WEFT_OK && c->cast_err && p <= (size_t)rows / WEFT_PARTITION_ALIGN; p++) {
    if (!c->cast_err[p]) continue;
    weft__stage cpu = {.dev = weft__device_at(0), .max_rows = (size_t)rows};
    size_t row0 = p * WEFT_PARTITION_ALIGN;
    st = eval_run(c, &cpu, row0, (size_t)rows - row0);
    if (st == WEFT_OK)
      st = weft__error(WEFT_ERR_INTERNAL, "%s: a device flagged a failing cast at rows %zu.. that "
                       "the CPU evaluates without error", name, row0);
  }
  free(c->cast_err);
  c->cast_err = NULL;
  c->prog = NULL;
  return st;
}

/* Evaluates a bound expression into a fresh column of the table's length. */
static weft_status compute(weft_exec *exec, const char *opname, const weft_table *t, const weft__bound *b,
                           weft__column *out) {
  const weft__bnode *root = &b->nodes[b->root];
  WEFT_RETURN_NOT_OK(weft__column_alloc(root->type, t->rows, root->nullable, 0, out));
  size_t nparts = (size_t)t->rows / PART_ROWS + 1;
  eval_ctx c = {.bound = b, .out = out};
  weft__lit_pred lit;
  if (!out->view.validity && weft__lit_value_plan(b, &lit)) c.lit = &lit;
  int utf8 = root->type == WEFT_TYPE_UTF8;
  if (utf8 && !(c.pieces = weft__calloc(nparts, sizeof *c.pieces))) {
    weft__column_release(out);
    return weft__error(WEFT_ERR_OUT_OF_MEMORY, "no host memory for %zu partitions", nparts);
  }
  size_t bits = root->type == WEFT_TYPE_BOOL ? 1 : utf8 ? 64 : weft__type_width(root->type) * 8;
  weft_status st = run_eval(exec, opname, t->rows, &c, bits, out->view.validity != NULL);
  if (st == WEFT_OK && c.lit && exec)
    weft__report(exec, "  cpu:0 partitions: the predicate's 0 / 1 values as a filter's keep bytes "
                 "(column against constant)");
  if (st == WEFT_OK && utf8) {
    int32_t *of = (int32_t *)out->view.values;
    int64_t total = 0;
    for (int64_t i = 0; i < t->rows; i++) {
      total += of[i + 1];
      if (total > INT32_MAX) {
        st = weft__error(WEFT_ERR_INVALID_ARGUMENT, "utf8 column \"%s\" would hold more than 2 GiB "
                         "of strings", root->name);
        break;
      }
      of[i + 1] = (int32_t)total;
    }
    if (st == WEFT_OK) st = weft__column_grow_utf8(out, (size_t)total);
    for (size_t p = 0; st == WEFT_OK && p < nparts; p++) {
      int64_t r0 = (int64_t)(p * PART_ROWS), r1 = r0 + (int64_t)PART_ROWS;
      if (r0 >= t->rows) break;
      if (r1 > t->rows) r1 = t->rows;
      of = (int32_t *)out->view.values;
      size_t bytes = (size_t)(of[r1] - of[r0]);
      if (bytes) memcpy((char *)out->view.data + of[r0], c.pieces[p], bytes);
    }
  }
  for (size_t p = 0; c.pieces && p < nparts; p++) free(c.pieces[p]);
  free(c.pieces);
  if (st != WEFT_OK) weft__column_release(out);
  return st;
}

/* The column an expression is, when it is one (under aliases), or a categorical column cast to
 * categorical: shared, not computed. */
static const weft__column *bare_column(const weft__bound *b) {
  const weft__bnode *n = &b->nodes[b->root];
  while (n->e->kind == WEFT__E_ALIAS) n = &b->nodes[n->a];
  if (n->e->kind == WEFT__E_CAST && n->e->type == WEFT_TYPE_CATEGORICAL) {
    const weft__bnode *a = &b->nodes[n->a];
    return a->e->kind == WEFT__E_COLUMN && a->col->view.type == WEFT_TYPE_CATEGORICAL ? a->col : NULL;
  }
  return n->e->kind == WEFT__E_COLUMN ? n->col : NULL;
}

/* Whether the expression's result is cast to categorical: computed as strings, then encoded. */
static int to_categorical(const weft__bound *b) {
  const weft__bnode *n = &b->nodes[b->root];
  while (n->e->kind == WEFT__E_ALIAS) n = &b->nodes[n->a];
  return n->e->kind == WEFT__E_CAST && n->e->type == WEFT_TYPE_CATEGORICAL;
}

/* Binds and computes expression i; *name points into the expression. */
static weft_status one_column(weft_exec *exec, const weft_table *t, const weft_expr *e, const char *opname,
                              size_t i, weft__column *out, const char **name) {
  if (!e) return weft__error(WEFT_ERR_INVALID_ARGUMENT, "%s: exprs[%zu] is NULL", opname, i);
  weft__bound b;
  WEFT_RETURN_NOT_OK(weft__expr_bind(e, t, &b));
  *name = b.nodes[b.root].name;
  const weft__column *shared = bare_column(&b);
  weft_status st = WEFT_OK;
  if (shared) {
    *out = *shared;
    weft__column_retain(out);
  } else {
    st = compute(exec, opname + 11, t, &b, out); /* "weft_table_select" -> "select" */
    if (st == WEFT_OK && to_categorical(&b)) {
      weft__column strings = *out;
      st = weft__column_encode(&strings, out);
      weft__column_release(&strings);
    }
  }
  weft__expr_unbind(&b);
  return st;
}

/* Each computed expression is one schedule, and a schedule starts the report afresh: a select
 * of several expressions keeps every expression's lines, so a fallback of an early one (its
 * reason) is not hidden by the next. Best effort, as the report is. */
typedef struct {
  char *text;
  size_t len;
} kept_report;

static void keep_report(weft_exec *exec, kept_report *k) {
  if (!exec || !exec->report_len) return;
  char *grown = weft__realloc(k->text, k->len + exec->report_len + 1);
  if (!grown) return;
  memcpy(grown + k->len, exec->report, exec->report_len + 1);
  k->text = grown;
  k->len += exec->report_len;
  weft__report_clear(exec); /* a bare column schedules nothing: no repeat */
}

static void restore_report(weft_exec *exec, kept_report *k) {
  if (exec && k->text) {
    weft__report_clear(exec);
    weft__report_text(exec, k->text);
  }
  free(k->text);
}

static weft_status check_unique(const char *opname, const char **names, size_t n) {
  for (size_t i = 0; i < n; i++)
    for (size_t j = 0; j < i; j++)
      if (!strcmp(names[i], names[j]))
        return weft__error(WEFT_ERR_INVALID_ARGUMENT, "%s: the output name \"%s\" appears twice "
                           "(expressions %zu and %zu); rename one with alias", opname, names[i], j, i);
  return WEFT_OK;
}

weft_status weft_table_select(weft_exec *exec, const weft_table *table, size_t n,
                              const weft_expr *const *exprs, weft_table **out) {
  WEFT_CHECK_ARG(out, "weft_table_select: out is NULL");
  *out = NULL;
  WEFT_CHECK_ARG(table && (n == 0 || exprs), "weft_table_select: table and exprs must not be NULL");
  int handled;
  WEFT_RETURN_NOT_OK(weft__select_aggs(exec, WEFT__SELECT, table, n, exprs, &handled, out));
  if (handled) return WEFT_OK;
  weft_table *res;
  WEFT_RETURN_NOT_OK(weft__table_new(n, n ? table->rows : 0, &res));
  const char **names = weft__calloc(n ? n : 1, sizeof *names);
  weft_status st = names ? WEFT_OK : weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_table_select: no host memory");
  kept_report report = {0};
  for (size_t i = 0; st == WEFT_OK && i < n; i++) {
    weft__column col;
    memset(&col, 0, sizeof col);
    st = one_column(exec, table, exprs[i], "weft_table_select", i, &col, &names[i]);
    keep_report(exec, &report);
    if (st == WEFT_OK) st = check_unique("weft_table_select", names, i + 1);
    if (st == WEFT_OK) st = weft__table_set_column(res, i, names[i], col);
    else weft__column_release(&col);
  }
  restore_report(exec, &report);
  free(names);
  if (st != WEFT_OK) {
    weft_table_free(res);
    return st;
  }
  *out = res;
  return WEFT_OK;
}

static int64_t find(const weft_table *t, const char *name) {
  for (size_t i = 0; i < t->ncols; i++)
    if (!strcmp(t->names[i], name)) return (int64_t)i;
  return -1;
}

weft_status weft_table_with_columns(weft_exec *exec, const weft_table *table, size_t n,
                                    const weft_expr *const *exprs, weft_table **out) {
  WEFT_CHECK_ARG(out, "weft_table_with_columns: out is NULL");
  *out = NULL;
  WEFT_CHECK_ARG(table && (n == 0 || exprs), "weft_table_with_columns: table and exprs must not be NULL");
  int handled;
  WEFT_RETURN_NOT_OK(weft__select_aggs(exec, WEFT__WITH_COLUMNS, table, n, exprs, &handled, out));
  if (handled) return WEFT_OK;
  size_t nc = table->ncols;
  weft__column *cols = weft__calloc(n ? n : 1, sizeof *cols);
  const char **names = weft__calloc(n ? n : 1, sizeof *names);
  weft_status st = cols && names ? WEFT_OK : weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_table_with_columns: no host memory");
  size_t done = 0, added = 0;
  kept_report report = {0};
  for (; st == WEFT_OK && done < n; done++) {
    st = one_column(exec, table, exprs[done], "weft_table_with_columns", done, &cols[done], &names[done]);
    keep_report(exec, &report);
    if (st != WEFT_OK) break;
    st = check_unique("weft_table_with_columns", names, done + 1);
    if (find(table, names[done]) < 0) added++;
  }
  restore_report(exec, &report);
  weft_table *res = NULL;
  if (st == WEFT_OK) st = weft__table_new(nc + added, table->rows, &res);
  for (size_t i = 0; st == WEFT_OK && i < nc; i++) {
    weft__column c = table->cols[i];
    weft__column_retain(&c);
    st = weft__table_set_column(res, i, table->names[i], c);
  }
  size_t next = nc;
  for (size_t i = 0; st == WEFT_OK && i < n; i++) {
    size_t at = find(table, names[i]) >= 0 ? (size_t)find(table, names[i]) : next++;
    st = weft__table_set_column(res, at, names[i], cols[i]);
    memset(&cols[i], 0, sizeof cols[i]); /* the table has it now */
  }
  for (size_t i = 0; cols && i < n; i++) weft__column_release(&cols[i]);
  free(cols);
  free(names);
  if (st != WEFT_OK) {
    weft_table_free(res);
    return st;
  }
  *out = res;
  return WEFT_OK;
}

/* ---------------------------------------------------------------- filter */

weft_status weft_table_filter(weft_exec *exec, const weft_table *table, const weft_expr *predicate,
                              weft_table **out) {
  return weft__table_filter_keep(exec, table, predicate, SIZE_MAX, NULL, out);
}

weft_status weft__table_filter_keep(weft_exec *exec, const weft_table *table,
                                    const weft_expr *predicate, size_t nkeep,
                                    const char *const *keep, weft_table **out) {
  return weft__table_filter_narrowed(exec, table, predicate, nkeep, keep, NULL, out);
}

weft_status weft__table_filter_narrowed(weft_exec *exec, const weft_table *table,
                                        const weft_expr *predicate, size_t nkeep,
                                        const char *const *keep,
                                        const weft__mask_narrow *narrow, weft_table **out) {
  WEFT_CHECK_ARG(out, "weft_table_filter: out is NULL");
  *out = NULL;
  WEFT_CHECK_ARG(table && predicate, "weft_table_filter: table and predicate must not be NULL");
  int handled;
  WEFT_RETURN_NOT_OK(weft__select_aggs(exec, WEFT__FILTER, table, 1, &predicate, &handled, out));
  if (handled) return WEFT_OK;
  weft__bound b;
  WEFT_RETURN_NOT_OK(weft__expr_bind(predicate, table, &b));
  const weft__bnode *root = &b.nodes[b.root];
  if (root->type != WEFT_TYPE_BOOL) {
    weft_status st = weft__error(WEFT_ERR_INVALID_ARGUMENT, "weft_table_filter: the predicate %s is %s, "
                                 "not bool", predicate->text, weft_type_name(root->type));
    weft__expr_unbind(&b);
    return st;
  }
  int64_t rows = table->rows;
  uint8_t *mask = weft__calloc((size_t)rows / 8 + 1, 1);
  weft__compact kept = {0};
  weft_table *res = NULL;
  weft_status st = mask ? WEFT_OK
                 : weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_table_filter: no host memory for %lld rows",
                               (long long)rows);
  if (st == WEFT_OK) {
    weft__lit_pred lit;
    eval_ctx c = {.bound = &b, .mask = mask, .lit = weft__lit_pred_plan(&b, &lit) ? &lit : NULL};
    st = run_eval(exec, "filter", rows, &c, 1, 0);
  }
  if (st == WEFT_OK && narrow) st = narrow->run(narrow->ctx, exec, table, mask, rows);
  if (st == WEFT_OK) st = weft__compact_init(mask, rows, &kept); /* filter_compact.c */
  size_t nout = nkeep == SIZE_MAX ? table->ncols : nkeep;
  if (st == WEFT_OK) st = weft__table_new(nout, kept.kept, &res);
  for (size_t j = 0; st == WEFT_OK && j < nout; j++) {
    size_t i = j;
    if (nkeep != SIZE_MAX) st = weft__table_find(table, keep[j], &i);
    weft__column col;
    if (st != WEFT_OK) break;
    if (kept.kept == rows) { /* every row kept: share the buffers */
      col = table->cols[i];
      weft__column_retain(&col);
    } else {
      st = weft__compact_column(&kept, &table->cols[i], &col);
    }
    if (st == WEFT_OK) st = weft__table_set_column(res, j, table->names[i], col);
  }
  free(mask);
  weft__compact_free(&kept);
  weft__expr_unbind(&b);
  if (st != WEFT_OK) {
    weft_table_free(res);
    return st;
  }
  *out = res;
  return WEFT_OK;
}
