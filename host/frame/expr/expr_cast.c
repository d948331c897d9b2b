/* Strict casts (as Polars' default): a value that does not fit the target type, or a string
 * that does not parse, is an error naming the column and the value, never a silent null.
 * Floats to integers truncate toward zero; numbers to utf8 print the shortest text that reads
 * back to the same value (floats always with a '.', as Polars: 1.0). */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "frame/expr/expr.h"

#define US_PER_DAY INT64_C(86400000000)

static void int_range(weft_type t, int64_t *lo, int64_t *hi) {
  switch (t) {
    case WEFT_TYPE_INT8: *lo = INT8_MIN, *hi = INT8_MAX; break;
    case WEFT_TYPE_INT16: *lo = INT16_MIN, *hi = INT16_MAX; break;
    case WEFT_TYPE_INT32: case WEFT_TYPE_DATE32: *lo = INT32_MIN, *hi = INT32_MAX; break;
    case WEFT_TYPE_UINT8: *lo = 0, *hi = UINT8_MAX; break;
    case WEFT_TYPE_UINT16: *lo = 0, *hi = UINT16_MAX; break;
    case WEFT_TYPE_UINT32: *lo = 0, *hi = UINT32_MAX; break;
    case WEFT_TYPE_UINT64: *lo = 0, *hi = INT64_MAX; break; /* larger: the U lane, checked apart */
    default: *lo = INT64_MIN, *hi = INT64_MAX; break;
  }
}

static weft_status bad_value(const weft__bnode *from, const weft__bnode *to, const char *value,
                             const char *why) {
  return weft__error(WEFT_ERR_INVALID_ARGUMENT, "cannot cast value %s of column \"%s\" from %s to %s%s",
                     value, from->name, weft_type_name(from->type), weft_type_name(to->type), why);
}

static int valid_at(const weft__vec *v, int64_t i) { return v->all_valid || v->valid[i]; }

/* Shortest "%.*g" that reads back the same double; with ".0" when it looks like an integer. */
static int format_double(char *buf, size_t cap, double x, int is_f32) {
  int len = 0;
  if (isnan(x)) return snprintf(buf, cap, "NaN");
  if (isinf(x)) return snprintf(buf, cap, x > 0 ? "inf" : "-inf");
  for (int p = 1; p <= 17; p++) {
    len = snprintf(buf, cap, "%.*g", p, x);
    double back = strtod(buf, NULL);
    if (is_f32 ? (float)back == (float)x : back == x) break;
  }
  if (!strpbrk(buf, ".eEn")) len += snprintf(buf + len, cap - (size_t)len, ".0");
  return len;
}

static weft_status to_utf8(const weft__bnode *A, weft__vec *a, weft__vec *out, int64_t n) {
  WEFT_RETURN_NOT_OK(weft__vec_reserve(out, (size_t)n * 32 + 1));
  char *w = out->buf;
  for (int64_t i = 0; i < n; i++) {
    int len = 0;
    if (valid_at(a, i)) {
      if (A->type == WEFT_TYPE_BOOL) len = snprintf(w, 32, "%s", a->v[i].i ? "true" : "false");
      else if (A->lane == WEFT__LANE_F) len = format_double(w, 32, a->v[i].f, A->type == WEFT_TYPE_FLOAT32);
      else if (A->lane == WEFT__LANE_U) len = snprintf(w, 32, "%" PRIu64, a->v[i].u);
      else len = snprintf(w, 32, "%" PRId64, a->v[i].i);
    }
    out->sp[i] = w;
    out->sl[i] = len;
    w += len;
  }
  return WEFT_OK;
}

/* Parses utf8 into the target's lane. */
static weft_status from_utf8(const weft__bnode *A, const weft__bnode *nd, weft__vec *a, weft__vec *out,
                             int64_t n) {
  char tmp[80], shown[96];
  for (int64_t i = 0; i < n; i++) {
    out->v[i].i = 0;
    if (!valid_at(a, i)) continue;
    int32_t len = a->sl[i];
    int ok = len > 0 && (size_t)len < sizeof tmp;
    if (ok) {
      memcpy(tmp, a->sp[i], (size_t)len);
      tmp[len] = 0;
      ok = tmp[0] != ' ' && tmp[0] != '\t' && tmp[0] != '\n' && tmp[0] != '\r';
    }
    char *end = tmp;
    errno = 0;
    if (ok && nd->lane == WEFT__LANE_F) out->v[i].f = strtod(tmp, &end);
    else if (ok && nd->lane == WEFT__LANE_U) {
      ok = tmp[0] != '-';
      out->v[i].u = strtoull(tmp, &end, 10);
    } else if (ok) {
      out->v[i].i = strtoll(tmp, &end, 10);
      int64_t lo, hi;
      int_range(nd->type, &lo, &hi);
      ok = out->v[i].i >= lo && out->v[i].i <= hi;
    }
    if (!ok || *end || errno == ERANGE) {
      int k = len < 64 ? len : 64;
      snprintf(shown, sizeof shown, "\"%.*s%s\"", k, a->sp[i], len > 64 ? "..." : "");
      return bad_value(A, nd, shown, "");
    }
  }
  weft__normalize(out, nd->type, n);
  return WEFT_OK;
}

