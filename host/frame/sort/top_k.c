/* weft_table_top_k: the first k rows of weft_table_sort_nulls without sorting every row.
 * The first key's order-preserving words (sort_perm.c's, complemented when descending)
 * are copied and the k-th smallest among the rows that can come first is selected
 * (quickselect, O(rows)); the rows whose word is at most that one, and the nulls when they
 * come first, are the candidates. Every row of the sorted head is among them (a row
 * before a candidate in the sort has a word at most its word), and the candidates keep
 * their row order, so sorting them stably gives the same first k rows as the full sort,
 * ties and all. A utf8 key's words are 8-byte prefixes: equal prefixes are all kept. */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/alloc.h"
#include "core/exec.h"
#include "frame/sort/sort_perm.h"
#include "frame/table/gather.h"
#include "frame/table/table.h"

static void swap(uint64_t *a, uint64_t *b) {
  uint64_t t = *a;
  *a = *b, *b = t;
}

/* The k-th smallest (0-based) of w[0..n), reordering w. */
static uint64_t select_kth(uint64_t *w, int64_t n, int64_t k) {
  int64_t lo = 0, hi = n - 1;
  uint64_t seed = 0x9e3779b97f4a7c15ULL;
  while (hi > lo) {
    seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
    swap(&w[lo + (int64_t)(seed % (uint64_t)(hi - lo + 1))], &w[hi]);
    uint64_t pivot = w[hi];
    /* three-way partition: < pivot | == pivot | > pivot (many equal words stay linear) */
    int64_t lt = lo, i = lo, gt = hi;
    while (i <= gt) {
      if (w[i] < pivot) swap(&w[lt++], &w[i++]);
      else if (w[i] > pivot) swap(&w[i], &w[gt--]);
      else i++;
    }
    if (k < lt) hi = lt - 1;
    else if (k > gt) lo = gt + 1;
    else return pivot;
  }
  return w[lo];
}

/* The candidate rows (in order) into *rows_out, their count into *n_out. */
static weft_status candidates(const weft__column *key, int desc, int nulls_first, int64_t rows,
                              int64_t k, int64_t **rows_out, int64_t *n_out) {
  const weft_column_view *v = &key->view;
  int64_t nulls = v->null_count > 0 ? v->null_count : 0, valid = rows - nulls;
  uint64_t *w = weft__malloc((size_t)(valid ? valid : 1) * sizeof *w);
  int64_t *keep = weft__malloc((size_t)(rows ? rows : 1) * sizeof *keep);
  if (!w || !keep) {
    free(w), free(keep);
    return weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_table_top_k: no host memory for %lld rows",
                       (long long)rows);
  }
  uint64_t flip = 0;
  int64_t m = 0;
  for (int64_t r = 0; r < rows; r++)
    if (!nulls || weft__column_valid(key, r)) w[m++] = weft__sort_word(v, r, &flip);
  if (!desc) flip = 0;
  for (int64_t i = 0; i < m; i++) w[i] ^= flip;
  /* how many non-null rows must be reached: k less the nulls that come first */
  int64_t need = nulls_first ? k - nulls : k, n = 0;
  int take_all_valid = need >= m, take_none = need <= 0;
  uint64_t cut = take_all_valid || take_none ? 0 : select_kth(w, m, need - 1);
  for (int64_t r = 0; r < rows; r++) {
    int ok = !nulls || weft__column_valid(key, r);
    if (!ok) {
      if (nulls_first || take_all_valid) keep[n++] = r;
    } else if (take_all_valid || (!take_none && (weft__sort_word(v, r, &flip) ^ (desc ? flip : 0)) <= cut)) {
      keep[n++] = r;
    }
  }
  free(w);
  *rows_out = keep, *n_out = n;
  return WEFT_OK;
}

weft_status weft_table_top_k(weft_exec *exec, const weft_table *table, int64_t k, size_t nkeys,
                             const char *const *keys, const int *descending,
                             const int *nulls_last, weft_table **out) {
  WEFT_CHECK_ARG(out, "weft_table_top_k: out is NULL");
  *out = NULL;
  WEFT_CHECK_ARG(table, "weft_table_top_k: table is NULL");
  WEFT_CHECK_ARG(k >= 0, "weft_table_top_k: k %lld is negative", (long long)k);
  WEFT_CHECK_ARG(nkeys > 0 && keys && keys[0], "weft_table_top_k: needs at least one key (nkeys = %zu)", nkeys);
  size_t kc;
  WEFT_RETURN_NOT_OK(weft__table_find(table, keys[0], &kc));
  weft__column *key = &table->cols[kc];
  weft__column_null_count(key);
  int64_t rows = table->rows;
  weft_table *cand = NULL, *sorted = NULL;
  weft_status st = WEFT_OK;
  int64_t ncand = -1;
  /* the candidates' cut compares one 64-bit sort word a row: exact for keys of up to 8
   * bytes (and utf8 prefixes, ties kept), not for 16-byte decimals, which sort in full */
  /* a categorical key sorts by its strings' ranks (op_sort.c), not its codes' words */
  if (k < rows / 2 && key->view.type != WEFT_TYPE_BOOL && key->view.type != WEFT_TYPE_CATEGORICAL &&
      !weft__type_is_decimal(key->view.type)) {
    int64_t *sel = NULL, n = 0;
    int nulls_first = nulls_last ? !nulls_last[0] : 0;
    st = candidates(key, descending && descending[0], nulls_first, rows, k, &sel, &n);
    if (st == WEFT_OK) st = weft__table_new(table->ncols, n, &cand);
    weft__column *cols = st == WEFT_OK ? weft__calloc(table->ncols ? table->ncols : 1, sizeof *cols) : NULL;
    if (st == WEFT_OK && !cols) st = weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_table_top_k: no host memory");
    int gathered = 0;
    if (st == WEFT_OK) st = weft__columns_gather(table->cols, table->ncols, sel, n, cols);
    gathered = st == WEFT_OK;
    size_t set = 0;
    for (; st == WEFT_OK && set < table->ncols; set++)
      st = weft__table_set_column(cand, set, table->names[set], cols[set]);
    /* the columns not handed to the table (a failed set releases its own) */
    for (size_t c = set; gathered && c < table->ncols; c++) weft__column_release(&cols[c]);
    free(cols), free(sel);
    ncand = n;
  }
  if (st == WEFT_OK)
    st = weft_table_sort_nulls(exec, cand ? cand : table, nkeys, keys, descending, nulls_last, &sorted);
  /* after the sort, whose report starts afresh */
  if (exec && st == WEFT_OK && ncand >= 0)
    weft__report(exec, "top-k: %lld of %lld rows are candidates for the first %lld (by %s)",
                 (long long)ncand, (long long)rows, (long long)k, keys[0]);
  else if (exec && st == WEFT_OK)
    weft__report(exec, "top-k: the first %lld of %lld rows by a full sort", (long long)k, (long long)rows);
  if (st == WEFT_OK) st = weft_table_slice(sorted, 0, k, out);
  weft_table_free(cand), weft_table_free(sorted);
  return st;
}
