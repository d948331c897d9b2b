/* IVF re-ranking (faiss IndexRefineFlat): a query's candidates from the codes, ordered by id,
 * their kept float32 rows against the query through the exact index's inner-product kernel
 * (cpu_dot_block.c: a row's product does not depend on where it sits in the block) and its
 * norm, so the distances and the tie order (the smaller id) are the exact index's. The
 * queries are shared out to the pool's workers; each writes only its own rows of output. */
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/thread_pool.h"
#include "vector/cpu_dot_block.h"
#include "vector/index_flat.h"
#include "vector/ivf_refine.h"
#include "vector/knn_keys.h"

#define BLOCK ((size_t)512) /* candidate rows gathered at a time */

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

typedef struct cand { int64_t id; uint64_t loc; } cand;

static int cmp_cand(const void *a, const void *b) {
  int64_t x = ((const cand *)a)->id, y = ((const cand *)b)->id;
  return (x > y) - (x < y);
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return (x > y) - (x < y);
}

static void one_query(const refine *r, size_t qi, cand *c, uint64_t *keys, float *rows,
                      float *pack, float *ip) {
  const weft_ivf *ivf = r->ivf;
  const size_t dim = ivf->dim, n = r->found[qi], k = r->k;
  const int l2 = ivf->metric == WEFT_METRIC_L2;
  const float *q = r->q + qi * dim;
  for (size_t e = 0; e < n; e++) c[e] = (cand){r->ids[qi * r->kc + e], r->loc[qi * r->kc + e]};
  qsort(c, n, sizeof *c, cmp_cand); /* positions in id order: ties go to the smaller id */
  for (size_t b0 = 0; b0 < n; b0 += BLOCK) {
    size_t nb = n - b0 < BLOCK ? n - b0 : BLOCK;
    for (size_t e = 0; e < nb; e++) {
      const weft__ivf_list *l = &ivf->lists[c[b0 + e].loc >> 32];
      memcpy(rows + e * dim, l->rows + (c[b0 + e].loc & 0xFFFFFFFFu) * dim, dim * sizeof *rows);
    }
    weft__dot_block(q, 1, rows, nb, dim, pack, ip, nb);
    for (size_t e = 0; e < nb; e++) {
      float d; /* as the exact kernel's scan: (|x|^2 - 2 q.x) + |q|^2, clamped; ip: -q.x */
      if (l2) {
        d = weft__row_norm(rows + e * dim, dim) - 2.0f * ip[e];
        d = d + r->qn[qi];
        d = d < 0.0f ? 0.0f : d;
      } else {
        d = -ip[e];
      }
      keys[b0 + e] = weft__knn_key(d, b0 + e);
    }
  }
  qsort(keys, n, sizeof *keys, cmp_u64);
  for (size_t j = 0; j < k; j++) {
    float f = j < n ? weft__from_orderable((uint32_t)(keys[j] >> 32)) : INFINITY;
    r->distances[qi * k + j] = l2 ? f : -f;
    r->labels[qi * k + j] = j < n ? c[(uint32_t)keys[j]].id : -1;
  }
}

static void refine_worker(void *ctx, int worker, int workers) {
  (void)worker, (void)workers;
  refine *r = ctx;
  const size_t dim = r->ivf->dim;
  cand *c = weft__malloc(r->kc * sizeof *c);
  uint64_t *keys = weft__malloc(r->kc * sizeof *keys);
  float *rows = weft__malloc(BLOCK * dim * sizeof *rows);
  float *pack = weft__malloc(weft__dot_pack_floats(BLOCK, dim) * sizeof *pack);
  float *ip = weft__malloc(BLOCK * sizeof *ip);
  if (!c || !keys || !rows || !pack || !ip) atomic_store(&r->failed, 1);
  for (;;) {
    if (atomic_load(&r->failed)) break;
    size_t qi = atomic_fetch_add(&r->next, 1);
    if (qi >= r->nq) break;
    one_query(r, qi, c, keys, rows, pack, ip);
  }
  free(c), free(keys), free(rows), free(pack), free(ip);
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
