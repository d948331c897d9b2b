/* Table operations, or paths of them, that run on the CPU pool only (the CPU's direct-index
 * group-by, a sort or grouping a device could not take): the
 * device choice of their exec all the same, so the report says what was asked and why the
 * CPU ran it, and strict mode fails when the CPU is not among the allowed devices. */
#ifndef WEFT_HOST_FRAME_CPU_ONLY_H
#define WEFT_HOST_FRAME_CPU_ONLY_H

#include <stddef.h>

#include "weft.h"

/* Starts the report of `name` over `rows` rows (exec may be NULL: nothing to do). */
weft_status weft__cpu_only_begin(weft_exec *exec, const char *name, size_t rows);

#endif
