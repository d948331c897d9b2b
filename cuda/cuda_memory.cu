/* Device buffers and the backend's temporaries: allocated from the device's stream-ordered
 * pool (cudaMallocAsync / cudaFreeAsync on the device's stream, so a free never waits for the
 * whole device as cudaFree does; plain cudaMalloc / cudaFree where the device has no memory
 * pools), counted against the cap its first use measured (cudaMemGetInfo's free memory less
 * the headroom, cuda_device_state.h); copies queued on the device's stream. */
#include "cuda_internal.h"

weft_status wc_alloc(int dev, size_t bytes, void **out, const char *what) {
  *out = nullptr;
  wc_device *d = &wc_g.devs[dev];
  if (bytes == 0) bytes = 1;
  uint64_t before = d->allocated.fetch_add(bytes);
  if (before + bytes > d->cap_bytes) {
    d->allocated.fetch_sub(bytes);
    return wc_error(WEFT_ERR_DEVICE_MEMORY,
                    "cuda: %s of %zu bytes on device %d (%s) would pass its cap of %llu bytes (free "
                    "memory at its first use less the headroom; %llu in use)", what, bytes, dev,
                    wc_device_name(dev), (unsigned long long)d->cap_bytes,
                    (unsigned long long)before);
  }
  cudaError_t e = d->async_alloc ? cudaMallocAsync(out, bytes, d->stream) : cudaMalloc(out, bytes);
  if (e != cudaSuccess) {
    *out = nullptr;
    d->allocated.fetch_sub(bytes);
    return wc_fail(dev, d->async_alloc ? "cudaMallocAsync" : "cudaMalloc", e);
  }
  try {
    std::lock_guard<std::mutex> hold(d->sizes_lock);
    d->sizes[*out] = bytes;
  } catch (...) {
    wc_free(dev, *out);
    *out = nullptr;
    return wc_error(WEFT_ERR_OUT_OF_MEMORY, "cuda: out of host memory");
  }
  return WEFT_OK;
}

void wc_free(int dev, void *p) {
  if (!p) return;
  wc_device *d = &wc_g.devs[dev];
  size_t bytes = 0;
  {
    std::lock_guard<std::mutex> hold(d->sizes_lock);
    auto it = d->sizes.find(p);
    if (it != d->sizes.end()) {
      bytes = it->second;
      d->sizes.erase(it);
    } else {
      bytes = 0; /* not one of ours: nothing was counted */
    }
  }
  d->allocated.fetch_sub(bytes);
  cudaError_t e = d->async_alloc ? cudaFreeAsync(p, d->stream) : cudaFree(p);
  if (e != cudaSuccess) (void)cudaGetLastError(); /* nothing to report through a void call */
}

weft_status wc_buffer_alloc(int dev, size_t bytes, void **handle) {
  if (!handle) return wc_error(WEFT_ERR_INVALID_ARGUMENT, "cuda: buffer_alloc: handle is NULL");
  *handle = nullptr;
  WC_ENTER(dev);
  return wc_alloc(dev, bytes, handle, "buffer_alloc");
}

void wc_buffer_free(int dev, void *handle) {
  if (!handle || dev < 0 || dev >= wc_g.count) return;
  wc_device_guard guard(dev);
  if (guard.status != WEFT_OK) return; /* a device that never worked allocated nothing */
  wc_free(dev, handle);
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
