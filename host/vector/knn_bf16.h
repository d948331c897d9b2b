/* The certified bf16 candidate pass of exact k-NN on the CPU (docs/knn_bound.md): inner
 * products with bf16 operands bound each row's fp32 key within [L, U]; a row survives when
 * L <= T, the k-th smallest U; the survivors are ranked again by the fp32 scan's own
 * arithmetic. The result is the fp32 scan's, bit for bit. */
#ifndef WEFT_HOST_KNN_BF16_H
#define WEFT_HOST_KNN_BF16_H

#include <stddef.h>
#include <stdint.h>

#include "weft.h"

/* Past this k the pass is not run (its per-query bounds would not fit in cache anyway). */
#define WEFT_KNN_BF16_MAX_K ((size_t)65536)

typedef struct weft__knn_bf16_job {
  const weft_index *ix;      /* its bf16 copy up to date (weft__bf16_base_sync) */
  const float *queries;      /* rows x dim as the fp32 scan takes them (cosine: normalized) */
  const float *query_norms;  /* |q|^2 under l2 (the fp32 scan's), else NULL */
  size_t rows, k;
  const uint8_t *allowed;    /* bitset over positions, or NULL */
  double scale;              /* of the bound: 1 (weft__bf16_bound_scale) */
  uint64_t *lists;           /* rows x k keys, all WEFT_KNN_EMPTY on entry; the fp32 scan's
                              * k best on return, unordered (weft__cpu_knn_sort orders them) */
  size_t survivors;          /* out: rows ranked again in fp32, summed over the queries */
  size_t fallbacks;          /* out: queries whose survivors overflowed: scanned in fp32 */
} weft__knn_bf16_job;

weft_status weft__knn_bf16_run(weft__knn_bf16_job *job);

#endif
