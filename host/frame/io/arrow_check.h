/* What an imported Arrow column must satisfy before weft reads it (arrow_check.c). The C
 * Data Interface carries no buffer sizes, so the buffers are taken to be as long as Arrow's
 * layout says for the array's offset + length; everything inside them that could point
 * elsewhere (utf8 offsets, string views) or count something (null_count) is checked here,
 * so a malformed array is an error naming the column, never a read outside its buffers. */
#ifndef WEFT_HOST_FRAME_ARROW_CHECK_H
#define WEFT_HOST_FRAME_ARROW_CHECK_H

#include <stdint.h>

#include "weft.h"

/* How the column's values sit in its buffers. */
typedef enum weft__arrow_layout {
  WEFT__ARROW_NATIVE,     /* weft's own layout for the type */
  WEFT__ARROW_LARGE_UTF8, /* int64 offsets ("U") */
  WEFT__ARROW_UTF8_VIEW   /* 16-byte views and variadic data buffers ("vu") */
} weft__arrow_layout;

/* Checks child array `a` (whose rows [off, off + n) the batch takes) of weft type `type` laid
 * out as `how`: its own offset and length, its buffer count and buffers, utf8 offsets
 * ascending inside the data its last offset bounds, string views inside their buffers, and
 * the null count. *nulls: the nulls among the rows taken (counted from the bitmap). */
weft_status weft__arrow_check_child(const struct ArrowArray *a, weft_type type,
                                    weft__arrow_layout how, int64_t parent_offset, int64_t n,
                                    const char *name, int64_t *nulls);

/* The set bits of bits[off, off + n): a bitmap's valid rows, counted, never taken from an
 * array's null_count. */
int64_t weft__arrow_count_set(const uint8_t *bits, int64_t off, int64_t n);

#endif
