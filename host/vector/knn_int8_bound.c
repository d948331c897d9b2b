/* The int8 pass's quantization and error bound, per docs/knn_bound.md section 9. With
 * y = x - mu (real), q_hat = s_q c_q = q + a and y_hat = s_y c = y + e (the residuals from the
 * codes actually multiplied), I = c_q . c exactly (int32), P = s_q s_y I = q_hat . y_hat, and
 * q . x = q . y + q . mu:
 *
 *   |P - q.y|             <= ||q|| ||e|| + ||a|| ||y|| + ||a|| ||e||      operands
 *   |s_hat - (P + q.mu)|  <= g3 |P| + u |m_q| + dm + 2^-150 (s_q (1 + u) + 1)
 *                                        float(I), * s_y, the fma; m_q's own error dm
 *   |s - s_f|             <= g0 ||q|| ||x|| + d 2^-150 <= g0 ||q|| (||y|| + ||mu||) + ...
 *
 * |P| <= (||q|| + ||a||)(||y|| + ||e||); g3 = gamma_3(2^-24), g0 = gamma_d(2^-24),
 * u = 2^-24; dm = u |q . mu| + gamma_{d+2}(2^-53) ||q|| ||mu|| + 2^-150 (q . mu summed in
 * double, rounded to a float). Collected:
 *
 *   E = alpha ||e|| + beta ||y|| + tau,   alpha = (||q|| + ||a||)(1 + g3),
 *   beta = ||a|| + g3 (||q|| + ||a||) + g0 ||q||,
 *   tau = g0 ||q|| ||mu|| + u |m_q| + dm + 2^-150 (s_q (1 + u) + 2 + d) + 2^-126.
 *
 * The 2^-126 keeps E's float evaluation in the normal range, where its two roundings are
 * relative and the 2^-20 inflation of alpha, beta and tau covers them (as in the bf16 pass).
 * Norms are summed in double; y_i = x_i - mu_i and e_i = s_y c_i - y_i are each one double
 * rounding off (2^-53 relative), covered by 2^-50 of the norm ||y|| added to ||e||. */
#include "vector/knn_int8_bound.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>

#include "vector/cpu_dot_int8.h"

/* Codes of y = v - mu (mu NULL: 0): c_i = round(y_i / s), s = max|y_i| / 127 (at least the
 * smallest float when y is not zero), clamped to [-127, 127]; returns s, and ||y|| and
 * ||s c - y|| rounded up. */
static float quantize(const float *v, const float *mu, size_t dim, int8_t *codes, float *norm_up,
                      float *resid_up) {
  double m = 0;
  for (size_t i = 0; i < dim; i++) m = fmax(m, fabs((double)v[i] - (mu ? (double)mu[i] : 0.0)));
  float s = (float)(m / 127.0);
  if (s == 0.0f && m > 0.0) s = FLT_TRUE_MIN;
  double s2 = 0, r2 = 0;
  const double inv = s > 0.0f ? 1.0 / (double)s : 0.0;
  for (size_t i = 0; i < dim; i++) {
    double y = (double)v[i] - (mu ? (double)mu[i] : 0.0);
    /* round to nearest even by the 1.5 * 2^52 shift (|y / s| is about 127 at most): the
     * libm call was most of the copy's conversion time; the bound reads the codes as made */
    double c = s > 0.0f ? (y * inv + 0x1.8p52) - 0x1.8p52 : 0.0;
    if (c > 127.0) c = 127.0;
    if (c < -127.0) c = -127.0;
    codes[i] = (int8_t)c;
    double e = (double)s * c - y;
    s2 += y * y;
    r2 += e * e;
  }
  const double rel = weft__knn_norm_rel(dim) + 0x1p-40, ny = sqrt(s2);
  *norm_up = weft__knn_up(ny, rel);
  *resid_up = weft__knn_up(sqrt(r2) * (1.0 + rel) + 0x1p-50 * ny, 0x1p-40);
  return s;
}

void weft__int8_row(const float *x, const float *mu, size_t dim, int8_t *codes, float *scale,
                    int32_t *code_sum, float *norm_up, float *resid_up) {
  *scale = quantize(x, mu, dim, codes, norm_up, resid_up);
  int32_t sum = 0;
  for (size_t i = 0; i < dim; i++) sum += codes[i];
  *code_sum = sum;
}

void weft__int8_query(const float *q, const float *mu, size_t dim, double bound_scale,
                      int8_t *codes, uint32_t *groups, float *scale, float *shift,
                      weft__knn_coef *coef) {
  float nq_f, aq_f;
  const float sq = quantize(q, NULL, dim, codes, &nq_f, &aq_f);
  weft__int8_pack_query(codes, dim, groups);
  double qm = 0, m2 = 0;
  for (size_t i = 0; i < dim; i++) {
    qm += (double)q[i] * (double)mu[i];
    m2 += (double)mu[i] * (double)mu[i];
  }
  const float mq = (float)qm;
  *scale = sq;
  *shift = mq;
  const double u = 0x1p-24, nq = nq_f, aq = aq_f;
  const double nmu = (double)weft__knn_up(sqrt(m2), weft__knn_norm_rel(dim));
  const double g3 = weft__knn_gamma(3.0, u), g0 = weft__knn_gamma((double)dim, u);
  const double dm = u * fabs(qm) + weft__knn_gamma((double)dim + 2.0, 0x1p-53) * nq * nmu +
                    0x1p-150;
  const double alpha = (nq + aq) * (1.0 + g3);
  const double beta = aq + g3 * (nq + aq) + g0 * nq;
  const double tau = g0 * nq * nmu + u * fabs((double)mq) + dm +
                     0x1p-150 * ((double)sq * (1.0 + u) + 2.0 + (double)dim) + 0x1p-126;
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
