/* Arrow's dictionary-encoded utf8 (dictionary<int8..64 or uint8..64, utf8 / large_utf8 /
 * string_view>) in and out of weft's categorical columns (arrow_dictionary.c). */
#ifndef WEFT_HOST_FRAME_ARROW_DICTIONARY_H
#define WEFT_HOST_FRAME_ARROW_DICTIONARY_H

#include "frame/table/table.h"

/* Whether `field` is a dictionary weft takes: WEFT_OK with *is set, or UNSUPPORTED naming
 * the column and the formats. */
weft_status weft__arrow_dict_field(const struct ArrowSchema *field, const char *name, int *is);

/* Column rows [parent_offset, parent_offset + n) of child `a` (a dictionary array) as a
 * categorical column: the dictionary is copied (each string once, null entries making null
 * rows), the codes shared with `owner` when they are 32-bit and need no remapping, else
 * copied. Every valid row's code is checked against the dictionary's length. */
weft_status weft__arrow_dict_import(const struct ArrowSchema *field, const struct ArrowArray *a,
                                    int64_t parent_offset, int64_t n, const char *name,
                                    weft__owner *owner, weft__column *out);

/* An empty dictionary, for a categorical column of no batch. */
weft_status weft__arrow_dict_empty(weft__column *col);

/* The schema of a categorical column: int32 indices ("i") over "u", ordered when the
 * dictionary is (Polars reads that as an Enum). 0 on no memory. */
int weft__arrow_dict_schema(struct ArrowSchema *k, const char *name, const weft__column *col);

#endif
