/* The product quantizer of IVF lists (faiss IndexIVFPQ with by_residual): a vector's residual
 * to its list's centroid cut into m slices of dsub = dim / m, each slice stored as the index of
 * its nearest of ksub = 2^nbits centroids trained by k-means on that slice of the training
 * residuals. A search compares the query itself with the decoded residual plus the centroid
 * (asymmetric distance) through a table of m x ksub partial distances per (query, list). */
#ifndef WEFT_HOST_IVF_CODEC_PQ_H
#define WEFT_HOST_IVF_CODEC_PQ_H

#include <stddef.h>
#include <stdint.h>

#include "weft.h" /* weft_ivf, opaque here: the codec's files include ivf_index.h */

/* The m codebooks (m x ksub x dsub into `out`) from n training rows as the index keeps them
 * (cosine: normalized) and the trained coarse `centroids`: each row's residual to its nearest
 * centroid, then one weft__kmeans per slice (seed + 1 + slice). */
weft_status weft__pq_train(const weft_ivf *ivf, size_t n, const float *x, const float *centroids,
                           size_t niter, uint64_t seed, float *out);
/* The progress units weft__pq_train counts for n rows: the residuals' assignment, then each
 * slice's k-means iterations. */
uint64_t weft__pq_train_work(const weft_ivf *ivf, size_t n, size_t niter);
/* The codes (n x m) of n rows as added (cosine: normalized here) in the lists `list`. */
weft_status weft__pq_encode(const weft_ivf *ivf, size_t n, const float *x, const int64_t *list,
                            uint8_t *codes);
/* The codebooks as m x dsub x ksub (the tables' inner loops then run over ksub). */
void weft__pq_transpose(const weft_ivf *ivf, float *out);
/* out[j][c] = q_j . r_jc: a query's slices against every sub-centroid (m x ksub), from the
 * transposed codebooks. A search makes them once a query, for all its probed lists. */
void weft__pq_query_products(const weft_ivf *ivf, const float *transposed, const float *q,
                             float *out);

/* Scratch of one scanning thread: the codebooks transposed, the list's and the pair's tables. */
typedef struct weft__pq_scratch {
  float *transposed; /* m x dsub x ksub */
  float *list_table; /* m x ksub: |r|^2 + 2 c.r of each sub-centroid r (l2) */
  float *table;      /* m x ksub: the pair's lookup table */
  float *dist;       /* a chunk of row distances */
} weft__pq_scratch;

weft_status weft__pq_scratch_init(const weft_ivf *ivf, weft__pq_scratch *w);
void weft__pq_scratch_free(weft__pq_scratch *w);

/* The k best keys ((orderable distance << 32) | position, unsorted) of each of npairs queries
 * (npairs x dim, as scanned: cosine normalized; pair p's products are the m x ksub floats at
 * products + owner[p] * m * ksub) among the rows of list `li` allowed by the position bitset
 * `allowed` (NULL: all), into keys (npairs x k, filled with WEFT_KNN_EMPTY by the caller).
 * Distances: l2 |q - c - r|^2, ip and cosine -q.(c + r). */
void weft__pq_scan_list(const weft_ivf *ivf, size_t li, size_t npairs, const float *queries,
                        const float *products, const uint32_t *owner, const uint8_t *allowed,
                        size_t k, weft__pq_scratch *w, uint64_t *keys);

#endif
