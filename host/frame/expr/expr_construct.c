/* Constructors of the expressions that take arguments beyond their inputs: when/then/
 * otherwise, is_in, round, durations, and the string operations with arguments (their evaluators: expr_when.c, expr_numeric.c,
 * expr_temporal.c, expr_str.c). Patterns are compiled here, once per expression. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/alloc.h"
#include "frame/expr/expr.h"
#include "frame/expr/expr_regex.h"

#define F weft__expr_format

static weft_status str_op(const weft_expr *input, weft__str_op op, const char *s, const char *s2,
                          weft_expr **out, weft_expr **e) {
  WEFT_RETURN_NOT_OK(weft__expr_new(WEFT__E_STR_OP, s, input, NULL, out, e));
  (*e)->op = (int)op;
  if (s2 && !((*e)->s2 = weft__strdup(s2))) {
    weft_expr_free(*e);
    return weft__error(WEFT_ERR_OUT_OF_MEMORY, "no host memory for an expression");
  }
  return WEFT_OK;
}

weft_status weft_expr_str_contains_pattern(const weft_expr *input, const char *pattern, int literal,
                                           weft_expr **out) {
  WEFT_CHECK_ARG(input && pattern, "str.contains: input and pattern must not be NULL");
  void *re = NULL;
  char call[256];
  snprintf(call, sizeof call, "str.contains(\"%s\")", pattern);
  WEFT_RETURN_NOT_OK(weft__regex_compile(call, pattern, literal, &re));
  weft_expr *e = NULL;
  weft_status st = weft__expr_new(WEFT__E_CONTAINS, pattern, input, NULL, out, &e);
  if (st != WEFT_OK) {
    weft__regex_free(re);
    return st;
  }
  e->re = re;
  e->literal = literal != 0;
  return weft__expr_done(e, literal ? F("%s.str.contains(\"%s\", literal=true)", input->text, pattern)
                                    : F("%s.str.contains(\"%s\")", input->text, pattern), out);
}

weft_status weft_expr_str_ends_with(const weft_expr *input, const char *suffix, weft_expr **out) {
  WEFT_CHECK_ARG(input && suffix, "str.ends_with: input and suffix must not be NULL");
  weft_expr *e = NULL;
  WEFT_RETURN_NOT_OK(str_op(input, WEFT__S_ENDS_WITH, suffix, NULL, out, &e));
  return weft__expr_done(e, F("%s.str.ends_with(\"%s\")", input->text, suffix), out);
}

weft_status weft_expr_str_slice(const weft_expr *input, int64_t offset, int64_t length, weft_expr **out) {
  WEFT_CHECK_ARG(input, "str.slice: input is NULL");
  weft_expr *e = NULL;
  WEFT_RETURN_NOT_OK(str_op(input, WEFT__S_SLICE, NULL, NULL, out, &e));
  e->i = offset;
  e->i2 = length < 0 ? -1 : length;
  return weft__expr_done(e, length < 0 ? F("%s.str.slice(%lld)", input->text, (long long)offset)
                                       : F("%s.str.slice(%lld, %lld)", input->text, (long long)offset,
                                           (long long)length), out);
}

weft_status weft_expr_str_replace(const weft_expr *input, const char *pattern, const char *value,
                                  int literal, int64_t n, weft_expr **out) {
  WEFT_CHECK_ARG(input && pattern && value, "str.replace: input, pattern and value must not be NULL");
  char call[256];
  snprintf(call, sizeof call, "str.%s(\"%s\", \"%s\")", n < 0 ? "replace_all" : "replace", pattern, value);
  void *re = NULL;
  WEFT_RETURN_NOT_OK(weft__regex_compile(call, pattern, literal, &re));
  weft_expr *e = NULL;
  weft_status st = str_op(input, WEFT__S_REPLACE, pattern, value, out, &e);
  if (st != WEFT_OK) {
    weft__regex_free(re);
    return st;
  }
  e->re = re;
  e->literal = literal != 0;
  e->i2 = n < 0 ? -1 : n;
  return weft__expr_done(e, F("%s.%s%s", input->text, call, literal ? " (literal)" : ""), out);
}

weft_status weft_expr_str_strip_chars(const weft_expr *input, const char *chars, weft_expr **out) {
  WEFT_CHECK_ARG(input, "str.strip_chars: input is NULL");
  weft_expr *e = NULL;
  WEFT_RETURN_NOT_OK(str_op(input, WEFT__S_STRIP, chars, NULL, out, &e));
  return weft__expr_done(e, chars ? F("%s.str.strip_chars(\"%s\")", input->text, chars)
                                  : F("%s.str.strip_chars()", input->text), out);
}

weft_status weft_expr_when(const weft_expr *cond, const weft_expr *then, const weft_expr *otherwise,
                           weft_expr **out) {
  WEFT_CHECK_ARG(cond && then, "when: cond and then must not be NULL");
  weft_expr *null_ = NULL, *br = NULL, *e = NULL;
  if (!otherwise) {
    WEFT_RETURN_NOT_OK(weft_expr_literal_null(WEFT_TYPE_FLOAT64, &null_));
    otherwise = null_;
  }
  weft_status st = weft__expr_new(WEFT__E_BRANCHES, NULL, then, otherwise, out, &br);
  if (st == WEFT_OK)
    st = weft__expr_done(br, F("then(%s).otherwise(%s)", then->text, otherwise->text), out);
  if (st == WEFT_OK) st = weft__expr_new(WEFT__E_WHEN, NULL, cond, br, out, &e);
  if (st == WEFT_OK) st = weft__expr_done(e, F("when(%s).%s", cond->text, br->text), out);
  weft_expr_free(br);
  weft_expr_free(null_);
  return st;
}

static int cmp_i64(const void *x, const void *y) {
  int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
  return (a > b) - (a < b);
}
/* NaN after every number and equal to NaN, as the evaluator compares */
static int cmp_f64(const void *x, const void *y) {
  double a = *(const double *)x, b = *(const double *)y;
  return isnan(a) ? !isnan(b) : isnan(b) ? -1 : (a > b) - (a < b);
}
int weft__str_ref_cmp(const void *x, const void *y) {
  const weft__str_ref *a = x, *b = y;
  int c = memcmp(a->p, b->p, (size_t)(a->len < b->len ? a->len : b->len));
  return c ? c : (a->len > b->len) - (a->len < b->len);
}

