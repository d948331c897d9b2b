/* Device buffers (handle = cl_mem) and transfers, all on the device's in-order queue.
 * These calls need no lock: the OpenCL 1.2 API is thread-safe except clSetKernelArg. */
#include "opencl_internal.h"

weft_status weft_ocl_buffer_alloc(int dev, size_t bytes, void **handle) {
  weft_ocl_device *d = weft_ocl_device_get(dev);
  if (!d) return weft_ocl_device_status(dev);
  if (!handle) return weft_ocl_error(WEFT_ERR_INVALID_ARGUMENT, "opencl: buffer_alloc: handle is NULL");
  *handle = NULL;
  cl_int err = CL_SUCCESS;
  /* The host accounts for zero-byte buffers; OpenCL refuses size 0. */
  cl_mem mem = clCreateBuffer(d->context, CL_MEM_READ_WRITE, bytes ? bytes : 1, NULL, &err);
  if (err != CL_SUCCESS || !mem)
    return weft_ocl_error(WEFT_ERR_DEVICE_MEMORY,
                          "opencl: clCreateBuffer of %zu bytes failed on device '%s': %s (%d)",
                          bytes, d->desc.name, weft_ocl_error_name(err), (int)err);
  *handle = mem;
  return WEFT_OK;
}

void weft_ocl_buffer_free(int dev, void *handle) {
  (void)dev;
  /* OpenCL keeps the memory alive until queued commands that use it have finished. */
  if (handle) clReleaseMemObject((cl_mem)handle);
}

static weft_status check_handle(const void *handle, const char *what) {
  if (handle) return WEFT_OK;
  return weft_ocl_error(WEFT_ERR_INVALID_ARGUMENT, "opencl: %s is NULL", what);
}

weft_status weft_ocl_buffer_write(int dev, void *dst, size_t dst_offset, const void *src,
                                  size_t bytes, int blocking) {
  weft_ocl_device *d = weft_ocl_device_get(dev);
  if (!d) return weft_ocl_device_status(dev);
  if (bytes == 0) return WEFT_OK;
  weft_status st = check_handle(dst, "buffer_write: dst");
  if (st == WEFT_OK) st = check_handle(src, "buffer_write: src");
  if (st != WEFT_OK) return st;
  cl_int err = clEnqueueWriteBuffer(d->queue, (cl_mem)dst, blocking ? CL_TRUE : CL_FALSE,
                                    dst_offset, bytes, src, 0, NULL, NULL);
  return err == CL_SUCCESS ? WEFT_OK : weft_ocl_fail(d, "clEnqueueWriteBuffer", err);
}

weft_status weft_ocl_buffer_read(int dev, const void *src, size_t src_offset, void *dst,
                                 size_t bytes, int blocking) {
  weft_ocl_device *d = weft_ocl_device_get(dev);
  if (!d) return weft_ocl_device_status(dev);
  if (bytes == 0) return WEFT_OK;
  weft_status st = check_handle(src, "buffer_read: src");
  if (st == WEFT_OK) st = check_handle(dst, "buffer_read: dst");
  if (st != WEFT_OK) return st;
  cl_int err = clEnqueueReadBuffer(d->queue, (cl_mem)src, blocking ? CL_TRUE : CL_FALSE,
                                   src_offset, bytes, dst, 0, NULL, NULL);
  return err == CL_SUCCESS ? WEFT_OK : weft_ocl_fail(d, "clEnqueueReadBuffer", err);
}

weft_status weft_ocl_buffer_copy(int dev, void *dst, size_t dst_offset, const void *src,
                                 size_t src_offset, size_t bytes) {
  weft_ocl_device *d = weft_ocl_device_get(dev);
  if (!d) return weft_ocl_device_status(dev);
  if (bytes == 0) return WEFT_OK;
  weft_status st = check_handle(src, "buffer_copy: src");
  if (st == WEFT_OK) st = check_handle(dst, "buffer_copy: dst");
  if (st != WEFT_OK) return st;
  cl_int err = clEnqueueCopyBuffer(d->queue, (cl_mem)src, (cl_mem)dst, src_offset, dst_offset,
                                   bytes, 0, NULL, NULL);
  return err == CL_SUCCESS ? WEFT_OK : weft_ocl_fail(d, "clEnqueueCopyBuffer", err);
}

weft_status weft_ocl_synchronize(int dev) {
  weft_ocl_device *d = weft_ocl_device_get(dev);
  if (!d) return weft_ocl_device_status(dev);
  cl_int err = clFinish(d->queue);
  return err == CL_SUCCESS ? WEFT_OK : weft_ocl_fail(d, "clFinish", err);
}
