/* A join's key prefilter (sideways information passing): a filter feeding the large side of
 * a join whose rows without a key on the other side are dropped (inner, semi, the right side
 * of a left join) also drops, before it compacts its rows, those whose keys the other,
 * already computed side lacks. TPC-H Q3's lineitems after their date filter are 3.2M rows
 * that the join cuts to 30k: compacting them was 40% of the query. Collect asks for it
 * (plan_collect.c); the join itself still compares every key, so the prefilter only has to
 * keep every row that can match: it tests key words (or, for several or utf8 keys, their
 * hashes) against a set of the other side's. */
#ifndef WEFT_HOST_FRAME_JOIN_KEY_FILTER_H
#define WEFT_HOST_FRAME_JOIN_KEY_FILTER_H

#include <stddef.h>
#include <stdint.h>

#include "frame/table/table.h"

typedef struct weft__key_filter weft__key_filter;

/* A prefilter of rows by their `own_on` keys against the `other_on` keys of `other` (kept
 * referenced until freed; the set is built only when a mask asks for it). *out NULL (WEFT_OK)
 * when the keys cannot be tested as words (a decimal or categorical key, a name `other`
 * lacks): then nothing is filtered. */
weft_status weft__key_filter_make(const weft_table *other, size_t nkeys,
                                  const char *const *other_on, const char *const *own_on,
                                  weft__key_filter **out);
void weft__key_filter_free(weft__key_filter *f);

/* A weft__mask_narrow (filter_keep.h) over `f`: clears the bits of `mask` (rows of `table`)
 * whose keys `f`'s other side lacks, when the other side is small next to the kept rows; it
 * stops clearing once the rows it tested mostly matched. Adds a line to the exec's report. */
weft_status weft__key_filter_narrow(void *f, weft_exec *exec, const weft_table *table,
                                    uint8_t *mask, int64_t rows);

#endif
