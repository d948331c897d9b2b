/* IVF re-ranking (faiss IndexRefineFlat): a query's candidates from the codes, their kept
 * float32 rows against the query with the exact scan's products (cpu_dot_rows.c, read where
 * they lie) and norms, so the distances are the exact index's; the k best by (distance, id)
 * through ivf_merge.c's heap, so ties go to the smaller id as there. The queries are shared out to the
 * pool's workers; each writes only its own rows of output. */
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/thread_pool.h"
#include "vector/cpu_dot_rows.h"
#include "vector/index_flat.h"
#include "vector/ivf_merge.h"
#include "vector/ivf_refine.h"
#include "vector/knn_keys.h"

typedef struct refine {
  const weft_ivf *ivf;
  size_t nq, kc, k;
  const float *q, *qn;
  const size_t *found;
  const uint64_t *loc;
  const int64_t *ids;
  float *distances;
  int64_t *labels;
  _Atomic size_t next;
  atomic_int failed;
} refine;

static void one_query(const refine *r, size_t qi, const float **rows, float *ip,
                      weft__ivf_hit *best) {
  const weft_ivf *ivf = r->ivf;
  const size_t dim = ivf->dim, n = r->found[qi], k = r->k;
  const int l2 = ivf->metric == WEFT_METRIC_L2;
  const float *q = r->q + qi * dim;
  const uint64_t *loc = r->loc + qi * r->kc;
  const int64_t *ids = r->ids + qi * r->kc;
  for (size_t e = 0; e < n; e++)
    rows[e] = ivf->lists[loc[e] >> 32].rows + (loc[e] & 0xFFFFFFFFu) * dim;
  weft__dot_ptrs_fp32(q, rows, dim, n, ip);
  size_t have = 0;
  for (size_t e = 0; e < n; e++) {
    float d; /* as the exact kernel's scan: (|x|^2 - 2 q.x) + |q|^2, clamped; ip: -q.x */
    if (l2) {
      d = ivf->lists[loc[e] >> 32].row_norms[loc[e] & 0xFFFFFFFFu] - 2.0f * ip[e];
      d = d + r->qn[qi];
      d = d < 0.0f ? 0.0f : d;
    } else {
      d = -ip[e];
    }
    weft__ivf_hits_offer(best, k, &have, (weft__ivf_hit){weft__orderable(d), ids[e], 0});
  }
  weft__ivf_hits_sort(best, have);
  for (size_t j = 0; j < k; j++) {
    float f = j < have ? weft__from_orderable(best[j].d) : INFINITY;
    r->distances[qi * k + j] = l2 ? f : -f;
    r->labels[qi * k + j] = j < have ? best[j].id : -1;
  }
}

static void refine_worker(void *ctx, int worker, int workers) {
  (void)worker, (void)workers;
  refine *r = ctx;
  const float **rows = weft__malloc(r->kc * sizeof *rows);
  float *ip = weft__malloc(r->kc * sizeof *ip);
  weft__ivf_hit *best = weft__malloc((r->k ? r->k : 1) * sizeof *best);
  if (!rows || !ip || !best) atomic_store(&r->failed, 1);
  for (;;) {
    if (atomic_load(&r->failed)) break;
    size_t qi = atomic_fetch_add(&r->next, 1);
    if (qi >= r->nq) break;
    one_query(r, qi, rows, ip, best);
  }
  free(rows), free(ip), free(best);
}

weft_status weft__ivf_refine(const weft_ivf *ivf, size_t nq, const float *q, const float *qn,
                             size_t kc, const size_t *found, const uint64_t *loc,
                             const int64_t *ids, size_t k, float *distances, int64_t *labels) {
  refine r;
  memset(&r, 0, sizeof r);
  r.ivf = ivf, r.nq = nq, r.kc = kc, r.k = k, r.q = q, r.qn = qn, r.found = found;
  r.loc = loc, r.ids = ids, r.distances = distances, r.labels = labels;
  atomic_init(&r.next, 0);
  atomic_init(&r.failed, 0);
  weft__pool_run(refine_worker, &r);
  if (atomic_load(&r.failed))
    return weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_ivf_search: no host memory to re-rank %zu "
                       "candidates a query", kc);
  return WEFT_OK;
}
