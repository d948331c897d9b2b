/* Blocks of queries claimed from a counter by the pool's workers; each block is one
 * weft__cpu_knn_tile call, whose result for a query does not depend on the block. */
#include "vector/cpu_topk.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/cpu_backend_impl.h"
#include "core/error.h"
#include "core/thread_pool.h"

/* Queries a block: at least TOPK_BLOCK, and up to TOPK_BLOCK_MAX while each worker still
 * gets four blocks, so that a large batch (a k-means assignment) packs each base block once
 * for many queries. */
#define TOPK_BLOCK 256
#define TOPK_BLOCK_MAX 4096

static int cmp_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return (x > y) - (x < y);
}

/* Rows whose distance is NaN (finite centroids far enough apart overflow |c|^2 - 2q.c to
 * inf - inf) never enter a k-NN list, which left empty slots. The callers index lists by
 * these keys (an IVF probe, a k-means assignment) and a scan over every list must still
 * see every row, so the missing rows come last, in row order, with the largest distance
 * key short of empty. The keys before them are sorted, so their rows are found by a walk. */
static void fill_unranked(uint64_t *keys, size_t k, size_t nb) {
  size_t want = k < nb ? k : nb, have = 0;
  while (have < want && keys[have] != WEFT_KNN_EMPTY) have++;
  if (have == want) return;
  uint32_t *taken = weft__malloc((have ? have : 1) * sizeof *taken);
  if (!taken) return; /* checked by the caller: an empty slot stays an error there */
  for (size_t i = 0; i < have; i++) taken[i] = (uint32_t)keys[i];
  qsort(taken, have, sizeof *taken, cmp_u32);
  size_t t = 0;
  for (uint64_t row = 0; have < want && row < nb; row++) {
    while (t < have && taken[t] < row) t++;
    if (t < have && taken[t] == row) continue;
    keys[have++] = ((uint64_t)UINT32_MAX << 32) | row;
  }
  free(taken);
}

typedef struct topk_job {
  weft__knn_tile t; /* the whole batch; each block takes its rows */
  size_t block;
  _Atomic size_t next;
  atomic_int failed;
} topk_job;

static void topk_worker(void *ctx, int worker, int workers) {
  (void)worker, (void)workers;
  topk_job *j = ctx;
  const size_t dim = j->t.dim, k = j->t.k;
  for (;;) {
    size_t b = atomic_fetch_add(&j->next, 1) * j->block;
    if (b >= j->t.nq) return;
    weft__knn_tile t = j->t;
    t.nq = j->t.nq - b < j->block ? j->t.nq - b : j->block;
    t.queries = (const float *)j->t.queries + b * dim;
    if (t.query_norms) t.query_norms = (const float *)j->t.query_norms + b;
    uint64_t *lists = (uint64_t *)j->t.list_out + b * k;
    memset(lists, 0xFF, t.nq * k * sizeof *lists);
    t.list_in = t.list_out = lists;
    if (weft__cpu_knn_tile(0, &t) != WEFT_OK || weft__cpu_knn_sort(0, t.nq, k, lists) != WEFT_OK) {
      atomic_store(&j->failed, 1);
      continue;
    }
    for (size_t i = 0; i < t.nq; i++) {
      fill_unranked(lists + i * k, k, t.nb);
      if (k && t.nb && lists[i * k + (k < t.nb ? k : t.nb) - 1] == WEFT_KNN_EMPTY)
        atomic_store(&j->failed, 1);
    }
  }
}

weft_status weft__topk_rows(size_t nq, const float *q, const float *qnorms, size_t nb,
                            const float *base, const float *bnorms, size_t dim,
                            weft__knn_metric metric, size_t k, uint64_t *keys) {
  if (nq == 0) return WEFT_OK;
  topk_job j;
  memset(&j, 0, sizeof j);
  j.t = (weft__knn_tile){nq, nb, dim, k, metric, q, base, bnorms, NULL, 0, NULL, keys, keys,
                         metric == WEFT__KNN_L2 ? qnorms : NULL};
  size_t per_worker = nq / (4 * (size_t)(weft__pool_size() > 0 ? weft__pool_size() : 1));
  j.block = per_worker < TOPK_BLOCK ? TOPK_BLOCK : per_worker > TOPK_BLOCK_MAX ? TOPK_BLOCK_MAX
                                                                                : per_worker;
  atomic_init(&j.next, 0);
  atomic_init(&j.failed, 0);
  weft__pool_run(topk_worker, &j);
  if (atomic_load(&j.failed))
    return weft__error(WEFT_ERR_OUT_OF_MEMORY, "nearest centroids: no host memory for a "
                       "distance block of %d queries", TOPK_BLOCK);
  return WEFT_OK;
}
