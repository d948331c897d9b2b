/* The bf16 pass's error bound, per docs/knn_bound.md sections 2 and 3. With a = bf16(q) - q
 * and c = bf16(x) - x (the operands VDPBF16PS multiplies, subnormals already flushed, so
 * these residuals are exact),
 *
 *   |s_bar - s|   <= ||q|| ||c|| + ||a|| ||x|| + ||a|| ||c||           operands (2')
 *   |s_hat - s_bar| <= g1 (||q|| + ||a||)(||x|| + ||c||) + flushes      fp32 accumulation (3)
 *   |s - s_f|     <= g0 ||q|| ||x|| + d 2^-150                          the fp32 scan (4)
 *
 * g1 = gamma_n(2^-23): n = 2 * pairs additions at most on any product's way, each rounded
 * with error under 2^-23 relative, which covers round-to-nearest and truncation alike (the
 * order inside VDPBF16PS differs between CPUs). g0 = gamma_dim(2^-24). Collected:
 *
 *   E = alpha ||c|| + beta ||x|| + tau,   alpha = (||q|| + ||a||)(1 + g1),
 *   beta = ||a|| + g1 (||q|| + ||a||) + g0 ||q||.
 *
 * Norms are summed in double (squares of floats are exact there) and inflated by that sum's
 * error bound, then rounded up; alpha, beta and tau are inflated by 2^-20 so that the float
 * evaluation E = fma(alpha, resid, fma(beta, norm, tau)) (two roundings of positive terms)
 * stays above the real value. */
#include "vector/knn_bf16_bound.h"

#include <math.h>
#include <stdlib.h>

#include "vector/cpu_dot_bf16.h"

void weft__bf16_row_bound(const float *x, size_t dim, float *norm_up, float *resid_up) {
  double s2 = 0, r2 = 0;
  for (size_t i = 0; i < dim; i++) {
    double v = x[i], c = (double)weft__bf16_value(weft__bf16_of(x[i])) - v;
    s2 += v * v;
    r2 += c * c;
  }
  *norm_up = weft__knn_up(sqrt(s2), weft__knn_norm_rel(dim));
  *resid_up = weft__knn_up(sqrt(r2), weft__knn_norm_rel(dim));
}

void weft__bf16_query(const float *q, size_t dim, double scale, uint32_t *pairs,
                      weft__knn_coef *coef) {
  const size_t np = weft__bf16_pairs(dim);
  double s2 = 0, r2 = 0;
  for (size_t p = 0; p < np; p++) {
    uint16_t lo = weft__bf16_of(q[2 * p]), hi = 2 * p + 1 < dim ? weft__bf16_of(q[2 * p + 1]) : 0;
    pairs[p] = (uint32_t)lo | (uint32_t)hi << 16;
  }
  for (size_t i = 0; i < dim; i++) {
    double v = q[i], a = (double)weft__bf16_value(weft__bf16_of(q[i])) - v;
    s2 += v * v;
    r2 += a * a;
  }
  const double rel = weft__knn_norm_rel(dim);
  const double nq = (double)weft__knn_up(sqrt(s2), rel);
  const double aq = (double)weft__knn_up(sqrt(r2), rel);
  const double g1 = weft__knn_gamma(2.0 * (double)np, 0x1p-23);
  const double g0 = weft__knn_gamma((double)dim, 0x1p-24);
  const double alpha = (nq + aq) * (1.0 + g1);
  const double beta = aq + g1 * (nq + aq) + g0 * nq;
  /* a flush of at most 2^-126 per product, per partial sum and per accumulator read, and
   * the fp32 scan's gradual underflow, 2^-150 a step */
  const double tau = (3.0 * 2.0 * (double)np + 3.0) * 0x1p-126 + (double)dim * 0x1p-150;
  coef->alpha = weft__knn_up(alpha * scale, 0x1p-20);
  coef->beta = weft__knn_up(beta * scale, 0x1p-20);
  coef->tau = weft__knn_up(tau * scale, 0x1p-20);
}

double weft__bf16_bound_scale(void) {
  const char *s = getenv("WEFT_TEST_KNN_BF16_BOUND_SCALE");
  if (!s || !*s) return 1.0;
  char *end;
  double v = strtod(s, &end);
  return *end == '\0' && v > 0 && isfinite(v) ? v : 1.0;
}
