#ifndef WEFT_HOST_DEVICE_CHOICE_H
#define WEFT_HOST_DEVICE_CHOICE_H

#include "core/op.h"

struct weft_exec;

#define WEFT_MAX_CHOSEN 16

typedef struct weft__choice {
  weft__device *devices[WEFT_MAX_CHOSEN];
  int count;
} weft__choice;

/* Resolves exec->devices ("auto", WEFT_DEVICE, or a list) for `op`, writing each decision
 * and its reason to the report. Devices that cannot run `op` are dropped (strict: error);
 * an empty result becomes the CPU. */
weft_status weft__choose_devices(struct weft_exec *exec, const weft__op *op, weft__choice *out);

/* For an operation one device runs whole (a sort, describe, read_csv): the first chosen
 * device that is not the CPU, or NULL (the CPU runs it). When several were chosen, the
 * report says which one `name` runs on. */
struct weft__device *weft__choice_one_device(struct weft_exec *exec, const weft__choice *choice,
                                             const char *name);

/* Opens the OpenCL and CUDA backends when the choice for `op` may involve them: a device
 * list (or WEFT_DEVICE) naming anything but the CPU, or "auto" when the cost model could
 * pick a GPU and a GPU may be there (gpu_probe.h). weft__choose_devices calls it; an operation that sizes itself by the
 * devices (k-NN shards) calls it first. */
void weft__choice_prepare(const struct weft_exec *exec, const weft__op *op);

#endif
