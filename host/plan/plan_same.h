/* Equality of plan nodes for shared sub-plans (plan_reuse.c): two nodes are the same when
 * every field is (the kind and arguments; expressions equal by structure, a kind this unit
 * does not know only as the same object; scans over the very same buffers and rows, or the
 * same source object; the same schema). Children are not compared: the caller compares
 * their classes. Conservative: when unsure, different. */
#ifndef WEFT_HOST_PLAN_PLAN_SAME_H
#define WEFT_HOST_PLAN_PLAN_SAME_H

#include <stdint.h>

#include "plan/plan.h"

int weft__plan_same_node(const weft_plan *a, const weft_plan *b);
/* A hash equal for nodes weft__plan_same_node calls the same, mixed with the classes of
 * their children (`in`, `right`: -1 for none). */
uint64_t weft__plan_node_hash(const weft_plan *p, int in, int right);

#endif