/* Numbers, bool and temporal types among themselves. */
static weft_status numeric(const weft__bnode *A, const weft__bnode *nd, weft__vec *a, weft__vec *out,
                           int64_t n) {
  weft__val *x = a->v, *o = out->v;
  weft_type to = nd->type, from = A->type;
  char shown[64];
  if (to == WEFT_TYPE_BOOL) {
    for (int64_t i = 0; i < n; i++)
      o[i].i = A->lane == WEFT__LANE_F ? x[i].f != 0 : x[i].i != 0;
    return WEFT_OK;
  }
  if (nd->lane == WEFT__LANE_F) {
    for (int64_t i = 0; i < n; i++)
      o[i].f = A->lane == WEFT__LANE_F ? x[i].f : A->lane == WEFT__LANE_U ? (double)x[i].u : (double)x[i].i;
    weft__normalize(out, to, n);
    return WEFT_OK;
  }
  int64_t lo, hi;
  int_range(to, &lo, &hi);
  if (from == WEFT_TYPE_BOOL) { /* 0 / 1 fit every integer type: a copy (one-hot encoding) */
    memcpy(o, x, (size_t)n * sizeof *o);
    return WEFT_OK;
  }
  if (A->lane == WEFT__LANE_I && from != WEFT_TYPE_DATE32 && from != WEFT_TYPE_TIMESTAMP_US) {
    /* integer to integer: one branch-free pass, the loop below only to name a bad value */
    int all = 0;
    if (a->all_valid)
      for (int64_t i = 0; i < n; i++) o[i].i = x[i].i, all |= x[i].i < lo || x[i].i > hi;
    else
      for (int64_t i = 0; i < n; i++) o[i].i = x[i].i, all |= a->valid[i] && (x[i].i < lo || x[i].i > hi);
    if (!all) return WEFT_OK;
  }
  for (int64_t i = 0; i < n; i++) {
    int ok = 1;
    if (A->lane == WEFT__LANE_F) {
      double f = x[i].f;
      double flo = to == WEFT_TYPE_UINT64 ? 0.0 : (double)lo;
      double fhi = to == WEFT_TYPE_UINT64 ? 18446744073709551616.0 : (double)hi + 1.0;
      ok = !valid_at(a, i) || (f > flo - 1.0 && f < fhi);
      if (ok && to == WEFT_TYPE_UINT64) o[i].u = valid_at(a, i) ? (uint64_t)f : 0;
      else if (ok) o[i].i = valid_at(a, i) ? (int64_t)f : 0;
      if (!ok) format_double(shown, sizeof shown, f, from == WEFT_TYPE_FLOAT32);
    } else if (A->lane == WEFT__LANE_U) {
      ok = !valid_at(a, i) || to == WEFT_TYPE_UINT64 || x[i].u <= (uint64_t)hi;
      o[i].u = x[i].u;
      if (!ok) snprintf(shown, sizeof shown, "%" PRIu64, x[i].u);
    } else {
      int64_t v = x[i].i;
      int over = 0; /* a date past the timestamp range (about 292,000 years) */
      if (from == WEFT_TYPE_DATE32 && to == WEFT_TYPE_TIMESTAMP_US) {
        over = v > INT64_MAX / US_PER_DAY || v < INT64_MIN / US_PER_DAY;
        v = (int64_t)((uint64_t)v * (uint64_t)US_PER_DAY); /* wraps (null slots) instead of UB */
      } else if (from == WEFT_TYPE_TIMESTAMP_US && to == WEFT_TYPE_DATE32) {
        v = v / US_PER_DAY - (v % US_PER_DAY < 0); /* floor: before 1970 is the previous day */
      }
      ok = !valid_at(a, i) || (!over && v >= lo && v <= hi);
      o[i].i = v;
      if (!ok) snprintf(shown, sizeof shown, "%" PRId64, x[i].i);
    }
    if (!ok) return bad_value(A, nd, shown, " (out of range)");
  }
  return WEFT_OK;
}

weft_status weft__cast_vec(weft__eval *ev, int me, int64_t n) {
  const weft__bnode *nd = &ev->bound->nodes[me], *A = &ev->bound->nodes[nd->a];
  weft__vec *out = &ev->vecs[me], *a = &ev->vecs[nd->a];
  if (A->lane == WEFT__LANE_D || nd->lane == WEFT__LANE_D) {
    if (A->type != nd->type) return weft__dec_cast(ev, me, n);
    memcpy(out->d, a->d, (size_t)n * sizeof *out->d); /* then validity as any same-type cast */
  }
  out->all_valid = a->all_valid;
  if (!a->all_valid) memcpy(out->valid, a->valid, (size_t)n);
  if (A->type == nd->type) {
    memcpy(out->v, a->v, (size_t)n * sizeof *out->v);
    if (nd->lane == WEFT__LANE_S) {
      memcpy(out->sp, a->sp, (size_t)n * sizeof *out->sp);
      memcpy(out->sl, a->sl, (size_t)n * sizeof *out->sl);
    }
    return WEFT_OK;
  }
  if (nd->type == WEFT_TYPE_UTF8) return to_utf8(A, a, out, n);
  if (A->type == WEFT_TYPE_UTF8) return from_utf8(A, nd, a, out, n);
  return numeric(A, nd, a, out, n);
}
