/* The CPU kernels of the int8 k-NN candidate pass (knn_certified.c): the packed int8 base and
 * exact integer inner products with VPDPBUSD (AVX512_VNNI), and their portable twin. */
#ifndef WEFT_HOST_CPU_DOT_INT8_H
#define WEFT_HOST_CPU_DOT_INT8_H

#include <stddef.h>
#include <stdint.h>

/* Base rows are packed in panels of 16 rows; a panel holds, for each group of four
 * coordinates (4g .. 4g+3), 16 lanes of four signed codes: one load feeds VPDPBUSD. */
#define WEFT_INT8_PANEL 16

/* Codes are in [-127, 127] (rows: signed; queries: stored as code + 128, unsigned, which
 * VPDPBUSD multiplies by the rows' signed codes). The product of a query and a row is then
 * at most dim * 127 * 127 in magnitude: it fits int32 up to this dim. The unsigned partial
 * sums may wrap past dim 66313, but int32 additions wrap modulo 2^32 and the offset's
 * correction is subtracted modulo 2^32 too, so the final value is exact. */
#define WEFT_KNN_INT8_MAX_DIM ((size_t)131072)

/* The query code that stands for 0: the offset making a signed code unsigned. */
#define WEFT_INT8_QUERY_ZERO 128

/* Groups of four coordinates in a dim-long row (dim rounded up to a multiple of 4, / 4). */
static inline size_t weft__int8_groups(size_t dim) { return (dim + 3) / 4; }

/* Whether this CPU runs VPDPBUSD on 512-bit vectors (AVX512_VNNI with AVX512F/BW). The test
 * switch WEFT_TEST_KNN_NO_INT8=1 answers no, as on a CPU without it. */
int weft__int8_cpu_has(void);

/* The test switch WEFT_TEST_KNN_INT8_SCALAR=1: the pass runs the portable twin, so its
 * searches are checked on CPUs without VNNI too. */
int weft__int8_force_scalar(void);

/* Measured once: multiply-adds a second by VPDPBUSD over those by fp32 FMA (AVX-512), on
 * this core; 0 where the CPU lacks AVX512_VNNI. */
double weft__int8_rate_ratio(void);

/* Writes row `row`'s dim signed codes into the packed base `panels` (pads with 0). */
void weft__int8_pack_row(const int8_t *codes, size_t dim, size_t row, uint32_t *panels);

/* A query's dim signed codes as groups of four unsigned ones (code + 128; pads 128). */
void weft__int8_pack_query(const int8_t *codes, size_t dim, uint32_t *groups);

/* out[i * ldo + j] = sum over the coordinates of query i's signed code times row
 * first_row + j's, exact, for i < mq, j < nb: the query's packed groups times the row's
 * codes, less 128 times the row's code sum (code_sums, indexed by row). first_row is a
 * multiple of 32, and the panels and code_sums hold rows up to first_row + nb rounded up to
 * 32 (zeros past the last). dim at most WEFT_KNN_INT8_MAX_DIM. `scalar`: the portable twin (the same integers). */
void weft__dot_int8_block(const uint32_t *qgroups, size_t mq, const uint32_t *panels,
                          const int32_t *code_sums, size_t first_row, size_t nb, size_t groups,
                          int32_t *out, size_t ldo, int scalar);

#endif
