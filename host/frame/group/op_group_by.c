/* weft_table_group_by: rows grouped by their key tuple (group_rows.c: a group id per row in
 * first-appearance order, on the exec's device or in parallel on the CPU pool), then each aggregation's input
 * evaluated to a full column and reduced per group (agg.c; a float sum and a mean of the same
 * bare column share one pass); the key columns are the keys' first rows. */
#include <stdlib.h>
#include <string.h>

#include "core/progress.h"
#include "core/error.h"
#include "core/alloc.h"
#include "core/exec.h"
#include "frame/group/agg.h"
#include "frame/group/agg_device.h"
#include "frame/expr/expr.h"
#include "frame/expr/expr_agg.h"
#include "frame/table/gather.h"
#include "frame/group/group_rows.h"

/* The input column of an aggregation: a bare column is taken as is (no copy); anything
 * else is computed by weft_table_select, so every expression the select supports works
 * here. Its name is the select's output name. */
static weft_status eval_input(const weft_expr *e, const weft_table *t, size_t i, weft__column *out,
                              char **name) {
  if (e->kind == WEFT__E_COLUMN && e->s) {
    size_t idx;
    weft_status st = weft__table_find(t, e->s, &idx);
    if (st != WEFT_OK)
      return weft__error_context(st, "weft_table_group_by: input of aggregation %zu", i);
    *name = weft__strdup(e->s);
    if (!*name) return weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_table_group_by: no host memory");
    *out = t->cols[idx];
    weft__column_retain(out);
    return WEFT_OK;
  }
  if (weft__expr_has_agg(e)) /* a select would give it one row, not one value a row */
    return weft__error(WEFT_ERR_INVALID_ARGUMENT, "weft_table_group_by: the input %s of aggregation "
                       "%zu holds an aggregation; aggregations of aggregations are not supported "
                       "(weft_table_agg takes expressions of aggregations)", e->text, i);
  weft_table *sel = NULL;
  weft_status st = weft_table_select(NULL, t, 1, &e, &sel);
  if (st != WEFT_OK)
    return weft__error_context(st, "weft_table_group_by: input of aggregation %zu", i);
  *out = sel->cols[0];
  weft__column_retain(out);
  *name = weft__strdup(sel->names[0]);
  weft_table_free(sel);
  if (!*name) {
    weft__column_release(out);
    return weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_table_group_by: no host memory");
  }
  return WEFT_OK;
}

static weft_status check_names(weft_table *t) {
  for (size_t i = 0; i < t->ncols; i++)
    for (size_t j = 0; j < i; j++)
      if (!strcmp(t->names[i], t->names[j]))
        return weft__error(WEFT_ERR_INVALID_ARGUMENT, "weft_table_group_by: output column \"%s\" "
                           "appears twice; give the aggregation another name (alias)",
                           t->names[i]);
  return WEFT_OK;
}

/* Where the aggregations run: on the device that grouped the rows when it can (agg_device.c),
 * else on the CPU, with the reason in the report (strict mode: an error). */
typedef struct placement {
  weft_exec *exec;
  weft__agg_device dev;
  int tried, on_device, on_cpu;
} placement;

/* WEFT_OK with *done = 1 when the device computed `col`. */
static weft_status try_device(placement *p, const weft_agg *agg, const weft__column *in,
                              const weft__groups *g, int64_t rows, const char *name,
                              weft__column *col, int *done) {
  *done = 0;
  if (!g->device) return WEFT_OK;
  int strict = p->exec && p->exec->strict;
  if (!p->tried) {
    p->tried = 1;
    weft_status st = weft__agg_device_prepare(&p->dev, g, rows);
    if (st != WEFT_OK) {
      weft__agg_device_release(&p->dev);
      if (strict) return weft__error_context(st, "weft_table_group_by on %s (strict mode)", g->device->id);
      if (p->exec) weft__report(p->exec, "  aggregations fell back to cpu: %s", weft_last_error());
      weft__error_clear();
    }
  }
  if (!p->dev.ready) return WEFT_OK;
  char why[300];
  weft_status st = weft__aggregate_device(&p->dev, agg->kind, in, g, rows, name, col, why, sizeof why);
  if (st == WEFT_OK) {
    *done = 1;
    return WEFT_OK;
  }
  if (st == WEFT_ERR_UNSUPPORTED && why[0]) {
    if (strict)
      return weft__error(WEFT_ERR_UNSUPPORTED, "weft_table_group_by: %s cannot run on %s: %s "
                         "(strict mode)", name, g->device->id, why);
    if (p->exec) weft__report(p->exec, "  %s: fell back to cpu: %s", name, why);
    return WEFT_OK;
  }
  if (st == WEFT_ERR_INVALID_ARGUMENT || strict) return st;
  if (p->exec) weft__report(p->exec, "  %s: fell back to cpu: %s", name, weft_last_error());
  weft__error_clear();
  return WEFT_OK;
}

