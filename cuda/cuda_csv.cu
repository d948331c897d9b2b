/* read_csv's device parse on CUDA: the two kernels of kernels/csv_parse.kern (OpenCL runs
 * them too; opencl/opencl_csv.c is this file's twin). */
#include "cuda_internal.h"

#include "dialect.h"
#include "csv_parse.h"
#include "csv_parse.kern"

static unsigned grid_for(size_t items) {
  size_t grid = (items + WK_GROUP_SIZE - 1) / WK_GROUP_SIZE;
  return (unsigned)(grid > WC_MAX_GRID ? WC_MAX_GRID : grid);
}

/* Five launches (kernels/csv_parse.kern's steps): each block's transitions, each group's,
 * the groups chained by one thread, each block's first record, then each block's record
 * starts; all through the scratch. */
weft_status wc_csv_records(int dev, const weft__csv_launch *l) {
  if (!l || !l->data || !l->starts || !l->scratch)
    return wc_error(WEFT_ERR_INVALID_ARGUMENT, "cuda: csv_records: launch is NULL or lacks a buffer");
  if (l->bytes == 0 || l->rows == 0) return WEFT_OK;
  WC_ENTER(dev);
  size_t nblocks = (l->bytes + WK_CSV_BLOCK_BYTES - 1) / WK_CSV_BLOCK_BYTES;
  wk_u64 *trans = (wk_u64 *)l->scratch;
  WC_LAUNCH(dev, weft_csv_block_scan, grid_for(nblocks), (wk_u64)l->bytes, (wk_u32)l->delim,
            (const wk_u8 *)l->data, trans);
  size_t ngroups = (nblocks + WK_CSV_CHAIN_GROUP - 1) / WK_CSV_CHAIN_GROUP;
  WC_LAUNCH(dev, weft_csv_group_scan, grid_for(ngroups), (wk_u64)l->bytes, trans);
  WC_LAUNCH(dev, weft_csv_block_chain, 1u, (wk_u64)l->bytes, trans);
  WC_LAUNCH(dev, weft_csv_group_first, grid_for(ngroups), (wk_u64)l->bytes, trans);
  WC_LAUNCH(dev, weft_csv_block_starts, grid_for(nblocks), (wk_u64)l->bytes, (wk_u64)l->rows,
            (wk_u32)l->delim, (const wk_u8 *)l->data, (const wk_u64 *)trans, (wk_u64 *)l->starts);
  return WEFT_OK;
}

weft_status wc_csv_fields(int dev, const weft__csv_launch *l) {
  if (!l || !l->data || !l->starts || !l->types || !l->col_off || !l->out || !l->valid ||
      !l->flags || !l->null_off || !l->null_text || l->ncols == 0)
    return wc_error(WEFT_ERR_INVALID_ARGUMENT, "cuda: csv_fields: launch is NULL, lacks a buffer "
                    "or has no columns");
  if (l->rows == 0) return WEFT_OK;
  WC_ENTER(dev);
  WC_LAUNCH(dev, weft_csv_fields, grid_for(l->rows), (wk_u64)l->rows, (wk_u64)l->bytes,
            (wk_u32)l->delim, (wk_u32)l->ncols, (const wk_u8 *)l->data, (const wk_u64 *)l->starts,
            (const wk_u32 *)l->types, (const wk_u64 *)l->col_off, (wk_u8 *)l->out,
            (wk_u8 *)l->valid, (wk_u8 *)l->flags, (wk_u32)l->nnulls, (const wk_u32 *)l->null_off,
            (const wk_u8 *)l->null_text);
  return WEFT_OK;
}
