/* decimal128 in expressions, with Polars' rules: + - * / of decimals give decimal(38, the
 * larger scale), an integer operand counting as decimal(38, 0) and a float one making the
 * result float64 (decimals compared with floats are compared as float64, as Polars does);
 * products and quotients round half to even to the result's scale, as do casts that drop
 * digits (decimal to a smaller scale, float and text to decimal), while casts to integers
 * truncate toward zero. A value that does not fit its type (38 digits for arithmetic, the
 * precision for a cast) is an error naming the expression or column, never a wrapped value.
 *
 * Values live in the vec's `d` lane as 128-bit integers at the node's scale. Products of
 * operands that fit int64 (every TPC-H money column) take a 64-bit path whose rounding
 * divides by a constant, so the compiler makes it a multiplication. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/error.h"
#include "frame/expr/expr.h"

static const uint64_t P64[20] = {
    1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL, 1000000ULL, 10000000ULL, 100000000ULL,
    1000000000ULL, 10000000000ULL, 100000000000ULL, 1000000000000ULL, 10000000000000ULL,
    100000000000000ULL, 1000000000000000ULL, 10000000000000000ULL, 100000000000000000ULL,
    1000000000000000000ULL, 10000000000000000000ULL};

weft__i128 weft__dec_pow10(int k) {
  return k <= 19 ? (weft__i128)P64[k] : (weft__i128)P64[19] * (weft__i128)P64[k - 19];
}

#define I128_MAX ((weft__i128)(((unsigned __int128)1 << 127) - 1))
#define I128_MIN (-I128_MAX - 1)

static int is_dec(weft_type t) { return weft__type_is_decimal(t); }
static int scale_of(weft_type t) { return is_dec(t) ? weft__dec_scale(t) : 0; }
static int imax(int a, int b) { return a > b ? a : b; }
static int valid_at(const weft__vec *v, int64_t i) { return v->all_valid || v->valid[i]; }

/* ------------------------------------------------------------------ types */

int weft__dec_binary_type(int op, weft_type ta, weft_type tb, weft_type *out) {
  if (!is_dec(ta) && !is_dec(tb)) return 0;
  weft_type other = is_dec(ta) ? tb : ta;
  int cmp = op >= WEFT_OP_EQ && op <= WEFT_OP_GE;
  if (op != WEFT_OP_ADD && op != WEFT_OP_SUB && op != WEFT_OP_MUL && op != WEFT_OP_DIV &&
      op != WEFT_OP_MOD && op != WEFT_OP_FLOORDIV && !cmp)
    return -1; /* & and | */
  if (!is_dec(other) && !weft__type_is_integer(other) && !weft__type_is_float(other)) return -1;
  if (cmp) *out = WEFT_TYPE_BOOL;
  else if (weft__type_is_float(other)) *out = WEFT_TYPE_FLOAT64;
  else *out = WEFT_TYPE_DECIMAL(38, imax(scale_of(ta), scale_of(tb)));
  return 1;
}

int weft__dec_supertype(weft_type a, weft_type b) {
  if (is_dec(a) && is_dec(b)) {
    int s = imax(weft__dec_scale(a), weft__dec_scale(b));
    int whole = imax(weft__dec_precision(a) - weft__dec_scale(a), weft__dec_precision(b) - weft__dec_scale(b));
    return (int)WEFT_TYPE_DECIMAL(whole + s < 38 ? whole + s : 38, s);
  }
  weft_type d = is_dec(a) ? a : b, o = is_dec(a) ? b : a;
  if (weft__type_is_integer(o)) return (int)WEFT_TYPE_DECIMAL(38, weft__dec_scale(d));
  if (weft__type_is_float(o)) return (int)WEFT_TYPE_FLOAT64;
  return -1;
}

/* ------------------------------------------------------------------ helpers */

static weft_status overflow(const weft__bnode *nd) {
  return weft__error(WEFT_ERR_INVALID_ARGUMENT, "decimal overflow: %s (column \"%s\") gives a value "
                     "that does not fit %s", nd->e->text, nd->name, weft_type_name(nd->type));
}

