/* weft_table_take: the rows a caller lists, in its order (Polars' DataFrame[indices],
 * gather), through the parallel gather sort and group_by use. Batches for a training loop
 * (Python's iter_batches, sample, train_test_split) are made this way. */
#include <stdint.h>
#include <stdlib.h>

#include "core/error.h"
#include "frame/table/gather.h"
#include "frame/table/table.h"

weft_status weft_table_take(const weft_table *table, const int64_t *rows, int64_t n,
                            weft_table **out) {
  WEFT_CHECK_ARG(out, "weft_table_take: out is NULL");
  *out = NULL;
  WEFT_CHECK_ARG(table, "weft_table_take: table is NULL");
  WEFT_CHECK_ARG(n >= 0, "weft_table_take: n %lld is negative", (long long)n);
  WEFT_CHECK_ARG(rows || n == 0, "weft_table_take: rows is NULL for n = %lld", (long long)n);
  for (int64_t i = 0; i < n; i++)
    WEFT_CHECK_ARG(rows[i] >= 0 && rows[i] < table->rows, "weft_table_take: rows[%lld] = %lld is "
                   "outside the table's %lld rows", (long long)i, (long long)rows[i],
                   (long long)table->rows);
  size_t ncols = table->ncols;
  weft__column *cols = calloc(ncols ? ncols : 1, sizeof *cols);
  if (!cols) return weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_table_take: no host memory");
  weft_table *res = NULL;
  /* One column at a time over the whole list, not a block of rows across every column: a
   * shuffled list reads each column at random, and one column at a time keeps only that
   * column in cache (a 2M-row float32 column is 8 MiB; all of a wide table's are not). */
  weft_status st = WEFT_OK;
  size_t made = 0;
  for (; st == WEFT_OK && made < ncols; made++) st = weft__column_gather(&table->cols[made], rows, n, &cols[made]);
  if (st != WEFT_OK) {
    for (size_t k = 0; k + 1 < made; k++) weft__column_release(&cols[k]);
  }
  if (st == WEFT_OK) {
    st = weft__table_new(ncols, n, &res);
    size_t c = 0;
    for (; st == WEFT_OK && c < ncols; c++) st = weft__table_set_column(res, c, table->names[c], cols[c]);
    if (st != WEFT_OK) {  /* columns not handed to the table are still ours */
      for (size_t k = res ? c : 0; k < ncols; k++) weft__column_release(&cols[k]);
      weft_table_free(res);
      res = NULL;
    }
  }
  free(cols);
  *out = res;
  return st;
}
