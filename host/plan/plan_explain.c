/* weft_plan_explain: the optimized plan as an indented tree, one operator a line (the root
 * first, inputs indented under it), each with the device it will run on and why; after a
 * weft_plan_collect of the same handle, the report of what ran. A shared sub-plan shows its
 * tree at its first use, marked "(shared #N: runs once, K uses)"; a later use is one line,
 * "reused #N: ...". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/exec.h"
#include "core/placement.h"
#include "frame/table/table.h"
#include "frame/join/join.h"
#include "plan/plan.h"
#include "plan/plan_reuse.h"

static const char *agg_name(weft_agg_kind kind) {
  static const char *names[] = {"sum", "mean", "min", "max", "count", "n_unique",
                                "std", "var",  "first", "last", "len"};
  return (unsigned)kind < sizeof names / sizeof *names ? names[kind] : "?";
}

static void add_exprs(weft__text *t, size_t n, weft_expr *const *exprs) {
  for (size_t i = 0; i < n; i++) {
    const char *s = "?";
    if (weft_expr_to_string(exprs[i], &s) != WEFT_OK) s = "?"; /* out of memory: still explain */
    weft__text_add(t, "%s%s", i ? ", " : "", s);
  }
}

static void add_keys(weft__text *t, size_t n, char *const *keys) {
  for (size_t i = 0; i < n; i++) weft__text_add(t, "%s%s", i ? ", " : "", keys[i]);
}

static void add_aggs(weft__text *t, const weft_plan *p) {
  for (size_t a = 0; a < p->naggs; a++) {
    const char *in = "";
    if (p->aggs[a].input && weft_expr_to_string(p->aggs[a].input, &in) != WEFT_OK) in = "?";
    weft__text_add(t, "%s%s(%s)", a ? ", " : "", agg_name(p->aggs[a].kind), in);
    if (p->aggs[a].name) weft__text_add(t, " as \"%s\"", p->aggs[a].name);
  }
}

/* A fused operator's line: what the node under it contributes (the join's keys, the
 * filter's predicate), then the group_by's keys and aggregations. */
static void add_fused(weft__text *t, const weft_plan *p, int fused) {
  static const char *how[] = {"inner", "left", "semi", "anti"};
  const weft_plan *j = p->in; /* fused: one of these kinds, no flags (plan_fuse.c) */
  switch (fused) {
    case WEFT__FUSE_JOIN:
      weft__text_add(t, "join + aggregate (fused) %s on [", how[j->how]);
      for (size_t k = 0; k < j->n; k++) {
        weft__text_add(t, "%s%s", k ? ", " : "", j->keys[k]);
        if (strcmp(j->keys[k], j->right_keys[k])) weft__text_add(t, " = %s", j->right_keys[k]);
      }
      weft__text_add(t, "]");
      break;
    case WEFT__FUSE_FILTER:
      weft__text_add(t, "filter + aggregate (fused) ");
      add_exprs(t, 1, p->in->exprs);
      break;
    default: weft__text_add(t, "aggregate (one pass)"); break;
  }
  if (p->n) {
    weft__text_add(t, " by [");
    add_keys(t, p->n, p->keys);
    weft__text_add(t, "]");
  }
  weft__text_add(t, " agg [");
  add_aggs(t, p);
  weft__text_add(t, "]");
}

char *weft__plan_line(const weft_plan *p, const weft_exec *exec) {
  weft__text t = {.ok = 1};
  int fused = weft__plan_fused(p, exec);
  if (fused) {
    add_fused(&t, p, fused);
    if (!t.ok) {
      free(t.s);
      return NULL;
    }
    return t.s;
  }
  weft__text_add(&t, "%s ", weft__plan_kind_name(p->kind));
  switch (p->kind) {
    case WEFT__P_SCAN: {
      const weft_table *tb = p->table;
      if (p->source) weft__text_add(&t, "%s, ", p->source->name);
      weft__text_add(&t, "%lld rows, ", (long long)p->rows);
      if (tb->ncols < p->source_ncols) weft__text_add(&t, "%zu of %zu columns [", tb->ncols, p->source_ncols);
      else weft__text_add(&t, "%zu columns [", tb->ncols);
      add_keys(&t, tb->ncols, tb->names);
      weft__text_add(&t, "]");
      if (p->scan_predicate) {
        weft__text_add(&t, " predicate ");
        add_exprs(&t, 1, &p->scan_predicate);
      }
      break;
    }
    case WEFT__P_FILTER:
      add_exprs(&t, 1, p->exprs);
      if (p->keep) {
        weft__text_add(&t, ", keeps [");
        add_keys(&t, p->nkeep, p->keep);
        weft__text_add(&t, "]");
      }
      break;
    case WEFT__P_SELECT: case WEFT__P_WITH_COLUMNS:
      weft__text_add(&t, "[");
      add_exprs(&t, p->n, p->exprs);
      weft__text_add(&t, "]");
      break;
    case WEFT__P_GROUP_BY:
      weft__text_add(&t, "[");
      add_keys(&t, p->n, p->keys);
      weft__text_add(&t, "] agg [");
      add_aggs(&t, p);
      weft__text_add(&t, "]");
      break;
    case WEFT__P_SORT: case WEFT__P_TOP_K:
      if (p->kind == WEFT__P_TOP_K) weft__text_add(&t, "%lld ", (long long)p->length);
      int mixed = 0; /* one "nulls ..." after the keys unless they differ */
      for (size_t k = 1; k < p->n; k++) mixed |= p->nulls_last[k] != p->nulls_last[0];
      weft__text_add(&t, "by [");
      for (size_t k = 0; k < p->n; k++) {
        weft__text_add(&t, "%s%s%s", k ? ", " : "", p->keys[k], p->descending[k] ? " desc" : "");
        if (mixed) weft__text_add(&t, " nulls %s", p->nulls_last[k] ? "last" : "first");
      }
      weft__text_add(&t, "]");
      if (!mixed) weft__text_add(&t, " nulls %s", p->nulls_last[0] ? "last" : "first");
      break;
    case WEFT__P_JOIN: {
      static const char *how[] = {"inner", "left", "semi", "anti", "right", "full", "cross"};
      weft_join_kind kind = WEFT__JOIN_KIND(p->how);
      int flags = WEFT__JOIN_FLAGS(p->how);
      weft__text_add(&t, "%s", how[kind]);
      if (kind != WEFT_JOIN_CROSS) {
        weft__text_add(&t, " on [");
        for (size_t k = 0; k < p->n; k++) {
          weft__text_add(&t, "%s%s", k ? ", " : "", p->keys[k]);
          if (strcmp(p->keys[k], p->right_keys[k])) weft__text_add(&t, " = %s", p->right_keys[k]);
        }
        weft__text_add(&t, "]");
      }
      if (flags) weft__text_add(&t, " coalesce=%s", flags & WEFT_JOIN_COALESCE ? "true" : "false");
      if (p->reordered) weft__text_add(&t, " (join order by estimated rows: ~%.0f)", p->estimate);
      break;
    }
    case WEFT__P_SLICE:
      weft__text_add(&t, "offset %lld, length %lld", (long long)p->offset, (long long)p->length);
      break;
    case WEFT__P_ROW_INDEX:
      weft__text_add(&t, "\"%s\" from %lld", p->keys[0], (long long)p->offset);
      break;
    case WEFT__P_NEAREST: weft__plan_nearest_line(p, &t); break;
    case WEFT__P_UNIQUE:
      if (p->n == 0) weft__text_add(&t, "(all columns)");
      else {
        weft__text_add(&t, "[");
        add_keys(&t, p->n, p->keys);
        weft__text_add(&t, "]");
      }
      break;
  }
  if (!t.ok) {
    free(t.s);
    return NULL;
  }
  return t.s;
}

