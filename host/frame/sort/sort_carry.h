/* weft_table_sort by one key with the columns moved along with the keys (sort_carry.c). */
#ifndef WEFT_HOST_FRAME_SORT_CARRY_H
#define WEFT_HOST_FRAME_SORT_CARRY_H

#include "frame/table/table.h"

/* cols[0..table->ncols): the table's columns sorted by `key` (one of them), stably, nulls
 * of the other columns kept. *done = 0 with WEFT_OK when this way does not suit the table
 * (few rows, a utf8 key or one with nulls, keys one split cannot share out between the
 * threads): nothing made, sort by a permutation instead. */
weft_status weft__sort_carried(const weft_table *table, const weft__column *key, int desc,
                               weft__column *cols, int *done);

#endif
