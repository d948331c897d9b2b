/* weft_table_describe on an OpenCL or CUDA device: where it runs (the exec's device choice,
 * like sort and group_by), and one column's statistics there. The device computes each
 * block's statistics as the CPU's blocks are computed (kernels/describe_blocks.kern) and the
 * host merges them with the CPU's code (describe_stats.c), so counts, min, max, mean and std
 * are the CPU's bits; percentiles come from the kept values radix sorted on the device
 * (sort_device.c), the same ranks the CPU selects. utf8 columns stay on the CPU (no string
 * comparison on devices). */
#ifndef WEFT_HOST_FRAME_DESCRIBE_DEVICE_H
#define WEFT_HOST_FRAME_DESCRIBE_DEVICE_H

#include "core/runtime.h"
#include "frame/describe/describe_stats.h"
#include "frame/table/table.h"

/* Starts the report of a describe of `t` and picks where it runs: *dev = NULL for the CPU
 * pool, else one OpenCL or CUDA device with the describe kernel and fp64. A device list
 * naming devices that cannot describe drops them with the reason (strict: the error). exec
 * may be NULL: the CPU. */
weft_status weft__describe_choose(weft_exec *exec, const weft_table *t, size_t npercentiles,
                                  weft__device **dev);

/* The statistics of column v (not utf8) on dev, as the CPU path gives them. When `sorted` is
 * not NULL (room for v->length values) it receives the kept values in ascending order
 * (doubles for numbers, int64 for dates and timestamps) from index 0. An error
 * (WEFT_ERR_DEVICE_MEMORY when not even one block fits under the device's cap) leaves the
 * CPU to do it. */
weft_status weft__describe_column_device(weft__device *dev, const weft_column_view *v, int lane,
                                         void *sorted, weft__dstats *out);

#endif
