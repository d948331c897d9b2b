/* Which arithmetic an exact k-NN search's CPU scan runs: fp32 alone, or the certified bf16
 * candidate pass (knn_bf16.h), and why, for the report. */
#ifndef WEFT_HOST_KNN_PRECISION_H
#define WEFT_HOST_KNN_PRECISION_H

#include <stddef.h>

#include "weft.h"

typedef struct weft__knn_precision {
  int bf16;
  char why[200];
} weft__knn_precision;

/* `asked` is the exec's weft_precision. */
void weft__knn_precision_choose(int asked, const weft_index *ix, size_t nq, size_t k,
                                weft__knn_precision *out);

#endif
