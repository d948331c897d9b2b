/* Table sort on an OpenCL or CUDA device: where weft_table_sort runs (the exec's device
 * choice, with a backend that has sort_pairs), and one key's (key, row) pairs sorted there.
 * The keys are encoded on the host exactly as for the CPU (sort_perm.c), so the device's
 * stable sort gives the CPU's permutation. */
#ifndef WEFT_HOST_FRAME_SORT_DEVICE_H
#define WEFT_HOST_FRAME_SORT_DEVICE_H

#include <stddef.h>
#include <stdint.h>

#include "core/runtime.h"
#include "weft.h"

/* Starts the report of a sort of `rows` rows by keys of `key_bytes` bytes in all, and picks
 * the device that sorts: the CPU (cpu:0) or one device whose backend has sort_pairs. A list
 * naming devices that cannot sort drops them with the reason (strict: the error). exec may
 * be NULL: the CPU. */
weft_status weft__sort_device_choose(struct weft_exec *exec, size_t rows, size_t nkeys,
                                     size_t key_bytes, weft__device **out);

/* Sorts keys[0..n) with rows[] on `dev`, stably, by the low `bytes` bytes of the keys; the
 * rows come back, the keys too when `want_keys`. WEFT_ERR_DEVICE_MEMORY when the pairs and
 * the backend's temporaries do not fit the memory left under the device's cap. */
weft_status weft__sort_device_pairs(weft__device *dev, uint64_t *keys, int64_t *rows, int64_t n,
                                    int bytes, int want_keys);

#endif
