/* The device buffers of a k-NN search's stage (weft__op slots): the fp32 scan's, then the
 * certified pass's (knn_certified_device.c), sized in op_knn.c. */
#ifndef WEFT_HOST_KNN_SLOTS_H
#define WEFT_HOST_KNN_SLOTS_H

enum {
  WEFT__KNN_SLOT_QUERIES, WEFT__KNN_SLOT_LIST_A, WEFT__KNN_SLOT_LIST_B, WEFT__KNN_SLOT_SCRATCH,
  WEFT__KNN_SLOT_BASE, WEFT__KNN_SLOT_NORMS, WEFT__KNN_SLOT_ALLOWED, WEFT__KNN_SLOT_QUERY_NORMS,
  /* the certified pass: packed queries, their 5 coefficients, a shard's panels and per-row
   * bound norms (and int8 scales), each query's T and survivor count */
  WEFT__KNN_SLOT_QWORDS, WEFT__KNN_SLOT_COEF, WEFT__KNN_SLOT_PANELS, WEFT__KNN_SLOT_NORM_UP,
  WEFT__KNN_SLOT_RESID_UP, WEFT__KNN_SLOT_ROW_SCALE, WEFT__KNN_SLOT_BAR, WEFT__KNN_SLOT_COUNT,
  WEFT__KNN_SLOTS
};

#endif
