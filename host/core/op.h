/* What an operation says about itself to the device choice and the scheduler: its rows, the
 * device bytes a row needs, its family (placement.h), and a `run` callback that processes
 * rows [row0, row0 + rows) on a stage (one worker on one device). Partition starts are
 * multiples of WEFT_PARTITION_ALIGN rows, so Arrow validity bitmaps split on whole bytes. */
#ifndef WEFT_HOST_CORE_OP_H
#define WEFT_HOST_CORE_OP_H

#include <stddef.h>

#include "core/placement.h"
#include "core/runtime.h"

#define WEFT_PARTITION_ALIGN ((size_t)1024)
#define WEFT_STAGE_SLOTS 16

typedef struct weft__stage {
  weft__device *dev;
  size_t max_rows;                     /* rows a partition may have on this stage */
  void *slot[WEFT_STAGE_SLOTS];        /* device buffers (non-host devices only) */
  size_t slot_bytes[WEFT_STAGE_SLOTS];
} weft__stage;

typedef struct weft__op {
  const char *name;      /* for the report and error messages, e.g. "axpy float32" */
  /* The family's placement rules (placement.h): under auto its small inputs stay on the CPU;
   * its has_kernels stands for `supports` when that is NULL. NULL: the cost model alone. */
  const weft__family *family;
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

#endif
