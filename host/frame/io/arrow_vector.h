/* Vector columns through the Arrow C Data Interface: fixed_size_list<float32, dim> ("+w:dim"
 * with one float32 child, "f"), imported and exported without copying the floats. */
#ifndef WEFT_HOST_FRAME_IO_ARROW_VECTOR_H
#define WEFT_HOST_FRAME_IO_ARROW_VECTOR_H

#include "frame/table/table.h"

/* The vector type of a "+w:" field, or an error naming the column and what it holds. */
weft_status weft__arrow_vector_type(const struct ArrowSchema *field, const char *name,
                                    weft_type *type);
/* Rows [parent_offset, parent_offset + n) of fixed_size_list array `a` as a vector column
 * view (its owners left to the caller). A null float inside a non-null vector is refused. */
weft_status weft__arrow_vector_view(const struct ArrowArray *a, int64_t parent_offset, int64_t n,
                                    weft_type type, const char *name, weft__column *out);
/* The "+w:dim" schema of a vector column named `name` into `k` (with its float32 child). */
int weft__arrow_vector_schema(struct ArrowSchema *k, const char *name, weft_type type);

#endif
