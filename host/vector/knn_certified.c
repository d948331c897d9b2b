/* The certified candidate pass and its fp32 re-rank (knn_certified.h; docs/knn_bound.md
 * sections 3, 4, 8 and 9). The two operand formats differ only in how a block of estimates
 * s_hat is made (bf16: fp32 sums of VDPBF16PS; int8: the exact int32 products of VPDPBUSD,
 * scaled by s_x and s_q as the scan reads them) and in the per-row norms of the bound. Per
 * query: a max-heap of the k smallest upper bounds U (its root is the running
 * T, which only falls) and a buffer of (position, L) for the rows with L <= T when seen.
 * Keys under l2 are K(t) = max(0, fl(fl(n_x - 2t) + n_q)), the fp32 scan's expression, which
 * is non-increasing in t; so with E >= |s_hat - s_f|, L = K(s_hat + E) <= key <= K(s_hat - E)
 * = U, the additions rounded to nearest (rounding is monotone and s_f is a float). Under ip
 * and cosine the key is -s_f: L = -(s_hat + E), U = -(s_hat - E).
 *
 * A query whose buffer passes max(4k + 1024, 16384) rows after dropping those above T
 * (adversarial near-ties: the bound lets too many through) leaves the pass and is scanned in
 * fp32 at the end: correctness never depends on the buffer. */
#include "vector/knn_certified.h"
#include "core/alloc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/backend_impl.h"
#include "core/cpu_backend_impl.h"
#include "core/error.h"
#include "vector/cpu_dot_bf16.h"
#include "vector/cpu_dot_rows.h"
#include "vector/index_flat.h"
#include "vector/knn_key_heap.h"
#include "vector/knn_bf16_base.h"
#include "vector/knn_bf16_bound.h"
#include "vector/cpu_dot_int8.h"
#include "vector/knn_int8_base.h"
#include "vector/knn_int8_bound.h"
#include "vector/knn_keys.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define WEFT_X86 1
#endif

/* 512 rows of a 128-dim base in bf16 = 128 KB (int8: 64 KB), with 256 queries' products =
 * 512 KB: L2. */
#define BASE_BLOCK 512
#define FIRST_CAP 256

typedef struct query_state {
  float *heap;     /* k upper bounds, a max-heap: heap[0] is T */
  uint32_t *pos;   /* candidate positions */
  float *low;      /* their lower bounds */
  size_t n, cap;
  int fallback;
} query_state;

typedef struct pass {
  const weft_index *ix;
  const float *norm_up, *resid_up; /* the bound's per-row norms, of the pass's copy */
  const float *row_scale;          /* int8: s_x per row (the block holds int32 products) */
  const uint8_t *allowed;
  int l2;
  size_t k, limit;
} pass;

/* The fp32 scan's key for an inner product t (cpu_knn.c scan_row). */
static inline float key_of(int l2, float norm, float qn, float t) {
  if (!l2) return -t;
  float d = norm - 2.0f * t;
  d = d + qn;
  return d < 0.0f ? 0.0f : d;
}

static void heap_sift_down(float *h, size_t k) {
  size_t i = 0;
  for (;;) {
    size_t l = 2 * i + 1, r = l + 1, m = i;
    if (l < k && h[l] > h[m]) m = l;
    if (r < k && h[r] > h[m]) m = r;
    if (m == i) return;
    float t = h[i];
    h[i] = h[m];
    h[m] = t;
    i = m;
  }
}

/* Keeps the candidates with L <= T; grows the buffer or gives the query up. */
static int make_room(const pass *p, query_state *q) {
  float T = q->heap[0];
  size_t w = 0;
  for (size_t i = 0; i < q->n; i++)
    if (q->low[i] <= T) q->pos[w] = q->pos[i], q->low[w++] = q->low[i];
  q->n = w;
  if (w < q->cap / 2 && q->cap) return 1;
  size_t cap = q->cap ? 2 * q->cap : FIRST_CAP;
  if (cap > p->limit) cap = p->limit;
  if (cap <= w + w / 4) return 0; /* at the limit and still full: compacting would thrash */
  uint32_t *np = weft__realloc(q->pos, cap * sizeof *np);
  if (np) q->pos = np;
  float *nl = np ? weft__realloc(q->low, cap * sizeof *nl) : NULL;
  if (nl) q->low = nl;
  if (!nl) return 0; /* no memory: the fp32 scan needs none of this */
  q->cap = cap;
  return 1;
}

