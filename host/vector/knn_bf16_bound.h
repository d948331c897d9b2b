/* The error bound of the bf16 candidate pass (docs/knn_bound.md, the residual form (2')):
 * |s_hat - s_f| <= alpha_q * resid_x + beta_q * norm_x + tau_q for a query q and a row x,
 * s_hat the bf16 pass's inner product, s_f the fp32 scan's. */
#ifndef WEFT_HOST_KNN_BF16_BOUND_H
#define WEFT_HOST_KNN_BF16_BOUND_H

#include <stddef.h>
#include <stdint.h>

#include "vector/knn_coef.h"

/* A row's ||x|| and ||bf16(x) - x||, each rounded up to a float. */
void weft__bf16_row_bound(const float *x, size_t dim, float *norm_up, float *resid_up);

/* A query's bf16 coordinate pairs (weft__bf16_pairs(dim) of them) and its coefficients,
 * multiplied by `scale` (1 but in the test that loosens the bound on purpose). */
void weft__bf16_query(const float *q, size_t dim, double scale, uint32_t *pairs,
                      weft__knn_coef *coef);

/* 1, or the test switch WEFT_TEST_KNN_BF16_BOUND_SCALE (a positive number): a test divides
 * the bound by 1000 to check that the equality tests can fail. */
double weft__bf16_bound_scale(void);

#endif