/* `why` is "device: reason"; under an operator of the same device and reason only the
 * device is shown (the reason is said once, on the line above). */
static void explain_node(weft__text *t, const weft_plan *p, const weft_exec *exec, int depth,
                         const char *parent_why, weft__reuse *reuse) {
  int id = 0, uses = 1;
  weft__reuse_verdict verdict = weft__reuse_visit(reuse, p, &id, &uses);
  char *line = weft__plan_line(p, exec);
  if (verdict == WEFT__REUSE_AGAIN) { /* runs nothing: its first use's result */
    weft__text_add(t, "%*sreused #%d: %s\n", 2 * depth, "", id, line ? line : "?");
    free(line);
    return;
  }
  line = weft__plan_nearest_counted(p, line);
  char shared[64] = "";
  if (verdict == WEFT__REUSE_FIRST) snprintf(shared, sizeof shared, " (shared #%d: runs once, %d uses)", id, uses);
  weft__plan_device dev;
  weft__plan_device_choose(exec, p, &dev);
  const char *colon = strstr(dev.why, ": ");
  if (!dev.fail && colon && parent_why && !strcmp(parent_why, dev.why))
    weft__text_add(t, "%*s%s%s  [%.*s]\n", 2 * depth, "", line ? line : "?", shared,
                   (int)(colon - dev.why), dev.why);
  else
    weft__text_add(t, "%*s%s%s  [%s%s]\n", 2 * depth, "", line ? line : "?", shared,
                   dev.fail ? "fails in strict mode: " : "", dev.why);
  free(line);
  /* a fused node's filter or join is part of its line: that node's inputs come next */
  const weft_plan *inputs = weft__plan_inputs(p, weft__plan_fused(p, exec));
  const char *why = dev.fail ? NULL : dev.why;
  if (inputs->in) explain_node(t, inputs->in, exec, depth + 1, why, reuse);
  if (inputs->right) explain_node(t, inputs->right, exec, depth + 1, why, reuse);
}

weft_status weft_plan_explain(const weft_exec *exec, weft_plan *plan, const char **text) {
  WEFT_CHECK_ARG(text, "weft_plan_explain: text is NULL");
  *text = NULL;
  WEFT_CHECK_ARG(plan, "weft_plan_explain: plan is NULL");
  weft_plan *opt = NULL;
  WEFT_RETURN_NOT_OK(weft__plan_optimize(plan, &opt));
  weft__reuse *reuse = NULL;
  weft_status st = weft__reuse_find(opt, exec, &reuse);
  if (st != WEFT_OK) {
    weft_plan_free(opt);
    return weft__error_context(st, "weft_plan_explain");
  }
  weft__text t = {.ok = 1};
  explain_node(&t, opt, exec, 0, NULL, reuse);
  weft__reuse_free(reuse);
  weft_plan_free(opt);
  /* what the last collect did, when it asked for the devices this explain is about */
  weft__device_spec spec;
  const char *source;
  weft__exec_spec(exec, &spec, &source);
  if (plan->ran && weft__device_spec_equal(&plan->ran_spec, &spec))
    weft__text_add(&t, "ran (last collect):\n%s", plan->ran);
  else if (plan->ran)
    weft__text_add(&t, "(the last collect ran with device \"%s\"; explain with that device to "
                   "see what ran)\n", plan->ran_devices);
  if (t.ok) weft__text_singulars(t.s);
  if (!t.ok || !t.s) {
    free(t.s);
    return weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_plan_explain: no host memory for the text");
  }
  free(plan->explain_text);
  plan->explain_text = t.s;
  *text = t.s;
  return WEFT_OK;
}
