/* Which plan nodes run fused: a filter directly under a group_by (also what an
 * aggregate-only select builds) runs as one pass (frame/fused/masked_agg.c) when each aggregation
 * is one the pass computes exactly as group_by does and the keys are ones it can hold as
 * words, and when the group_by would run on the CPU; otherwise the filter is built and
 * grouped as usual (on a device, if one was chosen). With keys, the pass gives up
 * at run time when there are many groups (collect then runs the two operators).
 * A group_by directly over a join, without keys or by left columns the pass can hold,
 * runs the same pass over the join's rows without building them (frame/join/join_agg.c); it
 * gives up at run time when an inner or left join's right keys repeat, or on many groups. Any other group_by without keys runs the
 * pass with no predicate (no group id a row, sums in lanes). Collect and explain both ask
 * here, so explain shows what runs. */
#include "core/error.h"
#include "frame/fused/masked_agg.h"
#include "frame/table/table.h"
#include "plan/plan.h"
#include "plan/plan_agg.h"

static int on_cpu(const weft_plan *p, const weft_exec *exec) {
  weft__plan_device dev;
  weft__plan_device_choose(exec, p, &dev);
  return !dev.on_device;
}

static int aggs_supported(const weft_plan *p) {
  for (size_t a = 0; a < p->naggs; a++)
    if (!weft__masked_agg_supports(&p->aggs[a], p->in->proto)) return 0;
  return 1;
}

/* The join's output can be read by the fused pass: its right columns are ones it gathers
 * (fixed width up to 8 bytes, or bool), and its keys are ones it compares as words (not
 * decimal128, which the eager join splits in two). */
static int join_fusable(const weft_plan *j) {
  /* the pass knows the layout of these kinds with their keys merged (the default) */
  if (j->how != WEFT_JOIN_INNER && j->how != WEFT_JOIN_LEFT && j->how != WEFT_JOIN_SEMI &&
      j->how != WEFT_JOIN_ANTI)
    return 0;
  for (size_t c = j->in->proto->ncols; c < j->proto->ncols; c++) {
    weft_type t = j->proto->cols[c].view.type;
    if (t == WEFT_TYPE_UTF8 || t == WEFT_TYPE_CATEGORICAL || weft__type_is_decimal(t) ||
        weft__type_is_vector(t))
      return 0;
  }
  for (size_t k = 0; k < j->n; k++) {
    size_t idx;
    if (weft__table_find(j->in->proto, j->keys[k], &idx) != WEFT_OK) {
      weft__error_clear();
      return 0;
    }
    weft_type kt = j->in->proto->cols[idx].view.type;
    if (weft__type_is_decimal(kt) || kt == WEFT_TYPE_CATEGORICAL) return 0; /* codes: the eager join's */
  }
  return 1;
}

/* The group_by's keys (if any) are ones the pass holds as words and columns of the join's
 * left side, which the pass reads in place (right columns are gathered a chunk at a time,
 * and the groups' keys are read again from their first rows at the end). */
static int keys_from_left(const weft_plan *p) {
  if (!weft__masked_agg_keys_ok(p->in->proto, p->n, (const char *const *)p->keys)) return 0;
  for (size_t k = 0; k < p->n; k++) {
    size_t idx;
    if (weft__table_find(p->in->proto, p->keys[k], &idx) != WEFT_OK) {
      weft__error_clear();
      return 0;
    }
    if (idx >= p->in->in->proto->ncols) return 0;
  }
  return 1;
}

int weft__plan_fused(const weft_plan *p, const weft_exec *exec) {
  if (p->kind != WEFT__P_GROUP_BY || !p->in) return WEFT__FUSE_NONE;
  if (p->in->kind == WEFT__P_FILTER && !weft__plan_has_aggs(p->in)) {
    if (!weft__masked_agg_keys_ok(p->in->proto, p->n, (const char *const *)p->keys)) return 0;
    /* the pass runs on the CPU pool: a group_by that a device would run stays unfused */
    return aggs_supported(p) && on_cpu(p, exec) ? WEFT__FUSE_FILTER : WEFT__FUSE_NONE;
  }
  if (p->in->kind == WEFT__P_JOIN && keys_from_left(p) && join_fusable(p->in) &&
      aggs_supported(p) && on_cpu(p, exec) && on_cpu(p->in, exec))
    return WEFT__FUSE_JOIN;
  if (p->n == 0 && aggs_supported(p) && on_cpu(p, exec)) return WEFT__FUSE_PASS;
  return WEFT__FUSE_NONE;
}

const weft_plan *weft__plan_inputs(const weft_plan *p, int fused) {
  return fused == WEFT__FUSE_FILTER || fused == WEFT__FUSE_JOIN ? p->in : p;
}
