/* Which plan nodes run fused: a filter directly under a group_by (also what an
 * aggregate-only select builds) runs as one pass (frame/masked_agg.c) when each aggregation
 * is one the pass computes exactly as group_by does and the keys are ones it can hold as
 * words; otherwise the filter is built and grouped as usual. With keys, the pass gives up
 * at run time when there are many groups (collect then runs the two operators). Collect
 * and explain both ask here, so explain shows what runs. */
#include "../frame/masked_agg.h"
#include "../frame/table.h"
#include "plan.h"

int weft__plan_fused(const weft_plan *p) {
  if (p->kind != WEFT__P_GROUP_BY || !p->in || p->in->kind != WEFT__P_FILTER) return 0;
  if (!weft__masked_agg_keys_ok(p->in->proto, p->n, (const char *const *)p->keys)) return 0;
  for (size_t a = 0; a < p->naggs; a++)
    if (!weft__masked_agg_supports(&p->aggs[a], p->in->proto)) return 0;
  return 1;
}
