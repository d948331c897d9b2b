// Expression builders of the expression tests: each returns an owning handle (freed with the
// last reference), and a NULL from the C call fails the test with weft's message.
#pragma once
#include <gtest/gtest.h>

#include <memory>

#include "test_support.h"
#include "weft.h"

namespace ex {

using E = std::shared_ptr<weft_expr>;
inline E wrap(weft_expr *e) {
  EXPECT_NE(e, nullptr) << weft_last_error();
  return E(e, [](weft_expr *x) { weft_expr_free(x); });
}
inline E col(const char *name) { weft_expr *e = nullptr; weft_test_ok(weft_expr_column(name, &e)); return wrap(e); }
inline E lit(int64_t v) { weft_expr *e = nullptr; weft_test_ok(weft_expr_literal_int64(v, &e)); return wrap(e); }
inline E litf(double v) { weft_expr *e = nullptr; weft_test_ok(weft_expr_literal_float64(v, &e)); return wrap(e); }
inline E litb(bool v) { weft_expr *e = nullptr; weft_test_ok(weft_expr_literal_bool(v, &e)); return wrap(e); }
inline E lits(const char *v) { weft_expr *e = nullptr; weft_test_ok(weft_expr_literal_utf8(v, &e)); return wrap(e); }
inline E litnull(weft_type t) { weft_expr *e = nullptr; weft_test_ok(weft_expr_literal_null(t, &e)); return wrap(e); }
inline E bin(weft_binary_op op, E a, E b) { weft_expr *e = nullptr; weft_test_ok(weft_expr_binary(op, a.get(), b.get(), &e)); return wrap(e); }
inline E un(weft_unary_op op, E a) { weft_expr *e = nullptr; weft_test_ok(weft_expr_unary(op, a.get(), &e)); return wrap(e); }
inline E cast(E a, weft_type t) { weft_expr *e = nullptr; weft_test_ok(weft_expr_cast(a.get(), t, &e)); return wrap(e); }
inline E fill(E a, E b) { weft_expr *e = nullptr; weft_test_ok(weft_expr_fill_null(a.get(), b.get(), &e)); return wrap(e); }
inline E alias(E a, const char *n) { weft_expr *e = nullptr; weft_test_ok(weft_expr_alias(a.get(), n, &e)); return wrap(e); }
inline E contains(E a, const char *p) { weft_expr *e = nullptr; weft_test_ok(weft_expr_str_contains(a.get(), p, &e)); return wrap(e); }
inline E starts(E a, const char *p) { weft_expr *e = nullptr; weft_test_ok(weft_expr_str_starts_with(a.get(), p, &e)); return wrap(e); }

}  // namespace ex