weft_status weft_expr_is_in(const weft_expr *input, weft_type type, const void *values, int64_t n,
                            weft_expr **out) {
  WEFT_CHECK_ARG(input && (values || n == 0) && n >= 0, "is_in: input and values must not be NULL");
  int dec = weft__type_is_decimal(type);
  WEFT_CHECK_ARG((unsigned)type <= WEFT_TYPE_TIMESTAMP_US ||
                     (dec && weft__dec_precision(type) >= 1 && weft__dec_precision(type) <= 38 &&
                      weft__dec_scale(type) <= weft__dec_precision(type)),
                 "is_in: unknown type %d", (int)type);
  weft_expr *e = NULL;
  WEFT_RETURN_NOT_OK(weft__expr_new(WEFT__E_IS_IN, NULL, input, NULL, out, &e));
  e->type = type;
  e->nset = n;
  size_t bytes = 0;
  if (type == WEFT_TYPE_UTF8)
    for (int64_t i = 0; i < n; i++) {
      const char *s = ((const char *const *)values)[i];
      if (!s) {
        weft_expr_free(e);
        return weft__error(WEFT_ERR_INVALID_ARGUMENT, "is_in: value %lld is NULL", (long long)i);
      }
      bytes += strlen(s);
    }
  size_t width = type == WEFT_TYPE_UTF8 ? sizeof(weft__str_ref) : dec ? sizeof(weft__i128) : 8;
  e->set = weft__malloc((size_t)n * width + 1);
  e->s2 = weft__malloc(bytes + 1);
  if (!e->set || !e->s2) {
    weft_expr_free(e);
    return weft__error(WEFT_ERR_OUT_OF_MEMORY, "no host memory for is_in's %lld values", (long long)n);
  }
  if (type == WEFT_TYPE_UTF8) {
    weft__str_ref *r = e->set;
    char *w = e->s2;
    for (int64_t i = 0; i < n; i++) {
      const char *s = ((const char *const *)values)[i];
      size_t len = strlen(s);
      memcpy(w, s, len);
      r[i].p = w;
      r[i].len = (int32_t)len;
      w += len;
    }
    qsort(r, (size_t)n, sizeof *r, weft__str_ref_cmp);
  } else if (dec) { /* unscaled 128-bit integers at the type's scale */
    memcpy(e->set, values, (size_t)n * sizeof(weft__i128));
    qsort(e->set, (size_t)n, sizeof(weft__i128), weft__i128_cmp);
  } else {
    memcpy(e->set, values, (size_t)n * 8);
    qsort(e->set, (size_t)n, 8, weft__type_is_float(type) ? cmp_f64 : cmp_i64);
  }
  return weft__expr_done(e, F("%s.is_in([%lld %s values])", input->text, (long long)n,
                              weft_type_name(type)), out);
}

weft_status weft_expr_literal_duration(int64_t microseconds, weft_expr **out) {
  weft_expr *e = NULL;
  WEFT_RETURN_NOT_OK(weft_expr_literal_int64(microseconds, &e));
  e->duration = 1;
  free(e->text);
  e->text = NULL;
  return weft__expr_done(e, F("duration(%lldus)", (long long)microseconds), out);
}

weft_status weft_expr_round(const weft_expr *input, int decimals, weft_expr **out) {
  WEFT_CHECK_ARG(input, "round: input is NULL");
  WEFT_CHECK_ARG(decimals >= 0 && decimals <= 300, "round: decimals must be in [0, 300], got %d", decimals);
  weft_expr *e = NULL;
  WEFT_RETURN_NOT_OK(weft__expr_new(WEFT__E_ROUND, NULL, input, NULL, out, &e));
  e->i = decimals;
  return weft__expr_done(e, F("%s.round(%d)", input->text, decimals), out);
}
