/* Where an operation runs: the one path every eager operation and the planner go through.
 *
 *   weft_exec_set_device parses the user's list once into a weft__device_spec;
 *   weft__exec_spec gives the spec in effect (the exec's, or WEFT_DEVICE's under "auto");
 *   an operation describes itself with a weft__op, naming its family (weft__family: name,
 *   the rows under which "auto" keeps it on the CPU, whether a backend has its kernels);
 *   weft__choose_devices (device_choice.c) decides: a placement the planner already
 *   resolved, else the family's small-input rule, else the cost model or the user's list;
 *   the operation runs its device driver or the CPU engine, and falls back to the CPU with
 *   the reason in the report.
 * The planner (plan/plan_device.c) asks the same descriptors before anything runs, and hands
 * its verdict down as a weft__placement (a device index and the reason), never as a string. */
#ifndef WEFT_HOST_CORE_PLACEMENT_H
#define WEFT_HOST_CORE_PLACEMENT_H

#include <stddef.h>

#include "core/device_spec.h"
#include "weft.h"

struct weft__device;
struct weft_exec;

/* Under "auto", an input of fewer rows stays on the CPU: a device pass costs launches and a
 * round trip over PCIe that such inputs never earn back. The one definition. */
#define WEFT__AUTO_MIN_ROWS ((size_t)100000)

/* A family of operations with device kernels (sort, group_by, join, ...). */
typedef struct weft__family {
  const char *name; /* "sort", "group_by", ... */
  const char *verb; /* for the report: "devices <verb> from <rows>" */
  size_t min_rows_auto;
  /* 1 when the device's backend has the family's kernels (host-memory devices always). */
  int (*has_kernels)(const struct weft__device *dev);
} weft__family;

/* The spec in effect for `exec` (NULL: auto): the exec's own, or WEFT_DEVICE's when the exec
 * says "auto"; *source says which ("requested", "forced by WEFT_DEVICE"). */
void weft__exec_spec(const struct weft_exec *exec, weft__device_spec *out, const char **source);

/* 1 when the device choice in effect is the cost model's (auto, not overridden by WEFT_DEVICE,
 * no placement resolved above the operation). */
int weft__exec_is_auto(const struct weft_exec *exec);

/* 1 when, under auto, `rows` rows of `family` stay on the CPU; `why` gets the reason. */
int weft__family_small_input(const struct weft_exec *exec, const weft__family *family,
                             size_t rows, char *why, size_t cap);

/* Resolves `exec` to run on the device of index `device` for the reason `why`. */
void weft__exec_place(struct weft_exec *exec, size_t device, const char *why);

#endif
