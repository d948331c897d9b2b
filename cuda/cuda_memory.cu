/* Device buffers and the backend's temporaries: allocated from the device's stream-ordered
 * pool (cudaMallocAsync / cudaFreeAsync on the device's stream, so a free never waits for the
 * whole device as cudaFree does; plain cudaMalloc / cudaFree where the device has no memory
 * pools), counted against the cap its first use measured (cudaMemGetInfo's free memory less
 * the headroom, cuda_device_state.h); copies queued on the device's stream, those of
 * pageable host memory through pinned staging chunks. */
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

/* Copies between the device and pageable host memory go through two pinned chunks: the host
 * fills (or drains) one while the copy engine works on the other, so the copies are real DMA
 * at full speed and run beside the host's memcpy (a pageable cudaMemcpyAsync is staged by
 * the driver one small buffer at a time, and blocks). Small copies and pinned host memory
 * go directly. */
#define WC_STAGING_CHUNK ((size_t)4 << 20)
#define WC_STAGING_MIN ((size_t)256 << 10)

namespace {

/* Whether `p` is pageable host memory (not pinned or registered with CUDA). */
bool pageable(const void *p) {
  cudaPointerAttributes a;
  if (cudaPointerGetAttributes(&a, p) != cudaSuccess) {
    (void)cudaGetLastError();
    return true;
  }
  return a.type == cudaMemoryTypeUnregistered;
}

/* With staging_lock held: the two chunks and their events, made on the first use. */
weft_status staging_ready(int dev, wc_device *d) {
  for (int i = 0; i < 2; ++i) {
    if (!d->staging[i]) WC_CHECK(dev, cudaMallocHost(&d->staging[i], WC_STAGING_CHUNK));
    if (!d->staged[i])
      WC_CHECK(dev, cudaEventCreateWithFlags(&d->staged[i], cudaEventDisableTiming));
  }
  return WEFT_OK;
}

size_t chunk_bytes(size_t bytes, size_t c) {
  size_t off = c * WC_STAGING_CHUNK;
  return bytes - off < WC_STAGING_CHUNK ? bytes - off : WC_STAGING_CHUNK;
}

/* With staging_lock held. Returns once `src` has been read (the last chunks may still be on
 * their way to the device; the next use of the chunks waits for them). */
weft_status staged_write(int dev, wc_device *d, char *dst, const char *src, size_t bytes) {
  WC_TRY(staging_ready(dev, d));
  const size_t chunks = (bytes + WC_STAGING_CHUNK - 1) / WC_STAGING_CHUNK;
  for (size_t c = 0; c < chunks; ++c) {
    const int i = (int)(c & 1);
    const size_t n = chunk_bytes(bytes, c), off = c * WC_STAGING_CHUNK;
    WC_CHECK(dev, cudaEventSynchronize(d->staged[i])); /* the chunk's last copy has ended */
    memcpy(d->staging[i], src + off, n);
    WC_CHECK(dev, cudaMemcpyAsync(dst + off, d->staging[i], n, cudaMemcpyHostToDevice,
                                  d->stream));
    WC_CHECK(dev, cudaEventRecord(d->staged[i], d->stream));
  }
  return WEFT_OK;
}

/* Queues chunk c of a staged read into its staging chunk. */
weft_status stage_in(int dev, wc_device *d, const char *src, size_t bytes, size_t c) {
  const int i = (int)(c & 1);
  WC_CHECK(dev, cudaEventSynchronize(d->staged[i])); /* e.g. a write's copy from it */
  WC_CHECK(dev, cudaMemcpyAsync(d->staging[i], src + c * WC_STAGING_CHUNK, chunk_bytes(bytes, c),
                                cudaMemcpyDeviceToHost, d->stream));
  WC_CHECK(dev, cudaEventRecord(d->staged[i], d->stream));
  return WEFT_OK;
}

/* With staging_lock held. Returns with `dst` filled (after the work queued before). */
weft_status staged_read(int dev, wc_device *d, char *dst, const char *src, size_t bytes) {
  WC_TRY(staging_ready(dev, d));
  const size_t chunks = (bytes + WC_STAGING_CHUNK - 1) / WC_STAGING_CHUNK;
  WC_TRY(stage_in(dev, d, src, bytes, 0));
  for (size_t c = 0; c < chunks; ++c) {
    if (c + 1 < chunks) WC_TRY(stage_in(dev, d, src, bytes, c + 1));
    const int i = (int)(c & 1);
    WC_CHECK(dev, cudaEventSynchronize(d->staged[i]));
    memcpy(dst + c * WC_STAGING_CHUNK, d->staging[i], chunk_bytes(bytes, c));
  }
  return WEFT_OK;
}

}  // namespace

void wc_staging_release(wc_device *d) {
  for (int i = 0; i < 2; ++i) {
    if (d->staged[i]) (void)cudaEventDestroy(d->staged[i]);
    if (d->staging[i]) (void)cudaFreeHost(d->staging[i]);
    d->staged[i] = nullptr;
    d->staging[i] = nullptr;
  }
}

weft_status wc_buffer_write(int dev, void *dst, size_t dst_offset, const void *src, size_t bytes,
                            int blocking) {
  if (bytes == 0) return WEFT_OK;
  WC_ENTER(dev);
  wc_device *d = &wc_g.devs[dev];
  cudaStream_t s = d->stream;
  if (bytes >= WC_STAGING_MIN && pageable(src)) {
    std::lock_guard<std::mutex> hold(d->staging_lock);
    WC_TRY(staged_write(dev, d, (char *)dst + dst_offset, (const char *)src, bytes));
  } else {
    WC_CHECK(dev, cudaMemcpyAsync((char *)dst + dst_offset, src, bytes, cudaMemcpyHostToDevice, s));
  }
  if (blocking) WC_CHECK(dev, cudaStreamSynchronize(s));
  return WEFT_OK;
}

weft_status wc_buffer_read(int dev, const void *src, size_t src_offset, void *dst, size_t bytes,
                           int blocking) {
  if (bytes == 0) return WEFT_OK;
  WC_ENTER(dev);
  wc_device *d = &wc_g.devs[dev];
  cudaStream_t s = d->stream;
  if (bytes >= WC_STAGING_MIN && pageable(dst)) { /* filled on return, blocking or not */
    std::lock_guard<std::mutex> hold(d->staging_lock);
    return staged_read(dev, d, (char *)dst, (const char *)src + src_offset, bytes);
  }
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
