#include "frame/describe/describe_stats.h"

#include <string.h>

int weft__desc_lane(weft_type t) {
  if (t == WEFT_TYPE_UTF8) return WEFT__DESC_LANE_S;
  if (t == WEFT_TYPE_DATE32 || t == WEFT_TYPE_TIMESTAMP_US) return WEFT__DESC_LANE_I;
  return WEFT__DESC_LANE_F;
}

void weft__dstats_init(weft__dstats *s) {
  memset(s, 0, sizeof *s);
  s->imin = s->imax = -1;
}

int weft__desc_utf8_less(const weft_column_view *v, int64_t a, int64_t b) {
  const int32_t *o = (const int32_t *)v->values + v->offset;
  int32_t la = o[a + 1] - o[a], lb = o[b + 1] - o[b];
  int c = memcmp(v->data + o[a], v->data + o[b], (size_t)(la < lb ? la : lb));
  return c < 0 || (c == 0 && la < lb);
}

void weft__dstats_merge(weft__dstats *a, const weft__dstats *b, int lane,
                        const weft_column_view *v) {
  a->valid += b->valid;
  a->nan += b->nan;
  if (lane == WEFT__DESC_LANE_S) {
    if (b->imin >= 0 && (a->imin < 0 || weft__desc_utf8_less(v, b->imin, a->imin))) a->imin = b->imin;
    if (b->imax >= 0 && (a->imax < 0 || weft__desc_utf8_less(v, a->imax, b->imax))) a->imax = b->imax;
    return;
  }
  if (b->kept == 0) return;
  a->sum += b->sum;
  if (a->kept == 0) {
    a->kept = b->kept, a->mean = b->mean, a->m2 = b->m2;
    a->fmin = b->fmin, a->fmax = b->fmax, a->imin = b->imin, a->imax = b->imax;
    return;
  }
  double na = (double)a->kept, nb = (double)b->kept, n = na + nb, delta = b->mean - a->mean;
  a->mean += delta * nb / n;
  a->m2 += b->m2 + delta * delta * na * nb / n;
  a->kept += b->kept;
  if (weft__desc_lt(b->fmin, a->fmin)) a->fmin = b->fmin;
  if (weft__desc_lt(a->fmax, b->fmax)) a->fmax = b->fmax;
  if (b->imin < a->imin) a->imin = b->imin;
  if (b->imax > a->imax) a->imax = b->imax;
}

#define LANES WK_DESC_LANES

/* lanes[0] = the lanes added by the fixed tree of kernels/describe_blocks.h */
static double lane_tree(double *lanes) {
  for (int w = LANES / 2; w > 0; w >>= 1)
    for (int l = 0; l < w; l++) lanes[l] += lanes[l + w];
  return lanes[0];
}

static double masked(double x, uint64_t keep) { /* x where keep is all ones, else +0.0 */
  uint64_t u;
  memcpy(&u, &x, 8);
  u &= keep;
  memcpy(&x, &u, 8);
  return x;
}

/* The zero min or max the order -0.0 < +0.0 gives: `want_neg` a -0.0 among the kept rows,
 * else a +0.0 (rare: only blocks whose min or max is a zero come here). */
static double signed_zero(const double *x, const uint64_t *keep, size_t n, int want_neg) {
  for (size_t i = 0; i < n; i++)
    if ((!keep || keep[i]) && x[i] == 0.0 && (signbit(x[i]) != 0) == want_neg) return x[i];
  return want_neg ? 0.0 : -0.0;
}

/* Rows that are not kept add +0.0 to their lane: that leaves every sum's bits as skipping
 * the row would (a lane's sum starts at +0.0 and so is never -0.0), and keeps the loops free
 * of branches (masks, not tests), so they vectorize. */
void weft__desc_block_f(const double *x, const uint64_t *keep, size_t n, weft__dstats *b) {
  double s[LANES] = {0}, q[LANES] = {0}, lo[LANES], hi[LANES];
  int64_t m = 0;
  for (int l = 0; l < LANES; l++) lo[l] = INFINITY, hi[l] = -INFINITY;
  /* a whole row of lanes at a time (a constant trip count: the loop vectorizes), then the
   * block's last, partial row of lanes */
#define LANE_STEP(l)                                       \
  do {                                                     \
    uint64_t k = keep[i0 + (l)];                           \
    double v = masked(x[i0 + (l)], k);                     \
    s[l] += v;                                             \
    m += (int64_t)(k & 1);                                 \
    double a = k ? v : INFINITY, c = k ? v : -INFINITY;    \
    lo[l] = a < lo[l] ? a : lo[l];                         \
    hi[l] = c > hi[l] ? c : hi[l];                         \
  } while (0)
  size_t i0 = 0;
  for (; i0 + LANES <= n; i0 += LANES)
    for (int l = 0; l < LANES; l++) LANE_STEP(l);
  for (size_t l = 0; i0 + l < n; l++) LANE_STEP(l);
#undef LANE_STEP
  if (m == 0) return;
  double mn = lo[0], mx = hi[0];
  for (int l = 1; l < LANES; l++) mn = lo[l] < mn ? lo[l] : mn, mx = hi[l] > mx ? hi[l] : mx;
  if (mn == 0.0) mn = signed_zero(x, keep, n, 1);
  if (mx == 0.0) mx = signed_zero(x, keep, n, 0);
  double sum = lane_tree(s), mean = sum / (double)m;
#define LANE_STEP(l)                                       \
  do {                                                     \
    double d = x[i0 + (l)] - mean;                         \
    q[l] += masked(d * d, keep[i0 + (l)]);                 \
  } while (0)
  for (i0 = 0; i0 + LANES <= n; i0 += LANES)
    for (int l = 0; l < LANES; l++) LANE_STEP(l);
  for (size_t l = 0; i0 + l < n; l++) LANE_STEP(l);
#undef LANE_STEP
  b->kept = m, b->sum = sum, b->mean = mean, b->m2 = lane_tree(q), b->fmin = mn, b->fmax = mx;
}

