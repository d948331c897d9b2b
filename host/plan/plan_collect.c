/* weft_plan_collect: the optimized plan run bottom-up with the eager table operations. Each
 * operator runs with an exec of its own (the caller's device choice and strict flag, or
 * "cpu" for a small input under "auto": plan_device.c) and its report is added under the
 * operator's line; the whole report goes to the caller's exec and to the plan, for explain.
 * A strict plan that some operator could not run as asked fails before anything runs. A
 * sub-plan used more than once runs once, its later uses take its result (plan_reuse.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/progress.h"
#include "core/exec.h"
#include "core/placement.h"
#include "frame/join/join.h"
#include "frame/join/join_key_filter.h"
#include "frame/fused/masked_agg.h"
#include "frame/nearest/op_nearest.h"
#include "frame/select/filter_keep.h"
#include "frame/table/table.h"
#include "plan/plan.h"
#include "plan/plan_reuse.h"

static weft_status check_strict(const weft_plan *p, const weft_exec *exec) {
  for (; p; p = p->in) {
    weft__plan_device dev;
    weft__plan_device_choose(exec, p, &dev);
    if (dev.fail) {
      char *line = weft__plan_line(p, exec);
      weft_status st = weft__error(dev.fail, "weft_plan_collect: %s: %s", line ? line : "?", dev.why);
      free(line);
      return st;
    }
    if (p->right) WEFT_RETURN_NOT_OK(check_strict(p->right, exec));
  }
  return WEFT_OK;
}

static weft_status run_op(weft_exec *ex, const weft_plan *p, const weft_table *in,
                          const weft_table *right, weft_table **out) {
  const char *const *keys = (const char *const *)p->keys;
  const weft_expr *const *exprs = (const weft_expr *const *)p->exprs;
  switch (p->kind) {
    case WEFT__P_SCAN:
      if (p->source) return weft__plan_read_source(ex, p, out);
      return weft_table_slice(p->table, 0, p->table->rows, out);
    case WEFT__P_FILTER:
      return weft__table_filter_keep(ex, in, exprs[0], p->keep ? p->nkeep : SIZE_MAX,
                                     (const char *const *)p->keep, out);
    case WEFT__P_SELECT: return weft_table_select(ex, in, p->n, exprs, out);
    case WEFT__P_WITH_COLUMNS: return weft_table_with_columns(ex, in, p->n, exprs, out);
    case WEFT__P_GROUP_BY: return weft_table_group_by(ex, in, p->n, keys, p->naggs, p->aggs, out);
    case WEFT__P_SORT: return weft_table_sort_nulls(ex, in, p->n, keys, p->descending, p->nulls_last, out);
    case WEFT__P_TOP_K:
      return weft_table_top_k(ex, in, p->length, p->n, keys, p->descending, p->nulls_last, out);
    case WEFT__P_JOIN:
      return weft_table_join(ex, in, right, p->n, keys, (const char *const *)p->right_keys, p->how,
                             p->suffix, out);
    case WEFT__P_SLICE: {
      /* a window before the first row is cut at row 0, as Polars' slice */
      int64_t from = p->offset >= 0 ? p->offset : in->rows + p->offset, len = p->length;
      if (from < 0) len = len + from > 0 ? len + from : 0, from = 0;
      return weft_table_slice(in, from, len, out);
    }
    case WEFT__P_UNIQUE: return weft_table_unique(ex, in, p->n, keys, out);
    case WEFT__P_ROW_INDEX: return weft_table_with_row_index(in, keys[0], p->offset, out);
    case WEFT__P_NEAREST:
      return weft__table_nearest_indexed(ex, in, keys[0], p->nq, p->queries, p->dim,
                                         (size_t)p->length, (weft_metric)p->metric,
                                         p->exprs ? exprs[0] : NULL, p->batch, p->vindex, out);
  }
  return weft__error(WEFT_ERR_INTERNAL, "weft_plan_collect: unknown node kind %d", (int)p->kind);
}

