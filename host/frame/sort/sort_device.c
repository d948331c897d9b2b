/* The device side of weft_table_sort: choosing the device, and one key's pairs through the
 * backend's sort_pairs (kernels/sort_radix.kern). Device memory goes through the host's
 * accounting: the pairs and the backend's temporaries are reserved under the cap first. */
#include "frame/sort/sort_device.h"
#include "core/alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frame/families.h"
#include "core/device_choice.h"
#include "core/error.h"
#include "core/exec.h"

static int can_sort(const weft__device *dev) {
  return dev->backend->host_memory || dev->backend->sort_pairs != NULL;
}

const weft__family weft__family_sort = {.name = "sort", .verb = "sort",
                                        .min_rows_auto = WEFT__AUTO_MIN_ROWS,
                                        .has_kernels = can_sort};

weft_status weft__sort_device_choose(struct weft_exec *exec, size_t rows, size_t nkeys,
                                     size_t key_bytes, weft__device **out) {
  *out = weft__device_at(0);
  if (!exec) return WEFT_OK;
  weft__report_clear(exec);
  weft__report(exec, "weft_table_sort: %zu rows", rows);
  exec->last_device = 0;
  /* Per key: 16 bytes of pairs up, 8 bytes of rows back. The CPU's radix passes are modelled
   * as about 400 operations per key byte and row (some 100 M rows/s of 8-byte keys on 16
   * cores), which the cost model weighs against the device's transfers. */
  weft__op op = {.name = "weft_table_sort", .rows = rows, .family = &weft__family_sort,
                 .flops_per_row = 400.0 * (double)key_bytes};
  op.slot_row_bits[0] = 24 * 8 * nkeys;
  weft__choice choice;
  WEFT_RETURN_NOT_OK(weft__choose_devices(exec, &op, &choice));
  *out = choice.devices[0];
  if (choice.count > 1)
    weft__report(exec, "  %s sorts: a sort runs on one device", choice.devices[0]->id);
  exec->last_device = weft__device_index(*out);
  return WEFT_OK;
}

/* Adds `bytes` to the device's accounted use, or WEFT_ERR_DEVICE_MEMORY past its cap. */
static weft_status reserve(weft__device *dev, size_t bytes, int64_t n) {
  uint64_t limit = atomic_load(&dev->limit_bytes);
  uint64_t used = atomic_fetch_add(&dev->used_bytes, bytes);
  if (used + bytes <= limit) return WEFT_OK;
  atomic_fetch_sub(&dev->used_bytes, bytes);
  return weft__error(WEFT_ERR_DEVICE_MEMORY,
                     "device %s: sorting %lld pairs needs %zu bytes of device memory, %llu of its "
                     "%llu-byte limit are free", dev->id, (long long)n, bytes,
                     (unsigned long long)(used < limit ? limit - used : 0),
                     (unsigned long long)limit);
}

weft_status weft__sort_device_pairs(weft__device *dev, uint64_t *keys, int64_t *rows, int64_t n,
                                    int bytes, int want_keys) {
  if (n < 2) return WEFT_OK;
  const weft__backend *be = dev->backend;
  int d = dev->backend_device;
  if (!be->sort_pairs)
    return weft__error(WEFT_ERR_UNSUPPORTED, "the %s backend of %s has no sort kernels", be->name,
                       dev->id);
  size_t pair_bytes = (size_t)n * 8, total = 2 * pair_bytes + WEFT_SORT_PAIRS_TEMP_BYTES(n);
  WEFT_RETURN_NOT_OK(reserve(dev, total, n));
  uint64_t all_or = 0, all_and = ~(uint64_t)0;
  for (int64_t i = 0; i < n; i++) all_or |= keys[i], all_and &= keys[i];
  /* The result lands in host copies first: a read that fails half way must leave keys and
   * rows as they were, for the CPU to sort instead. */
  uint64_t *back = weft__malloc(pair_bytes * (want_keys ? 2 : 1));
  if (!back) {
    atomic_fetch_sub(&dev->used_bytes, total);
    return weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_table_sort: no host memory to read back %lld "
                       "sorted rows from %s", (long long)n, dev->id);
  }
  void *dk = NULL, *dr = NULL;
  weft_status st = be->buffer_alloc(d, pair_bytes, &dk);
  if (st == WEFT_OK) st = be->buffer_alloc(d, pair_bytes, &dr);
  if (st == WEFT_OK) st = be->buffer_write(d, dk, 0, keys, pair_bytes, 0);
  if (st == WEFT_OK) st = be->buffer_write(d, dr, 0, rows, pair_bytes, 0);
  if (st == WEFT_OK) st = be->sort_pairs(d, (size_t)n, bytes, all_or ^ all_and, dk, dr);
  if (st == WEFT_OK) st = be->buffer_read(d, dr, 0, back, pair_bytes, !want_keys);
  if (st == WEFT_OK && want_keys) st = be->buffer_read(d, dk, 0, back + n, pair_bytes, 1);
  if (st == WEFT_OK) {
    memcpy(rows, back, pair_bytes);
    if (want_keys) memcpy(keys, back + n, pair_bytes);
  }
  char why[WEFT_REASON_MAX] = "";
  if (st != WEFT_OK) {
    snprintf(why, sizeof why, "%s", weft_last_error());
    be->synchronize(d); /* a failed call may leave copies queued that use the host arrays */
  }
  if (dk) be->buffer_free(d, dk);
  if (dr) be->buffer_free(d, dr);
  free(back);
  atomic_fetch_sub(&dev->used_bytes, total);
  return st == WEFT_OK ? WEFT_OK : weft__error(st, "device %s: %s", dev->id, why);
}
