/* Public device and backend queries. */
#include <stdio.h>
#include <string.h>

#include "core/scratch.h"
#include "core/error.h"
#include "core/runtime.h"

weft_status weft_device_count(size_t *count) {
  WEFT_CHECK_ARG(count, "weft_device_count: count is NULL");
  *count = weft__device_total();
  return WEFT_OK;
}

weft_status weft_device_get_info(size_t device, weft_device_info *info) {
  WEFT_CHECK_ARG(info, "weft_device_get_info: info is NULL");
  weft__device *d;
  WEFT_RETURN_NOT_OK(weft__device_get(device, &d));
  memset(info, 0, sizeof *info);
  info->kind = d->kind;
  info->ordinal = d->ordinal;
  snprintf(info->id, sizeof info->id, "%s", d->id);
  snprintf(info->name, sizeof info->name, "%s", d->desc.name);
  info->memory_bytes = d->desc.memory_bytes;
  info->memory_limit_bytes = atomic_load(&d->limit_bytes);
  info->memory_used_bytes = atomic_load(&d->used_bytes);
  info->compute_units = d->desc.compute_units;
  info->has_fp64 = d->desc.has_fp64;
  return WEFT_OK;
}

weft_status weft_device_find(const char *id, size_t *device) {
  WEFT_CHECK_ARG(id, "weft_device_find: id is NULL");
  WEFT_CHECK_ARG(device, "weft_device_find: device is NULL");
  return weft__device_parse(id, device);
}

weft_status weft_release_cached_memory(uint64_t *bytes) {
  size_t n = weft__scratch_trim();
  if (bytes) *bytes = n;
  return WEFT_OK;
}

weft_status weft_device_set_memory_limit(size_t device, uint64_t bytes) {
  weft__device *d;
  WEFT_RETURN_NOT_OK(weft__device_get(device, &d));
  atomic_store(&d->limit_bytes, bytes ? bytes : d->desc.memory_bytes);
  return WEFT_OK;
}

weft_status weft_device_synchronize(size_t device) {
  weft__device *d;
  WEFT_RETURN_NOT_OK(weft__device_get(device, &d));
  weft_status st = d->backend->synchronize(d->backend_device);
  return st == WEFT_OK ? st : weft__error_context(st, "synchronize %s", d->id);
}

weft_status weft_backend_count(size_t *count) {
  WEFT_CHECK_ARG(count, "weft_backend_count: count is NULL");
  *count = weft__backend_total();
  return WEFT_OK;
}

weft_status weft_backend_get_info(size_t backend, weft_backend_info *info) {
  WEFT_CHECK_ARG(info, "weft_backend_get_info: info is NULL");
  const weft__backend_slot *slot = weft__backend_at(backend);
  if (!slot)
    return weft__error(WEFT_ERR_NOT_FOUND, "backend index %zu does not exist (%zu backends)",
                       backend, weft__backend_total());
  *info = slot->info;
  return WEFT_OK;
}
