// decimal128 through the C API: building the type, a table over caller memory, an
// expression with Polars' result type and rounding, an exact sum, Arrow's "d:P,S" format
// both ways, and overflow errors that name the column.
#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "weft.h"

namespace {

typedef __int128 i128;

TEST(Decimal, TypeValuesCarryPrecisionAndScale) {
  weft_type t;
  ASSERT_EQ(weft_type_decimal(15, 2, &t), WEFT_OK);
  EXPECT_EQ(t, WEFT_TYPE_DECIMAL(15, 2));
  int p = 0, s = 0;
  EXPECT_TRUE(weft_type_is_decimal(t, &p, &s));
  EXPECT_EQ(p, 15);
  EXPECT_EQ(s, 2);
  EXPECT_STREQ(weft_type_name(t), "decimal[15,2]");
  EXPECT_STREQ(weft_type_name(WEFT_TYPE_DECIMAL(38, 38)), "decimal[38,38]");
  EXPECT_FALSE(weft_type_is_decimal(WEFT_TYPE_INT64, &p, &s));
  EXPECT_EQ(weft_type_decimal(39, 2, &t), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(weft_last_error()).find("precision 39"), std::string::npos);
  EXPECT_EQ(weft_type_decimal(5, 6, &t), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_STREQ(weft_type_name((weft_type)(WEFT_TYPE_DECIMAL128 | (40 << 8))), "unknown");
}

struct Frame {
  i128 a[4] = {125, -310, 7, 5};     // 1.25, -3.10, (null), 0.05
  i128 b[4] = {5, 7, 0, 50};         // 0.05, 0.07, 0.00, 0.50
  uint8_t valid_a = 0x0B;            // row 2 null
  weft_table *t = nullptr;
  Frame() {
    weft_column_view cols[2] = {};
    cols[0].type = WEFT_TYPE_DECIMAL(15, 2);
    cols[0].length = 4;
    cols[0].null_count = 1;
    cols[0].validity = &valid_a;
    cols[0].values = a;
    cols[1] = cols[0];
    cols[1].null_count = 0;
    cols[1].validity = nullptr;
    cols[1].values = b;
    const char *names[2] = {"a", "b"};
    EXPECT_EQ(weft_table_from_columns(2, names, cols, nullptr, nullptr, &t), WEFT_OK);
  }
  ~Frame() { weft_table_free(t); }
};

i128 value(const weft_table *t, size_t c, int64_t r) {
  weft_column_view v;
  EXPECT_EQ(weft_table_column(t, c, &v), WEFT_OK);
  i128 x;
  std::memcpy(&x, (const char *)v.values + (v.offset + r) * 16, sizeof x);
  return x;
}

TEST(Decimal, ProductRoundsHalfToEvenAndSumsExactly) {
  Frame f;
  weft_expr *a, *b, *one, *diff, *prod;
  ASSERT_EQ(weft_expr_column("a", &a), WEFT_OK);
  ASSERT_EQ(weft_expr_column("b", &b), WEFT_OK);
  ASSERT_EQ(weft_expr_literal_int64(1, &one), WEFT_OK);
  ASSERT_EQ(weft_expr_binary(WEFT_OP_SUB, one, b, &diff), WEFT_OK);
  ASSERT_EQ(weft_expr_binary(WEFT_OP_MUL, a, diff, &prod), WEFT_OK);
  const char *name;
  weft_type type;
  ASSERT_EQ(weft_expr_output(prod, f.t, &name, &type), WEFT_OK);
  EXPECT_EQ(type, WEFT_TYPE_DECIMAL(38, 2));  // Polars: decimal(38, max scale)
  weft_table *out;
  const weft_expr *exprs[1] = {prod};
  ASSERT_EQ(weft_table_select(nullptr, f.t, 1, exprs, &out), WEFT_OK);
  EXPECT_EQ((int64_t)value(out, 0, 0), 119);   // 1.25 * 0.95 = 1.1875 -> 1.19
  EXPECT_EQ((int64_t)value(out, 0, 1), -288);  // -3.10 * 0.93 = -2.883 -> -2.88
  EXPECT_EQ((int64_t)value(out, 0, 3), 2);     // 0.05 * 0.50 = 0.025 -> 0.02 (half to even)
  weft_table_free(out);
  weft_agg agg = {WEFT_AGG_SUM, prod, "s"};
  ASSERT_EQ(weft_table_group_by(nullptr, f.t, 0, nullptr, 1, &agg, &out), WEFT_OK);
  weft_column_view v;
  ASSERT_EQ(weft_table_column(out, 0, &v), WEFT_OK);
  EXPECT_EQ(v.type, WEFT_TYPE_DECIMAL(38, 2));
  EXPECT_EQ((int64_t)value(out, 0, 0), 119 - 288 + 2);
  weft_table_free(out);
  for (weft_expr *e : {a, b, one, diff, prod}) weft_expr_free(e);
}

TEST(Decimal, ArrowFormatBothWays) {
  Frame f;
  ArrowSchema schema;
  ArrowArray array;
  ASSERT_EQ(weft_table_to_arrow(f.t, &schema, &array), WEFT_OK);
  EXPECT_STREQ(schema.children[0]->format, "d:15,2");
  weft_table *back;
  ASSERT_EQ(weft_table_from_arrow(&schema, &array, &back), WEFT_OK);
  weft_column_view v;
  ASSERT_EQ(weft_table_column(back, 0, &v), WEFT_OK);
  EXPECT_EQ(v.type, WEFT_TYPE_DECIMAL(15, 2));
  EXPECT_EQ(v.values, (const void *)f.a);  // no copy either way
  EXPECT_EQ(v.null_count, 1);
  weft_table_free(back);

  ASSERT_EQ(weft_table_to_arrow(f.t, &schema, &array), WEFT_OK);
  schema.children[1]->format = "d:40,2,256";
  EXPECT_EQ(weft_table_from_arrow(&schema, &array, &back), WEFT_ERR_UNSUPPORTED);
  EXPECT_NE(std::string(weft_last_error()).find("decimal256"), std::string::npos);
  schema.release(&schema);  // not moved on failure
  array.release(&array);
}

TEST(Decimal, OverflowNamesTheColumn) {
  i128 big = 1;
  for (int k = 0; k < 37; k++) big *= 10;  // 10^37, decimal(38, 0)
  i128 vals[2] = {big, big};
  weft_column_view col = {};
  col.type = WEFT_TYPE_DECIMAL(38, 0);
  col.length = 2;
  col.values = vals;
  const char *names[1] = {"big"};
  weft_table *t;
  ASSERT_EQ(weft_table_from_columns(1, names, &col, nullptr, nullptr, &t), WEFT_OK);
  weft_expr *c, *ten, *prod;
  ASSERT_EQ(weft_expr_column("big", &c), WEFT_OK);
  ASSERT_EQ(weft_expr_literal_int64(10, &ten), WEFT_OK);
  ASSERT_EQ(weft_expr_binary(WEFT_OP_MUL, c, ten, &prod), WEFT_OK);
  weft_table *out = nullptr;
  const weft_expr *exprs[1] = {prod};
  EXPECT_EQ(weft_table_select(nullptr, t, 1, exprs, &out), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(weft_last_error()).find("column \"big\""), std::string::npos) << weft_last_error();
  weft_agg agg = {WEFT_AGG_SUM, c, nullptr};
  i128 nine = big * 9;  // 9 * 10^37 twice: past 38 digits
  vals[0] = vals[1] = nine;
  EXPECT_EQ(weft_table_group_by(nullptr, t, 0, nullptr, 1, &agg, &out), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(weft_last_error()).find("sum of \"big\""), std::string::npos) << weft_last_error();
  for (weft_expr *e : {c, ten, prod}) weft_expr_free(e);
  weft_table_free(t);
}

}  // namespace