/* The exec's report becomes `text`, line by line. */
static void report_replace(weft_exec *ex, const char *text) {
  weft__report_clear(ex);
  for (const char *s = text ? text : ""; *s;) {
    const char *end = strchr(s, '\n');
    size_t len = end ? (size_t)(end - s) : strlen(s);
    weft__report(ex, "%.*s", (int)len, s);
    s += len + (end != NULL);
  }
}

/* The fused filter + group_by; when its keys have too many groups for the one pass, the
 * filter and then the group_by, their reports one after the other. */
static weft_status run_fused(weft_exec *ex, const weft_plan *p, const weft_table *in,
                             weft_table **out) {
  const weft_expr *pred = p->in->exprs[0];
  weft_status st = weft__masked_agg(ex, in, pred, p->n, (const char *const *)p->keys, p->naggs,
                                    p->aggs, p->proto, out);
  if (st != WEFT_OK || *out) return st;
  weft__text notes = {.ok = 1};
  weft__text_add(&notes, "%s", ex->report ? ex->report : "");
  weft_table *kept = NULL;
  st = weft__table_filter_keep(ex, in, pred, p->in->keep ? p->in->nkeep : SIZE_MAX,
                               (const char *const *)p->in->keep, &kept);
  weft__text_add(&notes, "%s", ex->report ? ex->report : "");
  if (st == WEFT_OK) st = run_op(ex, p, kept, NULL, out);
  weft_table_free(kept);
  if (st == WEFT_OK && notes.ok) { /* the group_by's report after the others */
    weft__text_add(&notes, "%s", ex->report ? ex->report : "");
    report_replace(ex, notes.s);
  }
  free(notes.s);
  return st;
}

/* The fused join + aggregate; when the right keys do not allow it, the join and then the
 * group_by, their reports one after the other. */
static weft_status run_join_fused(weft_exec *ex, const weft_plan *p, const weft_table *left,
                                  const weft_table *right, weft_table **out) {
  const weft_plan *j = p->in;
  weft_status st = weft__join_agg(ex, left, right, j->n, (const char *const *)j->keys,
                                  (const char *const *)j->right_keys, j->how, j->proto, p->n,
                                  (const char *const *)p->keys, p->naggs, p->aggs, p->proto, out);
  if (st != WEFT_OK || *out) return st;
  weft__text notes = {.ok = 1};
  weft__text_add(&notes, "%s", ex->report ? ex->report : "");
  weft_table *joined = NULL;
  st = run_op(ex, j, left, right, &joined);
  weft__text_add(&notes, "%s", ex->report ? ex->report : "");
  if (st == WEFT_OK) st = run_op(ex, p, joined, NULL, out);
  weft_table_free(joined);
  if (st == WEFT_OK && notes.ok) {
    weft__text_add(&notes, "%s", ex->report ? ex->report : "");
    report_replace(ex, notes.s);
  }
  free(notes.s);
  return st;
}

typedef struct run_state {
  const weft_exec *user;
  weft__text report;
  size_t last_device;
  weft__reuse *reuse; /* the shared sub-plans (plan_reuse.c), NULL: none */
} run_state;

static weft_status run(run_state *rs, const weft_plan *p, const weft__mask_narrow *narrow,
                       weft_table **out);

/* The join key prefilter (join_key_filter.h): which input of the join `j` is a filter whose
 * rows without a key on the other side the join drops, so that the other side runs first
 * and the filter drops them before compacting: 1 the left, 2 the right, 0 neither. A shared
 * filter's result serves other uses too, so it is left whole; so is the left side of a
 * join fused with its aggregation, whose float sums would be split otherwise. */
