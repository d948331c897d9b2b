/* Decimals rounded, with Polars' types and rules: round(d) ties to even, floor and ceil
 * (each decimal(p + 1, s), the one more digit a carry can need; round to as many places as
 * the scale or more changes nothing and keeps the type), and x % y and x // y at the larger
 * scale as decimal(38, s): // rounds the quotient toward -inf, % has the divisor's sign
 * (x - y * (x // y)), and a zero divisor in a valid row is an error, as Polars raises. */
#include "core/error.h"
#include "frame/expr/expr.h"

static int valid_at(const weft__vec *v, int64_t i) { return v->all_valid || v->valid[i]; }

static weft_status overflow(const weft__bnode *nd) {
  return weft__error(WEFT_ERR_INVALID_ARGUMENT, "decimal overflow: %s (column \"%s\") gives a value "
                     "that does not fit %s", nd->e->text, nd->name, weft_type_name(nd->type));
}

/* Whether a valid row lies outside the output type's precision. */
static int past_precision(const weft__vec *out, int precision, int64_t n) {
  weft__i128 bound = weft__dec_pow10(precision);
  int bad = 0;
  for (int64_t i = 0; i < n; i++)
    bad |= ((out->d[i] >= bound) | (out->d[i] <= -bound)) & valid_at(out, i);
  return bad;
}

/* x rounded to a multiple of unit (> 1): `mode` 0 ties to even, -1 floor, +1 ceil. */
static weft__i128 to_multiple(weft__i128 x, weft__i128 unit, int mode) {
  weft__i128 q = x / unit, r = x % unit; /* r has x's sign */
  if (r == 0) return x;
  if (mode < 0) q -= r < 0;
  else if (mode > 0) q += r > 0;
  else {
    weft__i128 ar = r < 0 ? -r : r;
    if (ar > unit - ar || (ar == unit - ar && (q & 1))) q += x < 0 ? -1 : 1;
  }
  return q * unit;
}

weft_status weft__dec_round(weft__eval *ev, int me, int64_t n) {
  const weft__bnode *nd = &ev->bound->nodes[me], *A = &ev->bound->nodes[nd->a];
  weft__vec *out = &ev->vecs[me], *a = &ev->vecs[nd->a];
  int s = weft__dec_scale(A->type);
  int mode = nd->e->kind == WEFT__E_ROUND ? 0 : nd->e->op == WEFT_OP_FLOOR ? -1 : 1;
  int64_t places = nd->e->kind == WEFT__E_ROUND ? nd->e->i : 0;
  weft__copy_valid(out, a, n);
  if (places >= s) { /* already that precise */
    for (int64_t i = 0; i < n; i++) out->d[i] = a->d[i];
    return WEFT_OK;
  }
  /* below -38 places every value rounds to 0 (|x| < 10^38 at any scale) */
  int k = s - (int)(places < -38 ? -38 : places);
  if (k > 38) {
    for (int64_t i = 0; i < n; i++) out->d[i] = 0;
    return WEFT_OK;
  }
  weft__i128 unit = weft__dec_pow10(k);
  for (int64_t i = 0; i < n; i++) out->d[i] = valid_at(a, i) ? to_multiple(a->d[i], unit, mode) : 0;
  if (past_precision(out, weft__dec_precision(nd->type), n)) return overflow(nd);
  return WEFT_OK;
}

weft_status weft__dec_mod_floordiv(weft__eval *ev, int me, int64_t n) {
  const weft__bnode *nd = &ev->bound->nodes[me];
  weft__vec *out = &ev->vecs[me], *a = &ev->vecs[nd->a], *b = &ev->vecs[nd->b];
  /* both sides at the output's scale (the larger): integers multiplied up */
  WEFT_RETURN_NOT_OK(weft__dec_operand(ev, nd->a, me, n));
  WEFT_RETURN_NOT_OK(weft__dec_operand(ev, nd->b, me, n));
  int mod = nd->e->op == WEFT_OP_MOD;
  weft__i128 unit = weft__dec_pow10(weft__dec_scale(nd->type));
  out->all_valid = a->all_valid && b->all_valid;
  for (int64_t i = 0; i < n; i++) {
    int ok = valid_at(a, i) && valid_at(b, i);
    if (!out->all_valid) out->valid[i] = (uint8_t)ok;
    out->d[i] = 0;
    if (!ok) continue;
    weft__i128 x = a->d[i], y = b->d[i];
    if (y == 0)
      return weft__error(WEFT_ERR_INVALID_ARGUMENT, "decimal division by zero in %s (column \"%s\")",
                         nd->e->text, nd->name);
    weft__i128 q = x / y, r = x % y; /* |x|, |y| < 10^38: no overflow */
    if (r != 0 && ((r < 0) != (y < 0))) q -= 1, r += y; /* toward -inf; r takes y's sign */
    if (mod) out->d[i] = r;
    else if (__builtin_mul_overflow(q, unit, &out->d[i])) return overflow(nd);
  }
  if (past_precision(out, 38, n)) return overflow(nd);
  return WEFT_OK;
}
