/* describe's block statistics on CUDA: one launch of kernels/describe_blocks.kern (the kernel
 * OpenCL runs too; opencl/opencl_describe.c is this file's twin): a warp a block of
 * WK_DESC_BLOCK rows, its 32 threads reading consecutive rows, their sums added in the CPU's
 * fixed tree (the same bits); WK_GROUP_SIZE threads a CUDA block take 8 blocks of rows, so
 * 10 million rows make 611 CUDA blocks, over every SM. */
#include "cuda_internal.h"

#include "dialect.h"
#include "describe_blocks.h"
#include "describe_blocks.kern"

weft_status wc_describe_blocks(int dev, const weft__describe_launch *l) {
  if (!l || !l->values || !l->out || l->type < WK_DESC_BOOL || l->type > WK_DESC_TS || l->bit0 > 7)
    return wc_error(WEFT_ERR_INVALID_ARGUMENT, "cuda: describe_blocks: launch is NULL, lacks a "
                    "buffer, or has type %d / bit0 %u out of range", l ? l->type : -1,
                    l ? l->bit0 : 0u);
  if (l->rows == 0) return WEFT_OK;
  WC_ENTER(dev);
  const unsigned threads = WK_GROUP_SIZE, per_block = threads / WK_DESC_LANES;
  size_t blocks = (l->rows + WK_DESC_BLOCK - 1) / WK_DESC_BLOCK;
  size_t grid = (blocks + per_block - 1) / per_block;
  if (grid > WC_MAX_GRID) grid = WC_MAX_GRID;
  const wk_u8 *values = (const wk_u8 *)l->values;
  const wk_u8 *valid = l->valid ? (const wk_u8 *)l->valid : values; /* not read then */
  WC_LAUNCH_BLOCK(dev, weft_describe_blocks, (unsigned)grid, threads, (wk_u64)l->rows,
                  (wk_u32)l->type, (wk_u32)l->bit0, (wk_u32)(l->valid != nullptr), values, valid,
                  (wk_u64 *)l->out);
  return WEFT_OK;
}
