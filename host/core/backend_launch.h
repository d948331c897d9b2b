/* Queuing one kernel of backend_impl.h's weft__kernel through a device's backend, by its
 * table's one `launch` entry: the host side of "a new operation adds kernel ids, not
 * entries". */
#ifndef WEFT_HOST_BACKEND_LAUNCH_H
#define WEFT_HOST_BACKEND_LAUNCH_H

#include "core/backend_impl.h"
#include "core/runtime.h"

/* Queues `kernel` with `args` (the kernel's args struct, e.g. weft__join_clear_args for
 * WEFT__K_JOIN_CLEAR) on `dev`. A backend without a launch entry is WEFT_ERR_UNSUPPORTED
 * with a message naming the kernel and the device; otherwise the backend's own status and
 * message (WEFT_ERR_UNSUPPORTED naming the id for one it does not have). */
weft_status weft__backend_launch(const weft__device *dev, weft__kernel kernel, const void *args);

#endif
