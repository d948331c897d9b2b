/* Lloyd's k-means. Assignment is the exact index's top-1 (cpu_topk.c over the centroids);
 * the update sums each cluster's points in point order, in double, one cluster per task:
 * no partial sums are merged, so the bits do not depend on how the pool splits the work.
 * The start is k distinct sample points (faiss's default, seeded random), and an empty
 * cluster takes half of the largest one, both copies nudged apart as faiss does. */
#include "vector/kmeans.h"
#include "core/progress.h"
#include "core/alloc.h"

#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/thread_pool.h"
#include "vector/cpu_topk.h"
#include "vector/index_flat.h"

#define ASSIGN_BLOCK ((size_t)65536) /* points per top-1 call: bounds the key buffer */

/* row indices 0..n-1 permuted in their first m places (Fisher-Yates, partial) */
static size_t *draw_rows(size_t n, size_t m, uint64_t *rng) {
  size_t *perm = weft__malloc((n ? n : 1) * sizeof *perm);
  if (!perm) return NULL;
  for (size_t i = 0; i < n; i++) perm[i] = i;
  for (size_t i = 0; i < m; i++) {
    size_t j = i + (size_t)(weft__splitmix64(rng) % (n - i));
    size_t t = perm[i];
    perm[i] = perm[j];
    perm[j] = t;
  }
  return perm;
}

static int cmp_size(const void *a, const void *b) {
  size_t x = *(const size_t *)a, y = *(const size_t *)b;
  return (x > y) - (x < y);
}

weft_status weft__nearest_centroid(size_t n, const float *x, size_t k, const float *centroids,
                                   size_t dim, weft__knn_metric metric, int64_t *assign) {
  float *cn = weft__malloc(k * sizeof *cn);
  uint64_t *keys = weft__malloc((n < ASSIGN_BLOCK ? (n ? n : 1) : ASSIGN_BLOCK) * sizeof *keys);
  weft_status st = WEFT_OK;
  if (!cn || !keys)
    st = weft__error(WEFT_ERR_OUT_OF_MEMORY, "nearest centroids: no host memory for %zu points", n);
  if (st == WEFT_OK)
    for (size_t c = 0; c < k; c++) cn[c] = weft__row_norm(centroids + c * dim, dim);
  for (size_t p0 = 0; st == WEFT_OK && p0 < n; p0 += ASSIGN_BLOCK) {
    size_t m = n - p0 < ASSIGN_BLOCK ? n - p0 : ASSIGN_BLOCK;
    st = weft__topk_rows(m, x + p0 * dim, NULL, k, centroids, cn, dim, metric, 1, keys);
    for (size_t i = 0; st == WEFT_OK && i < m; i++) assign[p0 + i] = (int64_t)(uint32_t)keys[i];
    if (st == WEFT_OK && weft__progress_tick(m))
      st = weft__error(WEFT_ERR_CANCELLED, "cancelled by the progress callback");
  }
  free(cn);
  free(keys);
  return st;
}

typedef struct update_job {
  const float *x;
  size_t dim, k;
  const size_t *start;  /* k + 1: cluster c's points are members[start[c] .. start[c+1]) */
  const size_t *members;
  float *centroids;
  _Atomic size_t next;
} update_job;

static void update_worker(void *ctx, int worker, int workers) {
  (void)worker, (void)workers;
  update_job *j = ctx;
  const size_t dim = j->dim;
  double *sum = weft__malloc(dim * sizeof *sum);
  for (;;) {
    size_t c = atomic_fetch_add(&j->next, 1);
    if (c >= j->k) break;
    size_t a = j->start[c], b = j->start[c + 1];
    if (a == b) continue; /* empty: split below */
    if (!sum) {           /* no memory for the row of sums: sum one dimension at a time */
      for (size_t d = 0; d < dim; d++) {
        double s = 0;
        for (size_t i = a; i < b; i++) s += j->x[j->members[i] * dim + d];
        j->centroids[c * dim + d] = (float)(s / (double)(b - a));
      }
      continue;
    }
    memset(sum, 0, dim * sizeof *sum);
    for (size_t i = a; i < b; i++) {
      const float *row = j->x + j->members[i] * dim;
      for (size_t d = 0; d < dim; d++) sum[d] += row[d];
    }
    for (size_t d = 0; d < dim; d++) j->centroids[c * dim + d] = (float)(sum[d] / (double)(b - a));
  }
  free(sum);
}

size_t weft__kmeans_sample(size_t n, size_t k, size_t max_points_per_centroid) {
  if (max_points_per_centroid && k <= SIZE_MAX / max_points_per_centroid &&
      n > k * max_points_per_centroid)
    return k * max_points_per_centroid;
  return n;
}

