/* describe's block statistics on OpenCL: one launch of kernels/describe_blocks.kern (the
 * kernel CUDA runs too; cuda/cuda_describe.cu is this file's twin), WK_DESC_LANES work-items
 * a block. */
#include "../kernels/describe_blocks.h"
#include "opencl_internal.h"

weft_status weft_ocl_describe_blocks(int dev, const weft__describe_launch *l) {
  weft_ocl_device *d = weft_ocl_device_get(dev);
  if (!d) return weft_ocl_device_status(dev);
  if (!l || !l->values || !l->out || l->type < WK_DESC_BOOL || l->type > WK_DESC_TS || l->bit0 > 7)
    return weft_ocl_error(WEFT_ERR_INVALID_ARGUMENT, "opencl: describe_blocks: launch is NULL, "
                          "lacks a buffer, or has type %d / bit0 %u out of range",
                          l ? l->type : -1, l ? l->bit0 : 0u);
  if (!d->desc.has_fp64)
    return weft_ocl_error(WEFT_ERR_UNSUPPORTED, "opencl: describe: device '%s' has no fp64",
                          d->desc.name);
  if (l->rows == 0) return WEFT_OK;
  weft_status st = weft_ocl_lock_ready(d);
  if (st != WEFT_OK) return st;
  cl_ulong rows = l->rows;
  cl_uint type = (cl_uint)l->type, bit0 = l->bit0, has_valid = l->valid != NULL;
  cl_mem values = (cl_mem)l->values, out = (cl_mem)l->out;
  cl_mem valid = has_valid ? (cl_mem)l->valid : values; /* not read without validity */
  weft_ocl_arg args[] = {WEFT_OCL_ARG(rows),   WEFT_OCL_ARG(type),  WEFT_OCL_ARG(bit0),
                         WEFT_OCL_ARG(has_valid), WEFT_OCL_ARG(values), WEFT_OCL_ARG(valid),
                         WEFT_OCL_ARG(out)};
  size_t blocks = (l->rows + WK_DESC_BLOCK - 1) / WK_DESC_BLOCK;
  size_t local = d->local[WEFT_OCL_DESCRIBE_BLOCKS], per_group = local / WK_DESC_LANES;
  if (per_group == 0 || local % WK_DESC_LANES) {
    pthread_mutex_unlock(&d->lock);
    return weft_ocl_error(WEFT_ERR_UNSUPPORTED, "opencl: describe: the kernel needs work-groups "
                          "of a multiple of %d items; device '%s' allows %zu", WK_DESC_LANES,
                          d->desc.name, local);
  }
  size_t groups = blocks / per_group + (blocks % per_group != 0);
  if (groups > WEFT_OCL_MAX_GROUPS) groups = WEFT_OCL_MAX_GROUPS;
  st = weft_ocl_launch_locked(d, WEFT_OCL_DESCRIBE_BLOCKS, args, 7, groups);
  pthread_mutex_unlock(&d->lock);
  return st;
}
