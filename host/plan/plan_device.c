/* Where each operator of a plan runs, and why, decided from the exec's device spec and the
 * operator's family descriptor (frame/families.h), the ones the eager operations use
 * (core/placement.h), so explain can say it before anything runs and collect can refuse a
 * strict plan before doing any work:
 *   - scans and slices are views of host memory: nothing runs;
 *   - under "auto", an input under its family's min_rows_auto stays on the CPU (moving it
 *     costs more than running it); a larger one goes by the eager cost model where the
 *     operation has device kernels, else the CPU; with no GPU driver (gpu_probe.h) it stays
 *     on the CPU without opening the backends;
 *   - a device asked for whose backend is not loaded, or that lacks the operation, falls
 *     back to the CPU, or fails in strict mode.
 * Of the table operations the expression ones (filter, select, with_columns) have device
 * kernels for expressions the bytecode can express (expr_device.h), sort on backends with
 * sort_pairs (frame/sort/sort_device.h), group_by and unique for what group_kernels() says, and
 * join on backends with the join steps (frame/join/join_device.c: every key type; a utf8 key too
 * long for the device's key words is only seen when it runs, and falls back then);
 * a family's backend check lives in its descriptor; has_kernels() adds what depends on a
 * node's arguments. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/exec.h"
#include "frame/families.h"
#include "frame/expr/expr_device.h"
#include "core/gpu_probe.h"
#include "core/runtime.h"
#include "plan/plan.h"

static const char *op_name(weft__plan_kind kind) {
  static const char *names[] = {"scan", "filter", "select", "with_columns", "group_by",
                                "sort", "join",   "slice",  "unique", "top_k", "with_row_index",
                                "nearest"};
  return (unsigned)kind < sizeof names / sizeof *names ? names[kind] : "?";
}

/* 1 when every expression of an expression node compiles to device bytecode (a bare
 * column is shared, not computed); else 0 with the reason in `why`. */
static int exprs_compile(const weft_plan *p, char *why, size_t cap) {
  for (size_t i = 0; i < p->n; i++) {
    const weft_expr *e = p->exprs[i];
    while (e->kind == WEFT__E_ALIAS) e = e->a;
    if (e->kind == WEFT__E_COLUMN && p->kind != WEFT__P_FILTER) continue;
    weft__bound b;
    if (weft__expr_bind(p->exprs[i], p->in->proto, &b) != WEFT_OK) {
      snprintf(why, cap, "%s", weft_last_error());
      weft__error_clear();
      return 0;
    }
    weft__expr_program prog;
    int ok = weft__expr_compile(&b, &prog, why, cap);
    weft__expr_unbind(&b);
    if (!ok) return 0;
  }
  return 1;
}

/* The family whose kernels run an operator of this kind (NULL: it runs on the CPU only, or
 * nothing runs: a scan or a slice). */
static const weft__family *family_of(weft__plan_kind kind) {
  switch (kind) {
    case WEFT__P_FILTER: case WEFT__P_SELECT: case WEFT__P_WITH_COLUMNS: return &weft__family_expr;
    case WEFT__P_SORT: return &weft__family_sort;
    case WEFT__P_GROUP_BY: case WEFT__P_UNIQUE: return &weft__family_group;
    case WEFT__P_JOIN: return &weft__family_join;
    case WEFT__P_NEAREST: return &weft__family_nearest;
    default: return NULL;
  }
}

/* group_by and unique group on a device (frame/group/group_device.c) and group_by aggregates there
 * (frame/group/agg_device.c) except utf8 min/max; a utf8 key longer than 7 bytes is only seen when
 * the rows are (the run falls back then, or fails in strict mode). */
static int group_kernels(const weft_plan *p, const weft__device *dev, char *why, size_t cap) {
  if (p->kind != WEFT__P_GROUP_BY) return 1;
  if (p->naggs && !dev->desc.has_fp64) {
    snprintf(why, cap, "%s has no fp64 support, which device aggregations need", dev->id);
    return 0;
  }
  for (size_t a = 0; a < p->naggs; a++) {
    const weft__column *out = &p->proto->cols[p->n + a];
    weft_agg_kind k = p->aggs[a].kind;
    if ((k == WEFT_AGG_MIN || k == WEFT_AGG_MAX) && out->view.type == WEFT_TYPE_UTF8) {
      snprintf(why, cap, "utf8 %s of \"%s\" (byte comparisons stay on the CPU)",
               k == WEFT_AGG_MIN ? "min" : "max", p->proto->names[p->n + a]);
      return 0;
    }
  }
  return 1;
}

/* 1 when `dev` (not the CPU) can run node `p`; else 0 with the reason in `why`. The family's
 * descriptor says whether the backend has the kernels; what depends on the node's arguments
 * (aggregations, expressions) is checked here. */