static int prefilter_side(const run_state *rs, const weft_plan *j, int fused) {
  if (j->kind != WEFT__P_JOIN || getenv("WEFT_TEST_NO_JOIN_PREFILTER")) return 0;
  weft_join_kind kind = WEFT__JOIN_KIND(j->how);
  int left = (kind == WEFT_JOIN_INNER || kind == WEFT_JOIN_SEMI || kind == WEFT_JOIN_RIGHT) &&
             j->in->kind == WEFT__P_FILTER && !weft__reuse_shared(rs->reuse, j->in) &&
             fused != WEFT__FUSE_JOIN;
  int right = (kind == WEFT_JOIN_INNER || kind == WEFT_JOIN_LEFT) &&
              j->right->kind == WEFT__P_FILTER && !weft__reuse_shared(rs->reuse, j->right);
  if (left && right)
    return weft__plan_estimate_rows(j->in) >= weft__plan_estimate_rows(j->right) ? 1 : 2;
  return left ? 1 : right ? 2 : 0;
}

/* The filter node `filter` run with its rows narrowed to the keys (own_on) that `other` has
 * (other_on). */
static weft_status run_prefiltered(run_state *rs, const weft_plan *filter, const weft_table *other,
                                   size_t nkeys, char *const *other_on, char *const *own_on,
                                   weft_table **out) {
  weft__key_filter *kf = NULL;
  WEFT_RETURN_NOT_OK(weft__key_filter_make(other, nkeys, (const char *const *)other_on,
                                           (const char *const *)own_on, &kf));
  weft__mask_narrow narrow = {weft__key_filter_narrow, kf};
  weft_status st = run(rs, filter, kf ? &narrow : NULL, out);
  weft__key_filter_free(kf);
  return st;
}

static weft_status run(run_state *rs, const weft_plan *p, const weft__mask_narrow *narrow,
                       weft_table **out) {
  weft_table *in = NULL, *right = NULL;
  weft_status st = WEFT_OK;
  int id = 0, uses = 1;
  weft__reuse_verdict reuse = weft__reuse_visit(rs->reuse, p, &id, &uses);
  if (reuse == WEFT__REUSE_AGAIN) { /* a later use of a shared sub-plan: its first result */
    if ((st = weft__reuse_take(rs->reuse, p, out)) != WEFT_OK) {
      char *line = weft__plan_line(p, rs->user);
      st = weft__error_context(st, "weft_plan_collect: reused %s", line ? line : "?");
      free(line);
      return st;
    }
    if (*out) {
      char *line = weft__plan_line(p, rs->user);
      weft__text_add(&rs->report, "reused #%d: %s\n", id, line ? line : "?");
      free(line);
      return WEFT_OK;
    }
    reuse = WEFT__REUSE_RUN; /* none kept: it runs again, as it would without sharing */
  }
  /* a fused node runs the node under it inside it: its inputs are that node's */
  int fused = weft__plan_fused(p, rs->user);
  const weft_plan *inputs = weft__plan_inputs(p, fused);
  int prefilter = prefilter_side(rs, inputs, fused);
  if (prefilter == 1) {
    st = run(rs, inputs->right, NULL, &right);
    if (st == WEFT_OK)
      st = run_prefiltered(rs, inputs->in, right, inputs->n, inputs->right_keys, inputs->keys, &in);
  } else {
    if (inputs->in) st = run(rs, inputs->in, NULL, &in);
    if (st == WEFT_OK && prefilter == 2)
      st = run_prefiltered(rs, inputs->right, in, inputs->n, inputs->keys, inputs->right_keys, &right);
    else if (st == WEFT_OK && inputs->right)
      st = run(rs, inputs->right, NULL, &right);
  }
  if (st != WEFT_OK) { /* an input failed: its message already names it */
    weft_table_free(in), weft_table_free(right);
    return st;
  }
  weft__plan_device dev;
  weft__plan_device_choose(rs->user, p, &dev);
  struct weft_exec ex;
  weft__exec_inherit(&ex, rs->user);
  /* the planner's verdict goes down as a resolved placement: the CPU, and why */
  if (dev.force_cpu) weft__exec_place(&ex, 0, dev.why + strlen("cpu: "));
  st = fused == WEFT__FUSE_FILTER ? run_fused(&ex, p, in, out)
     : fused == WEFT__FUSE_JOIN ? run_join_fused(&ex, p, in, right, out)
     : fused == WEFT__FUSE_PASS ? weft__masked_agg(&ex, in, NULL, 0, NULL, p->naggs, p->aggs, p->proto, out)
     : narrow && p->kind == WEFT__P_FILTER
       ? weft__table_filter_narrowed(&ex, in, p->exprs[0], p->keep ? p->nkeep : SIZE_MAX,
                                     (const char *const *)p->keep, narrow, out)
     : run_op(&ex, p, in, right, out);
  if (st == WEFT_OK && reuse == WEFT__REUSE_FIRST && (st = weft__reuse_keep(rs->reuse, p, *out)) != WEFT_OK) {
    weft_table_free(*out);
    *out = NULL;
  }
  if (st == WEFT_OK) {
    char *line = weft__plan_line(p, rs->user);
    if (reuse == WEFT__REUSE_FIRST)
      weft__text_add(&rs->report, "%s (shared #%d: runs once, %d uses)  [%s]\n", line ? line : "?",
                     id, uses, dev.why);
    else
      weft__text_add(&rs->report, "%s  [%s]\n", line ? line : "?", dev.why);
    free(line);
    /* the eager operation's own report, indented under its operator */
    for (const char *s = ex.report ? ex.report : ""; *s;) {
      const char *end = strchr(s, '\n');
      size_t len = end ? (size_t)(end - s) : strlen(s);
      weft__text_add(&rs->report, "  %.*s\n", (int)len, s);
      s += len + (end != NULL);
    }
    if (ex.report) rs->last_device = ex.last_device;
  } else {
    char *line = weft__plan_line(p, rs->user);
    st = weft__error_context(st, "weft_plan_collect: %s", line ? line : "?");
    free(line);
  }
  weft__exec_release(&ex);
  weft_table_free(in), weft_table_free(right);
  return st;
}

