/* The permutation that sorts a table's rows by key columns (stable; nulls last in both
 * directions; NaN above every number, so last ascending and first descending, as Polars). */
#ifndef WEFT_HOST_FRAME_SORT_PERM_H
#define WEFT_HOST_FRAME_SORT_PERM_H

#include <stdint.h>

#include "table.h"

/* perm: `rows` row numbers, the first row of the sorted table first. *method names the
 * algorithm used ("radix", or "radix and merge" with a utf8 key), for the report. */
weft_status weft__sort_perm(const weft__column *const *keys, const int *descending, size_t nkeys,
                            int64_t rows, int64_t *perm, const char **method);

#endif
