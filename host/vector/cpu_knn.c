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
  /* base blocks outside, so a packed block serves every query block while it is in cache */
  for (size_t b0 = 0; b0 < t->nb; b0 += bb) {
    size_t mb = t->nb - b0 < bb ? t->nb - b0 : bb;
    for (size_t q0 = 0; q0 < t->nq; q0 += QUERY_BLOCK) {
      size_t mq = t->nq - q0 < QUERY_BLOCK ? t->nq - q0 : QUERY_BLOCK;
      /* packs the base block again for each query block: cheap next to the products */
      weft__dot_block(queries + q0 * dim, mq, base + b0 * dim, mb, dim, pack, ip, mb);
      for (size_t i = 0; i < mq; i++) scan_row(t, ip + i * mb, mb, b0, q0 + i, out + (q0 + i) * k);
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