static weft_status weft_plan_collect_run(weft_exec *exec, weft_plan *plan, weft_table **out);

/* Progress: one scope for the whole plan, which each operator's work joins. */
weft_status weft_plan_collect(weft_exec *exec, weft_plan *plan, weft_table **out) {
  weft__progress *progress = weft__progress_begin("collect", 0);
  weft_status st = weft_plan_collect_run(exec, plan, out);
  if (st == WEFT_OK && weft__progress_check("weft_plan_collect") != WEFT_OK) {
    weft_table_free(*out);
    *out = NULL;
    st = WEFT_ERR_CANCELLED;
  }
  return weft__progress_end(progress, st);
}

static weft_status weft_plan_collect_run(weft_exec *exec, weft_plan *plan, weft_table **out) {
  WEFT_CHECK_ARG(out, "weft_plan_collect: out is NULL");
  *out = NULL;
  WEFT_CHECK_ARG(plan, "weft_plan_collect: plan is NULL");
  weft_plan *opt = NULL;
  WEFT_RETURN_NOT_OK(weft__plan_optimize(plan, &opt));
  run_state rs = {.user = exec, .report = {.ok = 1}};
  weft_status st = exec && exec->strict ? check_strict(opt, exec) : WEFT_OK;
  if (st == WEFT_OK && (st = weft__reuse_find(opt, exec, &rs.reuse)) != WEFT_OK)
    st = weft__error_context(st, "weft_plan_collect");
  if (st == WEFT_OK) st = run(&rs, opt, NULL, out);
  weft__reuse_free(rs.reuse);
  weft_plan_free(opt);
  if (exec) {
    report_replace(exec, rs.report.s);
    exec->last_device = rs.last_device;
  }
  if (st == WEFT_OK && rs.report.s) {
    free(plan->ran);
    plan->ran = rs.report.s;
    const char *source;
    weft__exec_spec(exec, &plan->ran_spec, &source);
    snprintf(plan->ran_devices, sizeof plan->ran_devices, "%s", exec ? exec->devices : "auto");
    rs.report.s = NULL;
  }
  free(rs.report.s);
  return st;
}
