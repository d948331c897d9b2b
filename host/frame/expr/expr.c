/* weft_expr: construction, reference counting, text, and binding against a table (type
 * inference with Polars' rules, simplified; see weft__expr_bind). */
#include "frame/expr/expr.h"
#include "core/alloc.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "frame/expr/expr_regex.h"

static const char *bin_sym[] = {"+", "-", "*", "/", "%", "==", "!=", "<", "<=", ">", ">=", "&", "|", "//"};
static const char *un_name[] = {"not", "neg", "is_null", "is_not_null", "abs", "sqrt", "log", "exp",
                                "str.len_chars", "str.to_lowercase", "str.to_uppercase",
                                "str.len_bytes", "floor", "ceil", "dt.year", "dt.month", "dt.day",
                                "dt.weekday", "dt.total_days"};

static weft_status make(weft__expr_kind kind, const char *s, const weft_expr *a, const weft_expr *b,
                        weft_expr **out, weft_expr **made) {
  WEFT_CHECK_ARG(out, "weft_expr: out is NULL");
  *out = NULL;
  weft_expr *e = weft__calloc(1, sizeof *e);
  if (!e || (s && !(e->s = weft__strdup(s)))) {
    free(e);
    return weft__error(WEFT_ERR_OUT_OF_MEMORY, "no host memory for an expression");
  }
  atomic_init(&e->refs, 1);
  e->kind = kind;
  if (a) atomic_fetch_add(&((weft_expr *)a)->refs, 1);
  if (b) atomic_fetch_add(&((weft_expr *)b)->refs, 1);
  e->a = (weft_expr *)a;
  e->b = (weft_expr *)b;
  *made = e;
  return WEFT_OK;
}

weft_status weft__expr_new(weft__expr_kind kind, const char *s, const weft_expr *a,
                           const weft_expr *b, weft_expr **out, weft_expr **made) {
  return make(kind, s, a, b, out, made);
}

static weft_status finish(weft_expr *e, char *text, weft_expr **out);
weft_status weft__expr_done(weft_expr *e, char *text, weft_expr **out) { return finish(e, text, out); }

char *weft__expr_format(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char buf[1];
  va_list ap2;
  va_copy(ap2, ap);
  int n = vsnprintf(buf, 0, fmt, ap);
  va_end(ap);
  char *s = n >= 0 ? weft__malloc((size_t)n + 1) : NULL;
  if (s) vsnprintf(s, (size_t)n + 1, fmt, ap2);
  va_end(ap2);
  return s;
}

static weft_status finish(weft_expr *e, char *text, weft_expr **out) {
  if (!text) {
    weft_expr_free(e);
    return weft__error(WEFT_ERR_OUT_OF_MEMORY, "no host memory for an expression's text");
  }
  e->text = text;
  *out = e;
  return WEFT_OK;
}

weft_status weft_expr_free(weft_expr *expr) {
  while (expr && atomic_fetch_sub(&expr->refs, 1) == 1) {
    weft_expr *b = expr->b, *a = expr->a;
    free(expr->s);
    free(expr->s2);
    free(expr->set);
    weft__regex_free(expr->re);
    free(expr->text);
    free(expr);
    weft_expr_free(b);
    expr = a; /* the left spine iteratively: long chains of a + b + c stay shallow */
  }
  return WEFT_OK;
}

weft_status weft_expr_to_string(const weft_expr *expr, const char **text) {
  WEFT_CHECK_ARG(expr && text, "weft_expr_to_string: expr and text must not be NULL");
  *text = expr->text;
  return WEFT_OK;
}

weft_status weft_expr_column(const char *name, weft_expr **out) {
  WEFT_CHECK_ARG(name, "weft_expr_column: name is NULL");
  weft_expr *e = NULL;
  WEFT_RETURN_NOT_OK(make(WEFT__E_COLUMN, name, NULL, NULL, out, &e));
  return finish(e, weft__expr_format("col(\"%s\")", name), out);
}

static weft_status literal(weft_type type, weft_expr **out, weft_expr **e) {
  WEFT_RETURN_NOT_OK(make(WEFT__E_LITERAL, NULL, NULL, NULL, out, e));
  (*e)->type = type;
  return WEFT_OK;
}

weft_status weft_expr_literal_int64(int64_t value, weft_expr **out) {
  weft_expr *e = NULL;
  WEFT_RETURN_NOT_OK(literal(WEFT_TYPE_INT64, out, &e));
  e->i = value;
  e->f = (double)value;
  return finish(e, weft__expr_format("%lld", (long long)value), out);
}

weft_status weft_expr_literal_float64(double value, weft_expr **out) {
  weft_expr *e = NULL;
  WEFT_RETURN_NOT_OK(literal(WEFT_TYPE_FLOAT64, out, &e));
  e->f = value;
  /* the shortest of 15, 16 or 17 digits that reads back (0.1, not 0.10000000000000001) */
  char *t = weft__expr_format("%.15g", value);
  for (int digits = 16; t && isfinite(value) && strtod(t, NULL) != value && digits <= 17;
       digits++) {
    free(t);
    t = weft__expr_format("%.*g", digits, value);
  }
  if (t && isfinite(value) && !strpbrk(t, ".e")) { /* 1 -> 1.0, as Python prints floats */
    char *t2 = weft__expr_format("%s.0", t);
    free(t);
    t = t2;
  }
  return finish(e, t, out);
}

