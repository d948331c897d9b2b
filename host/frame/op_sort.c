/* weft_table_sort: the sorting permutation (sort_perm.c), then every column gathered by it.
 * CPU only: the sort works on host memory with the CPU pool (no device kernels yet); the
 * report says so. */
#include <stdlib.h>

#include "../error.h"
#include "../exec.h"
#include "cpu_only.h"
#include "gather.h"
#include "sort_perm.h"

weft_status weft_table_sort(weft_exec *exec, const weft_table *table, size_t nkeys,
                            const char *const *keys, const int *descending, weft_table **out) {
  WEFT_CHECK_ARG(out, "weft_table_sort: out is NULL");
  *out = NULL;
  WEFT_CHECK_ARG(table, "weft_table_sort: table is NULL");
  WEFT_CHECK_ARG(nkeys > 0 && keys, "weft_table_sort: needs at least one key (nkeys = %zu)", nkeys);
  const weft__column **kcols = calloc(nkeys, sizeof *kcols);
  int64_t *perm = malloc((size_t)(table->rows ? table->rows : 1) * sizeof *perm);
  weft_status st = kcols && perm ? WEFT_OK
                 : weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_table_sort: no host memory for %lld "
                               "rows", (long long)table->rows);
  for (size_t k = 0; st == WEFT_OK && k < nkeys; k++) {
    size_t idx = 0;
    if (!keys[k]) st = weft__error(WEFT_ERR_INVALID_ARGUMENT, "weft_table_sort: keys[%zu] is NULL", k);
    else st = weft__table_find(table, keys[k], &idx);
    if (st == WEFT_OK) kcols[k] = &table->cols[idx];
  }
  if (st == WEFT_OK) st = weft__cpu_only_begin(exec, "weft_table_sort", (size_t)table->rows);
  const char *method = "";
  if (st == WEFT_OK) st = weft__sort_perm(kcols, descending, nkeys, table->rows, perm, &method);
  weft_table *res = NULL;
  if (st == WEFT_OK) st = weft__table_new(table->ncols, table->rows, &res);
  for (size_t c = 0; st == WEFT_OK && c < table->ncols; c++) {
    weft__column col;
    st = weft__column_gather(&table->cols[c], perm, table->rows, &col);
    if (st == WEFT_OK) st = weft__table_set_column(res, c, table->names[c], col);
  }
  if (st == WEFT_OK && exec)
    weft__report(exec, "  cpu:0: %s sort by %zu keys on the CPU pool (no device kernel for "
                 "sorting)", method, nkeys);
  free(kcols), free(perm);
  if (st != WEFT_OK) {
    weft_table_free(res);
    return st;
  }
  *out = res;
  return WEFT_OK;
}
