/* The certified candidate pass of exact k-NN on the CPU (docs/knn_bound.md): inner products
 * with reduced-precision operands (bf16 with VDPBF16PS, or int8 codes with VPDPBUSD) bound
 * each row's fp32 key within [L, U]; a row survives when L <= T, the k-th smallest U; the
 * survivors are ranked again by the fp32 scan's own arithmetic. The result is the fp32
 * scan's, bit for bit. */
#ifndef WEFT_HOST_KNN_CERTIFIED_H
#define WEFT_HOST_KNN_CERTIFIED_H

#include <stddef.h>
#include <stdint.h>

#include "weft.h"
#include "vector/knn_coef.h"

/* Past this k the pass is not run (its per-query bounds would not fit in cache anyway). */
#define WEFT_KNN_CERTIFIED_MAX_K ((size_t)65536)

typedef enum weft__knn_pass {
  WEFT__KNN_PASS_BF16 = 1, /* the index's bf16 copy (knn_bf16_base.h) */
  WEFT__KNN_PASS_INT8 = 2  /* the index's int8 copy (knn_int8_base.h) */
} weft__knn_pass;

typedef struct weft__knn_certified_job {
  const weft_index *ix;      /* its copy for `pass` up to date (weft__*_base_sync) */
  weft__knn_pass pass;
  int scalar;                /* int8: the kernel's portable twin (weft__int8_force_scalar) */
  const float *queries;      /* rows x dim as the fp32 scan takes them (cosine: normalized) */
  const float *query_norms;  /* |q|^2 under l2 (the fp32 scan's), else NULL */
  size_t rows, k;
  const uint8_t *allowed;    /* bitset over positions, or NULL */
  double scale;              /* of the bound: 1 (weft__*_bound_scale) */
  uint64_t *lists;           /* rows x k keys, all WEFT_KNN_EMPTY on entry; the fp32 scan's
                              * k best on return, unordered (weft__cpu_knn_sort orders them) */
  size_t survivors;          /* out: rows ranked again in fp32, summed over the queries */
  size_t fallbacks;          /* out: queries whose survivors overflowed: scanned in fp32 */
} weft__knn_certified_job;

weft_status weft__knn_certified_run(weft__knn_certified_job *job);

/* The pass on a device's stage (knn_certified_device.c): the same job (lists and survivors
 * as above, fallbacks 0) with the base in shards of shard_rows, a multiple of 16 unless one
 * shard holds it all. WEFT_ERR_UNSUPPORTED where the backend lacks the pass's kernels. */
struct weft__stage;
typedef struct weft__knn_certified_device_job {
  weft__knn_certified_job cpu;
  size_t shard_rows;
} weft__knn_certified_device_job;

weft_status weft__knn_certified_device(weft__knn_certified_device_job *job,
                                       struct weft__stage *stage);

/* The job's queries as the pass takes them: packed words (bf16 pairs or int8 code groups,
 * `words` a query), scales and shifts (int8) and the bound's coefficients. */
weft_status weft__knn_certified_queries(const weft__knn_certified_job *job, size_t words,
                                        uint32_t *qwords, float *qscale, float *qshift,
                                        weft__knn_coef *coef);

#endif
