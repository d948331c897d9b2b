/* The IVF index: k-means centroids and one inverted list per centroid. Each list keeps its
 * rows sorted by id, so a row's position in its list orders like its id and the k-NN keys
 * of a list scan break distance ties by the smaller id. */
#ifndef WEFT_HOST_IVF_INDEX_H
#define WEFT_HOST_IVF_INDEX_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "core/backend_impl.h"
#include "weft.h"

typedef struct weft__ivf_list {
  size_t count, capacity;
  uint8_t *codes; /* count x code_size: float32 rows (flat), uint8 codes (sq8, pq: m bytes) */
  float *norms;   /* |x|^2 of the row as scanned (sq8: the decoded row); NULL under pq */
  float *rows;    /* count x dim float32 rows as kept, for refine; NULL unless keep_rows */
  float *row_norms; /* |x|^2 of each kept row (weft__row_norm: the exact index's); NULL unless
                     * keep_rows. Not in files: computed at load */
  int64_t *ids;   /* ascending */
} weft__ivf_list;

/* The per-row arrays of a list, as the code that grows, orders and compacts lists sees them:
 * where each pointer lives and its bytes a row (0: absent under this index's codec). */
#define WEFT__IVF_ROW_ARRAYS 5
typedef struct weft__ivf_row_array {
  void **at;
  size_t row_bytes;
} weft__ivf_row_array;
void weft__ivf_row_arrays(const weft_ivf *ivf, weft__ivf_list *l,
                          weft__ivf_row_array out[WEFT__IVF_ROW_ARRAYS]);

struct weft_ivf {
  size_t dim, nlist, code_size;
  weft_metric metric;
  weft_ivf_codec codec;
  int trained;
  float *centroids;      /* nlist x dim; NULL (and the next three, and lists) until trained */
  float *centroid_norms; /* nlist */
  float *sq_min, *sq_step; /* sq8: per dimension, value = min + (code + 0.5) * step */
  size_t pq_m, pq_nbits, pq_ksub, pq_dsub; /* pq: m sub-quantizers of ksub = 2^nbits */
  float *pq_centroids;     /* pq: m x ksub x dsub, faiss's layout (the file's) */
  size_t refine;           /* re-rank k * refine candidates on the kept rows; 0: none */
  int keep_rows;           /* lists keep the float32 rows (set by weft_ivf_set_refine) */
  weft__ivf_list *lists;   /* nlist */
  size_t count;
  int64_t next_id;
  pthread_rwlock_t lock;
};

/* How queries and centroids compare: by inner product under ip, else by L2 (cosine rows
 * are unit vectors, where the two agree on the order). */
static inline weft__knn_metric weft__ivf_coarse_metric(const weft_ivf *ivf) {
  return ivf->metric == WEFT_METRIC_IP ? WEFT__KNN_IP : WEFT__KNN_L2;
}

/* weft_ivf_create or weft_ivf_create_pq for a file's header (errors name weft_ivf_load). */
weft_status weft__ivf_create_as(size_t dim, size_t nlist, weft_metric metric, weft_ivf_codec codec,
                                size_t m, size_t nbits, weft_ivf **out);

/* Allocates the lists, the centroids, their norms and the sq8 tables (once; kept until the
 * index is freed); `fn` names the caller in the out-of-memory error. */
weft_status weft__ivf_alloc_tables(weft_ivf *ivf, const char *fn);

/* Writes row `at` of a list (rows already reserved) from a row as the index keeps it
 * (cosine: normalized); `code`: its pq code (weft__pq_encode), NULL under flat and sq8. */
void weft__ivf_put_row(weft_ivf *ivf, weft__ivf_list *l, size_t at, const float *row, int64_t id,
                       const uint8_t *code);
/* |x|^2 of a stored row as a scan reads it (flat: the row summed in order, as
 * weft__row_norm; sq8: the decoded row). */
float weft__ivf_code_norm(const weft_ivf *ivf, const uint8_t *code);
/* Grows a list to hold `need` rows. */
weft_status weft__ivf_reserve(weft_ivf *ivf, weft__ivf_list *l, size_t need);
/* After an add: a list whose slack passes 1/64 of its rows shrinks to 1/128, so memory stays
 * near the rows held (the pq index's bytes are n * (m + 8)) while small adds stay cheap. */
void weft__ivf_trim(weft_ivf *ivf, weft__ivf_list *l);
/* Sorts a list's rows by id (after an add put rows with smaller ids at its end). */
weft_status weft__ivf_sort_list(weft_ivf *ivf, weft__ivf_list *l);
/* The centroid norms and other state derived after train or load. */
weft_status weft__ivf_finish_train(weft_ivf *ivf);

#endif