static void give_up(query_state *q) {
  q->fallback = 1;
  free(q->pos), free(q->low);
  q->pos = NULL, q->low = NULL;
  q->n = q->cap = 0;
}

/* The rare row whose L passes T: its U joins the heap, the row the buffer. */
static void admit(const pass *p, query_state *q, size_t position, float low, float up) {
  if (up < q->heap[0]) {
    q->heap[0] = up;
    heap_sift_down(q->heap, p->k);
  }
  if (!(low <= q->heap[0])) return;
  if (q->n == q->cap && !make_room(p, q)) {
    give_up(q);
    return;
  }
  q->pos[q->n] = (uint32_t)position;
  q->low[q->n++] = low;
}

#ifdef WEFT_X86
__attribute__((target("avx512f,avx512bw,avx512vl")))
static void scan_block(const pass *p, query_state *q, const float *ip, size_t b0, size_t mb,
                       const weft__knn_coef *cf, float qn, float qscale, float qshift) {
  const float *norms = p->ix->norms, *nup = p->norm_up, *rup = p->resid_up;
  const __m512 vqs = _mm512_set1_ps(qscale), vqm = _mm512_set1_ps(qshift);
  const __m512 alpha = _mm512_set1_ps(cf->alpha), beta = _mm512_set1_ps(cf->beta);
  const __m512 tau = _mm512_set1_ps(cf->tau), vqn = _mm512_set1_ps(qn);
  const __m512 zero = _mm512_setzero_ps();
  float T = q->heap[0];
  __m512 vT = _mm512_set1_ps(T);
  for (size_t j0 = 0; j0 < mb; j0 += 16) {
    size_t m = mb - j0 < 16 ? mb - j0 : 16;
    __mmask16 live = (__mmask16)((1u << m) - 1);
    const size_t r0 = b0 + j0;
    if (p->allowed) {
      uint16_t bits = (uint16_t)(p->allowed[r0 >> 3] | p->allowed[(r0 >> 3) + 1] << 8);
      live &= bits;
      if (!live) continue;
    }
    __m512 s;
    if (p->row_scale) /* fma(fl(float(I) * s_y), s_q, m_q), the order the bound assumes */
      s = _mm512_fmadd_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_maskz_loadu_epi32(
                                            live, (const int32_t *)ip + j0)),
                                        _mm512_maskz_loadu_ps(live, p->row_scale + r0)),
                          vqs, vqm);
    else
      s = _mm512_maskz_loadu_ps(live, ip + j0);
    __m512 e = _mm512_fmadd_ps(alpha, _mm512_maskz_loadu_ps(live, rup + r0),
                               _mm512_fmadd_ps(beta, _mm512_maskz_loadu_ps(live, nup + r0), tau));
    __m512 hi = _mm512_add_ps(s, e), low;
    __m512 nx = p->l2 ? _mm512_maskz_loadu_ps(live, norms + r0) : zero;
    if (p->l2) {
      low = _mm512_add_ps(_mm512_sub_ps(nx, _mm512_add_ps(hi, hi)), vqn);
      low = _mm512_max_ps(low, zero);
    } else {
      low = _mm512_sub_ps(zero, hi);
    }
    __mmask16 pass_mask = _mm512_mask_cmp_ps_mask(live, low, vT, _CMP_LE_OQ);
    if (!pass_mask) continue;
    float sl[16], el[16], ll[16];
    _mm512_storeu_ps(sl, s);
    _mm512_storeu_ps(el, e);
    _mm512_storeu_ps(ll, low);
    while (pass_mask) {
      unsigned j = (unsigned)__builtin_ctz(pass_mask);
      pass_mask &= (__mmask16)(pass_mask - 1);
      if (!(ll[j] <= q->heap[0])) continue;
      float up = key_of(p->l2, norms[r0 + j], qn, sl[j] - el[j]);
      admit(p, q, r0 + j, ll[j], up);
      if (q->fallback) return;
    }
    vT = _mm512_set1_ps(q->heap[0]);
  }
}
#endif

