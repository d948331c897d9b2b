/* weft_table_take: the rows a caller lists, in its order (Polars' DataFrame[indices],
 * gather). Batches for a training loop (Python's iter_batches, sample, train_test_split) are
 * made this way. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/error.h"
#include "core/alloc.h"
#include "core/thread_pool.h"
#include "frame/join/join.h"
#include "frame/table/table.h"

/* A shuffled list reads each column at random, so the columns are shared out whole, one
 * thread a column (as Polars does), rather than a block of rows across every column: each
 * thread then keeps one column in cache, and the pool is woken once, not once a block. */
typedef struct take_ctx {
  const weft_table *table;
  const int64_t *rows;
  int64_t n;
  weft__column *cols;
  weft_status *status;
  _Atomic size_t next;
  /* The first failing column's message: it was set on the thread that gathered the column,
   * a pool worker's thread-local error, and is raised again on the caller's thread. */
  _Atomic int failed;
  size_t failed_col;
  char message[512];
} take_ctx;

static void take_worker(void *ctx, int worker, int workers) {
  (void)worker, (void)workers;
  take_ctx *t = ctx;
  for (;;) {
    size_t c = atomic_fetch_add(&t->next, 1);
    if (c >= t->table->ncols) return;
    /* Inside a pool job the gather runs on this thread. The rows were checked (none is
     * -1), so each column skips weft__column_gather's scan of the list for a -1. */
    t->status[c] = weft__join_gather(&t->table->cols[c], t->rows, t->n, 0, &t->cols[c]);
    int none = 0;
    if (t->status[c] != WEFT_OK && atomic_compare_exchange_strong(&t->failed, &none, 1)) {
      t->failed_col = c;
      snprintf(t->message, sizeof t->message, "%s", weft_last_error());
    }
  }
}

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
  weft__column *cols = weft__calloc(ncols ? ncols : 1, sizeof *cols);
  weft_status *status = weft__calloc(ncols ? ncols : 1, sizeof *status);
  if (!cols || !status) {
    free(cols);
    free(status);
    return weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_table_take: no host memory");
  }
  take_ctx ctx = {table, rows, n, cols, status, 0, 0, 0, ""};
  if (ncols > 1 && n > 4096) weft__pool_run(take_worker, &ctx);
  else take_worker(&ctx, 0, 1);
  weft_status st = WEFT_OK;
  if (atomic_load(&ctx.failed))
    st = weft__error(status[ctx.failed_col], "weft_table_take: column \"%s\": %s",
                     table->names[ctx.failed_col], ctx.message);
  weft_table *res = NULL;
  if (st == WEFT_OK) st = weft__table_new(ncols, n, &res);
  size_t given = 0;  /* columns handed to the table, which releases them */
  for (; st == WEFT_OK && given < ncols; given++)
    st = weft__table_set_column(res, given, table->names[given], cols[given]);
  if (st != WEFT_OK) {
    for (size_t c = given; c < ncols; c++)
      if (status[c] == WEFT_OK) weft__column_release(&cols[c]);
    weft_table_free(res);
    res = NULL;
  }
  free(cols);
  free(status);
  *out = res;
  return st;
}
