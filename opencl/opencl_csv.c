/* read_csv's device parse on OpenCL: the two kernels of kernels/csv_parse.kern (CUDA runs
 * them too; cuda/cuda_csv.cu is this file's twin). */
#include "../kernels/csv_parse.h"
#include "opencl_internal.h"

static weft_status check(int dev, const weft__csv_launch *l, const char *what,
                         weft_ocl_device **out) {
  weft_ocl_device *d = *out = weft_ocl_device_get(dev);
  if (!d) return weft_ocl_device_status(dev);
  if (!l || !l->data || !l->starts)
    return weft_ocl_error(WEFT_ERR_INVALID_ARGUMENT, "opencl: %s: launch is NULL or lacks a buffer",
                          what);
  if (!d->desc.has_fp64)
    return weft_ocl_error(WEFT_ERR_UNSUPPORTED, "opencl: read_csv: device '%s' has no fp64",
                          d->desc.name);
  return WEFT_OK;
}

static size_t groups_for(weft_ocl_device *d, int k, size_t items) {
  size_t local = d->local[k];
  size_t groups = items / local + (items % local != 0);
  return groups > WEFT_OCL_MAX_GROUPS ? WEFT_OCL_MAX_GROUPS : groups;
}

/* Five launches (kernels/csv_parse.kern's steps): each block's transitions, each group's,
 * the groups chained by one work-item, each block's first record, then each block's record
 * starts; all through the scratch. */
weft_status weft_ocl_csv_records(int dev, const weft__csv_launch *l) {
  weft_ocl_device *d;
  weft_status st = check(dev, l, "csv_records", &d);
  if (st != WEFT_OK) return st;
  if (!l->scratch)
    return weft_ocl_error(WEFT_ERR_INVALID_ARGUMENT, "opencl: csv_records: no scratch buffer");
  if (l->bytes == 0 || l->rows == 0) return WEFT_OK;
  st = weft_ocl_lock_ready(d);
  if (st != WEFT_OK) return st;
  size_t nblocks = (l->bytes + WK_CSV_BLOCK_BYTES - 1) / WK_CSV_BLOCK_BYTES;
  cl_ulong rows = l->rows, bytes = l->bytes;
  cl_uint delim = l->delim;
  cl_mem data = (cl_mem)l->data, starts = (cl_mem)l->starts, trans = (cl_mem)l->scratch;
  weft_ocl_arg scan[] = {WEFT_OCL_ARG(bytes), WEFT_OCL_ARG(delim), WEFT_OCL_ARG(data),
                         WEFT_OCL_ARG(trans)};
  weft_ocl_arg chain[] = {WEFT_OCL_ARG(bytes), WEFT_OCL_ARG(trans)};
  weft_ocl_arg walk[] = {WEFT_OCL_ARG(bytes), WEFT_OCL_ARG(rows),  WEFT_OCL_ARG(delim),
                         WEFT_OCL_ARG(data),  WEFT_OCL_ARG(trans), WEFT_OCL_ARG(starts)};
  st = weft_ocl_launch_locked(d, WEFT_OCL_CSV_BLOCK_SCAN, scan, 4,
                              groups_for(d, WEFT_OCL_CSV_BLOCK_SCAN, nblocks));
  size_t ngroups = (nblocks + WK_CSV_CHAIN_GROUP - 1) / WK_CSV_CHAIN_GROUP;
  if (st == WEFT_OK)
    st = weft_ocl_launch_locked(d, WEFT_OCL_CSV_GROUP_SCAN, chain, 2,
                                groups_for(d, WEFT_OCL_CSV_GROUP_SCAN, ngroups));
  if (st == WEFT_OK) st = weft_ocl_launch_locked(d, WEFT_OCL_CSV_BLOCK_CHAIN, chain, 2, 1);
  if (st == WEFT_OK)
    st = weft_ocl_launch_locked(d, WEFT_OCL_CSV_GROUP_FIRST, chain, 2,
                                groups_for(d, WEFT_OCL_CSV_GROUP_FIRST, ngroups));
  if (st == WEFT_OK)
    st = weft_ocl_launch_locked(d, WEFT_OCL_CSV_BLOCK_STARTS, walk, 6,
                                groups_for(d, WEFT_OCL_CSV_BLOCK_STARTS, nblocks));
  pthread_mutex_unlock(&d->lock);
  return st;
}

weft_status weft_ocl_csv_fields(int dev, const weft__csv_launch *l) {
  weft_ocl_device *d;
  weft_status st = check(dev, l, "csv_fields", &d);
  if (st != WEFT_OK) return st;
  if (!l->types || !l->col_off || !l->out || !l->valid || !l->flags || !l->null_off ||
      !l->null_text || l->ncols == 0)
    return weft_ocl_error(WEFT_ERR_INVALID_ARGUMENT, "opencl: csv_fields: launch lacks a buffer "
                          "or has no columns (ncols = %u)", l->ncols);
  if (l->rows == 0) return WEFT_OK;
  st = weft_ocl_lock_ready(d);
  if (st != WEFT_OK) return st;
  cl_ulong rows = l->rows, bytes = l->bytes;
  cl_uint delim = l->delim, ncols = l->ncols, nnulls = l->nnulls;
  cl_mem data = (cl_mem)l->data, starts = (cl_mem)l->starts, types = (cl_mem)l->types;
  cl_mem col_off = (cl_mem)l->col_off, out = (cl_mem)l->out, valid = (cl_mem)l->valid;
  cl_mem flags = (cl_mem)l->flags, null_off = (cl_mem)l->null_off, null_text = (cl_mem)l->null_text;
  weft_ocl_arg args[] = {WEFT_OCL_ARG(rows),     WEFT_OCL_ARG(bytes),    WEFT_OCL_ARG(delim),
                         WEFT_OCL_ARG(ncols),    WEFT_OCL_ARG(data),     WEFT_OCL_ARG(starts),
                         WEFT_OCL_ARG(types),    WEFT_OCL_ARG(col_off),  WEFT_OCL_ARG(out),
                         WEFT_OCL_ARG(valid),    WEFT_OCL_ARG(flags),    WEFT_OCL_ARG(nnulls),
                         WEFT_OCL_ARG(null_off), WEFT_OCL_ARG(null_text)};
  st = weft_ocl_launch_locked(d, WEFT_OCL_CSV_FIELDS, args, 14,
                              groups_for(d, WEFT_OCL_CSV_FIELDS, l->rows));
  pthread_mutex_unlock(&d->lock);
  return st;
}
