/* Gathering a column by row numbers: out[i] = src[rows[i]], row -1 giving null. */
#ifndef WEFT_HOST_FRAME_GATHER_H
#define WEFT_HOST_FRAME_GATHER_H

#include <stdint.h>

#include "frame/table/table.h"

/* Every type (bool and utf8 included); `out` is a fresh column (with a validity bitmap only
 * when some output row is null). Runs on the CPU pool for long lists. */
weft_status weft__column_gather(const weft__column *src, const int64_t *rows, int64_t n,
                                weft__column *out);

/* outs[c] = srcs[c] gathered by `rows` (no -1) for each of `ncols` columns, in one pass over
 * the row list. On failure no output column is left made. */
weft_status weft__columns_gather(const weft__column *srcs, size_t ncols, const int64_t *rows,
                                 int64_t n, weft__column *outs);

#endif
