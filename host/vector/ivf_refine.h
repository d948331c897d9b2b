/* Re-ranking of IVF candidates against the rows an index keeps (weft_ivf_set_refine). */
#ifndef WEFT_HOST_IVF_REFINE_H
#define WEFT_HOST_IVF_REFINE_H

#include <stddef.h>
#include <stdint.h>

#include "vector/ivf_index.h"

/* For each of nq queries (as scanned: cosine normalized; qn: l2 |q|^2, else NULL), its
 * found[i] candidates (kc a query: loc (list << 32) | position, ids) re-ranked by exact
 * distance, the k best into distances and labels (nq x k, padded as a search pads). The
 * distances are the exact index's bits: the same inner-product kernel and norm. */
weft_status weft__ivf_refine(const weft_ivf *ivf, size_t nq, const float *q, const float *qn,
                             size_t kc, const size_t *found, const uint64_t *loc,
                             const int64_t *ids, size_t k, float *distances, int64_t *labels);

#endif
