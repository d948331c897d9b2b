/* A mapped IVF index (weft_ivf_load_mapped): the lists' codes, ids and kept rows stay in the
 * file's pages, so opening is a read of the header, tables and list sizes, and memory grows
 * with the lists searches touch. What a load computes or checks from the rows waits for a
 * list's first scan (weft__ivf_prepare_list: its norms, row norms, pq codes' range); the
 * checks that need every list at once (ids distinct over all lists) wait for the first
 * change, which copies the lists into memory (weft__ivf_own). Until then a file written with
 * duplicate or unordered ids on purpose gives odd ties, never an out-of-bounds read: every
 * index a scan takes from the file (pq codes) is checked before use. */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "core/alloc.h"
#include "core/error.h"
#include "vector/index_flat.h"
#include "vector/ivf_index.h"

/* The arrays a list's first scan (or its copy into memory) fills: code norms (not for pq,
 * whose tables hold them) and kept-row norms. Either may be there already: a failed
 * weft__ivf_own leaves what it allocated, and a retry goes on from it. */
static weft_status alloc_list_norms(weft_ivf *ivf, weft__ivf_list *l, const char *fn) {
  const size_t n = l->count ? l->count : 1;
  if (ivf->codec != WEFT_IVF_PQ && !l->norms && !(l->norms = weft__malloc(n * sizeof(float))))
    return weft__error(WEFT_ERR_OUT_OF_MEMORY, "%s: no host memory for the norms of a mapped "
                       "list of %zu rows", fn, l->count);
  if (ivf->keep_rows && !l->row_norms && !(l->row_norms = weft__malloc(n * sizeof(float))))
    return weft__error(WEFT_ERR_OUT_OF_MEMORY, "%s: no host memory for the row norms of a "
                       "mapped list of %zu rows", fn, l->count);
  return WEFT_OK;
}

static weft_status prepare_locked(weft_ivf *ivf, size_t li) {
  weft__ivf_list *l = &ivf->lists[li];
  const int state = atomic_load_explicit(&l->unready, memory_order_relaxed);
  if (state == 0) return WEFT_OK;
  if (state < 0)
    return weft__error(WEFT_ERR_CORRUPT, "weft_ivf_search: list %zu of the mapped file '%s' holds "
                       "a pq code past 2^nbits = %zu (corrupted)", li, ivf->map_path, ivf->pq_ksub);
  const size_t n = l->count, dim = ivf->dim;
  for (size_t i = 0; ivf->codec == WEFT_IVF_PQ && ivf->pq_ksub < 256 && i < n * ivf->code_size; i++)
    if (l->codes[i] >= ivf->pq_ksub) {
      atomic_store_explicit(&l->unready, -1, memory_order_relaxed);
      return prepare_locked(ivf, li);
    }
  WEFT_RETURN_NOT_OK(alloc_list_norms(ivf, l, "weft_ivf_search"));
  float *norms = l->norms, *row_norms = l->row_norms;
  for (size_t i = 0; norms && i < n; i++)
    norms[i] = weft__ivf_code_norm(ivf, l->codes + i * ivf->code_size);
  for (size_t i = 0; row_norms && i < n; i++) row_norms[i] = weft__row_norm(l->rows + i * dim, dim);
  /* published: a scan that sees 0 (acquire) sees the norms */
  atomic_store_explicit(&l->unready, 0, memory_order_release);
  return WEFT_OK;
}

weft_status weft__ivf_prepare_list(weft_ivf *ivf, size_t li) {
  if (atomic_load_explicit(&ivf->lists[li].unready, memory_order_acquire) == 0) return WEFT_OK;
  pthread_mutex_lock(&ivf->prepare_lock);
  weft_status st = prepare_locked(ivf, li);
  pthread_mutex_unlock(&ivf->prepare_lock);
  return st;
}

void weft__ivf_unmap(weft_ivf *ivf) {
  if (ivf->map_base) munmap(ivf->map_base, ivf->map_size);
  ivf->map_base = NULL;
  ivf->map_size = 0;
  free(ivf->map_path);
  ivf->map_path = NULL;
}

weft_status weft__ivf_own(weft_ivf *ivf, const char *fn) {
  if (!ivf->map_base) return WEFT_OK;
  for (size_t li = 0; li < ivf->nlist; li++) {
    weft__ivf_list *l = &ivf->lists[li];
    weft__ivf_row_array a[WEFT__IVF_ROW_ARRAYS];
    weft__ivf_row_arrays(ivf, l, a);
    for (int i = 0; i < WEFT__IVF_ROW_ARRAYS; i++) {
      if (!(l->mapped & (1u << i))) continue;
      void *copy = weft__malloc((l->count ? l->count : 1) * a[i].row_bytes);
      if (!copy) /* the arrays copied so far stay copied: a retry goes on from here */
        return weft__error(WEFT_ERR_OUT_OF_MEMORY, "%s: no host memory to copy the mapped "
                           "index's list of %zu rows into memory", fn, l->count);
      memcpy(copy, *a[i].at, l->count * a[i].row_bytes);
      *a[i].at = copy;
      l->mapped &= ~(1u << i);
    }
    /* check_lists below computes them; arrays of the right size first */
    if (atomic_load_explicit(&l->unready, memory_order_relaxed) != 0)
      WEFT_RETURN_NOT_OK(alloc_list_norms(ivf, l, fn));
  }
  /* every check a load makes, now that the rows are in memory; the norms with them */
  WEFT_RETURN_NOT_OK(weft__ivf_check_lists(fn, ivf->map_path, ivf));
  for (size_t li = 0; li < ivf->nlist; li++) atomic_store(&ivf->lists[li].unready, 0);
  weft__ivf_unmap(ivf);
  return WEFT_OK;
}
