/* Moving one partition's inputs and outputs between the host and a stage's device buffers. */
#include "core/error.h"
#include "core/scheduler.h"

weft_status weft__stage_input(weft__stage *st, int slot, const void *host, size_t bytes,
                              const void **device) {
  const weft__backend *be = st->dev->backend;
  if (be->host_memory) {
    *device = host;
    return WEFT_OK;
  }
  *device = st->slot[slot];
  if (bytes == 0) return WEFT_OK;
  /* Non-blocking: the host arrays outlive the schedule, which synchronizes at its end. */
  return be->buffer_write(st->dev->backend_device, st->slot[slot], 0, host, bytes, 0);
}

void *weft__stage_output(weft__stage *st, int slot, void *host) {
  return st->dev->backend->host_memory ? host : st->slot[slot];
}

weft_status weft__stage_output_done(weft__stage *st, int slot, void *host, size_t bytes) {
  const weft__backend *be = st->dev->backend;
  if (be->host_memory || bytes == 0) return WEFT_OK;
  return be->buffer_read(st->dev->backend_device, st->slot[slot], 0, host, bytes, 0);
}
