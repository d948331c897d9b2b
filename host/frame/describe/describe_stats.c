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
  if (b->fmin < a->fmin) a->fmin = b->fmin;
  if (b->fmax > a->fmax) a->fmax = b->fmax;
  if (b->imin < a->imin) a->imin = b->imin;
  if (b->imax > a->imax) a->imax = b->imax;
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
