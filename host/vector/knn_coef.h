/* What the certified k-NN candidate passes (bf16, int8; docs/knn_bound.md) share about their
 * error bounds: the per-query coefficients of E = alpha ||resid(x)|| + beta ||x|| + tau,
 * and the rounding-up helpers that make the computed bound at least the real one. */
#ifndef WEFT_HOST_KNN_COEF_H
#define WEFT_HOST_KNN_COEF_H

#include <math.h>
#include <stddef.h>

typedef struct weft__knn_coef {
  float alpha; /* multiplies the row's residual norm ||x_reduced - x|| */
  float beta;  /* multiplies the row's norm ||x|| */
  float tau;   /* absolute terms (underflow) */
} weft__knn_coef;

/* v (>= 0, computed with relative error under `rel`) rounded up to a float. */
static inline float weft__knn_up(double v, double rel) {
  v *= 1.0 + rel;
  float f = (float)v;
  if ((double)f < v) f = nextafterf(f, INFINITY);
  return f;
}

/* Relative error bound of sqrt(sum of n exact squares) in double, with room to spare. */
static inline double weft__knn_norm_rel(size_t n) { return ((double)n + 4.0) * 0x1p-52; }

/* gamma_n(u) = n u / (1 - n u) (Higham): n roundings of unit roundoff u. */
static inline double weft__knn_gamma(double n, double u) { return n * u / (1.0 - n * u); }

#endif
