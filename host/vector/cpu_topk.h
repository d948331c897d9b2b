/* The k nearest of many queries among a small base (k-means centroids, IVF coarse
 * quantizer) on the thread pool, with the exact index's CPU kernel (cpu_knn.c): the same
 * rounding order and keys, so results do not depend on the thread count. */
#ifndef WEFT_HOST_CPU_TOPK_H
#define WEFT_HOST_CPU_TOPK_H

#include <stddef.h>
#include <stdint.h>

#include "core/backend_impl.h"

/* keys: nq x k sorted keys (orderable(dist) << 32 | base row), WEFT_KNN_EMPTY past nb.
 * Every slot below nb holds a row: rows at a NaN distance come last, in row order, keyed
 * UINT32_MAX << 32 | row.
 * qnorms (L2, or NULL): the keys' distances then include |q|^2. WEFT_ERR_OUT_OF_MEMORY
 * (message set) when a block's scratch cannot be allocated. */
weft_status weft__topk_rows(size_t nq, const float *q, const float *qnorms, size_t nb,
                            const float *base, const float *bnorms, size_t dim,
                            weft__knn_metric metric, size_t k, uint64_t *keys);

#endif
