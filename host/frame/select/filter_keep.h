/* weft_table_filter with only some of the input's columns in its output, for a plan whose
 * filter reads a column nothing above it needs (the lazy plan's projection pushdown): the
 * dropped column is never compacted. */
#ifndef WEFT_HOST_FRAME_SELECT_FILTER_KEEP_H
#define WEFT_HOST_FRAME_SELECT_FILTER_KEEP_H

#include <stddef.h>
#include <stdint.h>

#include "weft.h"

/* The rows of `table` where `predicate` holds, with the columns named in keep[0, nkeep) in
 * that order; nkeep == SIZE_MAX (keep NULL): every column, as weft_table_filter. */
weft_status weft__table_filter_keep(weft_exec *exec, const weft_table *table,
                                    const weft_expr *predicate, size_t nkeep,
                                    const char *const *keep, weft_table **out);

/* Clears bits of a filter's mask (rows of `table`) that its caller drops anyway, before the
 * kept rows are compacted: a join's key prefilter (join_key_filter.h). */
typedef struct weft__mask_narrow {
  weft_status (*run)(void *ctx, weft_exec *exec, const weft_table *table, uint8_t *mask,
                     int64_t rows);
  void *ctx;
} weft__mask_narrow;

/* weft__table_filter_keep with the mask narrowed by `narrow` (NULL: as that). A predicate
 * with aggregations is filtered as there, without narrowing. */
weft_status weft__table_filter_narrowed(weft_exec *exec, const weft_table *table,
                                        const weft_expr *predicate, size_t nkeep,
                                        const char *const *keep,
                                        const weft__mask_narrow *narrow, weft_table **out);

#endif