/* q = v / d rounded half to even (d > 0). */
static inline weft__i128 div_even128(weft__i128 v, weft__i128 d) {
  weft__i128 q = v / d, r = v % d, ar = r < 0 ? -r : r;
  if (ar > d - ar || (ar == d - ar && (q & 1))) q += v < 0 ? -1 : 1;
  return q;
}
/* The same for int64 and |v| < 2^62, without branches (the hot path of products). */
static inline int64_t div_even64(int64_t v, int64_t d) {
  int64_t q = v / d, r = v - q * d;
  int64_t s = v >> 63, ar = (r ^ s) - s; /* s: 0 or -1; |r|, r having v's sign */
  int64_t up = (2 * ar > d) | ((2 * ar == d) & (q & 1));
  return q + ((up ^ s) - s);
}

/* The child's values as decimals at `scale` (never below its own) in v->d. Integers are
 * multiplied up; `saturate` (comparisons) clamps instead of failing, the other side being
 * below 10^38 either way. Returns the first valid row that overflowed, or -1. */
static int64_t to_dec(const weft__bnode *nd, weft__vec *v, int scale, int64_t n, int saturate) {
  int from = nd->lane == WEFT__LANE_D ? weft__dec_scale(nd->type) : 0;
  weft__i128 m = weft__dec_pow10(scale - from), *d = v->d;
  if (nd->lane == WEFT__LANE_I)
    for (int64_t i = 0; i < n; i++) d[i] = v->v[i].i;
  else if (nd->lane == WEFT__LANE_U)
    for (int64_t i = 0; i < n; i++) d[i] = v->v[i].u;
  if (m == 1) return -1;
  for (int64_t i = 0; i < n; i++) {
    weft__i128 x = d[i];
    /* 64 x 64 bits cannot overflow 128: one multiply, not the 128-bit overflow routine */
    if (x == (int64_t)x && m <= INT64_MAX) {
      d[i] = (weft__i128)(int64_t)x * (int64_t)m;
      continue;
    }
    if (__builtin_mul_overflow(x, m, &d[i])) {
      if (saturate) d[i] = x < 0 ? I128_MIN : I128_MAX;
      else if (valid_at(v, i)) return i;
    }
  }
  return -1;
}

/* The child's decimals as doubles in its F lane (Polars: value / 10^scale). */
static void to_f(const weft__bnode *nd, weft__vec *v, int64_t n) {
  int s = weft__dec_scale(nd->type);
  double p = pow(10.0, s); /* exact up to 10^22 */
  for (int64_t i = 0; i < n; i++) v->v[i].f = (double)v->d[i] / p;
}

static void and_valid(weft__vec *out, const weft__vec *a, const weft__vec *b, int64_t n) {
  out->all_valid = a->all_valid && b->all_valid;
  if (!out->all_valid)
    for (int64_t i = 0; i < n; i++) out->valid[i] = valid_at(a, i) && valid_at(b, i);
}

/* Whether any valid row lies outside (-bound, bound). */
static int out_of_range(const weft__vec *out, weft__i128 bound, int64_t n) {
  int bad = 0;
  if (out->all_valid)
    for (int64_t i = 0; i < n; i++) bad |= (out->d[i] >= bound) | (out->d[i] <= -bound);
  else
    for (int64_t i = 0; i < n; i++) bad |= ((out->d[i] >= bound) | (out->d[i] <= -bound)) & out->valid[i];
  return bad;
}

/* ------------------------------------------------------------------ arithmetic */

#define MUL_LOOP(DIV)                                                                        \
  for (int64_t i = 0; i < n; i++) {                                                          \
    weft__i128 x = a->d[i], y = b->d[i];                                                     \
    int64_t p;                                                                               \
    if (x == (int64_t)x && y == (int64_t)y && !__builtin_mul_overflow((int64_t)x, (int64_t)y, &p)) \
      o[i] = DIV;                                                                            \
    else {                                                                                   \
      weft__i128 q;                                                                          \
      if (__builtin_mul_overflow(x, y, &q)) q = 0, bad |= valid_at(out, i);                  \
      o[i] = k ? div_even128(q, dk) : q;                                                     \
    }                                                                                        \
  }

static int multiply(weft__vec *out, const weft__vec *a, const weft__vec *b, int k, int64_t n) {
  weft__i128 *o = out->d, dk = weft__dec_pow10(k);
  int bad = 0;
  switch (k) { /* constant divisors: multiplications */
    case 0: MUL_LOOP(p) break;
    case 1: MUL_LOOP(div_even64(p, 10)) break;
    case 2: MUL_LOOP(div_even64(p, 100)) break;
    case 3: MUL_LOOP(div_even64(p, 1000)) break;
    case 4: MUL_LOOP(div_even64(p, 10000)) break;
    default: MUL_LOOP(k <= 18 ? div_even64(p, (int64_t)P64[k]) : div_even128(p, dk)) break;
  }
  return bad;
}

