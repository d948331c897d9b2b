/* Refilling k-means' empty clusters (kmeans.c), as faiss does. */
#include "vector/kmeans.h"

#define SPLIT_EPS (1.0f / 1024.0f)

/* faiss's split: the empty cluster copies the largest, and the two move apart by 1/1024
 * in alternate directions per dimension; the largest of equal sizes is the first. */
void weft__kmeans_split_empty(float *centroids, size_t *size, size_t k, size_t dim) {
  for (size_t ci = 0; ci < k; ci++) {
    if (size[ci] != 0) continue;
    size_t cj = 0;
    for (size_t c = 1; c < k; c++)
      if (size[c] > size[cj]) cj = c;
    if (size[cj] < 2) return; /* nothing to split (more clusters than distinct points) */
    float *a = centroids + ci * dim, *b = centroids + cj * dim;
    for (size_t d = 0; d < dim; d++) {
      float v = b[d];
      a[d] = d % 2 == 0 ? v * (1 + SPLIT_EPS) : v * (1 - SPLIT_EPS);
      b[d] = d % 2 == 0 ? v * (1 - SPLIT_EPS) : v * (1 + SPLIT_EPS);
    }
    size[ci] = size[cj] / 2;
    size[cj] -= size[ci];
  }
}
