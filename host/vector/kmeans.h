/* k-means (Lloyd) for the IVF coarse quantizer and weft_kmeans. */
#ifndef WEFT_HOST_KMEANS_H
#define WEFT_HOST_KMEANS_H

#include <stddef.h>
#include <stdint.h>

#include "core/backend_impl.h"

/* Centroids (k x dim) of n points, assigned by `metric` (L2, or IP: largest inner product),
 * each centroid the mean of its points. Sample and start drawn with `seed`; an empty
 * cluster splits the largest. Same bits for the same seed on any thread count.
 * `what` names the caller in errors. n >= k >= 1. */
weft_status weft__kmeans(const char *what, size_t n, size_t dim, const float *x, size_t k,
                         size_t niter, uint64_t seed, size_t max_points_per_centroid,
                         weft__knn_metric metric, float *centroids);

/* How many of n points weft__kmeans iterates over for k centroids: a sample of at most
 * k x max_points_per_centroid (0: all). Each iteration counts that many progress units. */
size_t weft__kmeans_sample(size_t n, size_t k, size_t max_points_per_centroid);

/* Each point's nearest centroid (ties to the smaller index), by `metric`. */
weft_status weft__nearest_centroid(size_t n, const float *x, size_t k, const float *centroids,
                                   size_t dim, weft__knn_metric metric, int64_t *assign);

/* Each empty cluster (size 0) takes a copy of the largest (the first of equal sizes), the
 * two then 1/1024 apart in alternate directions per dimension, and half its size (faiss's
 * split, with the largest cluster in place of faiss's random pick by size). */
void weft__kmeans_split_empty(float *centroids, size_t *size, size_t k, size_t dim);

/* splitmix64: the one random stream of k-means (its sample and its start). */
static inline uint64_t weft__splitmix64(uint64_t *state) {
  uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

#endif
