/* Two tables weft computed two ways must be equal: same columns (names, types), same rows in
 * the same order, the same nulls, and the same values -- bit for bit, except in columns the
 * caller marks `loose` (float sums, means, std and var, whose rounding order the project lets
 * differ across devices: within 1e-12 relative, the promise of tests/frame/test_group_device.cc,
 * and the same NaN-ness). Anything else aborts with the column, row and both values. */
#ifndef WEFT_FUZZ_TABLE_DIFF_H
#define WEFT_FUZZ_TABLE_DIFF_H

#include "fuzz_table_check.h"

#include <math.h>

/* x and y equal to 1e-12 of their size, or within `slack`: what adding the same numbers in
 * another order may change. A sum's rounding grows with its terms' size, not its own: terms
 * near 1e18 that cancel to 3e13 differ by ~500 between two orders (fuzz_frame_devices found
 * CPU 32835897253797.324 against OpenCL 32835897254275.387, both right). */
static inline int fuzz_close(double x, double y, double slack) {
  if (x == y) return 1; /* infinities, and 0.0 against -0.0 */
  if (isnan(x) || isnan(y)) return isnan(x) && isnan(y);
  double d = fabs(x - y);
  return d <= 1e-12 * fmax(fabs(x), fabs(y)) || d <= slack;
}

/* Row r of column c, as text for the report. */
static void fuzz_cell_text(const weft_column_view *v, int64_t r, char *out, size_t cap) {
  int64_t i = v->offset + r;
  if (v->validity && !fuzz_bit(v->validity, i)) { snprintf(out, cap, "null"); return; }
  switch ((int)(v->type & 0xff)) {
    case WEFT_TYPE_BOOL: snprintf(out, cap, "%d", fuzz_bit(v->values, i)); break;
    case WEFT_TYPE_FLOAT64: {
      double x = ((const double *)v->values)[i];
      uint64_t bits;
      memcpy(&bits, &x, 8);
      snprintf(out, cap, "%.17g (0x%016llx)", x, (unsigned long long)bits);
      break;
    }
    case WEFT_TYPE_FLOAT32: snprintf(out, cap, "%.9g", (double)((const float *)v->values)[i]); break;
    case WEFT_TYPE_UTF8: {
      const int32_t *o = v->values;
      snprintf(out, cap, "\"%.*s\"", (int)(o[i + 1] - o[i]), v->data + o[i]);
      break;
    }
    default: {
      size_t w = fuzz_type_width(v->type);
      int64_t x = 0;
      if (w == 8) memcpy(&x, (const char *)v->values + i * 8, 8);
      else if (w == 4) { int32_t y; memcpy(&y, (const char *)v->values + i * 4, 4); x = y; }
      else if (w == 2) { int16_t y; memcpy(&y, (const char *)v->values + i * 2, 2); x = y; }
      else if (w == 1) x = ((const int8_t *)v->values)[i];
      snprintf(out, cap, "%lld", (long long)x);
    }
  }
}

/* The table as text on stderr (WEFT_FUZZ_VERBOSE: what an input ran on). */
static void fuzz_print_table(const char *what, const weft_table *t) {
  int64_t rows = 0;
  size_t ncols = 0;
  if (weft_table_num_rows(t, &rows) != WEFT_OK || weft_table_num_columns(t, &ncols) != WEFT_OK) return;
  fprintf(stderr, "%s: %lld rows\n", what, (long long)rows);
  for (size_t c = 0; c < ncols; c++) {
    const char *name = "";
    weft_column_view v;
    if (weft_table_column_name(t, c, &name) != WEFT_OK || weft_table_column(t, c, &v) != WEFT_OK) return;
    fprintf(stderr, "  %s (%s, offset %lld):", name, weft_type_name(v.type), (long long)v.offset);
    for (int64_t r = 0; r < rows && r < 64; r++) {
      char x[96];
      fuzz_cell_text(&v, r, x, sizeof x);
      fprintf(stderr, " %s", x);
    }
    fprintf(stderr, rows > 64 ? " ...\n" : "\n");
  }
}

/* slack < 0: bit for bit; else float64 cells as fuzz_close with that slack. */
static int fuzz_cell_equal(const weft_column_view *v, const weft_column_view *w, int64_t r,
                           double slack) {
  int64_t i = v->offset + r, j = w->offset + r;
  int nv = v->validity && !fuzz_bit(v->validity, i), nw = w->validity && !fuzz_bit(w->validity, j);
  if (nv || nw) return nv == nw;
  int t = (int)(v->type & 0xff);
  if (t == WEFT_TYPE_BOOL) return fuzz_bit(v->values, i) == fuzz_bit(w->values, j);
  if (t == WEFT_TYPE_UTF8) {
    const int32_t *o = v->values, *p = w->values;
    int32_t n = o[i + 1] - o[i];
    return n == p[j + 1] - p[j] && !memcmp(v->data + o[i], w->data + p[j], (size_t)n);
  }
  if (slack >= 0 && t == WEFT_TYPE_FLOAT64)
    return fuzz_close(((const double *)v->values)[i], ((const double *)w->values)[j], slack);
  size_t width = fuzz_type_width(v->type);
  return !memcmp((const char *)v->values + i * width, (const char *)w->values + j * width, width);
}

/* `a` (named what_a) equals `b` (what_b): bit for bit, except a float64 column c with
 * slack[c] >= 0 (slack NULL: none), compared by fuzz_close. */
static void fuzz_tables_equal(const weft_table *a, const char *what_a, const weft_table *b,
                              const char *what_b, const double *slack) {
  fuzz_check_table(a), fuzz_check_table(b);
  int64_t ra, rb;
  size_t ca, cb;
  FUZZ_CHECK(weft_table_num_rows(a, &ra) == WEFT_OK && weft_table_num_rows(b, &rb) == WEFT_OK, "rows");
  FUZZ_CHECK(weft_table_num_columns(a, &ca) == WEFT_OK && weft_table_num_columns(b, &cb) == WEFT_OK, "cols");
  FUZZ_CHECK(ra == rb, "%s gave %lld rows, %s %lld", what_a, (long long)ra, what_b, (long long)rb);
  FUZZ_CHECK(ca == cb, "%s gave %zu columns, %s %zu", what_a, ca, what_b, cb);
  for (size_t c = 0; c < ca; c++) {
    const char *na, *nb;
    weft_column_view va, vb;
    FUZZ_CHECK(weft_table_column_name(a, c, &na) == WEFT_OK && weft_table_column_name(b, c, &nb) == WEFT_OK, "name");
    FUZZ_CHECK(!strcmp(na, nb), "column %zu: %s named it %s, %s %s", c, what_a, na, what_b, nb);
    FUZZ_CHECK(weft_table_column(a, c, &va) == WEFT_OK && weft_table_column(b, c, &vb) == WEFT_OK, "column");
    FUZZ_CHECK(va.type == vb.type, "column %s: %s typed it %s, %s %s", na, what_a,
               weft_type_name(va.type), what_b, weft_type_name(vb.type));
    for (int64_t r = 0; r < ra; r++) {
      if (fuzz_cell_equal(&va, &vb, r, slack ? slack[c] : -1)) continue;
      char x[96], y[96];
      fuzz_cell_text(&va, r, x, sizeof x), fuzz_cell_text(&vb, r, y, sizeof y);
      FUZZ_CHECK(0, "column %s row %lld: %s gave %s, %s %s", na, (long long)r, what_a, x, what_b, y);
    }
  }
}

#endif
