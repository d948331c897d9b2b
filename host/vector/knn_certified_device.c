/* The certified pass on a device (knn_certified.h; kernels/knn_certified.kern; docs/knn_bound.md
 * section 10). Two sweeps over the base's shards:
 *   1. weft_knn_cert_bound writes -U of each (query, row) and the topk merge keeps the k
 *      smallest U a query: T, the k-th of them, is read back (no k rows: +inf);
 *   2. weft_knn_cert_rerank keeps the rows with L <= T and writes their fp32 inner products,
 *      the fp32 scan's arithmetic, and the merge folds them with the fp32 keys.
 * The rows with the k smallest U have fp32 keys <= T, so every row of the fp32 top-k has
 * L <= key <= T and is ranked again: the lists are the device fp32 scan's, bit for bit. */
#include "vector/knn_certified.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/backend_impl.h"
#include "core/error.h"
#include "core/scheduler.h"
#include "vector/cpu_dot_bf16.h"
#include "vector/cpu_dot_int8.h"
#include "vector/index_flat.h"
#include "vector/knn_bf16_base.h"
#include "vector/knn_int8_base.h"
#include "vector/knn_keys.h"
#include "vector/knn_slots.h"

#define PANEL_ROWS 16

typedef struct device_run {
  const weft__knn_certified_device_job *job;
  weft__stage *st;
  const weft__backend *be;
  int dev;
  size_t words;
  const uint32_t *panels;
  const float *norm_up, *resid_up, *row_scale;
} device_run;

static weft_status launch(const device_run *r, weft__kernel kernel, const void *args) {
  weft__launch l = {kernel, args};
  return r->be->launch(r->dev, &l);
}

/* A shard's operands of the pass on the device (panels, bound norms, scales, |x|^2). */
static weft_status stage_shard(const device_run *r, size_t s0, size_t ns,
                               weft__knn_cert_args *a) {
  const weft_index *ix = r->job->cpu.ix;
  const size_t panel_words = r->words * PANEL_ROWS;
  WEFT_RETURN_NOT_OK(weft__stage_input(
      r->st, WEFT__KNN_SLOT_PANELS, r->panels + s0 / PANEL_ROWS * panel_words,
      (ns + PANEL_ROWS - 1) / PANEL_ROWS * panel_words * sizeof(uint32_t), &a->panels));
  WEFT_RETURN_NOT_OK(weft__stage_input(r->st, WEFT__KNN_SLOT_NORM_UP, r->norm_up + s0,
                                       ns * sizeof(float), &a->norm_up));
  WEFT_RETURN_NOT_OK(weft__stage_input(r->st, WEFT__KNN_SLOT_RESID_UP, r->resid_up + s0,
                                       ns * sizeof(float), &a->resid_up));
  a->row_scale = NULL;
  if (r->row_scale)
    WEFT_RETURN_NOT_OK(weft__stage_input(r->st, WEFT__KNN_SLOT_ROW_SCALE, r->row_scale + s0,
                                         ns * sizeof(float), &a->row_scale));
  a->norms = NULL;
  if (a->l2)
    WEFT_RETURN_NOT_OK(weft__stage_input(r->st, WEFT__KNN_SLOT_NORMS, ix->norms + s0,
                                         ns * sizeof(float), &a->norms));
  a->nb = ns;
  a->position0 = s0;
  return WEFT_OK;
}

