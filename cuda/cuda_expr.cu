/* Column expressions on CUDA: the portable interpreter kernels/expr_eval.kern (the one
 * OpenCL runs), one thread per 8 rows, queued on the device's stream. */
#include "cuda_internal.h"

#include <math.h>

#include "dialect.h"
#include "expr_program.h"
#include "expr_eval.kern"

weft_status wc_expr_eval(int dev, const weft__expr_launch *l) {
  if (!l) return wc_error(WEFT_ERR_INVALID_ARGUMENT, "cuda: expr_eval: launch is NULL");
  if (l->rows == 0) return WEFT_OK;
  if (!l->program || !l->inputs || !l->out || !l->err || l->rows > l->stride)
    return wc_error(WEFT_ERR_INVALID_ARGUMENT,
                    "cuda: expr_eval: NULL buffer handle or rows %zu > stride %zu", l->rows,
                    l->stride);
  if (l->mode != WK_EXPR_MODE_VALUES && l->mode != WK_EXPR_MODE_MASK)
    return wc_error(WEFT_ERR_INVALID_ARGUMENT, "cuda: expr_eval: unknown mode %d", l->mode);
  WC_ENTER(dev);
  size_t items = (l->rows + 7) / 8;
  size_t grid = (items + WK_GROUP_SIZE - 1) / WK_GROUP_SIZE;
  if (grid > WC_MAX_GRID) grid = WC_MAX_GRID;
  WC_LAUNCH(dev, weft_expr_eval, (unsigned)grid, (const wk_i64 *)l->program,
            (const wk_u8 *)l->inputs, (wk_u64)l->stride, (wk_u64)l->rows, (wk_u8 *)l->out,
            (wk_u8 *)l->out_valid, (wk_i32)(l->out_valid != nullptr), (wk_i32)l->mode,
            (wk_u32 *)l->err);
  return WEFT_OK;
}
