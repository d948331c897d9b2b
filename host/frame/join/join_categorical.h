/* Categorical join keys (join_categorical.c): both sides brought onto one dictionary before
 * the join, so the probe compares codes. */
#ifndef WEFT_HOST_FRAME_JOIN_CATEGORICAL_H
#define WEFT_HOST_FRAME_JOIN_CATEGORICAL_H

#include "frame/table/table.h"

/* *left2 / *right2: left and right (new references) whose categorical key pairs share one
 * dictionary: the left's, extended by the right's strings it lacks (left codes unchanged,
 * right codes remapped once). Unchanged tables when no pair needs it. Keys are looked up as
 * the join does; a missing key is left to the join to name. */
weft_status weft__join_unify_categorical(const weft_table *left, const weft_table *right,
                                         size_t nkeys, const char *const *left_on,
                                         const char *const *right_on, weft_table **left2,
                                         weft_table **right2);

/* lcols / rcols' categorical keys replaced by their codes (uint32) held in codes[0..2n),
 * which need no release. */
void weft__join_key_codes(const weft__column **lcols, const weft__column **rcols, size_t nkeys,
                          weft__column *codes);

#endif