/* x / y at scale s: round(x * 10^(s + sy - sx) / y). Division by zero is an error. */
static weft_status divide(const weft__bnode *nd, weft__vec *out, const weft__vec *a, const weft__vec *b,
                          int e, int64_t n) {
  weft__i128 m = weft__dec_pow10(e);
  for (int64_t i = 0; i < n; i++) {
    out->d[i] = 0;
    if (!valid_at(out, i)) continue;
    weft__i128 x, y = b->d[i];
    if (y == 0)
      return weft__error(WEFT_ERR_INVALID_ARGUMENT, "decimal division by zero in %s (column \"%s\")",
                         nd->e->text, nd->name);
    if (__builtin_mul_overflow(a->d[i], m, &x)) return overflow(nd);
    weft__i128 q = x / y, r = x % y, ar = r < 0 ? -r : r, ay = y < 0 ? -y : y;
    if (ar > ay - ar || (ar == ay - ar && (q & 1))) q += (x < 0) != (y < 0) ? -1 : 1;
    out->d[i] = q;
  }
  return WEFT_OK;
}

static int cmp_holds(int op, int c) { return weft__cmp_holds(op, c); }

weft_status weft__dec_binary(weft__eval *ev, int me, int64_t n, int *done) {
  const weft__bnode *nd = &ev->bound->nodes[me];
  const weft__bnode *A = &ev->bound->nodes[nd->a], *B = &ev->bound->nodes[nd->b];
  weft__vec *out = &ev->vecs[me], *a = &ev->vecs[nd->a], *b = &ev->vecs[nd->b];
  int op = nd->e->op;
  *done = 0;
  if (A->lane == WEFT__LANE_F || B->lane == WEFT__LANE_F || nd->lane == WEFT__LANE_F) {
    if (A->lane == WEFT__LANE_D) to_f(A, a, n);
    if (B->lane == WEFT__LANE_D) to_f(B, b, n);
    return WEFT_OK;
  }
  *done = 1;
  if (op == WEFT_OP_MOD) return weft__dec_mod_floordiv(ev, me, n);
  and_valid(out, a, b, n);
  if (op >= WEFT_OP_EQ && op <= WEFT_OP_GE) {
    int s = imax(scale_of(A->type), scale_of(B->type));
    to_dec(A, a, s, n, 1);
    to_dec(B, b, s, n, 1);
    for (int64_t i = 0; i < n; i++) {
      weft__i128 x = a->d[i], y = b->d[i];
      out->v[i].i = cmp_holds(op, (x > y) - (x < y));
    }
    return WEFT_OK;
  }
  int s = weft__dec_scale(nd->type), bad = 0;
  if (op == WEFT_OP_ADD || op == WEFT_OP_SUB) {
    if (to_dec(A, a, s, n, 0) >= 0 || to_dec(B, b, s, n, 0) >= 0) return overflow(nd);
    weft__i128 *o = out->d;
    const uint8_t *ok = out->valid;
    if (op == WEFT_OP_ADD && out->all_valid)
      for (int64_t i = 0; i < n; i++) bad |= __builtin_add_overflow(a->d[i], b->d[i], &o[i]);
    else if (op == WEFT_OP_ADD)
      for (int64_t i = 0; i < n; i++) bad |= __builtin_add_overflow(a->d[i], b->d[i], &o[i]) & ok[i];
    else if (out->all_valid)
      for (int64_t i = 0; i < n; i++) bad |= __builtin_sub_overflow(a->d[i], b->d[i], &o[i]);
    else
      for (int64_t i = 0; i < n; i++) bad |= __builtin_sub_overflow(a->d[i], b->d[i], &o[i]) & ok[i];
  } else if (op == WEFT_OP_MUL) {
    int sa = scale_of(A->type), sb = scale_of(B->type);
    to_dec(A, a, sa, n, 0); /* integers into the lane, unscaled: cannot overflow */
    to_dec(B, b, sb, n, 0);
    bad = multiply(out, a, b, sa + sb - s, n);
  } else { /* DIV */
    int sa = scale_of(A->type), sb = scale_of(B->type);
    to_dec(A, a, sa, n, 0);
    to_dec(B, b, sb, n, 0);
    WEFT_RETURN_NOT_OK(divide(nd, out, a, b, s + sb - sa, n));
  }
  if (bad || out_of_range(out, weft__dec_pow10(38), n)) return overflow(nd);
  return WEFT_OK;
}