weft_status weft__kmeans(const char *what, size_t n, size_t dim, const float *x, size_t k,
                         size_t niter, uint64_t seed, size_t max_points_per_centroid,
                         weft__knn_metric metric, float *centroids) {
  uint64_t rng = seed;
  const size_t m = weft__kmeans_sample(n, k, max_points_per_centroid);
  const float *xs = x;
  float *sample = NULL;
  size_t *perm = NULL, *start = NULL, *members = NULL, *size = NULL;
  int64_t *assign = NULL;
  weft_status st = WEFT_OK;
  if (m < n) { /* the sample, in row order (so it reads the input forward) */
    perm = draw_rows(n, m, &rng);
    sample = perm ? weft__malloc(m * dim * sizeof *sample) : NULL;
    if (!sample) {
      st = weft__error(WEFT_ERR_OUT_OF_MEMORY, "%s: no host memory for a training sample of %zu "
                       "points", what, m);
      goto done;
    }
    qsort(perm, m, sizeof *perm, cmp_size);
    for (size_t i = 0; i < m; i++) memcpy(sample + i * dim, x + perm[i] * dim, dim * sizeof(float));
    free(perm);
    xs = sample;
  }
  perm = draw_rows(m, k, &rng);
  assign = weft__malloc(m * sizeof *assign);
  start = weft__malloc((k + 1) * sizeof *start);
  size = weft__malloc(k * sizeof *size);
  members = weft__malloc(m * sizeof *members);
  if (!perm || !assign || !start || !size || !members) {
    st = weft__error(WEFT_ERR_OUT_OF_MEMORY, "%s: no host memory for k-means of %zu points into "
                     "%zu clusters", what, m, k);
    goto done;
  }
  for (size_t c = 0; c < k; c++) memcpy(centroids + c * dim, xs + perm[c] * dim, dim * sizeof(float));
  /* Progress: each iteration's assignment counts its points (a scope of its own, or part of
   * the caller's: weft_ivf_train). */
  weft__progress *progress = weft__progress_begin("kmeans", (uint64_t)niter * m);
  for (size_t it = 0; it < niter; it++) {
    st = weft__nearest_centroid(m, xs, k, centroids, dim, metric, assign);
    if (st == WEFT_ERR_CANCELLED) weft__error_context(st, "%s", what);
    if (st != WEFT_OK) break;
    /* counting sort of the points by cluster, point order kept within each */
    memset(size, 0, k * sizeof *size);
    for (size_t i = 0; i < m; i++) size[assign[i]]++;
    start[0] = 0;
    for (size_t c = 0; c < k; c++) start[c + 1] = start[c] + size[c];
    for (size_t c = 0; c < k; c++) perm[c] = start[c];
    for (size_t i = 0; i < m; i++) members[perm[assign[i]]++] = i;
    update_job j = {xs, dim, k, start, members, centroids, 0};
    weft__pool_run(update_worker, &j);
    weft__kmeans_split_empty(centroids, size, k, dim);
  }
  st = weft__progress_end(progress, st);
done:
  free(sample);
  free(perm);
  free(assign);
  free(start);
  free(size);
  free(members);
  return st;
}

weft_status weft_kmeans(size_t n, size_t dim, const float *x, size_t k, size_t niter,
                        uint64_t seed, size_t max_points_per_centroid, float *centroids,
                        int64_t *assignments) {
  WEFT_CHECK_ARG(x && centroids, "weft_kmeans: x and centroids must not be NULL");
  WEFT_CHECK_ARG(dim > 0 && dim <= (1u << 20), "weft_kmeans: dim must be in 1..%u (got %zu)",
                 1u << 20, dim);
  WEFT_CHECK_ARG(k >= 1 && k <= UINT32_MAX, "weft_kmeans: k must be in 1..%u (got %zu)",
                 UINT32_MAX, k);
  WEFT_CHECK_ARG(n >= k, "weft_kmeans: k = %zu clusters need at least as many points, got "
                 "n = %zu", k, n);
  WEFT_RETURN_NOT_OK(weft__check_vectors("weft_kmeans: x", n, dim, x, WEFT_METRIC_L2));
  /* one scope: the iterations (weft__kmeans adds them), then the assignment of every point */
  weft__progress *progress = weft__progress_begin("kmeans", assignments ? n : 0);
  weft_status st = weft__kmeans("weft_kmeans", n, dim, x, k, niter, seed,
                                max_points_per_centroid, WEFT__KNN_L2, centroids);
  if (st == WEFT_OK && assignments) {
    st = weft__nearest_centroid(n, x, k, centroids, dim, WEFT__KNN_L2, assignments);
    if (st == WEFT_ERR_CANCELLED) weft__error_context(st, "weft_kmeans");
  }
  return weft__progress_end(progress, st);
}
