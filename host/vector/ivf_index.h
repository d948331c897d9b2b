/* The IVF index: k-means centroids and one inverted list per centroid. Each list keeps its
 * rows sorted by id, so a row's position in its list orders like its id and the k-NN keys
 * of a list scan break distance ties by the smaller id. */
#ifndef WEFT_HOST_IVF_INDEX_H
#define WEFT_HOST_IVF_INDEX_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "core/backend_impl.h"
#include "weft.h"

typedef struct weft__ivf_list {
  size_t count, capacity;
  /* weft_ivf_load_mapped: which row arrays (bit i: weft__ivf_row_arrays' i) lie in the file's
   * mapping, and whether the list still needs weft__ivf_prepare_list (its norms, row norms
   * and pq codes' check) before a scan reads it. 0 and 0 for every list in memory. */
  unsigned mapped;
  _Atomic int unready;
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
  size_t pq_niter;         /* pq: its k-means iterations at train, when pq_niter_set */
  int pq_niter_set;
  float *pq_centroids;     /* pq: m x ksub x dsub, faiss's layout (the file's) */
  /* pq, derived at train and load (ivf_pq_table.c), not in files: the codebooks as
   * m x dsub x ksub; l2 within the budget, each list's terms (nlist x m x ksub, faiss's
   * precomputed table, else NULL) and whether each is made (0 no, 1 being made, 2 made) */
  float *pq_transposed;
  float *pq_terms;
  _Atomic unsigned char *pq_terms_state;
  size_t refine;           /* re-rank k * refine candidates on the kept rows; 0: none */
  int keep_rows;           /* lists keep the float32 rows (set by weft_ivf_set_refine) */
  weft__ivf_list *lists;   /* nlist */
  size_t count;
  int64_t next_id;
  pthread_rwlock_t lock;
  /* weft_ivf_load_mapped: the file's read-only mapping, until weft__ivf_own copies it */
  void *map_base;
  size_t map_size;
  char *map_path; /* the mapped file's path, for errors found after the load */
  pthread_mutex_t prepare_lock; /* a mapped list's preparation, once, by the first scan */
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
/* The checks of weft_ivf_load on the lists (ids ascending in each and distinct over all,
 * finite bounded rows, pq codes below 2^nbits), filling norms and row norms as it goes;
 * WEFT_ERR_CORRUPT "<fn>: '<path>' <what>". */
weft_status weft__ivf_check_lists(const char *fn, const char *path, weft_ivf *ivf);
/* A mapped list made ready to scan (ivf_mapped.c): its norms (flat, sq8) and kept rows'
 * norms computed, its pq codes checked below 2^nbits. Once, by whichever search reaches it
 * first, on the calling thread of that search (so an error's message is that caller's).
 * WEFT_ERR_CORRUPT when the list's codes are invalid (and on every later call). */
weft_status weft__ivf_prepare_list(weft_ivf *ivf, size_t li);
/* Before a change to the lists (add, remove, set_refine), under the write lock: copies a
 * mapped index's lists into memory, checks them as weft_ivf_load would (`fn` names the
 * caller: WEFT_ERR_CORRUPT), and unmaps the file. WEFT_OK at once for an index in memory. */
weft_status weft__ivf_own(weft_ivf *ivf, const char *fn);
/* Unmaps a mapped index's file (no list may point into it any more), frees its path. */
void weft__ivf_unmap(weft_ivf *ivf);
/* The centroid norms and other state derived after train or load. */
weft_status weft__ivf_finish_train(weft_ivf *ivf);

#endif
