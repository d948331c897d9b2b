/* Grouping rows by key tuples (nulls as a value), shared by group_by and unique: a group id
 * per row, groups numbered in order of first appearance. */
#ifndef WEFT_HOST_FRAME_GROUP_ROWS_H
#define WEFT_HOST_FRAME_GROUP_ROWS_H

#include <stdint.h>

#include "frame/group/groups.h"

/* Groups `rows` rows by the key columns (nkeys = 0: one group, whose first row is -1 when rows = 0). `opname`
 * names the operation in errors and in the exec report. */
weft_status weft__group_rows(weft_exec *exec, const char *opname, const weft__column *const *keys,
                             size_t nkeys, int64_t rows, int want_gid, weft__groups *out);

#endif
