/* Lazy plans inside weft: a tree of immutable, reference-counted nodes (plan_node.c), an
 * optimizer that rewrites a tree into a new one (plan_pushdown.c: filters move down;
 * plan_project.c: scans keep only the columns used above them), the device decision of each
 * operator (plan_device.c), its text (plan_explain.c) and its run with the eager table
 * operations (plan_collect.c).
 *
 * Every node keeps `proto`: a table of 0 rows with the node's output schema, made by running
 * the eager operation on the children's protos when the node is built. So a plan is checked
 * at build time with the eager operations' own messages, and the optimizer reads schemas
 * without running anything. */
#ifndef WEFT_HOST_PLAN_PLAN_H
#define WEFT_HOST_PLAN_PLAN_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "core/device_spec.h"
#include "core/error.h"
#include "weft.h"

typedef enum weft__plan_kind {
  WEFT__P_SCAN, WEFT__P_FILTER, WEFT__P_SELECT, WEFT__P_WITH_COLUMNS, WEFT__P_GROUP_BY,
  WEFT__P_SORT, WEFT__P_JOIN, WEFT__P_SLICE, WEFT__P_UNIQUE,
  WEFT__P_TOP_K, /* also made by the optimizer from a slice over a sort (plan_topk.c) */
  WEFT__P_ROW_INDEX, /* its name in keys[0] (n = 1), its first number in `offset` */
  WEFT__P_NEAREST    /* plan_nearest.c: the vector column in keys[0] (n = 1), k in `length`,
                        its pre-filter (or NULL) in exprs[0] */
} weft__plan_kind;

/* A scan's rows read at collect time by the caller's callback (weft_plan_scan_source),
 * shared by the scan and its projected copies. */
typedef struct weft__scan_source {
  _Atomic int64_t refs;
  weft_scan_read_fn read;
  weft_scan_release_fn release;
  void *ctx;
  char *name;
} weft__scan_source;

struct weft_plan {
  _Atomic int64_t refs;
  weft__plan_kind kind;
  struct weft_plan *in, *right;  /* children (right: the join's right side) */
  weft_table *table;             /* scan: a view of the source, sharing its buffers */
  size_t source_ncols;           /* scan: columns of the source before projection */
  weft__scan_source *source;     /* scan: read by a callback (then `table` has 0 rows) */
  weft_expr *scan_predicate;     /* scan of a source: the filter above it, for pruning */
  weft_table *proto;             /* 0 rows, the output schema */
  int64_t rows;                  /* output rows: exact for a scan, else an estimate */
  size_t n;                      /* exprs (filter: 1), or keys */
  weft_expr **exprs;             /* filter, select, with_columns (references held) */
  char **keys, **right_keys;     /* group_by, sort, unique, join (left keys in `keys`) */
  int *descending;               /* sort, top_k: one per key */
  int *nulls_last;               /* sort, top_k: one per key */
  size_t naggs;
  weft_agg *aggs;                /* group_by: inputs referenced, names copied */
  weft_join_kind how;
  char *suffix;                  /* join */
  int64_t offset, length;        /* slice */
  char **keep;                   /* filter: the input columns it outputs (NULL: all), so a
                                  * column only the predicate reads is not copied */
  size_t nkeep;
  float *queries;                /* nearest: nq x dim floats (copied) */
  size_t nq, dim;
  int metric, batch;             /* nearest: a weft_metric; 1 for a batch of queries */
  int reordered;                 /* join: placed by plan_join_order.c (explain says so) */
  double estimate;               /* join placed by plan_join_order.c: its estimated rows */
  weft_vector_index *vindex;     /* nearest: the index it searches where it applies, or NULL */
  int no_post_filter;            /* nearest: strict, no filter of its rows above it */
  char *explain_text;            /* the last weft_plan_explain of this handle */
  char *ran;                     /* the report of the last weft_plan_collect of this handle */
  weft__device_spec ran_spec;    /* the spec in effect at that collect (compared by explain) */
  char ran_devices[256];         /* the same as the user wrote it, for the message */
};

typedef struct weft_plan weft_plan;

weft_plan *weft__plan_ref(const weft_plan *plan);
/* A scan of `table` restricted to `ncols` of its columns (by index, in order): no copy. */
weft_status weft__plan_scan_columns(const weft_plan *scan, size_t ncols, const size_t *cols,
                                    weft_plan **out);
/* The node `p` again over new children (`in`, `right`; the same kind and arguments). */
weft_status weft__plan_rebuild(const weft_plan *p, const weft_plan *in, const weft_plan *right,
                               weft_plan **out);
/* The node `p` over new children with other expressions (filter, select, with_columns). */
weft_status weft__plan_rebuild_exprs(const weft_plan *p, const weft_plan *in, size_t n,
                                     weft_expr *const *exprs, weft_plan **out);
const char *weft__plan_kind_name(weft__plan_kind kind);
/* A filter of `input` that outputs only the columns `keep` (of the input, in its order). */
weft_status weft__plan_filter_keep(const weft_plan *input, const weft_expr *predicate,
                                   size_t nkeep, const char *const *keep, weft_plan **out);

/* The optimized copy of a plan (plan_optimize.c), and its two passes (plan_pushdown.c,
 * plan_project.c). */