weft_status weft_expr_literal_bool(int value, weft_expr **out) {
  weft_expr *e = NULL;
  WEFT_RETURN_NOT_OK(literal(WEFT_TYPE_BOOL, out, &e));
  e->i = value != 0;
  return finish(e, weft__expr_format("%s", value ? "true" : "false"), out);
}

weft_status weft_expr_literal_utf8(const char *value, weft_expr **out) {
  WEFT_CHECK_ARG(value, "weft_expr_literal_utf8: value is NULL");
  weft_expr *e = NULL;
  WEFT_RETURN_NOT_OK(make(WEFT__E_LITERAL, value, NULL, NULL, out, &e));
  e->type = WEFT_TYPE_UTF8;
  return finish(e, weft__expr_format("\"%s\"", value), out);
}

weft_status weft_expr_literal_null(weft_type type, weft_expr **out) {
  WEFT_CHECK_ARG(weft__type_valid(type), "weft_expr_literal_null: unknown type %d",
                 (int)type);
  weft_expr *e = NULL;
  WEFT_RETURN_NOT_OK(literal(type, out, &e));
  e->is_null = 1;
  return finish(e, weft__expr_format("null"), out);
}

weft_status weft_expr_binary(weft_binary_op op, const weft_expr *left, const weft_expr *right,
                             weft_expr **out) {
  WEFT_CHECK_ARG((unsigned)op <= WEFT_OP_FLOORDIV, "weft_expr_binary: unknown operator %d", (int)op);
  WEFT_CHECK_ARG(left && right, "weft_expr_binary: left and right must not be NULL");
  weft_expr *e = NULL;
  WEFT_RETURN_NOT_OK(make(WEFT__E_BINARY, NULL, left, right, out, &e));
  e->op = (int)op;
  return finish(e, weft__expr_format("[(%s) %s (%s)]", left->text, bin_sym[op], right->text), out);
}

weft_status weft_expr_unary(weft_unary_op op, const weft_expr *input, weft_expr **out) {
  WEFT_CHECK_ARG((unsigned)op <= WEFT_OP_DT_TOTAL_DAYS, "weft_expr_unary: unknown operator %d", (int)op);
  WEFT_CHECK_ARG(input, "weft_expr_unary: input is NULL");
  weft_expr *e = NULL;
  WEFT_RETURN_NOT_OK(make(WEFT__E_UNARY, NULL, input, NULL, out, &e));
  e->op = (int)op;
  return finish(e, weft__expr_format("%s.%s()", input->text, un_name[op]), out);
}

weft_status weft_expr_cast(const weft_expr *input, weft_type type, weft_expr **out) {
  WEFT_CHECK_ARG(input, "weft_expr_cast: input is NULL");
  WEFT_CHECK_ARG(weft__type_valid(type), "weft_expr_cast: unknown type %d", (int)type);
  weft_expr *e = NULL;
  WEFT_RETURN_NOT_OK(make(WEFT__E_CAST, NULL, input, NULL, out, &e));
  e->type = type;
  return finish(e, weft__expr_format("%s.strict_cast(%s)", input->text, weft_type_name(type)), out);
}

weft_status weft_expr_fill_null(const weft_expr *input, const weft_expr *fill, weft_expr **out) {
  WEFT_CHECK_ARG(input && fill, "weft_expr_fill_null: input and fill must not be NULL");
  weft_expr *e = NULL;
  WEFT_RETURN_NOT_OK(make(WEFT__E_FILL_NULL, NULL, input, fill, out, &e));
  return finish(e, weft__expr_format("%s.fill_null([%s])", input->text, fill->text), out);
}

weft_status weft_expr_str_contains(const weft_expr *input, const char *literal_, weft_expr **out) {
  WEFT_CHECK_ARG(input && literal_, "weft_expr_str_contains: input and literal must not be NULL");
  weft_expr *e = NULL;
  WEFT_RETURN_NOT_OK(make(WEFT__E_CONTAINS, literal_, input, NULL, out, &e));
  return finish(e, weft__expr_format("%s.str.contains(\"%s\")", input->text, literal_), out);
}

weft_status weft_expr_str_starts_with(const weft_expr *input, const char *prefix, weft_expr **out) {
  WEFT_CHECK_ARG(input && prefix, "weft_expr_str_starts_with: input and prefix must not be NULL");
  weft_expr *e = NULL;
  WEFT_RETURN_NOT_OK(make(WEFT__E_STARTS_WITH, prefix, input, NULL, out, &e));
  return finish(e, weft__expr_format("%s.str.starts_with(\"%s\")", input->text, prefix), out);
}

weft_status weft_expr_alias(const weft_expr *input, const char *name, weft_expr **out) {
  WEFT_CHECK_ARG(input && name, "weft_expr_alias: input and name must not be NULL");
  weft_expr *e = NULL;
  WEFT_RETURN_NOT_OK(make(WEFT__E_ALIAS, name, input, NULL, out, &e));
  return finish(e, weft__expr_format("%s.alias(\"%s\")", input->text, name), out);
}
