/* Column expressions on OpenCL: one launch of weft_expr_eval (kernels/expr_eval.kern, the
 * interpreter CUDA runs too) per partition, one work-item per 8 rows. */
#include "opencl_internal.h"

weft_status weft_ocl_expr_eval(int dev, const weft__expr_launch *l) {
  weft_ocl_device *d = weft_ocl_device_get(dev);
  if (!d) return weft_ocl_device_status(dev);
  if (!l) return weft_ocl_error(WEFT_ERR_INVALID_ARGUMENT, "opencl: expr_eval: launch is NULL");
  if (l->rows == 0) return WEFT_OK;
  if (!l->program || !l->inputs || !l->out || !l->err || l->rows > l->stride)
    return weft_ocl_error(WEFT_ERR_INVALID_ARGUMENT,
                          "opencl: expr_eval: NULL buffer handle or rows %zu > stride %zu", l->rows,
                          l->stride);
  if (!d->desc.has_fp64)
    return weft_ocl_error(WEFT_ERR_UNSUPPORTED, "opencl: expr_eval: device '%s' has no fp64",
                          d->desc.name);
  weft_status st = weft_ocl_lock_ready(d);
  if (st != WEFT_OK) return st;
  cl_mem prog = (cl_mem)l->program, in = (cl_mem)l->inputs, out = (cl_mem)l->out;
  cl_mem valid = (cl_mem)l->out_valid, err = (cl_mem)l->err;
  cl_ulong stride = l->stride, rows = l->rows;
  cl_int has_valid = l->out_valid != NULL, mode = l->mode;
  weft_ocl_arg args[] = {WEFT_OCL_ARG(prog),  WEFT_OCL_ARG(in),    WEFT_OCL_ARG(stride),
                         WEFT_OCL_ARG(rows),  WEFT_OCL_ARG(out),   WEFT_OCL_ARG(valid),
                         WEFT_OCL_ARG(has_valid), WEFT_OCL_ARG(mode), WEFT_OCL_ARG(err)};
  size_t local = d->local[WEFT_OCL_EXPR_EVAL], items = (l->rows + 7) / 8;
  size_t groups = items / local + (items % local != 0);
  if (groups > WEFT_OCL_MAX_GROUPS) groups = WEFT_OCL_MAX_GROUPS;
  st = weft_ocl_launch_locked(d, WEFT_OCL_EXPR_EVAL, args, 9, groups);
  pthread_mutex_unlock(&d->lock);
  return st;
}
