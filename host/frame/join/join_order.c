/* The row lists of a join's output, put in the order weft_table_join promises: the
 * partitions' pairs joined in order, pairs found by the right rows (a table built on the
 * left) put in left order by a counting sort on the left row, a full join's unmatched right
 * rows appended, and a cross join's rows. The lists are scratch blocks. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/alloc.h"
#include "core/scratch.h"
#include "core/thread_pool.h"
#include "frame/join/join.h"

static weft_status no_memory(size_t rows) {
  return weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_table_join: no host memory for %zu output rows",
                     rows);
}

static weft_status alloc_lists(size_t n, int pairs, int64_t **left, int64_t **right) {
  *left = weft__scratch_alloc((n + 1) * sizeof(int64_t));
  *right = pairs ? weft__scratch_alloc((n + 1) * sizeof(int64_t)) : NULL;
  if (!*left || (pairs && !*right)) {
    weft__scratch_free(*left), weft__scratch_free(*right);
    *left = *right = NULL;
    return no_memory(n);
  }
  return WEFT_OK;
}

weft_status weft__join_concat(const weft__join_pairs *parts, size_t nparts, int pairs,
                              int64_t **left, int64_t **right, size_t *n) {
  size_t total = 0;
  for (size_t p = 0; p < nparts; p++) total += parts[p].n;
  WEFT_RETURN_NOT_OK(alloc_lists(total, pairs, left, right));
  size_t at = 0;
  for (size_t p = 0; p < nparts; p++) {
    if (!parts[p].n) continue;
    memcpy(*left + at, parts[p].left, parts[p].n * sizeof(int64_t));
    if (pairs) memcpy(*right + at, parts[p].right, parts[p].n * sizeof(int64_t));
    at += parts[p].n;
  }
  *n = total;
  return WEFT_OK;
}

/* The scatter runs in two halves of the partitions at once when there are threads to spare:
 * each half counts its own left rows, so the second half's rows of a left row go after the
 * first half's (the pairs are in right order, so that keeps each left row's matches in right
 * order). */
typedef struct order_ctx {
  const weft__join_pairs *parts;
  size_t nparts, split; /* halves: parts [0, split) and [split, nparts) */
  int64_t *off[2];      /* per left row: where the half's next pair goes */
  int64_t *left, *right;
  _Atomic int next;
} order_ctx;

static void scatter_worker(void *ctx, int worker, int workers) {
  (void)worker, (void)workers;
  order_ctx *c = ctx;
  for (;;) {
    int h = atomic_fetch_add(&c->next, 1);
    if (h > 1) return;
    size_t p0 = h ? c->split : 0, p1 = h ? c->nparts : c->split;
    int64_t *off = c->off[h];
    for (size_t p = p0; p < p1; p++) {
      const int64_t *pl = c->parts[p].left, *pr = c->parts[p].right;
      for (size_t i = 0, n = c->parts[p].n; i < n; i++) {
        int64_t at = off[pl[i]]++;
        c->left[at] = pl[i];
        c->right[at] = pr[i];
      }
    }
  }
}

weft_status weft__join_order_by_left(const weft__join_pairs *parts, size_t nparts, int64_t lrows,
                                     int left_outer, int64_t **left, int64_t **right, size_t *n) {
  *left = *right = NULL;
  size_t npairs = 0;
  for (size_t p = 0; p < nparts; p++) npairs += parts[p].n;
  /* split the pairs in two halves by partition */
  size_t split = nparts, half = 0;
  if (weft__pool_size() > 1 && npairs > 1 << 16)
    for (split = 0; split < nparts && half < npairs / 2; split++) half += parts[split].n;
  int halves = split < nparts ? 2 : 1;
  size_t lr = (size_t)lrows;
  int64_t *cnt = weft__scratch_alloc((lr + 1) * sizeof *cnt * (size_t)halves);
  if (!cnt) return no_memory(npairs);
  memset(cnt, 0, (lr + 1) * sizeof *cnt * (size_t)halves);
  int64_t *c0 = cnt, *c1 = halves == 2 ? cnt + lr + 1 : NULL;
  for (size_t p = 0; p < nparts; p++) {
    int64_t *c = p < split ? c0 : c1;
    const int64_t *pl = parts[p].left;
    for (size_t i = 0; i < parts[p].n; i++) c[pl[i]]++;
  }
  size_t total = npairs;
  if (left_outer)
    for (size_t l = 0; l < lr; l++) total += c0[l] == 0 && (!c1 || c1[l] == 0);
  weft_status st = alloc_lists(total, 1, left, right);
  if (st != WEFT_OK) {
    weft__scratch_free(cnt);
    return st;
  }
  /* counts become offsets: the first half's, then the second's, a left row after another */
  int64_t at = 0;
  for (size_t l = 0; l < lr; l++) {
    int64_t a = c0[l], b = c1 ? c1[l] : 0;
    if (left_outer && a + b == 0) {
      (*left)[at] = (int64_t)l;
      (*right)[at] = -1;
      at++;
      continue;
    }
    c0[l] = at;
    if (c1) c1[l] = at + a;
    at += a + b;
  }
  order_ctx c = {parts, nparts, split, {c0, c1}, *left, *right, 0};
  if (halves == 2) weft__pool_run(scatter_worker, &c);
  else scatter_worker(&c, 0, 1); /* half 1 is empty */
  weft__scratch_free(cnt);
  *n = total;
  return WEFT_OK;
}

weft_status weft__join_append_unmatched(int64_t rrows, int64_t **left, int64_t **right, size_t *n) {
  uint8_t *seen = weft__calloc((size_t)rrows + 1, 1);
  if (!seen) return no_memory((size_t)rrows);
  const int64_t *r = *right;
  for (size_t i = 0; i < *n; i++)
    if (r[i] >= 0) seen[r[i]] = 1;
  size_t extra = 0;
  for (int64_t j = 0; j < rrows; j++) extra += !seen[j];
  int64_t *nl, *nr;
  weft_status st = alloc_lists(*n + extra, 1, &nl, &nr);
  if (st != WEFT_OK) {
    free(seen);
    return st;
  }
  memcpy(nl, *left, *n * sizeof *nl);
  memcpy(nr, *right, *n * sizeof *nr);
  size_t at = *n;
  for (int64_t j = 0; j < rrows; j++)
    if (!seen[j]) nl[at] = -1, nr[at] = j, at++;
  free(seen);
  weft__scratch_free(*left), weft__scratch_free(*right);
  *left = nl, *right = nr, *n = at;
  return WEFT_OK;
}

weft_status weft__join_cross_rows(int64_t lrows, int64_t rrows, int64_t **left, int64_t **right,
                                  size_t *n) {
  *left = *right = NULL;
  if (lrows && rrows > INT64_MAX / 16 / lrows)
    return weft__error(WEFT_ERR_INVALID_ARGUMENT, "weft_table_join: a cross join of %lld by %lld "
                       "rows is too large", (long long)lrows, (long long)rrows);
  size_t total = (size_t)(lrows * rrows);
  WEFT_RETURN_NOT_OK(alloc_lists(total, 1, left, right));
  size_t at = 0;
  for (int64_t l = 0; l < lrows; l++)
    for (int64_t r = 0; r < rrows; r++) (*left)[at] = l, (*right)[at] = r, at++;
  *n = total;
  return WEFT_OK;
}
