/* Pieces of the CPU backend that live in their own files. */
#ifndef WEFT_HOST_CPU_BACKEND_IMPL_H
#define WEFT_HOST_CPU_BACKEND_IMPL_H

#include "core/backend_impl.h"

weft_status weft__cpu_knn_tile(int dev, const weft__knn_tile *tile);
weft_status weft__cpu_knn_sort(int dev, size_t nq, size_t k, void *lists);

#endif
