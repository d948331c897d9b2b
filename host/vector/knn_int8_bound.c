/* The int8 pass's quantization and error bound, per docs/knn_bound.md section 9. With
 * q_hat = s_q c_q = q + a and x_hat = s_x c_x = x + e (real numbers; the residuals a and e
 * are computed from the codes actually multiplied), I = c_q . c_x exactly (int32), and
 * P = s_q s_x I = q_hat . x_hat:
 *
 *   |P - s|        <= ||q|| ||e|| + ||a|| ||x|| + ||a|| ||e||          operands (Cauchy-Schwarz)
 *   |s_hat - P|    <= g3 |P| + 2^-150 (s_q (1 + u) + 1)                 float(I), * s_x, * s_q
 *                  <= g3 (||q|| + ||a||)(||x|| + ||e||) + ...
 *   |s - s_f|      <= g0 ||q|| ||x|| + d 2^-150                         the fp32 scan
 *
 * g3 = gamma_3(2^-24) (three roundings to nearest), g0 = gamma_d(2^-24), u = 2^-24; an
 * underflowing product is off by at most 2^-150 absolutely. Collected:
 *
 *   E = alpha ||e|| + beta ||x|| + tau,   alpha = (||q|| + ||a||)(1 + g3),
 *   beta = ||a|| + g3 (||q|| + ||a||) + g0 ||q||,
 *   tau = 2^-150 (s_q (1 + u) + 1 + d) + 2^-126.
 *
 * The 2^-126 keeps E's float evaluation in the normal range, where its two roundings are
 * relative and the 2^-20 inflation of alpha, beta and tau covers them (as in the bf16 pass).
 * Norms are summed in double; a residual e_i = s_x c_i - x_i is exact there but for
 * cancellation, covered by 2^-40 of extra relative room. */
#include "vector/knn_int8_bound.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>

#include "vector/cpu_dot_int8.h"

/* Codes of y: c_i = round(y_i / s), s = max|y_i| / 127 (at least the smallest float when y is
 * not zero), clamped to [-127, 127]; returns s, and ||y||^2 and ||s c - y||^2 in double. */
static float quantize(const float *y, size_t dim, int8_t *codes, double *sq, double *rq) {
  float m = 0.0f;
  for (size_t i = 0; i < dim; i++) m = fmaxf(m, fabsf(y[i]));
  float s = m / 127.0f;
  if (s == 0.0f && m > 0.0f) s = FLT_TRUE_MIN;
  double s2 = 0, r2 = 0;
  for (size_t i = 0; i < dim; i++) {
    double v = y[i], c = s > 0.0f ? nearbyint(v / (double)s) : 0.0;
    if (c > 127.0) c = 127.0;
    if (c < -127.0) c = -127.0;
    codes[i] = (int8_t)c;
    double e = (double)s * c - v;
    s2 += v * v;
    r2 += e * e;
  }
  *sq = s2, *rq = r2;
  return s;
}

static double rel_of(size_t dim) { return weft__knn_norm_rel(dim) + 0x1p-40; }

void weft__int8_row(const float *x, size_t dim, int8_t *codes, float *scale, int32_t *code_sum,
                    float *norm_up, float *resid_up) {
  double s2, r2;
  *scale = quantize(x, dim, codes, &s2, &r2);
  int32_t sum = 0;
  for (size_t i = 0; i < dim; i++) sum += codes[i];
  *code_sum = sum;
  *norm_up = weft__knn_up(sqrt(s2), rel_of(dim));
  *resid_up = weft__knn_up(sqrt(r2), rel_of(dim));
}

void weft__int8_query(const float *q, size_t dim, double bound_scale, int8_t *codes,
                      uint32_t *groups, float *scale, weft__knn_coef *coef) {
  double s2, r2;
  const float sq = quantize(q, dim, codes, &s2, &r2);
  weft__int8_pack_query(codes, dim, groups);
  *scale = sq;
  const double nq = (double)weft__knn_up(sqrt(s2), rel_of(dim));
  const double aq = (double)weft__knn_up(sqrt(r2), rel_of(dim));
  const double g3 = weft__knn_gamma(3.0, 0x1p-24), g0 = weft__knn_gamma((double)dim, 0x1p-24);
  const double alpha = (nq + aq) * (1.0 + g3);
  const double beta = aq + g3 * (nq + aq) + g0 * nq;
  const double tau = 0x1p-150 * ((double)sq * (1.0 + 0x1p-24) + 1.0 + (double)dim) + 0x1p-126;
  coef->alpha = weft__knn_up(alpha * bound_scale, 0x1p-20);
  coef->beta = weft__knn_up(beta * bound_scale, 0x1p-20);
  coef->tau = weft__knn_up(tau * bound_scale, 0x1p-20);
}

double weft__int8_bound_scale(void) {
  const char *s = getenv("WEFT_TEST_KNN_INT8_BOUND_SCALE");
  if (!s || !*s) return 1.0;
  char *end;
  double v = strtod(s, &end);
  return *end == '\0' && v > 0 && isfinite(v) ? v : 1.0;
}
