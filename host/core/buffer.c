/* Public buffers: device memory with accounting, and copies between host and devices. */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/alloc.h"
#include "core/runtime.h"

struct weft_buffer {
  weft__device *device;
  void *handle;
  size_t bytes;
};

weft_status weft_buffer_alloc(size_t device, size_t bytes, weft_buffer **out) {
  WEFT_CHECK_ARG(out, "weft_buffer_alloc: out is NULL");
  *out = NULL;
  WEFT_CHECK_ARG(bytes > 0, "weft_buffer_alloc: bytes must be > 0 (got 0)");
  weft__device *d;
  WEFT_RETURN_NOT_OK(weft__device_get(device, &d));
  weft_buffer *b = weft__calloc(1, sizeof *b);
  if (!b) return weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_buffer_alloc: host allocation failed");
  weft_status st = weft__device_alloc(d, bytes, &b->handle);
  if (st != WEFT_OK) {
    free(b);
    return st;
  }
  b->device = d;
  b->bytes = bytes;
  *out = b;
  return WEFT_OK;
}

weft_status weft_buffer_free(weft_buffer *buffer) {
  if (!buffer) return WEFT_OK; /* like free(NULL) */
  weft__device_free(buffer->device, buffer->handle, buffer->bytes);
  free(buffer);
  return WEFT_OK;
}

weft_status weft_buffer_size(const weft_buffer *buffer, size_t *bytes) {
  WEFT_CHECK_ARG(buffer && bytes, "weft_buffer_size: buffer and bytes must not be NULL");
  *bytes = buffer->bytes;
  return WEFT_OK;
}

weft_status weft_buffer_device(const weft_buffer *buffer, size_t *device) {
  WEFT_CHECK_ARG(buffer && device, "weft_buffer_device: buffer and device must not be NULL");
  *device = weft__device_index(buffer->device);
  return WEFT_OK;
}

static weft_status check_range(const char *fn, const char *name, const weft_buffer *b,
                               size_t offset, size_t bytes) {
  WEFT_CHECK_ARG(b, "%s: %s is NULL", fn, name);
  WEFT_CHECK_ARG(offset <= b->bytes && bytes <= b->bytes - offset,
                 "%s: range [%zu, %zu + %zu) is outside %s of %zu bytes", fn, offset, offset,
                 bytes, name, b->bytes);
  return WEFT_OK;
}

static weft_status buffer_write(weft_buffer *dst, size_t offset, const void *src, size_t bytes,
                                int blocking, const char *fn) {
  WEFT_RETURN_NOT_OK(check_range(fn, "dst", dst, offset, bytes));
  WEFT_CHECK_ARG(src || bytes == 0, "%s: src is NULL", fn);
  if (bytes == 0) return WEFT_OK;
  weft__device *d = dst->device;
  weft_status st = d->backend->buffer_write(d->backend_device, dst->handle, offset, src, bytes,
                                            blocking);
  return st == WEFT_OK ? st : weft__error_context(st, "%s on %s", fn, d->id);
}

static weft_status buffer_read(const weft_buffer *src, size_t offset, void *dst, size_t bytes,
                               int blocking, const char *fn) {
  WEFT_RETURN_NOT_OK(check_range(fn, "src", src, offset, bytes));
  WEFT_CHECK_ARG(dst || bytes == 0, "%s: dst is NULL", fn);
  if (bytes == 0) return WEFT_OK;
  weft__device *d = src->device;
  weft_status st = d->backend->buffer_read(d->backend_device, src->handle, offset, dst, bytes,
                                           blocking);
  return st == WEFT_OK ? st : weft__error_context(st, "%s on %s", fn, d->id);
}

weft_status weft_buffer_write(weft_buffer *dst, size_t offset, const void *src, size_t bytes) {
  return buffer_write(dst, offset, src, bytes, 1, "weft_buffer_write");
}
weft_status weft_buffer_write_async(weft_buffer *dst, size_t offset, const void *src, size_t bytes) {
  return buffer_write(dst, offset, src, bytes, 0, "weft_buffer_write_async");
}
weft_status weft_buffer_read(const weft_buffer *src, size_t offset, void *dst, size_t bytes) {
  return buffer_read(src, offset, dst, bytes, 1, "weft_buffer_read");
}
weft_status weft_buffer_read_async(const weft_buffer *src, size_t offset, void *dst, size_t bytes) {
  return buffer_read(src, offset, dst, bytes, 0, "weft_buffer_read_async");
}

/* Across devices the bytes go through a bounded host staging buffer, chunk by chunk, so a
 * large copy never needs its whole size in host memory. */
#define WEFT_STAGING_CHUNK ((size_t)8 << 20)

weft_status weft_buffer_copy(weft_buffer *dst, size_t dst_offset, const weft_buffer *src,
                             size_t src_offset, size_t bytes) {
  WEFT_RETURN_NOT_OK(check_range("weft_buffer_copy", "dst", dst, dst_offset, bytes));
  WEFT_RETURN_NOT_OK(check_range("weft_buffer_copy", "src", src, src_offset, bytes));
  if (bytes == 0) return WEFT_OK;
  if (dst->device == src->device) {
    weft__device *d = dst->device;
    weft_status st = d->backend->buffer_copy(d->backend_device, dst->handle, dst_offset,
                                             src->handle, src_offset, bytes);
    return st == WEFT_OK ? st : weft__error_context(st, "weft_buffer_copy on %s", d->id);
  }
  size_t chunk = bytes < WEFT_STAGING_CHUNK ? bytes : WEFT_STAGING_CHUNK;
  void *staging = weft__malloc(chunk);
  if (!staging)
    return weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_buffer_copy: no host memory for %zu bytes "
                       "of staging", chunk);
  weft_status st = WEFT_OK;
  for (size_t done = 0; done < bytes && st == WEFT_OK; done += chunk) {
    size_t len = bytes - done < chunk ? bytes - done : chunk;
    st = buffer_read(src, src_offset + done, staging, len, 1, "weft_buffer_copy");
    if (st == WEFT_OK) st = buffer_write(dst, dst_offset + done, staging, len, 1, "weft_buffer_copy");
  }
  free(staging);
  return st;
}
