/* weft_axpy: out = a*x + y over float columns with Arrow validity. */
#include <string.h>

#include "core/error.h"
#include "core/scheduler.h"

enum { SLOT_X, SLOT_Y, SLOT_OUT, SLOT_XV, SLOT_YV, SLOT_OV };

typedef struct axpy_ctx {
  weft_dtype dtype;
  size_t elem;
  double a;
  const char *x, *y;
  char *out;
  const uint8_t *xv, *yv;
  uint8_t *ov;
} axpy_ctx;

static weft_status axpy_run(void *ctx, weft__stage *st, size_t row0, size_t rows) {
  axpy_ctx *c = ctx;
  const weft__backend *be = st->dev->backend;
  int dev = st->dev->backend_device;
  size_t bytes = rows * c->elem, off = row0 * c->elem;
  const void *dx, *dy;
  WEFT_RETURN_NOT_OK(weft__stage_input(st, SLOT_X, c->x + off, bytes, &dx));
  WEFT_RETURN_NOT_OK(weft__stage_input(st, SLOT_Y, c->y + off, bytes, &dy));
  void *dout = weft__stage_output(st, SLOT_OUT, c->out + off);
  WEFT_RETURN_NOT_OK(be->axpy(dev, c->dtype, rows, c->a, dx, dy, dout));

  int and_bitmaps = c->xv && c->yv;
  if (c->ov) {
    /* row0 is a multiple of WEFT_PARTITION_ALIGN, so the bitmap splits on a whole byte. */
    size_t vbytes = (rows + 7) / 8, voff = row0 / 8;
    const void *valid;
    if (and_bitmaps) {
      const void *dxv, *dyv;
      WEFT_RETURN_NOT_OK(weft__stage_input(st, SLOT_XV, c->xv + voff, vbytes, &dxv));
      WEFT_RETURN_NOT_OK(weft__stage_input(st, SLOT_YV, c->yv + voff, vbytes, &dyv));
      void *dov = weft__stage_output(st, SLOT_OV, c->ov + voff);
      WEFT_RETURN_NOT_OK(be->bitmap_and(dev, vbytes, dxv, dyv, dov));
      valid = dov;
    } else {
      /* One input has nulls: the output's validity is that bitmap, copied on the host. */
      const uint8_t *only = c->xv ? c->xv : c->yv;
      if (c->ov + voff != only + voff) memmove(c->ov + voff, only + voff, vbytes);
      WEFT_RETURN_NOT_OK(weft__stage_input(st, SLOT_XV, only + voff, vbytes, &valid));
    }
    WEFT_RETURN_NOT_OK(be->zero_nulls(dev, c->dtype, rows, valid, dout));
    if (and_bitmaps)
      WEFT_RETURN_NOT_OK(weft__stage_output_done(st, SLOT_OV, c->ov + voff, vbytes));
  }
  return weft__stage_output_done(st, SLOT_OUT, c->out + off, bytes);
}

weft_status weft_axpy(weft_exec *exec, weft_dtype dtype, size_t n, double a, const void *x,
                      const uint8_t *x_valid, const void *y, const uint8_t *y_valid, void *out,
                      uint8_t *out_valid) {
  WEFT_CHECK_ARG(dtype == WEFT_FLOAT32 || dtype == WEFT_FLOAT64,
                 "weft_axpy: dtype %d is not WEFT_FLOAT32 or WEFT_FLOAT64", (int)dtype);
  WEFT_CHECK_ARG(n == 0 || (x && y && out), "weft_axpy: x, y and out must not be NULL when n = %zu "
                 "(x=%p, y=%p, out=%p)", n, x, y, out);
  WEFT_CHECK_ARG(!(x_valid || y_valid) || out_valid || n == 0,
                 "weft_axpy: out_valid is NULL but %s has a validity bitmap",
                 x_valid ? "x" : "y");
  struct weft_exec local;
  if (!exec) weft__exec_defaults(&local);
  axpy_ctx c = {dtype, dtype == WEFT_FLOAT32 ? 4 : 8, a, x, y, out, x_valid, y_valid,
                (x_valid || y_valid) ? out_valid : NULL};
  weft__op op = {.name = dtype == WEFT_FLOAT32 ? "axpy float32" : "axpy float64",
                 .rows = n,
                 .flops_per_row = 2,
                 .needs_fp64 = dtype == WEFT_FLOAT64,
                 .ctx = &c,
                 .run = axpy_run};
  size_t bits = c.elem * 8;
  op.slot_row_bits[SLOT_X] = op.slot_row_bits[SLOT_Y] = op.slot_row_bits[SLOT_OUT] = bits;
  if (c.ov) op.slot_row_bits[SLOT_XV] = 1;
  if (x_valid && y_valid) op.slot_row_bits[SLOT_YV] = op.slot_row_bits[SLOT_OV] = 1;
  weft_status st = weft__schedule(exec ? exec : &local, &op);
  if (!exec) weft__exec_release(&local);
  return st;
}