/* The survivors' fp32 keys by the scan's own arithmetic; the k smallest into `list`. */
static weft_status rerank(const pass *p, query_state *q, const float *query, float qn,
                          uint64_t *list, size_t *survivors) {
  const weft_index *ix = p->ix;
  float T = q->heap[0];
  size_t n = 0;
  for (size_t i = 0; i < q->n; i++)
    if (q->low[i] <= T) q->pos[n++] = q->pos[i];
  *survivors += n;
  if (n == 0) return WEFT_OK;
  float *dots = weft__malloc(n * sizeof *dots);
  uint64_t *keys = weft__malloc(n * sizeof *keys);
  if (!dots || !keys) {
    free(dots), free(keys);
    return weft__error(WEFT_ERR_OUT_OF_MEMORY, "search: no host memory to rank %zu candidates", n);
  }
  weft__dot_rows_fp32(query, ix->vectors, ix->dim, q->pos, n, dots);
  for (size_t i = 0; i < n; i++)
    keys[i] = weft__knn_key(key_of(p->l2, ix->norms[q->pos[i]], qn, dots[i]), q->pos[i]);
  weft__sort_keys(keys, n);
  memcpy(list, keys, (n < p->k ? n : p->k) * sizeof *keys);
  free(dots), free(keys);
  return WEFT_OK;
}

/* The queries that left the pass, scanned by the fp32 kernel. */
static weft_status scan_fallbacks(const weft__knn_certified_job *job, const query_state *qs,
                                  size_t nf) {
  const weft_index *ix = job->ix;
  const size_t dim = ix->dim, k = job->k;
  float *qv = weft__malloc(nf * dim * sizeof *qv), *qn = weft__malloc(nf * sizeof *qn);
  uint64_t *lists = weft__malloc(nf * k * sizeof *lists);
  weft_status st = WEFT_OK;
  if (!qv || !qn || !lists)
    st = weft__error(WEFT_ERR_OUT_OF_MEMORY, "search: no host memory for %zu queries", nf);
  if (st == WEFT_OK) {
    size_t f = 0;
    for (size_t i = 0; i < job->rows; i++) {
      if (!qs[i].fallback) continue;
      memcpy(qv + f * dim, job->queries + i * dim, dim * sizeof *qv);
      qn[f++] = job->query_norms ? job->query_norms[i] : 0.0f;
    }
    memset(lists, 0xFF, nf * k * sizeof *lists);
    weft__knn_tile t = {nf, ix->count, dim, k, job->query_norms ? WEFT__KNN_L2 : WEFT__KNN_IP,
                        qv, ix->vectors, ix->norms, job->allowed, 0, NULL, lists, lists,
                        job->query_norms ? qn : NULL};
    st = weft__cpu_knn_tile(0, &t);
    for (size_t i = 0, g = 0; st == WEFT_OK && i < job->rows; i++)
      if (qs[i].fallback) memcpy(job->lists + i * k, lists + g++ * k, k * sizeof *lists);
  }
  free(qv), free(qn), free(lists);
  return st;
}

weft_status weft__knn_certified_queries(const weft__knn_certified_job *job, size_t words,
                                   uint32_t *qwords, float *qscale, float *qshift,
                                   weft__knn_coef *coef) {
  const size_t dim = job->ix->dim;
  if (job->pass == WEFT__KNN_PASS_BF16) {
    for (size_t i = 0; i < job->rows; i++)
      weft__bf16_query(job->queries + i * dim, dim, job->scale, qwords + i * words, &coef[i]);
    return WEFT_OK;
  }
  int8_t *codes = weft__malloc(dim);
  if (!codes) return weft__error(WEFT_ERR_OUT_OF_MEMORY, "search: no host memory for int8 codes");
  for (size_t i = 0; i < job->rows; i++)
    weft__int8_query(job->queries + i * dim, job->ix->int8->mu, dim, job->scale, codes,
                     qwords + i * words, &qscale[i], &qshift[i], &coef[i]);
  free(codes);
  return WEFT_OK;
}

