/* The scheduler: splits N rows into partitions sized from each device's memory (or, on the
 * CPU, its cache), runs them on one or several devices at once, re-runs on the CPU whatever
 * a device failed (unless strict), and writes a report of what ran where and why.
 *
 * An operation describes itself with a weft__op: how many rows, how many device bytes a
 * row needs, and a `run` callback that processes rows [row0, row0 + rows) on a stage (one
 * worker on one device). Partition starts are multiples of WEFT_PARTITION_ALIGN rows, so
 * Arrow validity bitmaps split on whole bytes. */
#ifndef WEFT_HOST_SCHEDULER_H
#define WEFT_HOST_SCHEDULER_H

#include <stddef.h>

#include "core/exec.h"
#include "core/runtime.h"

#define WEFT_PARTITION_ALIGN ((size_t)1024)
#define WEFT_STAGE_SLOTS 8

typedef struct weft__stage {
  weft__device *dev;
  size_t max_rows;                     /* rows a partition may have on this stage */
  void *slot[WEFT_STAGE_SLOTS];        /* device buffers (non-host devices only) */
  size_t slot_bytes[WEFT_STAGE_SLOTS];
} weft__stage;

typedef struct weft__op {
  const char *name;      /* for the report and error messages, e.g. "axpy float32" */
  size_t rows;
  /* Device bits per row, per slot: ceil(slot_row_bits[i] * rows / 8) bytes are allocated
   * for slot i on a non-host device (1 bit for a validity bitmap). Unused slots are 0. */
  size_t slot_row_bits[WEFT_STAGE_SLOTS];
  /* Plus a fixed size per slot, whatever the rows (a database shard, a bitset). */
  size_t slot_fixed_bytes[WEFT_STAGE_SLOTS];
  /* Partition starts are multiples of this (0: WEFT_PARTITION_ALIGN, for bitmaps). */
  size_t align_rows;
  /* Rows of a CPU partition (0: sized to the cache from slot_row_bits). */
  size_t cpu_partition_rows;
  double flops_per_row;  /* for the cost model */
  int needs_fp64;
  /* Optional: 0 when `dev` lacks what the op needs (e.g. a backend without its kernels). */
  int (*supports)(const weft__device *dev);
  /* Optional: why this op, as given, runs on the CPU only (e.g. a string expression). Other
   * devices are dropped with "fell back to cpu: <reason>"; strict mode fails with it. */
  const char *device_unsupported;
  void *ctx;
  weft_status (*run)(void *ctx, weft__stage *stage, size_t row0, size_t rows);
  /* Optional: a line the report adds under a device that ran rows (how it ran them), or
   * NULL for none. */
  const char *(*device_note)(const weft__device *dev);
} weft__op;

weft_status weft__schedule(struct weft_exec *exec, const weft__op *op);
/* The op on the CPU pool whatever device the caller's exec names (the host half of work
 * another device did, or work only the host does); its report is discarded. */
weft_status weft__schedule_on_cpu(const weft__op *op);

/* Helpers for `run`: on a host-memory device they hand back the host pointer itself. */
weft_status weft__stage_input(weft__stage *st, int slot, const void *host, size_t bytes,
                              const void **device);
void *weft__stage_output(weft__stage *st, int slot, void *host);
/* Queues the copy of an output back to the host (done by the end of the schedule). */
weft_status weft__stage_output_done(weft__stage *st, int slot, void *host, size_t bytes);

#endif
