/* weft_ivf_search. A batch is searched in rounds: each round, every query still short of
 * k rows takes its next probe ranks (the first round: its nprobe nearest centroids; later
 * rounds, only where a filter or small lists left it short: twice as many, in centroid
 * order). The (query, list) pairs of a group of queries are grouped by list, so each list
 * is read once for all its queries: one weft__cpu_knn_tile call (the exact index's kernel,
 * a small GEMM and a threshold scan) per list, the lists claimed by the pool's workers.
 * Each pair leaves its own top-k, and each query merges its pairs by (distance, id)
 * (ivf_merge.c): no shared heap, so the result does not depend on the thread count or the
 * claim order. */
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/progress.h"
#include "core/cpu_backend_impl.h"
#include "core/alloc.h"
#include "core/error.h"
#include "core/exec.h"
#include "core/placement.h"
#include "core/thread_pool.h"
#include "vector/cpu_topk.h"
#include "vector/index_flat.h"
#include "vector/ivf_codec_pq.h"
#include "vector/ivf_codec_sq8.h"
#include "vector/ivf_index.h"
#include "vector/ivf_merge.h"
#include "vector/ivf_refine.h"
#include "vector/knn_keys.h"

#define IVF_MAX_K ((size_t)1 << 20)
/* keys of the pairs' top-k lists held at once (32 MiB): bounds a group of queries */
#define PAIR_KEYS ((size_t)1 << 22)
#define SQ8_CHUNK ((size_t)1024) /* sq8 rows decoded at a time for the kernel */
/* pq: the group's queries' tables held at once (64 MiB) */
#define PQ_TABLE_FLOATS ((size_t)1 << 24)

typedef struct search {
  const weft_ivf *ivf;
  size_t k;
  const float *q;  /* nq x dim, as scanned (cosine: normalized) */
  const float *qn; /* L2: |q|^2, else NULL */
  const uint8_t *allowed;
  size_t allowed_bits;
  uint32_t *res_d; /* nq x k orderable distances, best first (refine: in no order) */
  int64_t *res_id; /* nq x k */
  uint64_t *res_loc; /* refine: nq x k (list << 32) | position, else NULL */
  size_t want;       /* the rows a query must find before it stops widening: the caller's k
                        (refine keeps k * refine candidates, but widens as faiss for k) */
  size_t *found;   /* nq */
} search;

/* One group of queries in one round. */
typedef struct group {
  const search *s;
  const uint32_t *query;   /* the group's queries (indices into the batch) */
  size_t nact, lo, hi;     /* probe ranks lo..hi-1 of each */
  const uint64_t *coarse;  /* nact x hi sorted centroid keys */
  size_t *pair_start;      /* nlist + 1 */
  uint32_t *pair_owner;    /* per pair: index into query[] */
  size_t *pair_of;         /* nact x (hi - lo): the pair of (query, rank) */
  uint64_t *partial;       /* npairs x k */
  float *pq_tables;        /* pq: nact x m x ksub, each query's weft__pq_query_table */
  uint32_t *work;          /* lists with pairs */
  size_t nwork;
  _Atomic size_t next;
  atomic_int failed;
} group;

typedef struct scratch {
  weft__pq_scratch pq;
  float *q, *qn, *decoded;
  uint8_t *bits;
  size_t q_cap, qn_cap, bits_bytes;
} scratch;

static int grow(void **p, size_t *have, size_t need, size_t unit) {
  if (need <= *have) return 1;
  void *n = weft__realloc(*p, need * unit);
  if (!n) return 0;
  *p = n;
  *have = need;
  return 1;
}

