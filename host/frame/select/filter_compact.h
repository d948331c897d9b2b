/* A filter's output built from its mask: each column compacted a block of rows at a time on
 * the CPU pool (the kept rows of every block counted first, so each block knows where its
 * rows go), rather than gathered row by row through a list of row numbers. */
#ifndef WEFT_HOST_FRAME_FILTER_COMPACT_H
#define WEFT_HOST_FRAME_FILTER_COMPACT_H

#include <stdint.h>

#include "frame/table/table.h"

typedef struct weft__compact {
  const uint8_t *mask; /* bit r: keep row r; at least rows / 8 + 1 bytes */
  int64_t rows, kept, nblocks;
  int64_t *starts; /* nblocks + 1: where each block's kept rows go in the output */
  int64_t *idx;    /* the kept rows, made when a utf8 column needs them */
} weft__compact;

/* Counts the kept rows of each block (bits of `mask` past `rows` are ignored). */
weft_status weft__compact_init(const uint8_t *mask, int64_t rows, weft__compact *out);
/* `out`: a fresh column of the kept rows of `src` (a validity bitmap when src has nulls). */
weft_status weft__compact_column(weft__compact *c, const weft__column *src, weft__column *out);
void weft__compact_free(weft__compact *c);

#endif
