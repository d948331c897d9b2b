/* The 8-bit scalar quantizer of IVF lists (faiss's QT_8bit, RS_minmax): per dimension the
 * trained range [min, min + 256 * step) in 256 equal cells, a value stored as its cell and
 * read back as the cell's middle. */
#ifndef WEFT_HOST_IVF_CODEC_SQ8_H
#define WEFT_HOST_IVF_CODEC_SQ8_H

#include <stddef.h>
#include <stdint.h>

/* min and step per dimension from n rows (a constant dimension gets step 0). */
void weft__sq8_train(size_t n, size_t dim, const float *x, float *min, float *step);
/* One row's codes (values outside the trained range clamp to the end cells). */
void weft__sq8_encode(size_t dim, const float *min, const float *step, const float *row,
                      uint8_t *code);
/* n rows of codes back to float32. */
void weft__sq8_decode(size_t n, size_t dim, const float *min, const float *step,
                      const uint8_t *codes, float *out);

#endif
