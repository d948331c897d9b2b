/* The pq codec's tables derived from the centroids and codebooks (never saved: a load
 * derives them again): the codebooks transposed for the tables' loops, and under l2 faiss's
 * precomputed table (IndexIVFPQ use_precomputed_table), each list's terms
 * |r_jc|^2 + 2 c_j.r_jc for every sub-centroid r_jc of the list's centroid c, nlist x m x ksub
 * floats. With it a (query, list) pair's table is one add of the list's terms and the
 * query's -2 q_j.r_jc; without it (past the budget, as faiss's precomputed_table_max_bytes)
 * a scan makes the list's terms for its pairs, by the same function, so both give the same
 * bits. Train and load fill every list; a mapped load, whose opening reads no lists, leaves
 * each list's terms to its first scan (claimed by an atomic; a scan that finds them being
 * made by a concurrent search makes its own copy rather than wait). */
#include <stdlib.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/thread_pool.h"
#include "core/vector_clones.h"
#include "vector/ivf_codec_pq.h"
#include "vector/ivf_index.h"

/* faiss's IndexIVFPQ precomputed_table_max_bytes */
#define TERMS_MAX_BYTES ((size_t)1 << 31)

enum { TERMS_UNMADE = 0, TERMS_MAKING = 1, TERMS_MADE = 2 };

/* The budget; WEFT_TEST_IVF_PQ_TERMS_MAX_BYTES lowers it so tests reach the fallback. */
static size_t terms_max_bytes(void) {
  const char *s = getenv("WEFT_TEST_IVF_PQ_TERMS_MAX_BYTES");
  if (!s || !*s) return TERMS_MAX_BYTES;
  char *end;
  unsigned long long v = strtoull(s, &end, 10);
  return *end == '\0' ? (size_t)v : TERMS_MAX_BYTES;
}

void weft__pq_transpose(const weft_ivf *ivf, float *out) {
  const size_t m = ivf->pq_m, ksub = ivf->pq_ksub, dsub = ivf->pq_dsub;
  for (size_t j = 0; j < m; j++)
    for (size_t c = 0; c < ksub; c++)
      for (size_t d = 0; d < dsub; d++)
        out[(j * dsub + d) * ksub + c] = ivf->pq_centroids[(j * ksub + c) * dsub + d];
}

/* |r_jc|^2 + 2 c_j.r_jc, summed over the slice's dimensions in order. */
WEFT_VECTOR_CLONES static void make_terms(const weft_ivf *ivf, size_t li, float *out) {
  const size_t m = ivf->pq_m, ksub = ivf->pq_ksub, dsub = ivf->pq_dsub;
  const float *centroid = ivf->centroids + li * ivf->dim;
  for (size_t j = 0; j < m; j++) {
    float *o = out + j * ksub;
    for (size_t c = 0; c < ksub; c++) o[c] = 0.0f;
    for (size_t d = 0; d < dsub; d++) {
      const float cd = 2.0f * centroid[j * dsub + d];
      const float *t = ivf->pq_transposed + (j * dsub + d) * ksub;
      for (size_t c = 0; c < ksub; c++) o[c] += t[c] * (t[c] + cd);
    }
  }
}

const float *weft__pq_list_terms(const weft_ivf *ivf, size_t li, float *spare) {
  if (ivf->pq_terms) {
    float *row = ivf->pq_terms + li * ivf->pq_m * ivf->pq_ksub;
    _Atomic unsigned char *state = &ivf->pq_terms_state[li];
    unsigned char was = atomic_load_explicit(state, memory_order_acquire);
    if (was == TERMS_MADE) return row;
    if (was == TERMS_UNMADE &&
        atomic_compare_exchange_strong_explicit(state, &was, TERMS_MAKING, memory_order_acquire,
                                                memory_order_acquire)) {
      make_terms(ivf, li, row);
      atomic_store_explicit(state, TERMS_MADE, memory_order_release);
      return row;
    }
  }
  make_terms(ivf, li, spare);
  return spare;
}

typedef struct fill {
  const weft_ivf *ivf;
  _Atomic size_t next;
} fill;

static void fill_worker(void *ctx, int worker, int workers) {
  (void)worker, (void)workers;
  fill *f = ctx;
  for (;;) {
    size_t li = atomic_fetch_add(&f->next, 1);
    if (li >= f->ivf->nlist) break;
    (void)weft__pq_list_terms(f->ivf, li, NULL); /* the table exists: never the spare */
  }
}

weft_status weft__pq_derive(weft_ivf *ivf, int fill_now) {
  const size_t m = ivf->pq_m, ksub = ivf->pq_ksub, nlist = ivf->nlist;
  if (!ivf->pq_transposed && !(ivf->pq_transposed = weft__malloc(ksub * ivf->dim * sizeof(float))))
    return weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_ivf: no host memory for the pq codebooks' "
                       "transpose");
  weft__pq_transpose(ivf, ivf->pq_transposed);
  if (ivf->metric != WEFT_METRIC_L2) return WEFT_OK; /* ip, cosine: no list term */
  const size_t floats = nlist * m * ksub;
  if (!ivf->pq_terms && floats <= terms_max_bytes() / sizeof(float)) {
    /* calloc: a mapped index's pages stay unbacked until a scan makes their list's terms;
     * no memory for them is no error, the scans then make each list's own */
    ivf->pq_terms = weft__calloc(floats, sizeof(float));
    ivf->pq_terms_state = ivf->pq_terms ? weft__calloc(nlist, sizeof *ivf->pq_terms_state) : NULL;
    if (!ivf->pq_terms_state) free(ivf->pq_terms), ivf->pq_terms = NULL;
  }
  if (!ivf->pq_terms) return WEFT_OK;
  for (size_t li = 0; li < nlist; li++) /* a new training: made again */
    atomic_store_explicit(&ivf->pq_terms_state[li], TERMS_UNMADE, memory_order_relaxed);
  if (fill_now) {
    fill f = {.ivf = ivf};
    atomic_init(&f.next, 0);
    weft__pool_run(fill_worker, &f);
  }
  return WEFT_OK;
}

size_t weft__pq_derived_bytes(const weft_ivf *ivf) {
  size_t b = ivf->pq_transposed ? ivf->pq_ksub * ivf->dim * sizeof(float) : 0;
  if (ivf->pq_terms) b += ivf->nlist * (ivf->pq_m * ivf->pq_ksub * sizeof(float) + 1);
  return b;
}

void weft__pq_free_derived(weft_ivf *ivf) {
  free(ivf->pq_transposed), free(ivf->pq_terms), free((void *)ivf->pq_terms_state);
  ivf->pq_transposed = ivf->pq_terms = NULL;
  ivf->pq_terms_state = NULL;
}