static int scan_list(group *g, scratch *w, uint32_t li) {
  const search *s = g->s;
  const weft_ivf *ivf = s->ivf;
  const weft__ivf_list *l = &ivf->lists[li];
  const size_t dim = ivf->dim, k = s->k, p0 = g->pair_start[li];
  const size_t m = g->pair_start[li + 1] - p0;
  uint64_t *lists = g->partial + p0 * k;
  memset(lists, 0xFF, m * k * sizeof *lists);
  if (l->count == 0) return 1;
  if (!grow((void **)&w->q, &w->q_cap, m * dim, sizeof(float)) ||
      !grow((void **)&w->qn, &w->qn_cap, m, sizeof(float)))
    return 0;
  for (size_t j = 0; j < m; j++) {
    uint32_t qi = g->query[g->pair_owner[p0 + j]];
    memcpy(w->q + j * dim, s->q + (size_t)qi * dim, dim * sizeof(float));
    if (s->qn) w->qn[j] = s->qn[qi];
  }
  const uint8_t *allowed = NULL;
  if (s->allowed) { /* the id mask, as a bitset over the list's positions */
    size_t bytes = (l->count + 7) / 8;
    if (!grow((void **)&w->bits, &w->bits_bytes, bytes, 1)) return 0;
    memset(w->bits, 0, bytes);
    for (size_t p = 0; p < l->count; p++) {
      uint64_t id = (uint64_t)l->ids[p];
      if (id < s->allowed_bits && ((s->allowed[id >> 3] >> (id & 7)) & 1))
        w->bits[p >> 3] |= (uint8_t)(1u << (p & 7));
    }
    allowed = w->bits;
  }
  if (ivf->codec == WEFT_IVF_PQ) {
    if (!grow((void **)&w->pq.cand, &w->pq.cand_cap, 2 * k, sizeof *w->pq.cand)) return 0;
    weft__pq_scan_list(ivf, li, m, w->q, g->pq_tables, g->pair_owner + p0, allowed, k, &w->pq,
                       lists);
    return 1;
  }
  weft__knn_tile t = {m, l->count, dim, k,
                      ivf->metric == WEFT_METRIC_L2 ? WEFT__KNN_L2 : WEFT__KNN_IP,
                      w->q, l->codes, l->norms, allowed, 0, NULL, lists, lists,
                      s->qn ? w->qn : NULL};
  if (ivf->codec == WEFT_IVF_FLAT) {
    if (weft__cpu_knn_tile(0, &t) != WEFT_OK) return 0;
  } else {
    for (size_t c0 = 0; c0 < l->count; c0 += SQ8_CHUNK) {
      size_t nb = l->count - c0 < SQ8_CHUNK ? l->count - c0 : SQ8_CHUNK;
      weft__sq8_decode(nb, dim, ivf->sq_min, ivf->sq_step, l->codes + c0 * ivf->code_size,
                       w->decoded);
      t.nb = nb;
      t.base = w->decoded;
      t.base_norms = l->norms + c0;
      t.position0 = c0;
      if (weft__cpu_knn_tile(0, &t) != WEFT_OK) return 0;
    }
  }
  return 1;
}

static void scan_worker(void *ctx, int worker, int workers) {
  (void)worker, (void)workers;
  group *g = ctx;
  scratch w;
  memset(&w, 0, sizeof w);
  if (g->s->ivf->codec == WEFT_IVF_SQ8 &&
      !(w.decoded = weft__malloc(SQ8_CHUNK * g->s->ivf->dim * sizeof(float)))) {
    atomic_store(&g->failed, 1);
    return;
  }
  if (g->s->ivf->codec == WEFT_IVF_PQ && weft__pq_scratch_init(g->s->ivf, &w.pq) != WEFT_OK) {
    atomic_store(&g->failed, 1);
    return;
  }
  for (;;) {
    size_t i = atomic_fetch_add(&g->next, 1);
    if (i >= g->nwork) break;
    if (!scan_list(g, &w, g->work[i])) atomic_store(&g->failed, 1);
  }
  free(w.q), free(w.qn), free(w.decoded), free(w.bits);
  weft__pq_scratch_free(&w.pq);
}

