/* Gathering a column by row numbers: out[i] = src[rows[i]], row -1 giving null. */
#ifndef WEFT_HOST_FRAME_GATHER_H
#define WEFT_HOST_FRAME_GATHER_H

#include <stdint.h>

#include "table.h"

/* Every type (bool and utf8 included); `out` is a fresh column (with a validity bitmap only
 * when some output row is null). Runs on the CPU pool for long lists. */
weft_status weft__column_gather(const weft__column *src, const int64_t *rows, int64_t n,
                                weft__column *out);

#endif