static weft_status sweep(const device_run *r, weft__knn_cert_args *a, int rerank, void **in,
                         void **out, const void *queries, const void *query_norms) {
  const weft__knn_certified_device_job *job = r->job;
  const weft_index *ix = job->cpu.ix;
  for (size_t s0 = 0; s0 < ix->count; s0 += job->shard_rows) {
    size_t ns = ix->count - s0 < job->shard_rows ? ix->count - s0 : job->shard_rows;
    WEFT_RETURN_NOT_OK(stage_shard(r, s0, ns, a));
    if (rerank)
      WEFT_RETURN_NOT_OK(weft__stage_input(r->st, WEFT__KNN_SLOT_BASE, ix->vectors + s0 * ix->dim,
                                           ns * ix->dim * sizeof(float), &a->base));
    WEFT_RETURN_NOT_OK(launch(r, rerank ? WEFT__K_KNN_CERT_RERANK : WEFT__K_KNN_CERT_BOUND, a));
    /* the first sweep keys -U under ip (its key is U); the second the fp32 scan's keys */
    weft__knn_tile t = {a->nq, ns, ix->dim, job->cpu.k,
                        rerank && a->l2 ? WEFT__KNN_L2 : WEFT__KNN_IP,
                        queries, a->base, a->norms ? a->norms : a->norm_up, a->allowed, s0,
                        a->out, *in, *out, rerank ? query_norms : NULL};
    WEFT_RETURN_NOT_OK(launch(r, WEFT__K_KNN_MERGE, &t));
    void *swap = *in;
    *in = *out;
    *out = swap;
  }
  return WEFT_OK;
}

static weft_status run(device_run *r, uint32_t *qwords, float *coef, uint64_t *ulists,
                       float *bar, uint32_t *count) {
  const weft__knn_certified_device_job *job = r->job;
  const weft__knn_certified_job *cj = &job->cpu;
  const size_t rows = cj->rows, k = cj->k, dim = cj->ix->dim;
  weft__knn_coef *c3 = (weft__knn_coef *)ulists; /* room enough: 12 bytes a query < 8 k */
  float *qscale = bar, *qshift = (float *)count;
  WEFT_RETURN_NOT_OK(weft__knn_certified_queries(cj, r->words, qwords, qscale, qshift, c3));
  for (size_t i = 0; i < rows; i++) {
    float *c = coef + 5 * i;
    c[0] = c3[i].alpha, c[1] = c3[i].beta, c[2] = c3[i].tau, c[3] = qscale[i], c[4] = qshift[i];
  }
  weft__knn_cert_args a = {.nq = rows, .dim = dim, .words = r->words,
                           .int8 = cj->pass == WEFT__KNN_PASS_INT8,
                           .l2 = cj->query_norms != NULL};
  const void *queries = NULL, *query_norms = NULL, *list_init;
  weft__stage *st = r->st;
  WEFT_RETURN_NOT_OK(weft__stage_input(st, WEFT__KNN_SLOT_QWORDS, qwords,
                                       rows * r->words * sizeof *qwords, &a.qwords));
  WEFT_RETURN_NOT_OK(weft__stage_input(st, WEFT__KNN_SLOT_COEF, coef, rows * 5 * sizeof *coef,
                                       &a.coef));
  WEFT_RETURN_NOT_OK(weft__stage_input(st, WEFT__KNN_SLOT_QUERIES, cj->queries,
                                       rows * dim * sizeof(float), &queries));
  a.queries = queries;
  if (cj->query_norms)
    WEFT_RETURN_NOT_OK(weft__stage_input(st, WEFT__KNN_SLOT_QUERY_NORMS, cj->query_norms,
                                         rows * sizeof(float), &query_norms));
  a.query_norms = query_norms;
  if (cj->allowed)
    WEFT_RETURN_NOT_OK(weft__stage_input(st, WEFT__KNN_SLOT_ALLOWED, cj->allowed,
                                         (cj->ix->count + 7) / 8, &a.allowed));
  a.out = st->slot[WEFT__KNN_SLOT_SCRATCH];
  /* sweep 1: T */
  WEFT_RETURN_NOT_OK(weft__stage_input(st, WEFT__KNN_SLOT_LIST_A, cj->lists,
                                       rows * k * sizeof(uint64_t), &list_init));
  void *in = st->slot[WEFT__KNN_SLOT_LIST_A], *out = st->slot[WEFT__KNN_SLOT_LIST_B];
  WEFT_RETURN_NOT_OK(sweep(r, &a, 0, &in, &out, queries, query_norms));
  WEFT_RETURN_NOT_OK(r->be->buffer_read(r->dev, in, 0, ulists, rows * k * sizeof *ulists, 1));
  for (size_t i = 0; i < rows; i++) {
    uint64_t worst = 0;
    for (size_t j = 0; j < k; j++)
      if (ulists[i * k + j] > worst) worst = ulists[i * k + j];
    bar[i] = worst == WEFT_KNN_EMPTY ? INFINITY : weft__from_orderable((uint32_t)(worst >> 32));
  }
  memset(count, 0, rows * sizeof *count);
  WEFT_RETURN_NOT_OK(weft__stage_input(st, WEFT__KNN_SLOT_BAR, bar, rows * sizeof *bar, &a.bar));
  const void *count_dev;
  WEFT_RETURN_NOT_OK(weft__stage_input(st, WEFT__KNN_SLOT_COUNT, count, rows * sizeof *count,
                                       &count_dev));
  a.count = st->slot[WEFT__KNN_SLOT_COUNT]; /* count_dev, writable */
  /* sweep 2: the survivors in fp32, into lists all empty again */
  WEFT_RETURN_NOT_OK(weft__stage_input(st, WEFT__KNN_SLOT_LIST_A, cj->lists,
                                       rows * k * sizeof(uint64_t), &list_init));
  in = st->slot[WEFT__KNN_SLOT_LIST_A], out = st->slot[WEFT__KNN_SLOT_LIST_B];
  WEFT_RETURN_NOT_OK(sweep(r, &a, 1, &in, &out, queries, query_norms));
  WEFT_RETURN_NOT_OK(r->be->knn_sort(r->dev, rows, k, in));
  WEFT_RETURN_NOT_OK(r->be->buffer_read(r->dev, a.count, 0, count, rows * sizeof *count, 0));
  return r->be->buffer_read(r->dev, in, 0, cj->lists, rows * k * sizeof(uint64_t), 1);
}