/* Each query's result so far merged with its new pairs' lists (ivf_merge.c). */
static void merge_worker(void *ctx, int worker, int workers) {
  (void)worker, (void)workers;
  group *g = ctx;
  const search *s = g->s;
  const size_t k = s->k, r = g->hi - g->lo;
  weft__ivf_hit *heap = weft__malloc((k ? 2 * k : 1) * sizeof *heap);
  weft__ivf_pair_keys *pairs = weft__malloc((r ? r : 1) * sizeof *pairs);
  if (!heap || !pairs) {
    atomic_store(&g->failed, 1);
    free(heap), free(pairs);
    return;
  }
  for (;;) {
    size_t a = atomic_fetch_add(&g->next, 1);
    if (a >= g->nact) break;
    uint32_t qi = g->query[a];
    for (size_t j = 0; j < r; j++) {
      const uint32_t li = (uint32_t)g->coarse[a * g->hi + g->lo + j];
      pairs[j] = (weft__ivf_pair_keys){g->partial + g->pair_of[a * r + j] * k,
                                       &s->ivf->lists[li], li};
    }
    s->found[qi] = weft__ivf_merge(k, s->found[qi], s->res_d + (size_t)qi * k,
                                   s->res_id + (size_t)qi * k,
                                   s->res_loc ? s->res_loc + (size_t)qi * k : NULL, pairs, r, heap);
  }
  free(heap), free(pairs);
}

/* pq: each query's table (weft__pq_query_table), once for all its probes. */
static void query_table_worker(void *ctx, int worker, int workers) {
  (void)worker, (void)workers;
  group *g = ctx;
  const weft_ivf *ivf = g->s->ivf;
  const size_t table = ivf->pq_m * ivf->pq_ksub;
  for (;;) {
    size_t a = atomic_fetch_add(&g->next, 1);
    if (a >= g->nact) break;
    weft__pq_query_table(ivf, g->s->q + (size_t)g->query[a] * ivf->dim,
                         g->pq_tables + a * table);
  }
}

