/* The result of grouping rows by key tuples: a group id per row, groups numbered in order of
 * first appearance. Found on the CPU (group_rows.c) or a device (group_device.c). */
#ifndef WEFT_HOST_FRAME_GROUP_GROUPS_H
#define WEFT_HOST_FRAME_GROUP_GROUPS_H

#include <stdint.h>

#include "frame/table/table.h"

typedef struct weft__groups {
  int64_t ngroups;
  int32_t *gid;   /* per row (NULL when not asked for) */
  int64_t *first; /* first row of each group, ascending */
  struct weft__device *device; /* where the groups were found: NULL for the CPU */
} weft__groups;

void weft__groups_free(weft__groups *g);

#endif
