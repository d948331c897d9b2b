/* weft_table_with_row_index: the table with a first column numbering its rows, Polars'
 * with_row_index (uint32, from `offset`). */
#include <stdint.h>
#include <string.h>

#include "core/error.h"
#include "frame/table/table.h"

weft_status weft_table_with_row_index(const weft_table *table, const char *name, int64_t offset,
                                      weft_table **out) {
  WEFT_CHECK_ARG(out, "weft_table_with_row_index: out is NULL");
  *out = NULL;
  WEFT_CHECK_ARG(table && name, "weft_table_with_row_index: table and name must not be NULL");
  WEFT_CHECK_ARG(offset >= 0, "weft_table_with_row_index: offset %lld is negative", (long long)offset);
  WEFT_CHECK_ARG(offset + table->rows - 1 <= (int64_t)UINT32_MAX,
                 "weft_table_with_row_index: offset %lld + %lld rows passes the uint32 index's "
                 "maximum %llu", (long long)offset, (long long)table->rows,
                 (unsigned long long)UINT32_MAX);
  for (size_t c = 0; c < table->ncols; c++)
    if (!strcmp(table->names[c], name))
      return weft__error(WEFT_ERR_INVALID_ARGUMENT, "weft_table_with_row_index: a column is "
                         "already called \"%s\"", name);
  weft__column idx;
  WEFT_RETURN_NOT_OK(weft__column_alloc(WEFT_TYPE_UINT32, table->rows, 0, 0, &idx));
  uint32_t *v = (uint32_t *)idx.view.values;
  for (int64_t i = 0; i < table->rows; i++) v[i] = (uint32_t)(offset + i);
  weft_table *res = NULL;
  weft_status st = weft__table_new(table->ncols + 1, table->rows, &res);
  if (st == WEFT_OK) st = weft__table_set_column(res, 0, name, idx);
  else weft__column_release(&idx);
  for (size_t c = 0; st == WEFT_OK && c < table->ncols; c++) {
    weft__column col = table->cols[c];
    weft__column_retain(&col);
    st = weft__table_set_column(res, c + 1, table->names[c], col);
  }
  if (st != WEFT_OK) {
    weft_table_free(res);
    return st;
  }
  *out = res;
  return WEFT_OK;
}
