/* k-NN on the CPU backend: for a block of queries, inner products with a block of base rows
 * (cpu_dot_block.c: one rounding order, so ties are exact), then a scan that compares each
 * distance with the query's current k-th best and touches its heap only for the rare row
 * that beats it. The distance block stays in L2; the full query x base matrix never exists. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/backend_impl.h"
#include "core/alloc.h"
#include "core/cpu_backend_impl.h"
#include "vector/cpu_dot_block.h"
#include "core/error.h"
#include "vector/knn_keys.h"
#include "vector/knn_key_heap.h"

/* 256 queries x 512 base rows of float32 = 512 KB: the block that stays in L2. */
#define QUERY_BLOCK 256
#define BASE_BLOCK 512
#define PACK_BYTES ((size_t)64 << 20)
#define SCAN_CHUNK 16

/* The float a distance must not exceed to have a chance (ties are settled by the key). */
static float bar_of(uint64_t worst) {
  return worst == WEFT_KNN_EMPTY ? INFINITY : weft__from_orderable((uint32_t)(worst >> 32));
}

static void scan_row(const weft__knn_tile *t, const float *ip, size_t nb_block, size_t base_row,
                     size_t query, uint64_t *heap) {
  const float *norms = t->base_norms;
  const uint8_t *allowed = t->allowed;
  int l2 = t->metric == WEFT__KNN_L2;
  /* with the query's |q|^2: the distance reported, the sum rounded once, then clamped */
  const int with_qn = l2 && t->query_norms;
  const float qn = with_qn ? ((const float *)t->query_norms)[query] : 0.0f;
  float bar = bar_of(heap[0]);
  float dist[SCAN_CHUNK];
  for (size_t j0 = 0; j0 < nb_block; j0 += SCAN_CHUNK) {
    size_t len = nb_block - j0 < SCAN_CHUNK ? nb_block - j0 : SCAN_CHUNK;
    int any = 0;
    /* vectorized: distances of the chunk and whether any can enter */
    for (size_t j = 0; j < len; j++) {
      float d = l2 ? norms[base_row + j0 + j] - 2.0f * ip[j0 + j] : -ip[j0 + j];
      if (with_qn) {
        d = d + qn;
        d = d < 0.0f ? 0.0f : d;
      }
      dist[j] = d;
      any |= d <= bar;
    }
    if (!any) continue;
    for (size_t j = 0; j < len; j++) {
      if (!(dist[j] <= bar)) continue;
      uint64_t pos = t->position0 + base_row + j0 + j;
      if (allowed && !((allowed[pos >> 3] >> (pos & 7)) & 1)) continue;
      uint64_t key = weft__knn_key(dist[j], pos);
      if (key >= heap[0]) continue;
      heap[0] = key;
      weft__keys_sift_down(heap, t->k, 0);
      bar = bar_of(heap[0]);
    }
  }
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
/* A lane's running minimum: its smallest distance so far and the first row at it. */
typedef struct top1_lanes {
  __m512 best;
  __m512i at;
  __mmask16 have;
} top1_lanes;

/* Distances of rows j0 .. j0 + 16 (< nb_block) as scan_row computes them, into the lanes. */
__attribute__((target("avx512f"))) static inline void top1_chunk(const float *ip,
                                                                 const float *norms, int l2,
                                                                 int with_qn, __m512 qn,
                                                                 size_t j0, size_t nb_block,
                                                                 top1_lanes *m) {
  const __m512 zero = _mm512_setzero_ps();
  size_t w = nb_block - j0 < 16 ? nb_block - j0 : 16;
  __mmask16 live = (__mmask16)((1u << w) - 1);
  __m512 x = _mm512_maskz_loadu_ps(live, ip + j0), d;
  if (l2) {
    d = _mm512_sub_ps(_mm512_maskz_loadu_ps(live, norms + j0), _mm512_mul_ps(_mm512_set1_ps(2.0f), x));
    if (with_qn) {
      d = _mm512_add_ps(d, qn);
      d = _mm512_mask_mov_ps(d, _mm512_cmp_ps_mask(d, zero, _CMP_LT_OQ), zero);
    }
  } else { /* -ip */
    d = _mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(x),
                                             _mm512_set1_epi32((int)0x80000000u)));
  }
  __mmask16 take = (_mm512_cmp_ps_mask(d, m->best, _CMP_LT_OQ) |
                    (_mm512_cmp_ps_mask(d, m->best, _CMP_LE_OQ) & (__mmask16)~m->have)) & live;
  const __m512i j16 = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  m->best = _mm512_mask_mov_ps(m->best, take, d);
  m->at = _mm512_mask_mov_epi32(m->at, take, _mm512_add_epi32(j16, _mm512_set1_epi32((int)j0)));
  m->have |= take;
}

/* scan_row for k = 1 without a filter (k-means' assignment, the coarse quantizer's top-1):
 * each lane keeps its smallest distance and the first row at it (two sets of lanes, for
 * even and odd chunks: two short dependency chains), then the lanes' smallest key meets the
 * heap's one. The minimum key of the rows that scan_row lets in (NaN never) is the key it
 * would keep, so the result is its. */