weft_status weft__knn_certified_run(weft__knn_certified_job *job) {
#ifndef WEFT_X86
  (void)job;
  return weft__error(WEFT_ERR_INTERNAL, "knn certified pass: not built for this architecture");
#else
  const weft_index *ix = job->ix;
  const int int8 = job->pass == WEFT__KNN_PASS_INT8;
  const size_t dim = ix->dim, k = job->k, rows = job->rows;
  const size_t words = int8 ? weft__int8_groups(dim) : weft__bf16_pairs(dim);
  pass p = {ix, NULL, NULL, NULL, job->allowed, job->query_norms != NULL, k, 4 * k + 1024};
  if (int8)
    p.norm_up = ix->int8->norm_up, p.resid_up = ix->int8->resid_up, p.row_scale = ix->int8->scale;
  else
    p.norm_up = ix->bf16->norm_up, p.resid_up = ix->bf16->resid_up;
  if (p.limit < 16384) p.limit = 16384;
  job->survivors = job->fallbacks = 0;
  query_state *qs = weft__calloc(rows, sizeof *qs);
  float *heaps = weft__malloc(rows * k * sizeof *heaps);
  float *ip = weft__malloc((size_t)rows * BASE_BLOCK * sizeof *ip); /* int8: int32 products */
  uint32_t *qwords = weft__malloc(rows * words * sizeof *qwords);
  float *qscale = weft__calloc(2 * rows, sizeof *qscale), *qshift = qscale + rows;
  weft__knn_coef *coef = weft__malloc(rows * sizeof *coef);
  weft_status st = WEFT_OK;
  if (!qs || !heaps || !ip || !qwords || !qscale || !coef)
    st = weft__error(WEFT_ERR_OUT_OF_MEMORY, "search: no host memory for the %s pass of %zu "
                     "queries at k = %zu", int8 ? "int8" : "bf16", rows, k);
  if (st == WEFT_OK) st = weft__knn_certified_queries(job, words, qwords, qscale, qshift, coef);
  if (st == WEFT_OK) {
    for (size_t i = 0; i < rows * k; i++) heaps[i] = INFINITY;
    for (size_t i = 0; i < rows; i++) qs[i].heap = heaps + i * k;
    for (size_t b0 = 0; b0 < ix->count; b0 += BASE_BLOCK) {
      size_t mb = ix->count - b0 < BASE_BLOCK ? ix->count - b0 : BASE_BLOCK;
      if (int8)
        weft__dot_int8_block(qwords, rows, ix->int8->panels, ix->int8->code_sum, b0, mb, words,
                             (int32_t *)ip, mb, job->scalar);
      else
        weft__dot_bf16_block(qwords, rows, ix->bf16->panels, b0, mb, words, ip, mb);
      for (size_t i = 0; i < rows; i++)
        if (!qs[i].fallback)
          scan_block(&p, &qs[i], ip + i * mb, b0, mb, &coef[i],
                     job->query_norms ? job->query_norms[i] : 0.0f, qscale[i], qshift[i]);
    }
    for (size_t i = 0; st == WEFT_OK && i < rows; i++) {
      if (qs[i].fallback) {
        job->fallbacks++;
        continue;
      }
      st = rerank(&p, &qs[i], job->queries + i * dim,
                  job->query_norms ? job->query_norms[i] : 0.0f, job->lists + i * k,
                  &job->survivors);
    }
    if (st == WEFT_OK && job->fallbacks) st = scan_fallbacks(job, qs, job->fallbacks);
  }
  for (size_t i = 0; qs && i < rows; i++) free(qs[i].pos), free(qs[i].low);
  free(qs), free(heaps), free(ip), free(qwords), free(qscale), free(coef);
  return st;
#endif
}
