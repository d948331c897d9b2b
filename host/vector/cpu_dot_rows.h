/* fp32 inner products of one query with gathered rows (cpu_dot_rows.c). */
#ifndef WEFT_HOST_CPU_DOT_ROWS_H
#define WEFT_HOST_CPU_DOT_ROWS_H

#include <stddef.h>
#include <stdint.h>

/* out[j] = fl(q . rows[j]) summed as cpu_dot_block.c does (fma from zero in order of the
 * coordinates): the same bits as the fp32 scan, for n rows anywhere in memory. */
void weft__dot_ptrs_fp32(const float *q, const float *const *rows, size_t dim, size_t n,
                         float *out);
/* The same for rows base[rows[j]] of one array. */
void weft__dot_rows_fp32(const float *q, const float *base, size_t dim, const uint32_t *rows,
                         size_t n, float *out);

#endif
