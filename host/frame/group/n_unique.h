/* n_unique per group by radix-partitioned distinct (group, value) pairs, on the CPU pool. */
#ifndef WEFT_HOST_FRAME_GROUP_N_UNIQUE_H
#define WEFT_HOST_FRAME_GROUP_N_UNIQUE_H

#include "frame/group/groups.h"
#include "frame/table/table.h"

/* out: a fresh uint32 column of g->ngroups counts of the distinct values (null one of them)
 * of `in` in each group (g->gid needed). 1 when done; 0 when `in` does not suit (utf8, or its
 * values' range too wide to pack with the group id): nothing allocated; -1 on OOM. */
int weft__n_unique_packed(const weft__column *in, const weft__groups *g, int64_t rows,
                          weft__column *out);

#endif