/* Probe ranks lo..hi-1 of the queries query[0..nact). */
static weft_status run_group(const search *s, const uint32_t *query, size_t nact, size_t lo,
                             size_t hi) {
  const weft_ivf *ivf = s->ivf;
  const size_t dim = ivf->dim, r = hi - lo, npairs = nact * r, nlist = ivf->nlist;
  group g;
  memset(&g, 0, sizeof g);
  g.s = s, g.query = query, g.nact = nact, g.lo = lo, g.hi = hi;
  float *gq = weft__malloc(nact * dim * sizeof *gq);
  uint64_t *coarse = weft__malloc(nact * hi * sizeof *coarse);
  g.pair_start = weft__calloc(nlist + 1, sizeof *g.pair_start);
  g.pair_owner = weft__malloc(npairs * sizeof *g.pair_owner);
  g.pair_of = weft__malloc(npairs * sizeof *g.pair_of);
  g.partial = weft__malloc(npairs * s->k * sizeof *g.partial);
  g.work = weft__malloc(nlist * sizeof *g.work);
  size_t *cursor = weft__malloc(nlist * sizeof *cursor);
  if (ivf->codec == WEFT_IVF_PQ)
    g.pq_tables = weft__malloc(nact * ivf->pq_m * ivf->pq_ksub * sizeof *g.pq_tables);
  weft_status st = WEFT_OK;
  if (!gq || !coarse || !g.pair_start || !g.pair_owner || !g.pair_of || !g.partial || !g.work ||
      !cursor || (ivf->codec == WEFT_IVF_PQ && !g.pq_tables))
    st = weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_ivf_search: no host memory for %zu queries "
                     "x %zu lists", nact, r);
  if (st == WEFT_OK) { /* the nearest hi centroids of each (ranks below lo were scanned) */
    for (size_t a = 0; a < nact; a++)
      memcpy(gq + a * dim, s->q + (size_t)query[a] * dim, dim * sizeof *gq);
    st = weft__topk_rows(nact, gq, NULL, nlist, ivf->centroids, ivf->centroid_norms, dim,
                         weft__ivf_coarse_metric(ivf), hi, coarse);
  }
  if (st == WEFT_OK) { /* pairs grouped by list, queries in order within a list */
    g.coarse = coarse;
    for (size_t a = 0; a < nact; a++)
      for (size_t j = lo; j < hi; j++) g.pair_start[(uint32_t)coarse[a * hi + j] + 1]++;
    for (size_t li = 0; li < nlist; li++) {
      if (g.pair_start[li + 1]) g.work[g.nwork++] = (uint32_t)li;
      g.pair_start[li + 1] += g.pair_start[li];
      cursor[li] = g.pair_start[li];
    }
    for (size_t a = 0; a < nact; a++)
      for (size_t j = lo; j < hi; j++) {
        size_t p = cursor[(uint32_t)coarse[a * hi + j]]++;
        g.pair_owner[p] = (uint32_t)a;
        g.pair_of[a * r + (j - lo)] = p;
      }
    /* a mapped index's lists this group reaches first: made ready here, on the caller's
     * thread, so an error's message is the caller's */
    for (size_t w = 0; st == WEFT_OK && w < g.nwork; w++)
      st = weft__ivf_prepare_list((weft_ivf *)ivf, g.work[w]);
  }
  if (st == WEFT_OK) {
    atomic_init(&g.next, 0);
    atomic_init(&g.failed, 0);
    if (g.pq_tables) {
      weft__pool_run(query_table_worker, &g);
      atomic_store(&g.next, 0);
    }
    if (!atomic_load(&g.failed)) weft__pool_run(scan_worker, &g);
    if (!atomic_load(&g.failed)) {
      atomic_store(&g.next, 0);
      weft__pool_run(merge_worker, &g);
    }
    if (atomic_load(&g.failed))
      st = weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_ivf_search: no host memory for a list "
                       "scan's buffers");
  }
  free(gq), free(coarse), free(g.pair_start), free(g.pair_owner), free(g.pair_of);
  free(g.partial), free(g.work), free(cursor), free(g.pq_tables);
  return st;
}

/* Runs on the CPU whatever the exec asks: the report says so, strict mode refuses. */
static weft_status check_device(weft_exec *exec) {
  weft__device_spec spec;
  const char *source = "requested";
  weft__exec_spec(exec, &spec, &source);
  if (spec.is_auto) return WEFT_OK;
  for (int i = 0; i < spec.count; i++) {
    if (strncmp(spec.ids[i], "cpu", 3) == 0) continue;
    if (exec && exec->strict)
      return weft__error(WEFT_ERR_UNSUPPORTED, "weft_ivf_search: device '%s' (%s): IVF list "
                         "scans have no device kernels yet (strict mode)", spec.ids[i], source);
    if (exec)
      weft__report(exec, "ivf search: device '%s' (%s): IVF list scans have no device kernels "
                   "yet: ran on cpu:0", spec.ids[i], source);
    break;
  }
  return WEFT_OK;
}

