/* weft_table_sort: the sorting permutation (sort_perm.c), then every column gathered by it.
 * The keys' radix sorts run on the device the exec chooses (sort_device.c: OpenCL or CUDA
 * sort_pairs, or the CPU pool); the gather runs on the host. The report says which device
 * sorted and how, or why it fell back to the CPU. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/alloc.h"
#include "core/scratch.h"
#include "core/exec.h"
#include "core/progress.h"
#include "frame/table/categorical.h"
#include "frame/table/decimal_keys.h"
#include "frame/table/gather.h"
#include "frame/sort/sort_carry.h"
#include "frame/sort/sort_device.h"
#include "frame/sort/sort_perm.h"

/* Bytes of the radix key of a column (sort_perm.c's encoding). */
static size_t key_width(weft_type t) {
  if (t == WEFT_TYPE_UTF8) return 8;
  return t == WEFT_TYPE_BOOL ? 1 : weft__type_width(t);
}

static void report_sorted(weft_exec *exec, const weft__device *dev, const weft__sort_run *run,
                          const weft__column *const *kcols, size_t nkeys, int64_t rows,
                          const char *method) {
  if (!exec) return;
  if (!dev->backend->host_memory && rows < 2) {
    weft__report(exec, "  %s: nothing to sort (%lld rows)", dev->id, (long long)rows);
    return;
  }
  if (!dev->backend->host_memory && run->device_keys == nkeys) {
    char widths[128] = "";
    int utf8 = 0;
    for (size_t k = 0; k < nkeys; k++) {
      size_t len = strlen(widths);
      snprintf(widths + len, sizeof widths - len, "%s%zu", k ? ", " : "", key_width(kcols[k]->view.type));
      utf8 |= kcols[k]->view.type == WEFT_TYPE_UTF8;
    }
    weft__report(exec, "  %s: radix sort of %s-byte keys on the device (%zu key%s)%s", dev->id,
                 widths, run->named_keys, run->named_keys == 1 ? "" : "s",
                 utf8 ? "; runs of equal 8-byte utf8 prefixes merge sorted on the CPU" : "");
    return;
  }
  if (!dev->backend->host_memory)
    weft__report(exec, "  %s: fell back to cpu: %s (%zu of %zu keys sorted on the device)",
                 dev->id, run->fallback, run->device_keys, nkeys);
  weft__report(exec, "  cpu:0: %s sort by %zu key%s on the CPU pool", method, run->named_keys,
               run->named_keys == 1 ? "" : "s");
  exec->last_device = 0;
}

/* The permutation that sorts the table (on dev's radix sort) into perm, then every column
 * gathered by it, the first key's column decoded from its sorted words when they decode
 * exactly. */
static weft_status by_permutation(weft_exec *exec, const weft_table *table,
                                  const weft__column **kcols, const int *descending, size_t nkeys,
                                  weft__device *dev, weft__sort_run *run, int64_t *perm,
                                  weft__column *cols, int *gathered) {
  const char *method = "";
  weft_status st = weft__sort_perm(kcols, descending, nkeys, table->rows, perm, &method, run);
  if (st == WEFT_OK) st = weft__progress_check("weft_table_sort"); /* before the gathers */
  if (st != WEFT_OK) return st;
  report_sorted(exec, dev, run, kcols, nkeys, table->rows, method);
  size_t primary = table->ncols;
  for (size_t c = 0; run->primary && c < table->ncols; c++)
    if (&table->cols[c] == kcols[0]) primary = c;
  if (primary == table->ncols) {
    st = weft__columns_gather(table->cols, table->ncols, perm, table->rows, cols);
    *gathered = st == WEFT_OK;
    return st;
  }
  st = weft__sort_decode_primary(kcols[0], run, table->rows, &cols[primary]);
  size_t rest = table->ncols - primary - 1;
  if (st == WEFT_OK && primary > 0)
    st = weft__columns_gather(table->cols, primary, perm, table->rows, cols);
  if (st == WEFT_OK && rest > 0)
    st = weft__columns_gather(table->cols + primary + 1, rest, perm, table->rows, cols + primary + 1);
  if (st != WEFT_OK) { /* what was made, released */
    for (size_t c = 0; c < table->ncols; c++) weft__column_release(&cols[c]);
    memset(cols, 0, table->ncols * sizeof *cols);
  }
  *gathered = st == WEFT_OK;
  return st;
}

/* by_permutation with a permutation of its own (the one-key sort on the CPU needs none). */
static weft_status sort_by_permutation(weft_exec *exec, const weft_table *table,
                                       const weft__column **kcols, const int *descending,
                                       size_t nkeys, weft__device *dev, weft__sort_run *run,
                                       weft__column *cols, int *gathered) {
  int64_t *perm = weft__scratch_alloc((size_t)(table->rows ? table->rows : 1) * sizeof *perm);
  if (!perm)
    return weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_table_sort: no host memory for %lld rows",
                       (long long)table->rows);
  weft_status st = by_permutation(exec, table, kcols, descending, nkeys, dev, run, perm, cols,
                                  gathered);
  weft__scratch_free(perm);
  return st;
}

static weft_status sort_table(weft_exec *exec, const weft_table *table, size_t nkeys,
                              const char *const *keys, const int *descending, weft_table **out);

/* Progress: the radix passes count the rows they move (sort_radix.c), about three times
 * the rows in all; the check after the sort gives a cancelled call its status. */
