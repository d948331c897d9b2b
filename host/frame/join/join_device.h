/* weft_table_join on an OpenCL or CUDA device (join_device.c): the hash table is built over
 * the right keys and probed by the left keys on the device, which hands back the
 * (left row, right row) pairs in the CPU's order; op_join.c gathers the columns by them. */
#ifndef WEFT_HOST_FRAME_JOIN_DEVICE_H
#define WEFT_HOST_FRAME_JOIN_DEVICE_H

#include <stddef.h>
#include <stdint.h>

#include "core/exec.h"
#include "core/runtime.h"
#include "frame/join/join.h"

/* Most key words a row may have on the device (utf8 keys take one word per 8 bytes of their
 * longest value, length included). */
#define WEFT_JOIN_DEVICE_MAX_WORDS 16

/* The device that runs this join, or NULL for the CPU: the exec's choice (a device list,
 * WEFT_DEVICE, or auto's cost model), with each decision and reason in the report. Fails
 * only where strict mode refuses. */
weft_status weft__join_device_choose(struct weft_exec *exec, const char *name,
                                     const weft__join_keys *lk, int64_t lrows,
                                     const weft__join_keys *rk, int64_t rrows,
                                     weft__device **out);

/* The join's output rows on `dev`: left[i], and for inner / left joins right[i] (-1: no
 * match), i < *n, malloc'ed; *slices: how many pieces the device wrote them in (more than
 * one when they did not fit its memory at once). */
weft_status weft__join_device_pairs(weft__device *dev, const weft__join_keys *lk, int64_t lrows,
                                    const weft__join_keys *rk, int64_t rrows, weft_join_kind kind,
                                    int64_t **left, int64_t **right, size_t *n, size_t *slices);

#endif
