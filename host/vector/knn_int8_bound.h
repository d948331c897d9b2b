/* Quantization and error bound of the int8 candidate pass (docs/knn_bound.md section 9).
 * Base rows are centred on the base's mean mu (fixed when the copy is made): y = x - mu,
 * coded as y_hat = s_y * c, c in [-127, 127]^d, s_y = max|y_i| / 127; a query q, not centred,
 * as q_hat = s_q * c_q. q . x = q . y + q . mu, so the pass's estimate of the fp32 scan's
 * s_f = fl(q . x) is s_hat = fma(fl(float(I) * s_y), s_q, m_q), I the exact integer c_q . c,
 * m_q = fl(q . mu), and
 *   |s_hat - s_f| <= alpha_q ||y_hat - y|| + beta_q ||y|| + tau_q. */
#ifndef WEFT_HOST_KNN_INT8_BOUND_H
#define WEFT_HOST_KNN_INT8_BOUND_H

#include <stddef.h>
#include <stdint.h>

#include "vector/knn_coef.h"

/* A row's codes (dim of them) of y = x - mu, its scale s_y, its code sum (for the query
 * offset), ||y|| and ||s_y c - y||, the norms rounded up to floats. */
void weft__int8_row(const float *x, const float *mu, size_t dim, int8_t *codes, float *scale,
                    int32_t *code_sum, float *norm_up, float *resid_up);

/* A query's packed unsigned code groups (weft__int8_groups(dim) of them), its scale s_q, its
 * shift m_q = fl(q . mu) and its coefficients multiplied by `bound_scale` (1 but in the test
 * that loosens the bound on purpose). `codes`: dim bytes of scratch. */
void weft__int8_query(const float *q, const float *mu, size_t dim, double bound_scale,
                      int8_t *codes, uint32_t *groups, float *scale, float *shift,
                      weft__knn_coef *coef);

/* 1, or the test switch WEFT_TEST_KNN_INT8_BOUND_SCALE (a positive number): a test divides
 * the bound by 1000 to check that the equality tests can fail. */
double weft__int8_bound_scale(void);

#endif
