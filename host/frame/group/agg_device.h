/* Aggregations of a group_by whose rows a device grouped, run on that device
 * (kernels/group_agg.kern): the rows sorted stably by group once and cut into chunks of at
 * most WEFT_AGG_CHUNK rows of one group; one work-item per chunk folds it in row order, one
 * per group merges its chunks in order. */
#ifndef WEFT_HOST_FRAME_AGG_DEVICE_H
#define WEFT_HOST_FRAME_AGG_DEVICE_H

#include "frame/group/group_device.h"

#define WEFT_AGG_CHUNK 2048

typedef struct weft__agg_device {
  weft__gdev g;
  void *start;  /* G + 1 u32: where each group's rows begin in `sorted` */
  void *sorted; /* rows, u32, sorted stably by group */
  void *chunk0; /* G + 1 u32: each group's first chunk */
  void *row0;   /* chunks + 1 u32: each chunk's first row in `sorted` */
  uint64_t chunks;
  int ready;
} weft__agg_device;

/* Uploads the group ids and sorts the rows by group on g->device. */
weft_status weft__agg_device_prepare(weft__agg_device *c, const weft__groups *g, int64_t rows);
void weft__agg_device_release(weft__agg_device *c);
/* One aggregation on the device, as weft__aggregate gives it. WEFT_ERR_UNSUPPORTED with the
 * reason in `why` (nothing recorded as an error) when it must run on the CPU: utf8 min/max, a
 * device without fp64, n_unique over a utf8 column longer than 7 bytes. */
weft_status weft__aggregate_device(weft__agg_device *c, weft_agg_kind kind, const weft__column *in,
                                   const weft__groups *g, int64_t rows, const char *name,
                                   weft__column *out, char *why, size_t cap);

#endif
