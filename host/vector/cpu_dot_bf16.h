/* The CPU kernels of the bf16 k-NN candidate pass (knn_bf16.c): bf16 rounding, the packed
 * bf16 base, inner products with VDPBF16PS. */
#ifndef WEFT_HOST_CPU_DOT_BF16_H
#define WEFT_HOST_CPU_DOT_BF16_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Base rows are packed in panels of 16 rows; a panel holds, for each pair of coordinates
 * (2p, 2p+1), 16 lanes of two bf16 (low half 2p): one vector load feeds VDPBF16PS. */
#define WEFT_BF16_PANEL 16

/* bf16 of a finite float, rounded to nearest even; a result below bf16's normal range is a
 * signed zero, since VDPBF16PS reads subnormal operands as zero (so the operand the bound
 * accounts for is exactly the one multiplied). */
static inline uint16_t weft__bf16_of(float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  u += 0x7FFFu + ((u >> 16) & 1u);
  uint16_t b = (uint16_t)(u >> 16);
  if ((b & 0x7F80u) == 0) b &= 0x8000u;
  return b;
}

static inline float weft__bf16_value(uint16_t b) {
  uint32_t u = (uint32_t)b << 16;
  float f;
  memcpy(&f, &u, 4);
  return f;
}

/* Coordinate pairs of a dim-long row: dim rounded up to even, halved. */
static inline size_t weft__bf16_pairs(size_t dim) { return (dim + 1) / 2; }

/* Whether this CPU runs VDPBF16PS (AVX512_BF16 with AVX512F/BW/VL). The test switch
 * WEFT_TEST_KNN_NO_BF16=1 answers no, as on a CPU without it. */
int weft__bf16_cpu_has(void);

/* Measured once: multiply-adds a second by VDPBF16PS over those by fp32 FMA (AVX-512), on
 * this core; 0 where the CPU lacks AVX512_BF16. */
double weft__bf16_rate_ratio(void);

/* Writes row `row` (dim floats) into the packed base `panels`. */
void weft__bf16_pack_row(const float *x, size_t dim, size_t row, uint32_t *panels);

/* out[i * ldo + j] = the bf16 inner product of query i (its coordinate pairs, `pairs` a
 * query) with packed row first_row + j, summed in fp32, for i < mq, j < nb. first_row is a
 * multiple of 32, and the panels hold rows up to first_row + nb rounded up to 32. */
void weft__dot_bf16_block(const uint32_t *qpairs, size_t mq, const uint32_t *panels,
                          size_t first_row, size_t nb, size_t pairs, float *out, size_t ldo);

#endif
