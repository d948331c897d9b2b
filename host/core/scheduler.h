/* The scheduler: splits N rows into partitions sized from each device's memory (or, on the
 * CPU, its cache), runs them on one or several devices at once, re-runs on the CPU whatever
 * a device failed (unless strict), and writes a report of what ran where and why.
 * An operation describes itself with a weft__op (op.h). */
#ifndef WEFT_HOST_SCHEDULER_H
#define WEFT_HOST_SCHEDULER_H

#include <stddef.h>

#include "core/exec.h"
#include "core/op.h"
#include "core/runtime.h"

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
