/* decimal128 key columns for the key machinery (group_by, unique, join, sort), which works
 * on 64-bit words per key: each decimal key becomes two, its high word (int64, so it orders
 * signed) then its low word (uint64), with the key's nulls. Equal decimals have equal words,
 * and (high, low) in that order sorts as the 128-bit value does. */
#ifndef WEFT_HOST_FRAME_DECIMAL_KEYS_H
#define WEFT_HOST_FRAME_DECIMAL_KEYS_H

#include "frame/table/table.h"

typedef struct weft__split_keys {
  const weft__column **cols; /* the keys to use: nkeys plus one per decimal key */
  int *descending;           /* per key, when the caller gave directions (else NULL) */
  size_t n;
  weft__column *made;        /* the word columns made here */
  size_t nmade;
} weft__split_keys;

/* Whether any of the keys is decimal128. */
int weft__keys_have_decimal(const weft__column *const *keys, size_t nkeys);
/* The keys with every decimal one split in two (descending may be NULL). Free with
 * weft__split_keys_free. */
weft_status weft__split_decimal_keys(const weft__column *const *keys, const int *descending,
                                     size_t nkeys, weft__split_keys *out);
void weft__split_keys_free(weft__split_keys *s);

#endif
