/* One partition of a compiled expression on an OpenCL or CUDA device: the program and the
 * columns' rows are copied into the stage's buffers (non-blocking: the host arrays outlive
 * the schedule), the interpreter is queued, and the results are queued back. */
#include <string.h>

#include "core/error.h"
#include "frame/expr/expr_device.h"

void weft__expr_device_slots(const weft__expr_program *p, size_t out_bits, int out_validity,
                             weft__op *op) {
  op->slot_fixed_bytes[WEFT__EXPR_SLOT_PROGRAM] = WK_EXPR_PROGRAM_BYTES;
  /* Each region is rounded up to 64 bytes and has one spare byte for a bitmap's shift. */
  op->slot_row_bits[WEFT__EXPR_SLOT_IN] = p->in_row_bits;
  op->slot_fixed_bytes[WEFT__EXPR_SLOT_IN] = 65 * p->in_regions + 64;
  op->slot_row_bits[WEFT__EXPR_SLOT_OUT] = out_bits;
  op->slot_row_bits[WEFT__EXPR_SLOT_VALID] = out_validity ? 1 : 0;
  op->slot_fixed_bytes[WEFT__EXPR_SLOT_ERR] = 8;
}

/* Bytes of a bitmap holding bits [shift, shift + rows). */
static size_t bitmap_bytes(size_t rows, size_t shift) { return (rows + shift + 7) / 8; }

weft_status weft__expr_device_run(const weft__expr_program *p, weft__stage *st, size_t row0,
                                  size_t rows, int mode, void *out, size_t out_bits,
                                  uint8_t *out_valid, uint32_t *err_flag) {
  static const uint32_t zero = 0;
  const weft__backend *be = st->dev->backend;
  int dev = st->dev->backend_device;
  if (!be->expr_eval)
    return weft__error(WEFT_ERR_UNSUPPORTED, "the %s backend of %s cannot evaluate expressions",
                       be->name, st->dev->id);
  void *prog = st->slot[WEFT__EXPR_SLOT_PROGRAM], *in = st->slot[WEFT__EXPR_SLOT_IN];
  void *err = st->slot[WEFT__EXPR_SLOT_ERR];
  WEFT_RETURN_NOT_OK(be->buffer_write(dev, prog, 0, p->words, p->nwords * 8, 0));
  WEFT_RETURN_NOT_OK(be->buffer_write(dev, err, 0, &zero, sizeof zero, 0));
  size_t at = 0, stride = st->max_rows;
  for (int c = 0; c < p->ncols; c++) {
    const weft_column_view *v = &p->cols[c]->view;
    size_t first = (size_t)v->offset + row0, shift = first % 8;
    size_t bits = (size_t)p->words[WK_EXPR_HEADER_WORDS + 2 * c + 1];
    if (v->type == WEFT_TYPE_BOOL)
      WEFT_RETURN_NOT_OK(be->buffer_write(dev, in, at, (const uint8_t *)v->values + first / 8,
                                          bitmap_bytes(rows, shift), 0));
    else
      WEFT_RETURN_NOT_OK(be->buffer_write(dev, in, at, (const char *)v->values + first * (bits / 8),
                                          rows * (bits / 8), 0));
    at += WK_EXPR_REGION_BYTES(bits, stride);
    if (v->validity) {
      WEFT_RETURN_NOT_OK(be->buffer_write(dev, in, at, v->validity + first / 8,
                                          bitmap_bytes(rows, shift), 0));
      at += WK_EXPR_REGION_BYTES(1, stride);
    }
  }
  if (at > st->slot_bytes[WEFT__EXPR_SLOT_IN])
    return weft__error(WEFT_ERR_INTERNAL, "expression inputs need %zu bytes on %s, the stage has %zu",
                       at, st->dev->id, st->slot_bytes[WEFT__EXPR_SLOT_IN]);
  void *dout = st->slot[WEFT__EXPR_SLOT_OUT];
  void *dvalid = out_valid ? st->slot[WEFT__EXPR_SLOT_VALID] : NULL;
  weft__expr_launch l = {rows, stride, mode, prog, in, dout, dvalid, err};
  WEFT_RETURN_NOT_OK(be->expr_eval(dev, &l));
  /* row0 is a multiple of 8: every output lands on whole bytes of the host column */
  size_t out_bytes = out_bits == 1 ? (rows + 7) / 8 : rows * (out_bits / 8);
  size_t out_at = out_bits == 1 ? row0 / 8 : row0 * (out_bits / 8);
  WEFT_RETURN_NOT_OK(be->buffer_read(dev, dout, 0, (char *)out + out_at, out_bytes, 0));
  if (out_valid)
    WEFT_RETURN_NOT_OK(be->buffer_read(dev, dvalid, 0, out_valid + row0 / 8, (rows + 7) / 8, 0));
  if (p->checked_casts) WEFT_RETURN_NOT_OK(be->buffer_read(dev, err, 0, err_flag, sizeof *err_flag, 0));
  return WEFT_OK;
}