weft_status weft_table_sort(weft_exec *exec, const weft_table *table, size_t nkeys,
                            const char *const *keys, const int *descending, weft_table **out) {
  weft__progress *p = weft__progress_begin("sort", table && table->rows > 0 ? 3 * (uint64_t)table->rows : 0);
  weft_status st = sort_table(exec, table, nkeys, keys, descending, out);
  if (st == WEFT_OK && weft__progress_check("weft_table_sort") != WEFT_OK) {
    weft_table_free(*out);
    *out = NULL;
    st = WEFT_ERR_CANCELLED;
  }
  return weft__progress_end(p, st);
}

static weft_status sort_table(weft_exec *exec, const weft_table *table, size_t nkeys,
                              const char *const *keys, const int *descending, weft_table **out) {
  WEFT_CHECK_ARG(out, "weft_table_sort: out is NULL");
  *out = NULL;
  WEFT_CHECK_ARG(table, "weft_table_sort: table is NULL");
  WEFT_CHECK_ARG(nkeys > 0 && keys, "weft_table_sort: needs at least one key (nkeys = %zu)", nkeys);
  const weft__column **kcols = weft__calloc(nkeys, sizeof *kcols);
  weft_status st = kcols ? WEFT_OK
                 : weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_table_sort: no host memory for %lld "
                               "rows", (long long)table->rows);
  for (size_t k = 0; st == WEFT_OK && k < nkeys; k++) {
    size_t idx = 0;
    if (!keys[k]) st = weft__error(WEFT_ERR_INVALID_ARGUMENT, "weft_table_sort: keys[%zu] is NULL", k);
    else st = weft__table_find(table, keys[k], &idx);
    if (st == WEFT_OK) st = weft__check_key_type("weft_table_sort", keys[k], &table->cols[idx]);
    if (st == WEFT_OK) kcols[k] = &table->cols[idx];
  }
  /* a categorical key sorts by its strings' ranks; the column itself is carried */
  weft__column *ranked = st == WEFT_OK ? weft__calloc(nkeys, sizeof *ranked) : NULL;
  if (st == WEFT_OK && !ranked) st = weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_table_sort: no host memory");
  for (size_t k = 0; st == WEFT_OK && k < nkeys; k++)
    if (kcols[k]->view.type == WEFT_TYPE_CATEGORICAL && (st = weft__column_ranks(kcols[k], &ranked[k])) == WEFT_OK)
      kcols[k] = &ranked[k];
  /* decimal keys sort as their (high, low) words: two keys each */
  const size_t named_keys = nkeys;
  weft__split_keys split = {0};
  if (st == WEFT_OK && weft__keys_have_decimal(kcols, nkeys)) {
    int *dirs = weft__calloc(nkeys, sizeof *dirs);
    for (size_t k = 0; dirs && k < nkeys; k++) dirs[k] = descending && descending[k];
    st = dirs ? weft__split_decimal_keys(kcols, dirs, nkeys, &split)
              : weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_table_sort: no host memory");
    free(dirs);
    if (st == WEFT_OK) {
      free(kcols);
      kcols = split.cols, split.cols = NULL;
      nkeys = split.n, descending = split.descending;
    }
  }
  size_t key_bytes = 0;
  for (size_t k = 0; st == WEFT_OK && k < nkeys; k++) key_bytes += key_width(kcols[k]->view.type);
  weft__device *dev = NULL;
  if (st == WEFT_OK)
    st = weft__sort_device_choose(exec, (size_t)table->rows, nkeys, key_bytes, &dev);
  weft_table *res = NULL;
  weft__column *cols = st == WEFT_OK ? weft__calloc(table->ncols ? table->ncols : 1, sizeof *cols) : NULL;
  if (st == WEFT_OK && !cols) st = weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_table_sort: no host memory");
  if (st == WEFT_OK) st = weft__table_new(table->ncols, table->rows, &res);
  /* one key on the CPU: the columns move with the keys, no permutation read at random */
  int gathered = 0;
  if (st == WEFT_OK && nkeys == 1 && dev->backend->host_memory)
    st = weft__sort_carried(table, kcols[0], descending && descending[0], cols, &gathered);
  if (gathered && exec) {
    weft__report(exec, "  cpu:0: radix sort by 1 key on the CPU pool, the columns moved with "
                 "the keys");
    exec->last_device = 0;
  }
  weft__sort_run run = {.dev = dev, .strict = exec && exec->strict, .want_primary = 1,
                        .named_keys = named_keys};
  if (st == WEFT_OK && !gathered) st = sort_by_permutation(exec, table, kcols, descending, nkeys,
                                                           dev, &run, cols, &gathered);
  weft__scratch_free(run.primary);
  size_t set = 0;
  for (; st == WEFT_OK && set < table->ncols; set++)
    st = weft__table_set_column(res, set, table->names[set], cols[set]);
  /* the columns not handed to the table (a failed set releases its own) */
  for (size_t c = set; gathered && c < table->ncols; c++) weft__column_release(&cols[c]);
  free(cols);
  free(kcols);
  for (size_t k = 0; ranked && k < named_keys; k++) weft__column_release(&ranked[k]);
  free(ranked);
  weft__split_keys_free(&split);
  if (st != WEFT_OK) {
    weft_table_free(res);
    return st;
  }
  *out = res;
  return WEFT_OK;
}
