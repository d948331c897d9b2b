/* Quantization and error bound of the int8 candidate pass (docs/knn_bound.md section 9).
 * A vector y is coded as y_hat = s_y * c, c in [-127, 127]^d, s_y = max|y_i| / 127; the pass's
 * estimate of the fp32 scan's s_f = fl(q . x) is s_hat = fl(fl(float(I) * s_x) * s_q), I the
 * exact integer c_q . c_x, and
 *   |s_hat - s_f| <= alpha_q ||x_hat - x|| + beta_q ||x|| + tau_q. */
#ifndef WEFT_HOST_KNN_INT8_BOUND_H
#define WEFT_HOST_KNN_INT8_BOUND_H

#include <stddef.h>
#include <stdint.h>

#include "vector/knn_coef.h"

/* A row's codes (dim of them), its scale s_x, its code sum (for the query offset), ||x|| and
 * ||s_x c - x||, the norms rounded up to floats. */
void weft__int8_row(const float *x, size_t dim, int8_t *codes, float *scale, int32_t *code_sum,
                    float *norm_up, float *resid_up);

/* A query's packed unsigned code groups (weft__int8_groups(dim) of them), its scale s_q and
 * its coefficients multiplied by `bound_scale` (1 but in the test that loosens the bound on
 * purpose). `codes`: dim bytes of scratch. */
void weft__int8_query(const float *q, size_t dim, double bound_scale, int8_t *codes,
                      uint32_t *groups, float *scale, weft__knn_coef *coef);

/* 1, or the test switch WEFT_TEST_KNN_INT8_BOUND_SCALE (a positive number): a test divides
 * the bound by 1000 to check that the equality tests can fail. */
double weft__int8_bound_scale(void);

#endif
