/* The permutation that sorts a table's rows by key columns (stable; nulls last in both
 * directions; NaN above every number, so last ascending and first descending, as Polars). */
#ifndef WEFT_HOST_FRAME_SORT_PERM_H
#define WEFT_HOST_FRAME_SORT_PERM_H

#include <stdint.h>

#include "../runtime.h"
#include "table.h"

/* Where the radix sorts of the keys run, and what happened there, for the report. */
typedef struct weft__sort_run {
  weft__device *dev;      /* in: NULL or a host-memory device: the CPU pool; else a device
                           * with sort_pairs (sort_device.c). Set to NULL on a fallback. */
  int strict;             /* in: a device failure is the error instead of a CPU fallback */
  size_t device_keys;     /* out: keys sorted on the device */
  char fallback[WEFT_REASON_MAX]; /* out: why the device stopped sorting ("" if it did not) */
} weft__sort_run;

/* perm: `rows` row numbers, the first row of the sorted table first. *method names the
 * algorithm used ("radix", or "radix and merge" with a utf8 key), for the report. The
 * permutation is the same wherever the keys are sorted (a stable sort's result is unique). */
weft_status weft__sort_perm(const weft__column *const *keys, const int *descending, size_t nkeys,
                            int64_t rows, int64_t *perm, const char **method, weft__sort_run *run);

#endif