weft_status weft__knn_certified_device(weft__knn_certified_device_job *job, weft__stage *st) {
  weft__knn_certified_job *cj = &job->cpu;
  const weft_index *ix = cj->ix;
  const int int8 = cj->pass == WEFT__KNN_PASS_INT8;
  device_run r = {job, st, st->dev->backend, st->dev->backend_device,
                  int8 ? weft__int8_groups(ix->dim) : weft__bf16_pairs(ix->dim), NULL, NULL,
                  NULL, NULL};
  cj->survivors = cj->fallbacks = 0;
  if (!r.be->launch)
    return weft__error(WEFT_ERR_UNSUPPORTED, "search on %s: no certified pass kernels",
                       st->dev->id);
  if (ix->count > job->shard_rows && job->shard_rows % PANEL_ROWS)
    return weft__error(WEFT_ERR_UNSUPPORTED, "search on %s: shards of %zu rows do not start on "
                       "the copy's panels of %d", st->dev->id, job->shard_rows, PANEL_ROWS);
  if (int8)
    r.panels = ix->int8->panels, r.norm_up = ix->int8->norm_up, r.resid_up = ix->int8->resid_up,
    r.row_scale = ix->int8->scale;
  else
    r.panels = ix->bf16->panels, r.norm_up = ix->bf16->norm_up, r.resid_up = ix->bf16->resid_up;
  const size_t rows = cj->rows, k = cj->k;
  uint32_t *qwords = weft__malloc(rows * r.words * sizeof *qwords);
  float *coef = weft__malloc(rows * 5 * sizeof *coef), *bar = weft__malloc(rows * sizeof *bar);
  uint64_t *ulists = weft__malloc(rows * (k < 2 ? 2 : k) * sizeof *ulists);
  uint32_t *count = weft__malloc(rows * sizeof *count);
  weft_status s = WEFT_OK;
  if (!qwords || !coef || !bar || !ulists || !count)
    s = weft__error(WEFT_ERR_OUT_OF_MEMORY, "search: no host memory for the device's %s pass of "
                    "%zu queries", int8 ? "int8" : "bf16", rows);
  if (s == WEFT_OK) s = run(&r, qwords, coef, ulists, bar, count);
  if (s == WEFT_OK)
    for (size_t i = 0; i < rows; i++) cj->survivors += count[i];
  else if (qwords && coef && bar && ulists && count)
    r.be->synchronize(r.dev); /* copies from these may still be queued */
  free(qwords), free(coef), free(bar), free(ulists), free(count);
  return s;
}