static weft_status search_batch(weft_exec *exec, search *s, size_t nq, size_t nprobe,
                                float *distances, int64_t *labels) {
  const weft_ivf *ivf = s->ivf;
  const size_t k = s->k, nlist = ivf->nlist;
  uint32_t *active = weft__malloc(nq * sizeof *active);
  if (!active) return weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_ivf_search: no host memory");
  for (size_t i = 0; i < nq; i++) active[i] = (uint32_t)i, s->found[i] = 0;
  size_t nact = nq, lo = 0, hi = nprobe, pairs = 0, rounds = 0, widened = 0, probed = 0;
  weft_status st = WEFT_OK;
  /* Progress: the (query, list) pairs scanned; a round that probes more lists adds its own */
  weft__progress *progress = weft__progress_begin("ivf search", (uint64_t)nq * nprobe);
  while (st == WEFT_OK && nact > 0) {
    size_t per = PAIR_KEYS / ((hi - lo) * k);
    if (ivf->codec == WEFT_IVF_PQ && per > PQ_TABLE_FLOATS / (ivf->pq_m * ivf->pq_ksub))
      per = PQ_TABLE_FLOATS / (ivf->pq_m * ivf->pq_ksub);
    if (per == 0) per = 1;
    if (rounds > 0) weft__progress_grow(progress, (uint64_t)nact * (hi - lo));
    for (size_t a0 = 0; a0 < nact && st == WEFT_OK; a0 += per) {
      size_t m = nact - a0 < per ? nact - a0 : per;
      st = run_group(s, active + a0, m, lo, hi);
      if (st == WEFT_OK && weft__progress_add(progress, (uint64_t)m * (hi - lo)))
        st = weft__progress_check("weft_ivf_search");
    }
    pairs += nact * (hi - lo);
    rounds++;
    probed = hi;
    if (hi == nlist) break;
    size_t short_of_k = 0;
    for (size_t a = 0; a < nact; a++)
      if (s->found[active[a]] < s->want && s->found[active[a]] < ivf->count) active[short_of_k++] = active[a];
    nact = short_of_k;
    if (rounds == 1) widened = nact;
    lo = hi;
    hi = hi > nlist / 2 ? nlist : 2 * hi;
  }
  free(active);
  st = weft__progress_end(progress, st);
  if (st != WEFT_OK) return st;
  size_t still = 0;
  for (size_t i = 0; i < nq; i++) still += s->found[i] < s->want && s->found[i] < ivf->count;
  for (size_t i = 0; i < nq && !s->res_loc; i++) {
    size_t n = s->found[i];
    for (size_t j = 0; j < k; j++) {
      float f = j < n ? weft__from_orderable(s->res_d[i * k + j]) : INFINITY;
      distances[i * k + j] = ivf->metric == WEFT_METRIC_L2 ? f : -f;
      labels[i * k + j] = j < n ? s->res_id[i * k + j] : -1;
    }
  }
  if (exec) {
    weft__report(exec, "ivf search: %zu queries, k = %zu, nprobe = %zu of %zu lists, %s codec, "
                 "on cpu:0 (%d threads): %zu (query, list) pairs grouped by list, each probed "
                 "list read once per group of queries", nq, k, nprobe, nlist,
                 ivf->codec == WEFT_IVF_FLAT ? "flat" : ivf->codec == WEFT_IVF_SQ8 ? "sq8" : "pq",
                 weft__pool_size(), pairs);
    if (s->res_loc)
      weft__report(exec, "ivf search: refine: each query's best %zu candidates re-ranked by "
                   "exact distance on the kept rows", k);
    if (widened)
      weft__report(exec, "ivf search: %zu queries found fewer than k = %zu %srows in their %zu "
                   "nearest lists: probed more lists in centroid order, up to %zu (%zu rounds)%s",
                   widened, s->want, s->allowed ? "allowed " : "", nprobe, probed, rounds,
                   still ? "" : "; every one then had k");
    if (still)
      weft__report(exec, "ivf search: %zu queries have fewer than k = %zu %srows in all %zu "
                   "lists: padded with id -1", still, s->want, s->allowed ? "allowed " : "", nlist);
  }
  return WEFT_OK;
}

