/* Blocks of queries claimed from a counter by the pool's workers; each block is one
 * weft__cpu_knn_tile call, whose result for a query does not depend on the block. */
#include "vector/cpu_topk.h"

#include <stdatomic.h>
#include <string.h>

#include "core/cpu_backend_impl.h"
#include "core/error.h"
#include "core/thread_pool.h"

#define TOPK_BLOCK 256

typedef struct topk_job {
  weft__knn_tile t; /* the whole batch; each block takes its rows */
  _Atomic size_t next;
  atomic_int failed;
} topk_job;

static void topk_worker(void *ctx, int worker, int workers) {
  (void)worker, (void)workers;
  topk_job *j = ctx;
  const size_t dim = j->t.dim, k = j->t.k;
  for (;;) {
    size_t b = atomic_fetch_add(&j->next, 1) * TOPK_BLOCK;
    if (b >= j->t.nq) return;
    weft__knn_tile t = j->t;
    t.nq = j->t.nq - b < TOPK_BLOCK ? j->t.nq - b : TOPK_BLOCK;
    t.queries = (const float *)j->t.queries + b * dim;
    if (t.query_norms) t.query_norms = (const float *)j->t.query_norms + b;
    uint64_t *lists = (uint64_t *)j->t.list_out + b * k;
    memset(lists, 0xFF, t.nq * k * sizeof *lists);
    t.list_in = t.list_out = lists;
    if (weft__cpu_knn_tile(0, &t) != WEFT_OK || weft__cpu_knn_sort(0, t.nq, k, lists) != WEFT_OK)
      atomic_store(&j->failed, 1);
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
  atomic_init(&j.next, 0);
  atomic_init(&j.failed, 0);
  weft__pool_run(topk_worker, &j);
  if (atomic_load(&j.failed))
    return weft__error(WEFT_ERR_OUT_OF_MEMORY, "nearest centroids: no host memory for a "
                       "distance block of %d queries", TOPK_BLOCK);
  return WEFT_OK;
}
