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
/* The query's part of every pair's table (m x ksub, from ivf->pq_transposed): under l2
 * -2 q_j.r_jc, under ip and cosine -q_j.r_jc, for each sub-centroid r_jc. A search makes it
 * once a query, for all its probed lists. */
void weft__pq_query_table(const weft_ivf *ivf, const float *q, float *out);

/* ivf_pq_table.c, after train or load (weft__ivf_finish_train): the transposed codebooks
 * and, under l2 and within the budget, the lists' terms table, made now for every list
 * when fill_now, else each at its first scan (a mapped load). */
weft_status weft__pq_derive(weft_ivf *ivf, int fill_now);
/* l2: list li's terms |r_jc|^2 + 2 c_j.r_jc (m x ksub): the table's row, made first if
 * need be, or (past the budget, or while a concurrent search makes the row) made into
 * `spare` (m x ksub floats), the same bits either way. */
const float *weft__pq_list_terms(const weft_ivf *ivf, size_t li, float *spare);
size_t weft__pq_derived_bytes(const weft_ivf *ivf);
void weft__pq_free_derived(weft_ivf *ivf);

/* Scratch of one scanning thread: the list's terms when not in the table, the pair's
 * table, a chunk's distances, a pair's candidates. */
typedef struct weft__pq_scratch {
  float *list_terms; /* m x ksub */
  float *table;      /* m x ksub: the pair's lookup table (l2) */
  float *dist;       /* a chunk of row distances */
  uint64_t *cand;    /* 2k keys: a pair's candidates (grown by the caller: cand_cap) */
  size_t cand_cap;
} weft__pq_scratch;

weft_status weft__pq_scratch_init(const weft_ivf *ivf, weft__pq_scratch *w);
void weft__pq_scratch_free(weft__pq_scratch *w);

/* The k best keys ((orderable distance << 32) | position, unsorted) of each of npairs queries
 * (npairs x dim, as scanned: cosine normalized; pair p's weft__pq_query_table the m x ksub
 * floats at query_tables + owner[p] * m * ksub) among the rows of list `li` allowed by the
 * position bitset `allowed` (NULL: all), into keys (npairs x k, filled with WEFT_KNN_EMPTY by the caller).
 * Distances: l2 |q - c - r|^2, ip and cosine -q.(c + r). */
void weft__pq_scan_list(const weft_ivf *ivf, size_t li, size_t npairs, const float *queries,
                        const float *query_tables, const uint32_t *owner, const uint8_t *allowed,
                        size_t k, weft__pq_scratch *w, uint64_t *keys);

#endif