weft_status weft__plan_optimize(const weft_plan *plan, weft_plan **out);
/* implied: also lend each join side the filter an OR above the join implies there (the
 * first pass only: a second would add those filters again). */
weft_status weft__plan_pushdown(const weft_plan *plan, int implied, weft_plan **out);
/* plan_implied_filter.c: the OR over the branches of `e` (an OR of conjunctions) of each
 * branch's conjuncts that read only columns of `side`; *out NULL when a branch has none, or
 * `e` is no OR, or `side` covers all of it. */
struct weft__names;
weft_status weft__plan_implied_filter(const weft_expr *e, const struct weft__names *side,
                                      weft_expr **out);
/* plan_join_order.c: chains of inner joins whose output order nothing above depends on
 * (a sort by unique keys, an aggregate) are joined again in the order of least estimated
 * work, when that is clearly less than the written order's. */
weft_status weft__plan_join_order(const weft_plan *plan, weft_plan **out);
/* plan_estimate.c: estimated output rows of a node (filters' selectivity sampled on
 * in-memory scans, else guessed from the predicate's shape). */
double weft__plan_estimate_rows(const weft_plan *p);
/* plan_semi_reduce.c: a semi or anti join of a small left side with a group_by by its keys
 * (under filters) has the group_by read only the rows of the left side's keys. */
weft_status weft__plan_semi_reduce(const weft_plan *plan, weft_plan **out);
weft_status weft__plan_project(const weft_plan *plan, weft_plan **out);
/* plan_source.c: each filter directly over a scan of a source lends its predicate to the
 * scan (the filter stays: the source may prune, the filter decides); and the scan's run. */
weft_status weft__plan_scan_predicates(const weft_plan *plan, weft_plan **out);
weft_status weft__plan_read_source(weft_exec *exec, const weft_plan *scan, weft_table **out);
void weft__scan_source_free(weft__scan_source *s);
/* plan_topk.c: a slice from a row >= 0 directly over a sort becomes a top-k of
 * offset + length rows, then the slice. */
weft_status weft__plan_top_k(const weft_plan *plan, weft_plan **out);
weft_status weft__plan_top_k_node(const weft_plan *sort, int64_t k, weft_plan **out);

/* A growable string; weft__text_add keeps going on allocation failure (ok becomes 0). */
typedef struct weft__text {
  char *s;
  size_t len, cap;
  int ok;
} weft__text;
void weft__text_add(weft__text *t, const char *fmt, ...) WEFT_PRINTF(2, 3);

/* plan_nearest.c: a nearest node like `p` (its column, queries, k, metric) over `input`
 * with `prefilter` (NULL: none) as its pre-filter; its explain text after the kind. */
weft_status weft__plan_nearest_like(const weft_plan *p, const weft_plan *input,
                                    const weft_expr *prefilter, weft_plan **out);
void weft__plan_nearest_line(const weft_plan *p, weft__text *t);
/* `line` (taken over) with the pre-filter's count, "(n of N rows)", for explain only: it runs
 * the predicate over an in-memory scan (collect's report counts as it runs instead). */
char *weft__plan_nearest_counted(const weft_plan *p, char *line);
/* An error naming the filter when the optimized `plan` filters a strict nearest's rows after
 * its search (a filter above it that could not become its pre-filter). */
weft_status weft__plan_check_post_filters(const weft_plan *plan);

/* plan_device.c: where an operator of `rows` input rows runs under `exec` (NULL: auto) and
 * why. force_cpu: run it with device "cpu" (a small input under auto). When the choice would
 * fail in strict mode, *fail is the status and `why` its message. */
typedef struct weft__plan_device {
  int force_cpu;
  int on_device; /* a device other than the CPU may run it (asked for, or auto by cost) */
  weft_status fail;
  char why[512];
} weft__plan_device;
void weft__plan_device_choose(const weft_exec *exec, const weft_plan *node,
                              weft__plan_device *out);
/* Rows that flow into the node (both sides for a join). */
int64_t weft__plan_input_rows(const weft_plan *node);


/* plan_fuse.c: how `p` runs with the node under it, in one pass on the CPU (so only when
 * `exec`, NULL: auto, would run them there):
 *   WEFT__FUSE_FILTER: a group_by over a filter, "filter + aggregate (fused)", whose input
 *     is p->in->in;
 *   WEFT__FUSE_JOIN: a group_by over a join, without keys or by left columns of few values,
 *     "join + aggregate (fused)", whose inputs are the join's, p->in->in and p->in->right;
 *   WEFT__FUSE_PASS: a group_by without keys over anything else, "aggregate (one pass)":
 *     the same pass with no predicate, no group id a row; its input is its own. */
enum { WEFT__FUSE_NONE, WEFT__FUSE_FILTER, WEFT__FUSE_JOIN, WEFT__FUSE_PASS };
int weft__plan_fused(const weft_plan *p, const weft_exec *exec);
/* The node whose inputs `p` runs on: the node under it when it is fused with it. Takes the
 * verdict of weft__plan_fused, asked once: asking again could answer otherwise (its device
 * check allocates, and may fail), and running a fused node on the wrong inputs crashes. */
const weft_plan *weft__plan_inputs(const weft_plan *p, int fused);

/* plan_explain.c: one line of text for a node (without indent or device), malloc'd. */
char *weft__plan_line(const weft_plan *node, const weft_exec *exec);


#endif