weft_status weft__dec_unary(weft__eval *ev, int me, int64_t n, int *done) {
  const weft__bnode *nd = &ev->bound->nodes[me], *A = &ev->bound->nodes[nd->a];
  weft__vec *out = &ev->vecs[me], *a = &ev->vecs[nd->a];
  int op = nd->e->op;
  *done = op == WEFT_OP_NEG || op == WEFT_OP_ABS;
  if (!*done) {
    if (op == WEFT_OP_SQRT || op == WEFT_OP_LOG || op == WEFT_OP_EXP) to_f(A, a, n);
    return WEFT_OK;
  }
  out->all_valid = a->all_valid;
  if (!a->all_valid) memcpy(out->valid, a->valid, (size_t)n);
  for (int64_t i = 0; i < n; i++) {
    weft__i128 x = a->d[i];
    out->d[i] = op == WEFT_OP_NEG || x < 0 ? -x : x; /* |x| < 10^38: no overflow */
  }
  return WEFT_OK;
}

weft_status weft__dec_fill_null(weft__eval *ev, int me, int64_t n, int *done) {
  const weft__bnode *nd = &ev->bound->nodes[me];
  const weft__bnode *A = &ev->bound->nodes[nd->a], *B = &ev->bound->nodes[nd->b];
  weft__vec *out = &ev->vecs[me], *a = &ev->vecs[nd->a], *b = &ev->vecs[nd->b];
  *done = nd->lane == WEFT__LANE_D;
  if (!*done) {
    if (A->lane == WEFT__LANE_D) to_f(A, a, n);
    if (B->lane == WEFT__LANE_D) to_f(B, b, n);
    return WEFT_OK;
  }
  int s = weft__dec_scale(nd->type);
  if (to_dec(A, a, s, n, 0) >= 0 || to_dec(B, b, s, n, 0) >= 0) return overflow(nd);
  int all = 1;
  for (int64_t i = 0; i < n; i++) {
    const weft__vec *src = valid_at(a, i) ? a : b;
    out->d[i] = src->d[i];
    out->valid[i] = (uint8_t)valid_at(src, i);
    all &= out->valid[i];
  }
  out->all_valid = all;
  if (out_of_range(out, weft__dec_pow10(weft__dec_precision(nd->type)), n)) return overflow(nd);
  return WEFT_OK;
}

weft_status weft__dec_operand(weft__eval *ev, int child, int me, int64_t n) {
  const weft__bnode *nd = &ev->bound->nodes[me], *C = &ev->bound->nodes[child];
  weft__vec *v = &ev->vecs[child];
  if (nd->lane == WEFT__LANE_D && to_dec(C, v, weft__dec_scale(nd->type), n, 0) >= 0) return overflow(nd);
  if (nd->lane == WEFT__LANE_F && C->lane == WEFT__LANE_D) to_f(C, v, n);
  return WEFT_OK;
}

/* ------------------------------------------------------------------ casts */

int weft__dec_format(char *buf, weft__i128 v, int scale) {
  char tmp[48];
  int n = 0, len = 0;
  unsigned __int128 u = v < 0 ? -(unsigned __int128)v : (unsigned __int128)v;
  do {
    tmp[n++] = (char)('0' + (int)(u % 10));
    u /= 10;
  } while (u);
  while (n <= scale) tmp[n++] = '0';
  if (v < 0) buf[len++] = '-';
  for (int i = n - 1; i >= 0; i--) {
    buf[len++] = tmp[i];
    if (i == scale && scale > 0) buf[len++] = '.';
  }
  buf[len] = 0;
  return len;
}

/* Text as a decimal at `scale`: [+-]digits[.digits][e[+-]digits], rounded half to even.
 * 0 when malformed or past 38 digits. */
