/* Which arithmetic an exact k-NN search's CPU scan runs: fp32 alone, or a certified
 * candidate pass (knn_certified.h) with bf16 or int8 operands, and why, for the report. */
#ifndef WEFT_HOST_KNN_PRECISION_H
#define WEFT_HOST_KNN_PRECISION_H

#include <stddef.h>

#include "weft.h"

typedef struct weft__knn_precision {
  int pass;    /* 0: the fp32 scan; else a weft__knn_pass */
  int scalar;  /* int8: the kernel's portable twin (a test switch) */
  char why[240];
} weft__knn_precision;

/* `asked` is the exec's weft_precision. devices_only: no partition can run on the CPU (a
 * strict exec naming devices only), so a bf16 or int8 pass that was asked for needs no CPU
 * instruction: the devices run their own kernels (knn_certified_device.c). */
void weft__knn_precision_choose(int asked, const weft_index *ix, size_t nq, size_t k,
                                int devices_only, weft__knn_precision *out);

#endif
