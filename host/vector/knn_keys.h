/* The 64-bit k-NN keys of backend_impl.h, on the host: (orderable(dist) << 32) | position. */
#ifndef WEFT_HOST_KNN_KEYS_H
#define WEFT_HOST_KNN_KEYS_H

#include <stdint.h>
#include <string.h>

static inline uint32_t weft__orderable(float f) {
  uint32_t u;
  if (f == 0.0f) f = 0.0f; /* -0 and +0 are one distance: one key */
  memcpy(&u, &f, 4);
  return u ^ ((u >> 31) ? 0xFFFFFFFFu : 0x80000000u);
}

static inline float weft__from_orderable(uint32_t u) {
  u ^= (u >> 31) ? 0x80000000u : 0xFFFFFFFFu;
  float f;
  memcpy(&f, &u, 4);
  return f;
}

static inline uint64_t weft__knn_key(float dist, uint64_t position) {
  return ((uint64_t)weft__orderable(dist) << 32) | (uint32_t)position;
}

#endif