static weft_status aggregate_one(const weft_table *table, const weft_agg *agg, size_t i,
                                 const weft__groups *g, weft__agg_memo *memo, weft_table *res,
                                 size_t slot, placement *place) {
  weft__column in;
  memset(&in, 0, sizeof in);
  char *in_name = NULL;
  if (agg->input) {
    WEFT_RETURN_NOT_OK(eval_input(agg->input, table, i, &in, &in_name));
  } else if (agg->kind != WEFT_AGG_LEN) {
    return weft__error(WEFT_ERR_INVALID_ARGUMENT, "weft_table_group_by: aggregation %zu (kind %d) "
                       "has no input; only WEFT_AGG_LEN may omit it", i, (int)agg->kind);
  }
  const char *name = agg->name ? agg->name : in_name ? in_name : "len";
  weft__column col;
  int done = 0;
  weft_status st = try_device(place, agg, agg->input ? &in : NULL, g, table->rows, name, &col, &done);
  if (st == WEFT_OK && !done)
    st = weft__aggregate(agg->kind, &in, g, table->rows, name,
                         /* a bare column outlives the group_by; a computed one may be freed and
                            its address reused */
                         agg->input && agg->input->kind == WEFT__E_COLUMN ? memo : NULL, &col);
  if (st == WEFT_OK) {
    if (done) place->on_device++;
    else place->on_cpu++;
  }
  if (st == WEFT_OK) st = weft__table_set_column(res, slot, name, col);
  weft__column_release(&in);
  free(in_name);
  return st;
}

static weft_status weft_table_group_by_run(weft_exec *exec, const weft_table *table, size_t nkeys,
                                           const char *const *keys, size_t naggs, const weft_agg *aggs,
                                           weft_table **out);

/* Progress: the rows numbered by their group (a scheduled op) count; cancelled: checked after. */
weft_status weft_table_group_by(weft_exec *exec, const weft_table *table, size_t nkeys,
                                const char *const *keys, size_t naggs, const weft_agg *aggs,
                                weft_table **out) {
  weft__progress *progress = weft__progress_begin("group_by", 0);
  weft_status st = weft_table_group_by_run(exec, table, nkeys, keys, naggs, aggs, out);
  if (st == WEFT_OK && weft__progress_check("weft_table_group_by") != WEFT_OK) {
    weft_table_free(*out);
    *out = NULL;
    st = WEFT_ERR_CANCELLED;
  }
  return weft__progress_end(progress, st);
}

static weft_status weft_table_group_by_run(weft_exec *exec, const weft_table *table, size_t nkeys,
                                           const char *const *keys, size_t naggs, const weft_agg *aggs,
                                           weft_table **out) {
  WEFT_CHECK_ARG(out, "weft_table_group_by: out is NULL");
  *out = NULL;
  WEFT_CHECK_ARG(table, "weft_table_group_by: table is NULL");
  WEFT_CHECK_ARG(nkeys == 0 || keys, "weft_table_group_by: keys is NULL with nkeys = %zu", nkeys);
  WEFT_CHECK_ARG(naggs == 0 || aggs, "weft_table_group_by: aggs is NULL with naggs = %zu", naggs);
  const weft__column **kcols = weft__calloc(nkeys ? nkeys : 1, sizeof *kcols);
  size_t *kidx = weft__calloc(nkeys ? nkeys : 1, sizeof *kidx);
  weft_status st = kcols && kidx ? WEFT_OK
                 : weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_table_group_by: no host memory");
  for (size_t k = 0; st == WEFT_OK && k < nkeys; k++) {
    if (!keys[k]) st = weft__error(WEFT_ERR_INVALID_ARGUMENT, "weft_table_group_by: keys[%zu] is NULL", k);
    else st = weft__table_find(table, keys[k], &kidx[k]);
    if (st == WEFT_OK) st = weft__check_key_type("weft_table_group_by", keys[k], &table->cols[kidx[k]]);
    if (st == WEFT_OK) kcols[k] = &table->cols[kidx[k]];
  }
  weft__groups g = {0};
  if (st == WEFT_OK)
    st = weft__group_rows(exec, "weft_table_group_by", kcols, nkeys, table->rows, 1, &g);
  weft_table *res = NULL;
  if (st == WEFT_OK) st = weft__table_new(nkeys + naggs, g.ngroups, &res);
  for (size_t k = 0; st == WEFT_OK && k < nkeys; k++) {
    weft__column col;
    st = weft__column_gather(kcols[k], g.first, g.ngroups, &col);
    if (st == WEFT_OK) st = weft__table_set_column(res, k, keys[k], col);
  }
  weft__agg_memo memo = {0};
  placement place = {.exec = exec};
  for (size_t a = 0; st == WEFT_OK && a < naggs; a++)
    st = aggregate_one(table, &aggs[a], a, &g, &memo, res, nkeys + a, &place);
  weft__agg_device_release(&place.dev);
  weft__agg_memo_free(&memo);
  if (st == WEFT_OK) st = check_names(res);
  if (st == WEFT_OK && exec && place.on_device)
    weft__report(exec, "  %lld groups, %d aggregations on %s, %d on cpu:0", (long long)g.ngroups,
                 place.on_device, g.device->id, place.on_cpu);
  else if (st == WEFT_OK && exec)
    weft__report(exec, "  %lld groups, %zu aggregations on cpu:0", (long long)g.ngroups, naggs);
  weft__groups_free(&g);
  free(kcols), free(kidx);
  if (st != WEFT_OK) {
    weft_table_free(res);
    return st;
  }
  *out = res;
  return WEFT_OK;
}
