/* The permutation that sorts a table's rows by key columns (stable; nulls last in both
 * directions; NaN above every number, so last ascending and first descending, as Polars). */
#ifndef WEFT_HOST_FRAME_SORT_PERM_H
#define WEFT_HOST_FRAME_SORT_PERM_H

#include <stdint.h>

#include "core/runtime.h"
#include "frame/table/table.h"

/* Where the radix sorts of the keys run, and what happened there, for the report. */
typedef struct weft__sort_run {
  weft__device *dev;      /* in: NULL or a host-memory device: the CPU pool; else a device
                           * with sort_pairs (sort_device.c). Set to NULL on a fallback. */
  int strict;             /* in: a device failure is the error instead of a CPU fallback */
  size_t device_keys;     /* out: keys sorted on the device */
  char fallback[WEFT_REASON_MAX]; /* out: why the device stopped sorting ("" if it did not) */
  int want_primary;       /* in: hand back the first key's sorted words when they decode */
  uint64_t *primary;      /* out: those words (weft__scratch_free them), or NULL */
  uint64_t primary_flip;
  int primary_bytes;
  size_t named_keys;      /* in: the keys the caller named (a decimal key sorts as two
                           * words, so the sort may see more), for the report */
} weft__sort_run;

/* perm: `rows` row numbers, the first row of the sorted table first. *method names the
 * algorithm used ("radix", or "radix and merge" with a utf8 key), for the report. The
 * permutation is the same wherever the keys are sorted (a stable sort's result is unique). */
weft_status weft__sort_perm(const weft__column *const *keys, const int *descending, size_t nkeys,
                            int64_t rows, int64_t *perm, const char **method, weft__sort_run *run);

/* The order-preserving words of every row of a key without nulls and not utf8, as the sort
 * encodes them (descending: complemented), on the pool. Sets run->primary_flip and
 * primary_bytes (the words' width), and run->want_primary to whether the words decode back
 * to the column (weft__sort_decode_primary, once run->primary points at them sorted). */
weft_status weft__sort_encode_key(const weft__column *key, int desc, int64_t rows, uint64_t *words,
                                  weft__sort_run *run);

/* The first key's column in sorted order, decoded from run->primary (bit for bit the
 * column gathered by the permutation, without its random reads). */
weft_status weft__sort_decode_primary(const weft__column *key, const weft__sort_run *run,
                                      int64_t rows, weft__column *out);

/* Row r's order-preserving word as the sort encodes it ascending (a utf8 value by its first
 * 8 bytes, so equal words may still differ); *flip: the mask that reverses it (descending). */
uint64_t weft__sort_word(const weft_column_view *v, int64_t r, uint64_t *flip);

#endif
