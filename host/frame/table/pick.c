/* weft_table_pick: a table of columns taken from other tables, renamed, sharing their buffers
 * (and a categorical column's dictionary, which a weft_column_view cannot carry). */
#include <string.h>

#include "core/error.h"
#include "frame/table/table.h"

weft_status weft_table_pick(size_t n, const weft_table *const *tables, const size_t *columns,
                            const char *const *names, weft_table **out) {
  WEFT_CHECK_ARG(out, "weft_table_pick: out is NULL");
  *out = NULL;
  WEFT_CHECK_ARG(n == 0 || (tables && columns && names), "weft_table_pick: tables, columns and "
                 "names must not be NULL");
  int64_t rows = 0;
  for (size_t i = 0; i < n; i++) {
    WEFT_CHECK_ARG(tables[i] && names[i], "weft_table_pick: tables[%zu] or names[%zu] is NULL", i, i);
    WEFT_CHECK_ARG(columns[i] < tables[i]->ncols, "weft_table_pick: column %zu of tables[%zu], "
                   "which has %zu columns", columns[i], i, tables[i]->ncols);
    if (i == 0) rows = tables[0]->rows;
    WEFT_CHECK_ARG(tables[i]->rows == rows, "weft_table_pick: column \"%s\" has %lld rows, column "
                   "\"%s\" has %lld", names[i], (long long)tables[i]->rows, names[0], (long long)rows);
    for (size_t j = 0; j < i; j++)
      WEFT_CHECK_ARG(strcmp(names[i], names[j]) != 0, "weft_table_pick: column name \"%s\" "
                     "appears twice", names[i]);
  }
  weft_table *t;
  WEFT_RETURN_NOT_OK(weft__table_new(n, rows, &t));
  for (size_t i = 0; i < n; i++) {
    weft__column c = tables[i]->cols[columns[i]];
    weft__column_retain(&c);
    weft_status st = weft__table_set_column(t, i, names[i], c);
    if (st != WEFT_OK) {
      weft_table_free(t);
      return st;
    }
  }
  *out = t;
  return WEFT_OK;
}