__attribute__((target("avx512f"))) static void scan_top1_avx512(const weft__knn_tile *t,
                                                                const float *ip, size_t nb_block,
                                                                size_t base_row, size_t query,
                                                                uint64_t *heap) {
  const int l2 = t->metric == WEFT__KNN_L2, with_qn = l2 && t->query_norms;
  const float *norms = l2 ? (const float *)t->base_norms + base_row : NULL;
  const __m512 qn = _mm512_set1_ps(with_qn ? ((const float *)t->query_norms)[query] : 0.0f);
  top1_lanes m[2];
  for (int s = 0; s < 2; s++)
    m[s].best = _mm512_set1_ps(INFINITY), m[s].at = _mm512_setzero_si512(), m[s].have = 0;
  size_t j0 = 0;
  for (; j0 + 16 < nb_block; j0 += 32) {
    top1_chunk(ip, norms, l2, with_qn, qn, j0, nb_block, &m[0]);
    top1_chunk(ip, norms, l2, with_qn, qn, j0 + 16, nb_block, &m[1]);
  }
  if (j0 < nb_block) top1_chunk(ip, norms, l2, with_qn, qn, j0, nb_block, &m[0]);
  /* The two sets' lanes merged, then the smallest distance of all lanes and the first row
   * at it, in registers: a scalar walk over the 32 lanes cost more than the scan itself
   * for short blocks (a pq sub-quantizer's 256 centroids). Equal distances (-0 and +0 too,
   * as weft__orderable makes them one key) go to the smaller row, as the keys order them. */
  __mmask16 h0 = m[0].have, h1 = m[1].have;
  if (!(h0 | h1)) return;
  __mmask16 lt = _mm512_cmp_ps_mask(m[1].best, m[0].best, _CMP_LT_OQ);
  __mmask16 eq = _mm512_cmp_ps_mask(m[1].best, m[0].best, _CMP_EQ_OQ);
  __mmask16 earlier = _mm512_cmp_epu32_mask(m[1].at, m[0].at, _MM_CMPINT_LT);
  __mmask16 take = h1 & (__mmask16)(~h0 | lt | (eq & earlier));
  __m512 best = _mm512_mask_mov_ps(m[0].best, take, m[1].best);
  __m512i at = _mm512_mask_mov_epi32(m[0].at, take, m[1].at);
  __mmask16 have = h0 | h1;
  float dmin = _mm512_mask_reduce_min_ps(have, best);
  __mmask16 at_min = _mm512_mask_cmp_ps_mask(have, best, _mm512_set1_ps(dmin), _CMP_EQ_OQ);
  uint32_t j = (uint32_t)_mm512_mask_reduce_min_epu32(at_min, at);
  uint64_t key = weft__knn_key(dmin, t->position0 + base_row + j);
  if (key < heap[0]) heap[0] = key;
}
#define WEFT_KNN_TOP1_AVX512 1
#endif

weft_status weft__cpu_knn_tile(int dev, const weft__knn_tile *t) {
  (void)dev;
  const size_t k = t->k, dim = t->dim;
  /* rows a base block: BASE_BLOCK, fewer where the index has fewer, and fewer for huge dims
   * so the packed block stays near PACK_BYTES (a dim of 2^20 packed 512 rows into 2 GiB).
   * Each distance sums over dim alone and each query meets its rows in ascending order
   * whatever the block, so the results are the same bits. */
  size_t bb = BASE_BLOCK, fit = dim ? PACK_BYTES / (dim * sizeof(float)) : BASE_BLOCK;
  if (fit < bb) bb = fit < 16 ? 16 : fit;
  if (t->nb < bb) bb = t->nb ? t->nb : 1;
  float *ip = weft__malloc((size_t)QUERY_BLOCK * bb * sizeof(float));
  float *pack = weft__malloc(weft__dot_pack_floats(bb, dim) * sizeof(float));
  if (!ip || !pack) {
    free(ip), free(pack);
    return weft__error(WEFT_ERR_OUT_OF_MEMORY, "knn on cpu: no memory for a distance block");
  }
  const float *queries = t->queries, *base = t->base;
  const uint64_t *in = t->list_in;
  uint64_t *out = t->list_out;
  if (out != in) memcpy(out, in, t->nq * k * sizeof *out);
  for (size_t i = 0; i < t->nq; i++) weft__keys_heapify(out + i * k, k);
  const int top1 = k == 1 && !t->allowed && weft__dot_best_isa() == WEFT_DOT_AVX512;
  (void)top1;
  /* base blocks outside, so a packed block serves every query block while it is in cache */
  for (size_t b0 = 0; b0 < t->nb; b0 += bb) {
    size_t mb = t->nb - b0 < bb ? t->nb - b0 : bb;
    weft__dot_pack(base + b0 * dim, mb, dim, pack); /* once for all the query blocks */
    for (size_t q0 = 0; q0 < t->nq; q0 += QUERY_BLOCK) {
      size_t mq = t->nq - q0 < QUERY_BLOCK ? t->nq - q0 : QUERY_BLOCK;
      weft__dot_packed(queries + q0 * dim, mq, pack, mb, dim, ip, mb);
      for (size_t i = 0; i < mq; i++) {
#ifdef WEFT_KNN_TOP1_AVX512
        if (top1) {
          scan_top1_avx512(t, ip + i * mb, mb, b0, q0 + i, out + (q0 + i) * k);
          continue;
        }
#endif
        scan_row(t, ip + i * mb, mb, b0, q0 + i, out + (q0 + i) * k);
      }
    }
  }
  free(ip), free(pack);
  return WEFT_OK;
}

weft_status weft__cpu_knn_sort(int dev, size_t nq, size_t k, void *lists) {
  (void)dev;
  uint64_t *l = lists;
  for (size_t i = 0; i < nq; i++) weft__sort_keys(l + i * k, k);
  return WEFT_OK;
}