static int parse_dec(const char *s, int32_t len, int scale, weft__i128 *out) {
  char digits[80];
  int nd = 0, frac = 0, seen = 0, neg = 0, point = 0;
  int32_t i = 0;
  if (i < len && (s[i] == '+' || s[i] == '-')) neg = s[i++] == '-';
  for (; i < len; i++) {
    char c = s[i];
    if (c >= '0' && c <= '9') {
      seen = 1;
      if (nd == 0 && c == '0') { /* leading zeros carry nothing */
        frac += point;
        continue;
      }
      if (nd == (int)sizeof digits) return 0;
      digits[nd++] = c;
      frac += point;
    } else if (c == '.' && !point) {
      point = 1;
    } else {
      break;
    }
  }
  if (!seen) return 0;
  long exp = 0;
  if (i < len && (s[i] == 'e' || s[i] == 'E')) {
    int eneg = 0, edigits = 0;
    i++;
    if (i < len && (s[i] == '+' || s[i] == '-')) eneg = s[i++] == '-';
    for (; i < len && s[i] >= '0' && s[i] <= '9' && edigits < 6; i++, edigits++) exp = exp * 10 + (s[i] - '0');
    if (!edigits) return 0;
    if (eneg) exp = -exp;
  }
  if (i != len) return 0;
  long shift = exp - frac + scale; /* value = digits * 10^shift */
  long keep = nd + (shift < 0 ? shift : 0);
  if (keep + (shift > 0 ? shift : 0) > 38) return 0;
  weft__i128 v = 0;
  for (long k = 0; k < keep; k++) v = v * 10 + (digits[k] - '0');
  if (shift < 0 && keep >= 0) { /* drop nd - keep digits, half to even */
    int first = keep < nd ? digits[keep] - '0' : 0, rest = 0;
    for (long k = keep + 1; k < nd; k++) rest |= digits[k] != '0';
    if (first > 5 || (first == 5 && (rest || (v & 1)))) v++;
  } else if (shift < 0) {
    v = 0; /* every digit below half a unit */
  }
  for (long k = 0; shift > 0 && k < shift; k++) v *= 10;
  *out = neg ? -v : v;
  return 1;
}

static int int_fits(weft__i128 v, weft_type t) {
  switch (t) {
    case WEFT_TYPE_INT8: return v >= INT8_MIN && v <= INT8_MAX;
    case WEFT_TYPE_INT16: return v >= INT16_MIN && v <= INT16_MAX;
    case WEFT_TYPE_INT32: return v >= INT32_MIN && v <= INT32_MAX;
    case WEFT_TYPE_UINT8: return v >= 0 && v <= UINT8_MAX;
    case WEFT_TYPE_UINT16: return v >= 0 && v <= UINT16_MAX;
    case WEFT_TYPE_UINT32: return v >= 0 && v <= UINT32_MAX;
    case WEFT_TYPE_UINT64: return v >= 0 && v <= (weft__i128)UINT64_MAX;
    default: return v >= INT64_MIN && v <= INT64_MAX;
  }
}

static weft_status bad_value(const weft__bnode *from, const weft__bnode *to, const char *value) {
  return weft__error(WEFT_ERR_INVALID_ARGUMENT, "cannot cast value %s of column \"%s\" from %s to %s "
                     "(out of range)", value, from->name, weft_type_name(from->type),
                     weft_type_name(to->type));
}

