/* Shared sub-plans (Polars' comm_subplan_elim): a LazyFrame used in two places of a query
 * (TPC-H Q21's late lineitems, filtered once and read by a join and by a group_by) is one
 * node with two parents, or two equal copies once the optimizer has rewritten each parent's
 * inputs. Collect runs each such sub-plan once and hands its (immutable) result table to
 * every use.
 *
 * Sharing is found after the optimizer, on the tree it returns, so no pass ever rewrites a
 * shared node for one parent: two sub-trees are one when they are equal node for node (the
 * same kind and arguments, expressions equal by structure, scans over the very same buffers
 * or the same source object, equal children). The comparison is conservative: anything it
 * does not know (an expression kind added later) is equal only to the same object.
 *
 * A sub-plan is shared when collect would run it more than once: the uses are counted the
 * way collect walks (a node fused into its parent is not run alone; the inputs of a later
 * use of a shared sub-plan are not walked, since that use runs nothing). In-memory scans
 * are never shared: they are views, free to make again. The test-only environment switch
 * WEFT_TEST_NO_PLAN_REUSE=1 turns sharing off, so tests can show a sub-plan running twice. */
#ifndef WEFT_HOST_PLAN_PLAN_REUSE_H
#define WEFT_HOST_PLAN_PLAN_REUSE_H

#include "plan/plan.h"

typedef struct weft__reuse weft__reuse;

/* 0 under WEFT_TEST_NO_PLAN_REUSE (set, not "0"): no sharing, and projection asks each use
 * alone, as before sharing existed. */
int weft__reuse_enabled(void);

/* The shared sub-plans of the optimized `plan` as collect (exec: its device choice, NULL:
 * auto) would run it. *out is NULL when sharing is off. */
weft_status weft__reuse_find(const weft_plan *plan, const weft_exec *exec, weft__reuse **out);
/* Frees the table and any result still held. NULL is a no-op. */
void weft__reuse_free(weft__reuse *r);

/* What to do with node `p` (NULL r: always RUN). id: its shared number, 1.. top-down. */
typedef enum weft__reuse_verdict {
  WEFT__REUSE_RUN,   /* not shared: run it */
  WEFT__REUSE_FIRST, /* shared, first use: run it (and weft__reuse_keep its result) */
  WEFT__REUSE_AGAIN  /* shared, a later use: nothing runs (weft__reuse_take) */
} weft__reuse_verdict;
/* Counts a use of `p`; explain and collect each walk the plan once, each with a table of
 * its own. */
weft__reuse_verdict weft__reuse_visit(weft__reuse *r, const weft_plan *p, int *id, int *uses);

/* Whether `p` is a shared sub-plan (its result is handed to other uses: not to be changed
 * for one of them). */
int weft__reuse_shared(const weft__reuse *r, const weft_plan *p);

/* Collect: keeps the first use's result for the later uses (a new reference to its buffers;
 * the caller keeps `result`). */
weft_status weft__reuse_keep(weft__reuse *r, const weft_plan *p, const weft_table *result);
/* Collect: a later use's table (a view of the kept result), released with its last use; *out
 * NULL when none is kept (a use the count did not foresee): then run the node. */
weft_status weft__reuse_take(weft__reuse *r, const weft_plan *p, weft_table **out);

/* The optimizer's view (plan_project.c keeps the columns every use of a repeated sub-tree
 * needs, so its copies stay equal): the classes of equal sub-trees of `plan`, numbered
 * 0 .. weft__reuse_nclasses - 1, and whether a walk of the whole tree meets each more than
 * once (through any parents). Free with weft__reuse_free. */
weft_status weft__reuse_classes(const weft_plan *plan, weft__reuse **out);
int weft__reuse_nclasses(const weft__reuse *r);
/* The class of `p` (-1: not a node of that plan); *repeated: met more than once. */
int weft__reuse_class_of(const weft__reuse *r, const weft_plan *p, int *repeated);

#endif
