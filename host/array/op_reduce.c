/* weft_reduce: sum / min / max of a float column, nulls skipped. Each partition yields a
 * partial; they are merged in row order, so a given device and partitioning always give
 * the same bits. */
#include <math.h>
#include <stdlib.h>

#include "core/error.h"
#include "core/alloc.h"
#include "core/scheduler.h"

enum { SLOT_X, SLOT_VALID };

typedef struct reduce_ctx {
  weft_dtype dtype;
  size_t elem;
  const char *x;
  const uint8_t *valid;
  weft__reduce_partial *partials; /* by row0 / WEFT_PARTITION_ALIGN */
  uint8_t *filled;
} reduce_ctx;

static weft_status reduce_run(void *ctx, weft__stage *st, size_t row0, size_t rows) {
  reduce_ctx *c = ctx;
  const void *dx, *dv = NULL;
  WEFT_RETURN_NOT_OK(weft__stage_input(st, SLOT_X, c->x + row0 * c->elem, rows * c->elem, &dx));
  if (c->valid)
    WEFT_RETURN_NOT_OK(weft__stage_input(st, SLOT_VALID, c->valid + row0 / 8, (rows + 7) / 8, &dv));
  size_t k = row0 / WEFT_PARTITION_ALIGN;
  WEFT_RETURN_NOT_OK(st->dev->backend->reduce(st->dev->backend_device, c->dtype, rows, dx, dv,
                                              &c->partials[k]));
  c->filled[k] = 1;
  return WEFT_OK;
}

/* NaN-skipping min/max, as fmin/fmax. */
static double min_skip_nan(double a, double b) { return isnan(a) ? b : (isnan(b) ? a : (b < a ? b : a)); }
static double max_skip_nan(double a, double b) { return isnan(a) ? b : (isnan(b) ? a : (b > a ? b : a)); }

weft_status weft_reduce(weft_exec *exec, weft_dtype dtype, weft_reduce_op op_kind, size_t n,
                        const void *x, const uint8_t *valid, weft_reduce_result *out) {
  WEFT_CHECK_ARG(dtype == WEFT_FLOAT32 || dtype == WEFT_FLOAT64,
                 "weft_reduce: dtype %d is not WEFT_FLOAT32 or WEFT_FLOAT64", (int)dtype);
  WEFT_CHECK_ARG(op_kind == WEFT_REDUCE_SUM || op_kind == WEFT_REDUCE_MIN || op_kind == WEFT_REDUCE_MAX,
                 "weft_reduce: op %d is not SUM, MIN or MAX", (int)op_kind);
  WEFT_CHECK_ARG(out, "weft_reduce: out is NULL");
  WEFT_CHECK_ARG(n == 0 || x, "weft_reduce: x is NULL with n = %zu", n);
  size_t slots = n / WEFT_PARTITION_ALIGN + 1;
  reduce_ctx c = {dtype, dtype == WEFT_FLOAT32 ? 4 : 8, x, valid,
                  weft__calloc(slots, sizeof(weft__reduce_partial)), weft__calloc(slots, 1)};
  if (!c.partials || !c.filled) {
    free(c.partials);
    free(c.filled);
    return weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_reduce: no host memory for %zu partials", slots);
  }
  static const char *names[2][3] = {{"sum float32", "min float32", "max float32"},
                                    {"sum float64", "min float64", "max float64"}};
  weft__op op = {.name = names[dtype][op_kind],
                 .rows = n,
                 .flops_per_row = 1,
                 .needs_fp64 = 1, /* partial sums are float64 on every device */
                 .ctx = &c,
                 .run = reduce_run};
  op.slot_row_bits[SLOT_X] = c.elem * 8;
  if (valid) op.slot_row_bits[SLOT_VALID] = 1;
  struct weft_exec local;
  if (!exec) weft__exec_defaults(&local);
  weft_status st = weft__schedule(exec ? exec : &local, &op);
  if (!exec) weft__exec_release(&local);
  if (st == WEFT_OK) {
    double sum = 0, lo = NAN, hi = NAN;
    uint64_t count = 0;
    for (size_t k = 0; k < slots; k++) {
      if (!c.filled[k]) continue;
      sum += c.partials[k].sum;
      lo = min_skip_nan(lo, c.partials[k].min);
      hi = max_skip_nan(hi, c.partials[k].max);
      count += c.partials[k].count;
    }
    out->count = count;
    out->is_null = op_kind != WEFT_REDUCE_SUM && count == 0;
    out->value = op_kind == WEFT_REDUCE_SUM ? sum : (op_kind == WEFT_REDUCE_MIN ? lo : hi);
  }
  free(c.partials);
  free(c.filled);
  return st;
}