/* From decimal (scale sa) to any type. */
static weft_status cast_from(const weft__bnode *A, const weft__bnode *nd, weft__vec *a, weft__vec *out,
                             int64_t n) {
  int sa = weft__dec_scale(A->type);
  weft_type to = nd->type;
  char shown[64];
  if (to == WEFT_TYPE_UTF8) {
    WEFT_RETURN_NOT_OK(weft__vec_reserve(out, (size_t)n * 44 + 1));
    char *w = out->buf;
    for (int64_t i = 0; i < n; i++) {
      int len = valid_at(a, i) ? weft__dec_format(w, a->d[i], sa) : 0;
      out->sp[i] = w;
      out->sl[i] = len;
      w += len;
    }
    return WEFT_OK;
  }
  if (to == WEFT_TYPE_BOOL) {
    for (int64_t i = 0; i < n; i++) out->v[i].i = a->d[i] != 0;
    return WEFT_OK;
  }
  if (nd->lane == WEFT__LANE_F) {
    to_f(A, a, n);
    memcpy(out->v, a->v, (size_t)n * sizeof *out->v);
    weft__normalize(out, to, n);
    return WEFT_OK;
  }
  if (nd->lane == WEFT__LANE_D) {
    int s = weft__dec_scale(to);
    weft__i128 bound = weft__dec_pow10(weft__dec_precision(to));
    if (s >= sa) {
      weft__i128 m = weft__dec_pow10(s - sa);
      for (int64_t i = 0; i < n; i++) {
        if (__builtin_mul_overflow(a->d[i], m, &out->d[i])) out->d[i] = bound;
      }
    } else {
      weft__i128 dk = weft__dec_pow10(sa - s);
      for (int64_t i = 0; i < n; i++) out->d[i] = div_even128(a->d[i], dk);
    }
    for (int64_t i = 0; i < n; i++)
      if (valid_at(out, i) && (out->d[i] >= bound || out->d[i] <= -bound)) {
        weft__dec_format(shown, a->d[i], sa);
        return bad_value(A, nd, shown);
      }
    return WEFT_OK;
  }
  weft__i128 dk = weft__dec_pow10(sa);
  for (int64_t i = 0; i < n; i++) {
    weft__i128 q = a->d[i] / dk; /* toward zero */
    if (valid_at(a, i) && !int_fits(q, to)) {
      weft__dec_format(shown, a->d[i], sa);
      return bad_value(A, nd, shown);
    }
    if (nd->lane == WEFT__LANE_U) out->v[i].u = (uint64_t)q;
    else out->v[i].i = (int64_t)q;
  }
  return WEFT_OK;
}

/* From integers, floats or text to decimal(p, s). */
static weft_status cast_to(const weft__bnode *A, const weft__bnode *nd, weft__vec *a, weft__vec *out,
                           int64_t n) {
  int s = weft__dec_scale(nd->type);
  weft__i128 bound = weft__dec_pow10(weft__dec_precision(nd->type));
  char shown[96];
  for (int64_t i = 0; i < n; i++) {
    out->d[i] = 0;
    if (!valid_at(a, i)) continue;
    int ok = 1;
    if (A->lane == WEFT__LANE_S) {
      ok = parse_dec(a->sp[i], a->sl[i], s, &out->d[i]);
      if (!ok) {
        int32_t len = a->sl[i], k = len < 64 ? len : 64;
        snprintf(shown, sizeof shown, "\"%.*s%s\"", (int)k, a->sp[i], len > 64 ? "..." : "");
        return weft__error(WEFT_ERR_INVALID_ARGUMENT, "cannot cast value %s of column \"%s\" from "
                           "%s to %s", shown, A->name, weft_type_name(A->type), weft_type_name(nd->type));
      }
    } else if (A->lane == WEFT__LANE_F) {
      double x = a->v[i].f * pow(10.0, s);
      ok = isfinite(x) && fabs(x) < 1.7e38;
      if (ok) out->d[i] = (weft__i128)rint(x); /* the default mode: half to even */
      else snprintf(shown, sizeof shown, "%.17g", a->v[i].f);
    } else {
      weft__i128 x = A->lane == WEFT__LANE_U ? (weft__i128)a->v[i].u : (weft__i128)a->v[i].i;
      ok = !__builtin_mul_overflow(x, weft__dec_pow10(s), &out->d[i]);
      if (!ok) weft__dec_format(shown, x, 0);
    }
    if (ok && (out->d[i] >= bound || out->d[i] <= -bound)) {
      ok = 0;
      if (A->lane == WEFT__LANE_F) snprintf(shown, sizeof shown, "%.17g", a->v[i].f);
      else if (A->lane == WEFT__LANE_S)
        snprintf(shown, sizeof shown, "\"%.*s\"", (int)(a->sl[i] < 64 ? a->sl[i] : 64), a->sp[i]);
      else weft__dec_format(shown, A->lane == WEFT__LANE_U ? (weft__i128)a->v[i].u : (weft__i128)a->v[i].i, 0);
    }
    if (!ok) return bad_value(A, nd, shown);
  }
  return WEFT_OK;
}

weft_status weft__dec_cast(weft__eval *ev, int me, int64_t n) {
  const weft__bnode *nd = &ev->bound->nodes[me], *A = &ev->bound->nodes[nd->a];
  weft__vec *out = &ev->vecs[me], *a = &ev->vecs[nd->a];
  out->all_valid = a->all_valid;
  if (!a->all_valid) memcpy(out->valid, a->valid, (size_t)n);
  if (A->lane == WEFT__LANE_D) return cast_from(A, nd, a, out, n);
  return cast_to(A, nd, a, out, n);
}
