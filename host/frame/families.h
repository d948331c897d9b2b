/* The table engine's operator families that have device kernels, each described once
 * (core/placement.h): the eager operations name theirs in their weft__op, and the planner
 * (plan/plan_device.c) asks the same descriptors before anything runs. Each is defined in its
 * family's folder, beside the device driver whose kernels it names. */
#ifndef WEFT_HOST_FRAME_FAMILIES_H
#define WEFT_HOST_FRAME_FAMILIES_H

#include "core/placement.h"

extern const weft__family weft__family_expr;     /* select/: filter, select, with_columns */
extern const weft__family weft__family_sort;     /* sort/ */
extern const weft__family weft__family_group;    /* group/: group_by, unique */
extern const weft__family weft__family_join;     /* join/ */
extern const weft__family weft__family_describe; /* describe/ */
extern const weft__family weft__family_read_csv; /* io/: read_csv's parse */
extern const weft__family weft__family_nearest;  /* nearest/: k nearest rows (vector/'s k-NN) */

#endif
