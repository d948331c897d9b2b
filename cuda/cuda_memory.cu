/* Device buffers: cudaMalloc'd handles, copies queued on the device's stream. */
#include "cuda_internal.h"

weft_status wc_buffer_alloc(int dev, size_t bytes, void **handle) {
  if (!handle) return wc_error(WEFT_ERR_INVALID_ARGUMENT, "cuda: buffer_alloc: handle is NULL");
  *handle = nullptr;
  WC_ENTER(dev);
  void *p = nullptr;
  WC_CHECK(dev, cudaMalloc(&p, bytes ? bytes : 1));
  *handle = p;
  return WEFT_OK;
}

void wc_buffer_free(int dev, void *handle) {
  if (!handle || dev < 0 || dev >= wc_g.count) return;
  if (cudaSetDevice(dev) != cudaSuccess || cudaFree(handle) != cudaSuccess)
    (void)cudaGetLastError(); /* nothing to report through a void call */
}

weft_status wc_buffer_write(int dev, void *dst, size_t dst_offset, const void *src, size_t bytes,
                            int blocking) {
  if (bytes == 0) return WEFT_OK;
  WC_ENTER(dev);
  cudaStream_t s = wc_g.devs[dev].stream;
  WC_CHECK(dev, cudaMemcpyAsync((char *)dst + dst_offset, src, bytes, cudaMemcpyHostToDevice, s));
  if (blocking) WC_CHECK(dev, cudaStreamSynchronize(s));
  return WEFT_OK;
}

weft_status wc_buffer_read(int dev, const void *src, size_t src_offset, void *dst, size_t bytes,
                           int blocking) {
  if (bytes == 0) return WEFT_OK;
  WC_ENTER(dev);
  cudaStream_t s = wc_g.devs[dev].stream;
  WC_CHECK(dev, cudaMemcpyAsync(dst, (const char *)src + src_offset, bytes, cudaMemcpyDeviceToHost,
                                s));
  if (blocking) WC_CHECK(dev, cudaStreamSynchronize(s));
  return WEFT_OK;
}

weft_status wc_buffer_copy(int dev, void *dst, size_t dst_offset, const void *src,
                           size_t src_offset, size_t bytes) {
  if (bytes == 0) return WEFT_OK;
  WC_ENTER(dev);
  WC_CHECK(dev, cudaMemcpyAsync((char *)dst + dst_offset, (const char *)src + src_offset, bytes,
                                cudaMemcpyDeviceToDevice, wc_g.devs[dev].stream));
  return WEFT_OK;
}

weft_status wc_synchronize(int dev) {
  WC_ENTER(dev);
  WC_CHECK(dev, cudaStreamSynchronize(wc_g.devs[dev].stream));
  return WEFT_OK;
}
