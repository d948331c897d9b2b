/* The pq codec's list scan. Per (query, list) pair a lookup table of m x ksub floats: under
 * l2, |q - c - r|^2 = |q - c|^2 + sum_j (|r_j|^2 + 2 c_j.r_j - 2 q_j.r_j), the list's terms
 * (|r_j|^2 + 2 c_j.r_j, faiss's precomputed table: ivf_pq_table.c) plus the query's
 * (-2 q_j.r_j, made once a query for all its lists); under ip and cosine -(q.c + sum_j
 * q_j.r_j), whose table is the query's alone. A row's distance is the pair's base plus its m
 * table entries summed in code order (the same bits on any thread count); the sums run over
 * a chunk of rows one code at a time, so the adds of different rows are independent. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "vector/ivf_codec_pq.h"
#include "vector/ivf_index.h"
#include "core/vector_clones.h"
#include "vector/knn_key_heap.h"
#include "vector/knn_keys.h"

#define CHUNK 64 /* rows summed before their threshold test */
#define LANES 8  /* rows summed side by side: independent add chains */

/* x86-64: an AVX2 copy of the table and sum loops beside the baseline one, picked at load
 * time (core/vector_clones.h). Neither contracts to fused multiply-adds (no fma target), so
 * both give the same bits. */

weft_status weft__pq_scratch_init(const weft_ivf *ivf, weft__pq_scratch *w) {
  size_t t = ivf->pq_m * ivf->pq_ksub;
  w->list_terms = weft__malloc(t * sizeof(float));
  w->table = weft__malloc(t * sizeof(float));
  w->dist = weft__malloc(CHUNK * sizeof(float));
  w->cand = NULL, w->cand_cap = 0;
  if (w->list_terms && w->table && w->dist) return WEFT_OK;
  weft__pq_scratch_free(w);
  return weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_ivf_search: no host memory for pq tables");
}

void weft__pq_scratch_free(weft__pq_scratch *w) {
  free(w->list_terms), free(w->table), free(w->dist), free(w->cand);
  w->list_terms = w->table = w->dist = NULL;
  w->cand = NULL;
  w->cand_cap = 0;
}

/* The products summed over each slice's dimensions in order, then scaled by -2 (l2) or -1:
 * exact, so a pair's l2 entry terms + (-2 q.r) has the bits of terms - 2 (q.r). 32
 * sub-centroids at a time, their sums held in four 8-float registers over the slice's
 * dimensions (left to itself GCC kept them on the stack: a third of a search's time). */
typedef float v8 __attribute__((vector_size(32)));
#define LOAD8(v, p) memcpy(&(v), (p), sizeof(v8))

WEFT_VECTOR_CLONES void weft__pq_query_table(const weft_ivf *ivf, const float *v, float *out) {
  const size_t m = ivf->pq_m, ksub = ivf->pq_ksub, dsub = ivf->pq_dsub;
  const float scale = ivf->metric == WEFT_METRIC_L2 ? -2.0f : -1.0f;
  for (size_t j = 0; j < m; j++) {
    const float *vj = v + j * dsub, *tj = ivf->pq_transposed + j * dsub * ksub;
    float *o = out + j * ksub;
    size_t c0 = 0;
    for (; c0 + 32 <= ksub; c0 += 32) {
      v8 a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0};
      for (size_t d = 0; d < dsub; d++) {
        const float vd = vj[d], *t = tj + d * ksub + c0;
        v8 t0, t1, t2, t3;
        LOAD8(t0, t), LOAD8(t1, t + 8), LOAD8(t2, t + 16), LOAD8(t3, t + 24);
        a0 += vd * t0, a1 += vd * t1, a2 += vd * t2, a3 += vd * t3;
      }
      a0 *= scale, a1 *= scale, a2 *= scale, a3 *= scale;
      memcpy(o + c0, &a0, sizeof a0), memcpy(o + c0 + 8, &a1, sizeof a1);
      memcpy(o + c0 + 16, &a2, sizeof a2), memcpy(o + c0 + 24, &a3, sizeof a3);
    }
    for (size_t c = c0; c < ksub; c++) { /* nbits 4: 16 sub-centroids */
      float acc = 0.0f;
      for (size_t d = 0; d < dsub; d++) acc += vj[d] * tj[d * ksub + c];
      o[c] = acc * scale;
    }
  }
}

static float bar_of(uint64_t worst) {
  return worst == WEFT_KNN_EMPTY ? INFINITY : weft__from_orderable((uint32_t)(worst >> 32));
}

