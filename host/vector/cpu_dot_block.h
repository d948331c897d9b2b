/* Query x base inner products with one fixed rounding order (see cpu_dot_block.c). */
#ifndef WEFT_HOST_CPU_DOT_BLOCK_H
#define WEFT_HOST_CPU_DOT_BLOCK_H

#include <stddef.h>

#define WEFT_DOT_PANEL 16

typedef enum { WEFT_DOT_UNKNOWN, WEFT_DOT_PLAIN, WEFT_DOT_AVX2, WEFT_DOT_AVX512 } weft__dot_isa;

/* The widest instruction set this CPU runs. */
weft__dot_isa weft__dot_best_isa(void);

/* Floats of packing scratch that weft__dot_block needs for nb base rows. */
size_t weft__dot_pack_floats(size_t nb, size_t dim);

/* out[i * ldo + j] = dot(q_i, x_j) for i < mq, j < nb (row-major q: mq x dim, x: nb x dim),
 * summed in order of dim with fused multiply-adds. `pack` holds weft__dot_pack_floats(nb, dim). */
void weft__dot_block(const float *q, size_t mq, const float *x, size_t nb, size_t dim,
                     float *pack, float *out, size_t ldo);

/* The two halves of weft__dot_block, so that one packed base block serves many query
 * blocks: the packing of nb rows into pack, then the products with a packed block. */
void weft__dot_pack(const float *x, size_t nb, size_t dim, float *pack);
void weft__dot_packed(const float *q, size_t mq, const float *pack, size_t nb, size_t dim,
                      float *out, size_t ldo);
void weft__dot_packed_isa(weft__dot_isa isa, const float *q, size_t mq, const float *pack,
                          size_t nb, size_t dim, float *out, size_t ldo);

/* The same with a chosen instruction set (tests check that every one gives the same bits). */
void weft__dot_block_isa(weft__dot_isa isa, const float *q, size_t mq, const float *x, size_t nb,
                         size_t dim, float *pack, float *out, size_t ldo);

#endif
