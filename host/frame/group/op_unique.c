/* weft_table_unique: the first row of each distinct key tuple, by the group-by's grouping
 * (group_rows.c, nulls as a value), every column gathered at those rows. */
#include <stdlib.h>

#include "core/error.h"
#include "core/alloc.h"
#include "frame/table/gather.h"
#include "frame/group/group_rows.h"

weft_status weft_table_unique(weft_exec *exec, const weft_table *table, size_t nkeys,
                              const char *const *keys, weft_table **out) {
  WEFT_CHECK_ARG(out, "weft_table_unique: out is NULL");
  *out = NULL;
  WEFT_CHECK_ARG(table, "weft_table_unique: table is NULL");
  WEFT_CHECK_ARG(nkeys == 0 || keys, "weft_table_unique: keys is NULL with nkeys = %zu", nkeys);
  size_t n = nkeys ? nkeys : table->ncols;
  const weft__column **kcols = weft__calloc(n ? n : 1, sizeof *kcols);
  weft_status st = kcols ? WEFT_OK : weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_table_unique: no host memory");
  for (size_t k = 0; st == WEFT_OK && k < n; k++) {
    size_t idx = k;
    if (nkeys && !keys[k]) st = weft__error(WEFT_ERR_INVALID_ARGUMENT, "weft_table_unique: keys[%zu] is NULL", k);
    else if (nkeys) st = weft__table_find(table, keys[k], &idx);
    if (st == WEFT_OK) st = weft__check_key_type("weft_table_unique", table->names[idx], &table->cols[idx]);
    if (st == WEFT_OK) kcols[k] = &table->cols[idx];
  }
  weft__groups g = {0};
  if (st == WEFT_OK) st = weft__group_rows(exec, "weft_table_unique", kcols, n, table->rows, 0, &g);
  /* A table without columns has one distinct (empty) row when it has rows. */
  int64_t rows = n == 0 ? (table->rows > 0) : g.ngroups;
  weft_table *res = NULL;
  if (st == WEFT_OK) st = weft__table_new(table->ncols, rows, &res);
  for (size_t c = 0; st == WEFT_OK && c < table->ncols; c++) {
    weft__column col;
    st = weft__column_gather(&table->cols[c], g.first, rows, &col);
    if (st == WEFT_OK) st = weft__table_set_column(res, c, table->names[c], col);
  }
  weft__groups_free(&g);
  free(kcols);
  if (st != WEFT_OK) {
    weft_table_free(res);
    return st;
  }
  *out = res;
  return WEFT_OK;
}
