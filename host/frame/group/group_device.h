/* Grouping rows by key tuples on an OpenCL or CUDA device (kernels/group_hash.kern): the same
 * groups, numbered in the same order (first appearance) as group_rows.c's CPU path, and the
 * device work shared with the aggregations of agg_device.c. */
#ifndef WEFT_HOST_FRAME_GROUP_DEVICE_H
#define WEFT_HOST_FRAME_GROUP_DEVICE_H

#include "core/runtime.h"
#include "frame/group/groups.h"

/* Device buffers of one grouping or aggregation, freed together (all allocations through
 * the memory accounting, so the exec's caps hold). */
#define WEFT_GDEV_BUFFERS 40
typedef struct weft__gdev {
  weft__device *dev;
  int n;
  void *h[WEFT_GDEV_BUFFERS];
  size_t bytes[WEFT_GDEV_BUFFERS];
} weft__gdev;

weft_status weft__gdev_alloc(weft__gdev *g, size_t bytes, void **out);
void weft__gdev_release(weft__gdev *g);
/* Queues kernel k (weft__group_launch) with buffers b (6 entries). */
weft_status weft__gdev_launch(weft__gdev *g, weft__group_kernel k, uint64_t n, uint64_t a,
                              uint64_t b, uint64_t c, void *const *bufs);
weft_status weft__gdev_write(weft__gdev *g, void *dst, const void *src, size_t bytes);
weft_status weft__gdev_read(weft__gdev *g, const void *src, size_t offset, void *dst, size_t bytes);
/* Exclusive scan of m u32 entries of x, in place. */
weft_status weft__gdev_scan(weft__gdev *g, void *x, uint64_t m);

/* Why these keys cannot be grouped on a device (NULL: they can): a utf8 key longer than 7
 * bytes, more than 64 keys, more than 2^31 - 1 rows. */
const char *weft__group_keys_unsupported(const weft__column *const *keys, size_t nkeys,
                                         int64_t rows);
/* Where the exec groups `rows` rows of these keys: starts the report, chooses as
 * device_choice.c does (strict: an error when the asked device cannot). *dev: the device, or
 * NULL for the CPU; `why` (may be empty): a device's reason for leaving it to the CPU. */
weft_status weft__group_choose(weft_exec *exec, const char *opname, const weft__column *const *keys,
                               size_t nkeys, int64_t rows, weft__device **dev, char *why,
                               size_t cap);
/* Groups on `dev` (nkeys >= 1, rows >= 1); `out` as weft__group_rows gives it. An error
 * (WEFT_ERR_DEVICE_MEMORY when the input is over the device's memory cap) leaves out empty. */
weft_status weft__group_rows_device(weft__device *dev, const char *opname,
                                    const weft__column *const *keys, size_t nkeys, int64_t rows,
                                    int want_gid, weft__groups *out);

#endif
