/* Grouping rows by key tuples (nulls as a value), shared by group_by and unique: a group id
 * per row, groups numbered in order of first appearance. */
#ifndef WEFT_HOST_FRAME_GROUP_ROWS_H
#define WEFT_HOST_FRAME_GROUP_ROWS_H

#include <stdint.h>

#include "frame/table/table.h"

typedef struct weft__groups {
  int64_t ngroups;
  int32_t *gid;   /* per row (NULL when not asked for) */
  int64_t *first; /* first row of each group, ascending */
  struct weft__device *device; /* where the groups were found: NULL for the CPU */
} weft__groups;

/* Groups `rows` rows by the key columns (nkeys = 0: one group, whose first row is -1 when rows = 0). `opname`
 * names the operation in errors and in the exec report. */
weft_status weft__group_rows(weft_exec *exec, const char *opname, const weft__column *const *keys,
                             size_t nkeys, int64_t rows, int want_gid, weft__groups *out);
void weft__groups_free(weft__groups *g);

#endif
