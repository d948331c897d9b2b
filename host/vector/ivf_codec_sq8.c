#include "vector/ivf_codec_sq8.h"

#include <float.h>

#include "core/vector_clones.h"

void weft__sq8_train(size_t n, size_t dim, const float *x, float *min, float *step) {
  for (size_t d = 0; d < dim; d++) {
    float lo = FLT_MAX, hi = -FLT_MAX;
    for (size_t i = 0; i < n; i++) {
      float v = x[i * dim + d];
      lo = v < lo ? v : lo;
      hi = v > hi ? v : hi;
    }
    min[d] = lo;
    /* in double: hi - lo of finite floats may pass FLT_MAX */
    step[d] = (float)(((double)hi - (double)lo) / 256.0);
  }
}

void weft__sq8_encode(size_t dim, const float *min, const float *step, const float *row,
                      uint8_t *code) {
  for (size_t d = 0; d < dim; d++) {
    double c = step[d] > 0 ? ((double)row[d] - min[d]) / step[d] : 0.0;
    code[d] = c <= 0 ? 0 : c >= 255 ? 255 : (uint8_t)c;
  }
}

/* An AVX2 clone (no FMA in either: the same bits): the baseline's byte-to-float conversion
 * had made the decode a sixth of an sq8 search at nprobe 1. */
WEFT_VECTOR_CLONES void weft__sq8_decode(size_t n, size_t dim, const float *min,
                                         const float *step, const uint8_t *codes, float *out) {
  for (size_t i = 0; i < n; i++)
    for (size_t d = 0; d < dim; d++)
      out[i * dim + d] = min[d] + ((float)codes[i * dim + d] + 0.5f) * step[d];
}
