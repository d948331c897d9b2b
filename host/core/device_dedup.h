/* One GPU seen by two backends: NVIDIA's driver installs an OpenCL ICD, so a CUDA GPU is also
 * an OpenCL device. Listed twice, auto would see two equal GPUs (the first wins) and the
 * memory accounting would book one card's memory twice. The runtime lists such a GPU once,
 * as CUDA (runtime.c); this is the matching, a pure function so it is tested on fake lists
 * (tests/test_device_dedup.cc). */
#ifndef WEFT_HOST_DEVICE_DEDUP_H
#define WEFT_HOST_DEVICE_DEDUP_H

#include <stddef.h>

#include "core/backend_impl.h"

#ifdef __cplusplus
extern "C" {
#endif

/* For each OpenCL device i of `ocl` (n_ocl entries), same_as[i] = the index in `cuda` of the
 * CUDA device that is the same card, or -1. A GPU matches by PCI address when both sides
 * know it (the domain compared only when both know it); a device whose address either side
 * does not know matches by an identical name (NVIDIA reports the same name to both), each
 * CUDA device at most once, in order. CPU OpenCL devices never match. Returns the matches. */
size_t weft__match_same_gpu(const weft__device_desc *ocl, size_t n_ocl,
                            const weft__device_desc *cuda, size_t n_cuda, int *same_as);

#ifdef __cplusplus
}
#endif
#endif