static int has_kernels(const weft_plan *p, const weft__device *dev, char *why, size_t cap) {
  const weft__family *family = family_of(p->kind);
  if (!family || !family->has_kernels(dev)) {
    snprintf(why, cap, "%s has no kernel for %s", dev->id, op_name(p->kind));
    return 0;
  }
  if (p->kind == WEFT__P_GROUP_BY || p->kind == WEFT__P_UNIQUE) return group_kernels(p, dev, why, cap);
  if (family != &weft__family_expr) return 1;
  if (!dev->desc.has_fp64) {
    snprintf(why, cap, "%s has no fp64 support, which device expressions need", dev->id);
    return 0;
  }
  return exprs_compile(p, why, cap);
}

int64_t weft__plan_input_rows(const weft_plan *p) {
  if (p->kind == WEFT__P_SCAN) return p->rows;
  if (p->kind == WEFT__P_JOIN) return p->in->rows + p->right->rows;
  return p->in->rows;
}

static void add(char *buf, size_t cap, const char *fmt, const char *a, const char *b, const char *c) {
  size_t len = strlen(buf);
  if (len < cap) snprintf(buf + len, cap - len, fmt, a, b, c);
}

void weft__plan_device_choose(const weft_exec *exec, const weft_plan *p, weft__plan_device *out) {
  memset(out, 0, sizeof *out);
  if (p->kind == WEFT__P_SCAN && p->source) {
    snprintf(out->why, sizeof out->why, "cpu: read by its source");
    return;
  }
  if (p->kind == WEFT__P_SCAN || p->kind == WEFT__P_SLICE) {
    snprintf(out->why, sizeof out->why, "cpu: a view of host memory, no copy");
    return;
  }
  const char *name = op_name(p->kind), *source;
  weft__device_spec spec;
  weft__exec_spec(exec, &spec, &source);
  if (!strcmp(source, "forced by WEFT_DEVICE")) source = "WEFT_DEVICE";
  const weft__family *family = family_of(p->kind);
  long long rows = (long long)weft__plan_input_rows(p);
  if (spec.is_auto) {
    char small[256];
    if (family && weft__family_small_input(exec, family, (size_t)rows, small, sizeof small)) {
      out->force_cpu = 1;
      snprintf(out->why, sizeof out->why, "cpu: %s", small);
      return;
    }
    const char *no_gpu;
    if (!weft__backends_loaded() && !weft__gpu_possible(&no_gpu)) { /* as device_choice.c */
      out->force_cpu = 1;
      snprintf(out->why, sizeof out->why, "cpu: %s (auto; opencl and cuda not opened)", no_gpu);
      return;
    }
    char gpus[128] = "", why[256] = "";
    int any_gpu = 0;
    for (size_t i = 1; i < weft__device_total(); i++) {
      weft__device *dev = weft__device_at(i);
      any_gpu |= dev->desc.is_gpu;
      if (dev->desc.is_gpu && has_kernels(p, dev, why, sizeof why))
        add(gpus, sizeof gpus, "%s%s%s", *gpus ? ", " : "", dev->id, "");
    }
    out->on_device = *gpus != '\0';
    if (*gpus) snprintf(out->why, sizeof out->why, "auto: by cost, cpu or %s (see the report)", gpus);
    else if (any_gpu || !family)
      snprintf(out->why, sizeof out->why, "cpu: only on the CPU (no device kernel for %s)", name);
    else snprintf(out->why, sizeof out->why, "cpu: no GPU device (auto)");
    return;
  }
  char skipped[400] = "";
  int cpu = 0, strict = exec && exec->strict;
  const char *device = NULL; /* a device with kernels for the operation */
  for (int t = 0; t < spec.count; t++) {
    const char *tok = spec.ids[t];
    size_t idx;
    weft_status st = weft__device_parse(tok, &idx);
    char reason[300];
    if (st != WEFT_OK) {
      snprintf(reason, sizeof reason, "%s", weft_last_error());
      weft__error_clear();
      if (strict && !out->fail) {
        out->fail = st;
        snprintf(out->why, sizeof out->why, "%s: %s (strict mode, %s)", name, reason, source);
      }
      add(skipped, sizeof skipped, "%s%s: %s", *skipped ? "; " : "", tok, reason);
      continue;
    }
    weft__device *dev = weft__device_at(idx);
    if (dev->backend->host_memory) {
      cpu = 1;
      continue;
    }
    if (has_kernels(p, dev, reason, sizeof reason)) {
      if (!device) device = dev->id;
      continue;
    }
    if (strict && !out->fail) {
      out->fail = WEFT_ERR_UNSUPPORTED;
      snprintf(out->why, sizeof out->why, "%s cannot run on %s (%s): %s (strict mode)", name,
               dev->id, dev->desc.name, reason);
    }
    add(skipped, sizeof skipped, "%s%s%s", *skipped ? "; " : "", reason, "");
  }
  if (out->fail) return;
  out->on_device = device != NULL;
  if (device) snprintf(out->why, sizeof out->why, "%s: %s", device, source);
  else if (cpu && !*skipped) snprintf(out->why, sizeof out->why, "cpu: %s", source);
  else if (cpu) snprintf(out->why, sizeof out->why, "cpu: %s (%s)", source, skipped);
  else snprintf(out->why, sizeof out->why, "fell back to cpu: %s", skipped);
}
