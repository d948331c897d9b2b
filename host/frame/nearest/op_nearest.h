/* weft_table_nearest with an index searched in its place where it applies (the plan's
 * nearest node runs this). */
#ifndef WEFT_HOST_FRAME_NEAREST_OP_NEAREST_H
#define WEFT_HOST_FRAME_NEAREST_OP_NEAREST_H

#include "weft.h"

/* As weft_table_nearest; `index` (NULL: none) is searched instead of the exact engine when
 * it applies to `table`'s column (weft__vector_index_mismatch), else the exact search runs
 * and the report says why the index was not used. */
weft_status weft__table_nearest_indexed(weft_exec *exec, const weft_table *table,
                                        const char *column, size_t nq, const float *queries,
                                        size_t dim, size_t k, weft_metric metric,
                                        const weft_expr *prefilter, int batch,
                                        const weft_vector_index *index, weft_table **out);

#endif