/* weft__desc_block_f with every row kept, without the masks: the same additions in the same
 * lanes and order, so the same bits. A NaN or an infinity makes the sum non-finite (it
 * propagates through the lanes and the tree); the block is then left to the masked path. */
int weft__desc_block_f_dense(const double *x, size_t n, weft__dstats *b) {
  double s[LANES] = {0}, q[LANES] = {0}, lo[LANES], hi[LANES];
  for (int l = 0; l < LANES; l++) lo[l] = INFINITY, hi[l] = -INFINITY;
#define LANE_STEP(l)                                       \
  do {                                                     \
    double v = x[i0 + (l)];                                \
    s[l] += v;                                             \
    lo[l] = v < lo[l] ? v : lo[l];                         \
    hi[l] = v > hi[l] ? v : hi[l];                         \
  } while (0)
  size_t i0 = 0;
  for (; i0 + LANES <= n; i0 += LANES)
    for (int l = 0; l < LANES; l++) LANE_STEP(l);
  for (size_t l = 0; i0 + l < n; l++) LANE_STEP(l);
#undef LANE_STEP
  double sum = lane_tree(s);
  if (!isfinite(sum)) return 0;
  if (n == 0) return 1;
  double mn = lo[0], mx = hi[0];
  for (int l = 1; l < LANES; l++) mn = lo[l] < mn ? lo[l] : mn, mx = hi[l] > mx ? hi[l] : mx;
  if (mn == 0.0) mn = signed_zero(x, NULL, n, 1);
  if (mx == 0.0) mx = signed_zero(x, NULL, n, 0);
  double mean = sum / (double)n;
#define LANE_STEP(l)                                       \
  do {                                                     \
    double d = x[i0 + (l)] - mean;                         \
    q[l] += d * d;                                         \
  } while (0)
  for (i0 = 0; i0 + LANES <= n; i0 += LANES)
    for (int l = 0; l < LANES; l++) LANE_STEP(l);
  for (size_t l = 0; i0 + l < n; l++) LANE_STEP(l);
#undef LANE_STEP
  b->kept = (int64_t)n, b->sum = sum, b->mean = mean, b->m2 = lane_tree(q), b->fmin = mn, b->fmax = mx;
  return 1;
}

void weft__desc_block_i(const int64_t *x, const uint64_t *keep, size_t n, weft__dstats *b) {
  double s[LANES] = {0};
  int64_t m = 0, lo = INT64_MAX, hi = INT64_MIN;
  size_t i0 = 0;
  for (; i0 + LANES <= n; i0 += LANES)
    for (int l = 0; l < LANES; l++) s[l] += masked((double)x[i0 + l], keep[i0 + l]);
  for (size_t l = 0; i0 + l < n; l++) s[l] += masked((double)x[i0 + l], keep[i0 + l]);
  for (size_t i = 0; i < n; i++) {
    if (!keep[i]) continue;
    lo = x[i] < lo ? x[i] : lo;
    hi = x[i] > hi ? x[i] : hi;
    m++;
  }
  if (m == 0) return;
  double sum = lane_tree(s);
  b->kept = m, b->sum = sum, b->mean = sum / (double)m, b->imin = lo, b->imax = hi;
}

#define PART_MIN_ROWS 65536 /* fewer rows per part cost more in merging than they save */

int weft__desc_parts(int64_t rows, int64_t *chunk_out) {
  int64_t nparts = (rows + PART_MIN_ROWS - 1) / PART_MIN_ROWS;
  if (nparts > WEFT__DESC_MAX_PARTS) nparts = WEFT__DESC_MAX_PARTS;
  if (nparts < 1) nparts = 1;
  /* whole blocks per part, so block boundaries fall at the same rows whatever the split */
  int64_t chunk = (rows + nparts - 1) / nparts;
  chunk = (chunk + WEFT__DESC_BLOCK - 1) / WEFT__DESC_BLOCK * WEFT__DESC_BLOCK;
  if (chunk < WEFT__DESC_BLOCK) chunk = WEFT__DESC_BLOCK;
  nparts = (rows + chunk - 1) / chunk;
  if (nparts < 1) nparts = 1;
  *chunk_out = chunk;
  return (int)nparts;
}