/* dist[i] = base + table[0][code 0] + ... + table[m-1][code m-1] of each row, in that order. */
WEFT_VECTOR_CLONES static void sum_rows(const uint8_t *codes, size_t len, size_t m, size_t ksub,
                                   const float *table, float base, float *dist) {
  size_t i = 0;
  for (; i + LANES <= len; i += LANES) {
    float s[LANES];
    for (size_t r = 0; r < LANES; r++) s[r] = base;
    for (size_t j = 0; j < m; j++) {
      const float *t = table + j * ksub;
      for (size_t r = 0; r < LANES; r++) s[r] += t[codes[(i + r) * m + j]];
    }
    for (size_t r = 0; r < LANES; r++) dist[i + r] = s[r];
  }
  for (; i < len; i++) {
    float s = base;
    for (size_t j = 0; j < m; j++) s += table[j * ksub + codes[i * m + j]];
    dist[i] = s;
  }
}

/* l2: the pair's table, the list's terms plus the query's. */
WEFT_VECTOR_CLONES static void pair_table(size_t n, const float *terms, const float *query,
                                          float *out) {
  for (size_t e = 0; e < n; e++) out[e] = terms[e] + query[e];
}

/* Below this k a pair keeps a heap of its k best; from it on, a buffer cut by selections. */
#define HEAP_K 64

/* The rows of one list against one pair's table, into its k keys (empty on entry; any order
 * on return: the merge reads them all). The rows that pass the bar (the worst kept) go in:
 * for a small k into a heap of k, built once k rows passed; for a large k (refine's
 * k * refine candidates) into a buffer of 2k cut back to its k best by a selection when
 * full, O(1) a row where the heap's O(log k) sifts had been a tenth of a refined search.
 * A list of fewer than k rows (2k for the buffer) costs neither until the end. */
static void scan_codes(const weft__ivf_list *l, size_t m, size_t ksub, const float *table,
                       float base, int l2, const uint8_t *allowed, size_t k, float *dist,
                       uint64_t *buf, uint64_t *out) {
  const int heap = k < HEAP_K;
  uint64_t *keep = heap ? out : buf;
  size_t n = 0;
  float bar = INFINITY;
  uint64_t bar_key = WEFT_KNN_EMPTY;
  for (size_t i0 = 0; i0 < l->count; i0 += CHUNK) {
    const size_t len = l->count - i0 < CHUNK ? l->count - i0 : CHUNK;
    sum_rows(l->codes + i0 * m, len, m, ksub, table, base, dist);
    for (size_t i = 0; i < len; i++) {
      float d = l2 && dist[i] < 0.0f ? 0.0f : dist[i]; /* rounding below 0 */
      if (!(d <= bar)) continue;
      size_t pos = i0 + i;
      if (allowed && !((allowed[pos >> 3] >> (pos & 7)) & 1)) continue;
      uint64_t key = weft__knn_key(d, pos);
      if (key >= bar_key) continue;
      if (heap && n == k) { /* full: the key replaces the worst */
        keep[0] = key;
        weft__keys_sift_down(keep, k, 0);
      } else {
        keep[n++] = key;
        if (heap ? n < k : n < 2 * k) continue;
        if (heap) {
          weft__keys_heapify(keep, k);
        } else {
          weft__select_keys(keep, n, k);
          n = k;
        }
      }
      bar_key = keep[0];
      for (size_t e = 1; !heap && e < k; e++) bar_key = keep[e] > bar_key ? keep[e] : bar_key;
      bar = bar_of(bar_key);
    }
  }
  if (heap) return;
  if (n > k) weft__select_keys(buf, n, k), n = k;
  memcpy(out, buf, n * sizeof *buf);
}

void weft__pq_scan_list(const weft_ivf *ivf, size_t li, size_t npairs, const float *queries,
                        const float *query_tables, const uint32_t *owner, const uint8_t *allowed,
                        size_t k, weft__pq_scratch *w, uint64_t *keys) {
  const weft__ivf_list *l = &ivf->lists[li];
  const size_t dim = ivf->dim, m = ivf->pq_m, ksub = ivf->pq_ksub;
  const float *centroid = ivf->centroids + li * dim;
  const int l2 = ivf->metric == WEFT_METRIC_L2;
  if (l->count == 0) return;
  const float *terms = l2 ? weft__pq_list_terms(ivf, li, w->list_terms) : NULL;
  for (size_t p = 0; p < npairs; p++) {
    const float *q = queries + p * dim;
    const float *table = query_tables + (size_t)owner[p] * m * ksub;
    float base = 0.0f;
    if (l2) {
      for (size_t d = 0; d < dim; d++) base += (q[d] - centroid[d]) * (q[d] - centroid[d]);
      pair_table(m * ksub, terms, table, w->table);
      table = w->table;
    } else {
      for (size_t d = 0; d < dim; d++) base += q[d] * centroid[d];
      base = -base;
    }
    scan_codes(l, m, ksub, table, base, l2, allowed, k, w->dist, w->cand, keys + p * k);
  }
}