weft_status weft_ivf_search(weft_exec *exec, weft_ivf *ivf, size_t nq, const float *queries,
                            size_t k, size_t nprobe, const uint8_t *allowed, size_t allowed_bits,
                            float *distances, int64_t *labels) {
  WEFT_CHECK_ARG(ivf, "weft_ivf_search: ivf is NULL");
  WEFT_CHECK_ARG(k >= 1 && k <= IVF_MAX_K, "weft_ivf_search: k must be in 1..%zu (got %zu)",
                 IVF_MAX_K, k);
  WEFT_CHECK_ARG(nprobe >= 1 && nprobe <= ivf->nlist, "weft_ivf_search: nprobe must be in "
                 "1..nlist = %zu (got %zu)", ivf->nlist, nprobe);
  WEFT_CHECK_ARG(allowed || allowed_bits == 0,
                 "weft_ivf_search: allowed is NULL but allowed_bits = %zu", allowed_bits);
  WEFT_CHECK_ARG(nq <= UINT32_MAX, "weft_ivf_search: nq = %zu queries exceed %u a call", nq,
                 UINT32_MAX);
  if (exec) {
    weft__report_clear(exec);
    exec->last_device = 0;
  }
  if (nq == 0) return WEFT_OK;
  WEFT_CHECK_ARG(queries, "weft_ivf_search: queries is NULL with nq = %zu", nq);
  WEFT_CHECK_ARG(distances && labels, "weft_ivf_search: distances and labels must not be NULL");
  const size_t dim = ivf->dim;
  WEFT_RETURN_NOT_OK(weft__check_vectors("weft_ivf_search: queries", nq, dim, queries, ivf->metric));
  WEFT_RETURN_NOT_OK(check_device(exec));
  pthread_rwlock_rdlock(&ivf->lock);
  weft_status st = WEFT_OK;
  if (!ivf->trained)
    st = weft__error(WEFT_ERR_INVALID_ARGUMENT, "weft_ivf_search: the index is not trained (call "
                     "weft_ivf_train, then weft_ivf_add)");
  float *unit = NULL, *qn = NULL;
  /* refine: the scans keep k * refine candidates, re-ranked on the rows after the rounds */
  const int refine = ivf->refine && ivf->keep_rows;
  size_t kc = refine ? (k > IVF_MAX_K / ivf->refine ? IVF_MAX_K : k * ivf->refine) : k;
  search s = {.ivf = ivf, .k = kc, .q = queries, .allowed = allowed,
              .allowed_bits = allowed_bits, .want = k};
  if (st == WEFT_OK) {
    s.res_d = weft__malloc(nq * kc * sizeof *s.res_d);
    s.res_id = weft__malloc(nq * kc * sizeof *s.res_id);
    if (refine) s.res_loc = weft__malloc(nq * kc * sizeof *s.res_loc);
    s.found = weft__malloc(nq * sizeof *s.found);
    if (ivf->metric == WEFT_METRIC_COSINE && (unit = weft__malloc(nq * dim * sizeof *unit))) {
      memcpy(unit, queries, nq * dim * sizeof *unit);
      weft__normalize_rows(unit, nq, dim);
      s.q = unit;
    }
    if (ivf->metric == WEFT_METRIC_L2 && (qn = weft__malloc(nq * sizeof *qn)))
      for (size_t i = 0; i < nq; i++) qn[i] = weft__row_norm(queries + i * dim, dim);
    s.qn = qn;
    if (!s.res_d || !s.res_id || !s.found || (refine && !s.res_loc) || (ivf->metric == WEFT_METRIC_COSINE && !unit) ||
        (ivf->metric == WEFT_METRIC_L2 && !qn))
      st = weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_ivf_search: no host memory for %zu queries "
                       "x k = %zu results", nq, k);
  }
  if (st == WEFT_OK) st = search_batch(exec, &s, nq, nprobe, distances, labels);
  if (st == WEFT_OK && refine)
    st = weft__ivf_refine(ivf, nq, s.q, s.qn, kc, s.found, s.res_loc, s.res_id, k, distances,
                          labels);
  pthread_rwlock_unlock(&ivf->lock);
  free(s.res_d), free(s.res_id), free(s.found), free(s.res_loc), free(unit), free(qn);
  return st;
}
