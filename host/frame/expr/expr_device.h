/* Expressions on OpenCL and CUDA: a bound expression compiled to the postfix bytecode of
 * kernels/expr_program.h (expr_compile.c), and one partition of it run on a device
 * (expr_device.c). Expressions the bytecode cannot express (strings, log/exp) stay on the
 * CPU, with the reason the report and strict mode give. */
#ifndef WEFT_HOST_FRAME_EXPR_DEVICE_H
#define WEFT_HOST_FRAME_EXPR_DEVICE_H

#include <stddef.h>
#include <stdint.h>

#include "../../../kernels/expr_program.h"
#include "core/scheduler.h"
#include "frame/expr/expr.h"

typedef struct weft__expr_program {
  int64_t words[WK_EXPR_PROGRAM_BYTES / 8];
  size_t nwords;
  const weft__column *cols[WK_EXPR_MAX_COLUMNS];
  int ncols;
  int checked_casts;         /* some instruction may raise the error flag */
  size_t in_row_bits;        /* bits per row of all input regions */
  size_t in_regions;
} weft__expr_program;

/* Compiles `b`. Returns 0 and writes the reason to `why` when it must run on the CPU. */
int weft__expr_compile(const weft__bound *b, weft__expr_program *out, char *why, size_t why_cap);

/* The stage slots of a device expression partition. */
enum { WEFT__EXPR_SLOT_PROGRAM, WEFT__EXPR_SLOT_IN, WEFT__EXPR_SLOT_OUT, WEFT__EXPR_SLOT_VALID,
       WEFT__EXPR_SLOT_ERR };
/* Fills op->slot_row_bits / slot_fixed_bytes for a program whose output has `out_bits` bits
 * per row (1 for bool or a mask) and, when `out_validity`, a validity bitmap. */
void weft__expr_device_slots(const weft__expr_program *p, size_t out_bits, int out_validity,
                             weft__op *op);

/* Runs rows [row0, row0 + rows) on the stage's device: stages the columns, queues the
 * kernel and the copies back into out (values or a mask; row0 is a multiple of 8) and
 * out_valid (NULL: none), and queues the read of the cast error flag into *err_flag. */
weft_status weft__expr_device_run(const weft__expr_program *p, weft__stage *st, size_t row0,
                                  size_t rows, int mode, void *out, size_t out_bits,
                                  uint8_t *out_valid, uint32_t *err_flag);

#endif
