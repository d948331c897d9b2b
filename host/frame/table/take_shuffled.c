/* weft_table_take_shuffled: positions [start, start + count) of a table's rows in the
 * seeded order of shuffle_order.h, copied into the caller's buffers (a training loop's
 * batches: the caller reuses them, so no fresh memory is faulted in per group).
 *
 * Each row of a shuffled order misses the cache once per column, so the copy is bound by
 * how many misses are in flight. Two passes on the pool: the positions' rows, computed in
 * blocks into one array; then each column in chunks of CHUNK rows, claimed column by
 * column, with a software prefetch AHEAD rows on into L2 only (prefetcht2). Measured on a
 * 2-core Xeon VM over 10M rows x 16 float32 columns: 7.3 ns a value against 10 ns with
 * prefetcht0 or none (the L2 keeps more misses in flight than the L1's fill buffers); long
 * runs of one column beat short ones (1,024 rows: 11 ns; 16,384: 7.5 ns), a column's lines
 * fetched for one chunk being still cached for the next; and the two passes took 12% less
 * CPU than blocks of 16,384 positions gathering every column (6M rows, 0.60-0.66 s against
 * 0.69-0.72 s). */
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/thread_pool.h"
#include "frame/table/shuffle_order.h"
#include "frame/table/table.h"

#define CHUNK 131072 /* rows of one column a claim of the second pass gathers */
#define ALONE 16384  /* values up to which the gather stays on the calling thread */
#define AHEAD 96     /* rows prefetched ahead (64 to 256 measure alike) */

typedef struct shuffled_ctx {
  const weft_table *table;
  weft__shuffle_order order;
  int64_t start, count, chunks; /* chunks: of CHUNK rows, per column */
  void *const *out;
  int64_t *rows; /* count + AHEAD: the rows of the positions, then padding prefetched */
  _Atomic int64_t next;
} shuffled_ctx;

#define GATHER(T)                                                          \
  do {                                                                     \
    const T *s = (const T *)src;                                           \
    T *d = (T *)dst;                                                       \
    for (int64_t i = 0; i < AHEAD && i < len; i++) __builtin_prefetch(s + rows[i], 0, 1); \
    for (int64_t i = 0; i < len; i++) {                                    \
      __builtin_prefetch(s + rows[i + AHEAD], 0, 1);                       \
      d[i] = s[rows[i]];                                                   \
    }                                                                      \
  } while (0)

static void gather_chunk(shuffled_ctx *c, size_t col, int64_t o0, int64_t len) {
  const weft_column_view *v = &c->table->cols[col].view;
  size_t w = weft__type_width(v->type);
  const char *src = (const char *)v->values + (size_t)v->offset * w;
  char *dst = (char *)c->out[col] + (size_t)o0 * w;
  const int64_t *rows = c->rows + o0;
  switch (w) {
    case 1: GATHER(uint8_t); break;
    case 2: GATHER(uint16_t); break;
    case 4: GATHER(uint32_t); break;
    case 8: GATHER(uint64_t); break;
    default:
      for (int64_t i = 0; i < len; i++) {
        __builtin_prefetch(src + (size_t)rows[i + AHEAD] * w, 0, 1);
        memcpy(dst + (size_t)i * w, src + (size_t)rows[i] * w, w);
      }
  }
}

/* Claims run column by column, so both threads read one column at a time. */
static void gather_worker(void *ctx, int worker, int workers) {
  (void)worker, (void)workers;
  shuffled_ctx *c = ctx;
  int64_t units = (int64_t)c->table->ncols * c->chunks;
  for (;;) {
    int64_t u = atomic_fetch_add(&c->next, 1);
    if (u >= units) return;
    int64_t o0 = (u % c->chunks) * CHUNK;
    gather_chunk(c, (size_t)(u / c->chunks), o0, c->count - o0 < CHUNK ? c->count - o0 : CHUNK);
  }
}

weft_status weft_table_take_shuffled(const weft_table *table, uint64_t seed, int64_t start,
                                     int64_t count, void *const *out) {
  WEFT_CHECK_ARG(table, "weft_table_take_shuffled: table is NULL");
  int64_t n = table->rows;
  WEFT_CHECK_ARG(start >= 0 && count >= 0 && start <= n && count <= n - start,
                 "weft_table_take_shuffled: positions [%lld, %lld + %lld) are outside the "
                 "table's %lld rows", (long long)start, (long long)start, (long long)count,
                 (long long)n);
  WEFT_CHECK_ARG(out || table->ncols == 0, "weft_table_take_shuffled: out is NULL");
  for (size_t col = 0; col < table->ncols; col++) {
    weft__column *cl = &table->cols[col];
    WEFT_CHECK_ARG(weft__type_width(cl->view.type) > 0, "weft_table_take_shuffled: column \"%s\" "
                   "is not fixed-width (bool and utf8 go through weft_shuffled_rows and "
                   "weft_table_take)", table->names[col]);
    WEFT_CHECK_ARG(weft__column_null_count(cl) == 0, "weft_table_take_shuffled: column \"%s\" "
                   "has nulls (it goes through weft_shuffled_rows and weft_table_take)",
                   table->names[col]);
    WEFT_CHECK_ARG(out[col] || count == 0, "weft_table_take_shuffled: out[%zu] is NULL", col);
  }
  if (count == 0 || table->ncols == 0) return WEFT_OK;
  shuffled_ctx c = {.table = table, .start = start, .count = count, .out = out,
                    .chunks = (count + CHUNK - 1) / CHUNK};
  c.rows = weft__malloc((size_t)(count + AHEAD) * sizeof *c.rows);
  if (!c.rows)
    return weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_table_take_shuffled: no host memory for "
                       "%lld row numbers", (long long)count);
  weft__shuffle_order_init(&c.order, n, seed);
  weft__shuffle_rows_pooled(&c.order, start, count, c.rows);
  /* The padding is prefetched, never read. */
  for (int64_t i = count; i < count + AHEAD; i++) c.rows[i] = c.rows[0];
  atomic_store(&c.next, 0);
  if (count * (int64_t)table->ncols <= ALONE) gather_worker(&c, 0, 1);
  else weft__pool_run(gather_worker, &c);
  free(c.rows);
  return WEFT_OK;
}
