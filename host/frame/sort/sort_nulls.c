/* weft_table_sort_nulls: a sort with each key's nulls first or last. weft_table_sort puts
 * nulls last; for nulls first, each such key that has nulls is preceded by a helper key
 * is_not_null(key), ascending: false (null) sorts before true whatever the key's own
 * direction, as Polars' nulls_last=False. The helpers are computed as columns
 * (with_columns), sorted on, and dropped (a select of the original columns, which shares
 * their buffers). Eager DataFrame.sort and a lazy plan's sort both run this. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/progress.h"
#include "core/error.h"
#include "core/alloc.h"
#include "frame/table/table.h"

static int has_nulls(const weft_table *t, const char *name) {
  size_t c;
  weft_column_view v;
  if (weft_table_column_index(t, name, &c) != WEFT_OK || weft_table_column(t, c, &v) != WEFT_OK) {
    weft__error_clear(); /* the sort itself names a missing key */
    return 0;
  }
  return v.null_count > 0;
}

/* A column name not in `t`: __weft_nonnull_<k>, with '_' added until it is free. */
static weft_status helper_name(const weft_table *t, size_t k, char *buf, size_t cap) {
  snprintf(buf, cap, "__weft_nonnull_%zu", k);
  for (;;) {
    size_t c;
    if (weft_table_column_index(t, buf, &c) != WEFT_OK) {
      weft__error_clear();
      return WEFT_OK;
    }
    size_t len = strlen(buf);
    if (len + 2 > cap) return weft__error(WEFT_ERR_INTERNAL, "weft_table_sort: no free helper column name");
    buf[len] = '_', buf[len + 1] = '\0';
  }
}

#define FIRST(k) (nulls_last && !nulls_last[k])

static weft_status weft_table_sort_nulls_run(weft_exec *exec, const weft_table *in, size_t n,
                                             const char *const *keys, const int *descending,
                                             const int *nulls_last, weft_table **out);

/* Progress and cancellation: one "sort" scope over the helper columns and the sort. */
weft_status weft_table_sort_nulls(weft_exec *exec, const weft_table *in, size_t n,
                                  const char *const *keys, const int *descending,
                                  const int *nulls_last, weft_table **out) {
  weft__progress *progress = weft__progress_begin("sort", 0);
  weft_status st = weft_table_sort_nulls_run(exec, in, n, keys, descending, nulls_last, out);
  if (st == WEFT_OK && weft__progress_check("weft_table_sort_nulls") != WEFT_OK) {
    weft_table_free(*out);
    *out = NULL;
    st = WEFT_ERR_CANCELLED;
  }
  return weft__progress_end(progress, st);
}

static weft_status weft_table_sort_nulls_run(weft_exec *exec, const weft_table *in, size_t n,
                                             const char *const *keys, const int *descending,
                                             const int *nulls_last, weft_table **out) {
  WEFT_CHECK_ARG(out, "weft_table_sort: out is NULL");
  *out = NULL;
  WEFT_CHECK_ARG(in, "weft_table_sort: table is NULL");
  WEFT_CHECK_ARG(n == 0 || keys, "weft_table_sort: keys is NULL with nkeys = %zu", n);
  size_t nhelp = 0;
  for (size_t k = 0; k < n; k++) nhelp += keys[k] && FIRST(k) && has_nulls(in, keys[k]);
  if (nhelp == 0) return weft_table_sort(exec, in, n, keys, descending, out);

  size_t ncols = in->ncols, nk = n + nhelp;
  char (*names)[64] = weft__calloc(n, sizeof *names);
  const char **keys2 = weft__calloc(nk, sizeof *keys2);
  int *desc2 = weft__calloc(nk, sizeof *desc2);
  weft_expr **helpers = weft__calloc(nhelp, sizeof *helpers), **originals = weft__calloc(ncols ? ncols : 1, sizeof *originals);
  weft_table *with = NULL, *sorted = NULL;
  weft_status st = names && keys2 && desc2 && helpers && originals
                       ? WEFT_OK : weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_table_sort: no host memory");
  size_t h = 0, at = 0;
  for (size_t k = 0; st == WEFT_OK && k < n; k++) {
    if (FIRST(k) && has_nulls(in, keys[k])) {
      weft_expr *c = NULL, *nn = NULL;
      st = helper_name(in, k, names[k], sizeof names[k]);
      if (st == WEFT_OK) st = weft_expr_column(keys[k], &c);
      if (st == WEFT_OK) st = weft_expr_unary(WEFT_OP_IS_NOT_NULL, c, &nn);
      if (st == WEFT_OK) st = weft_expr_alias(nn, names[k], &helpers[h++]);
      weft_expr_free(c), weft_expr_free(nn);
      keys2[at] = names[k], desc2[at++] = 0;
    }
    keys2[at] = keys[k], desc2[at++] = descending && descending[k];
  }
  for (size_t c = 0; st == WEFT_OK && c < ncols; c++) st = weft_expr_column(in->names[c], &originals[c]);
  if (st == WEFT_OK)
    st = weft_table_with_columns(NULL, in, nhelp, (const weft_expr *const *)helpers, &with);
  if (st == WEFT_OK) st = weft_table_sort(exec, with, nk, keys2, desc2, &sorted);
  if (st == WEFT_OK) st = weft_table_select(NULL, sorted, ncols, (const weft_expr *const *)originals, out);
  for (size_t i = 0; helpers && i < nhelp; i++) weft_expr_free(helpers[i]);
  for (size_t c = 0; originals && c < ncols; c++) weft_expr_free(originals[c]);
  weft_table_free(with), weft_table_free(sorted);
  free(names), free(keys2), free(desc2), free(helpers), free(originals);
  return st;
}
