/* Expressions evaluated two ways, which must agree: over typed columns (int32, int64,
 * float64, utf8, bool, with nulls) the usual way, chunk by chunk, and row by row with every
 * column replaced by that row's value as a constant, which the evaluator folds (computes once
 * as a scalar, expr_eval.c) -- and once more over a slice of the table at an odd offset, so
 * validity bitmaps start mid-byte. The trees, the rows and the slice come from the input.
 * Any difference in type, nullness, value or failure aborts. */
#include "fuzz_common.h" /* first: it defines _GNU_SOURCE */

#include <math.h>
#include "weft.h"

enum { MAX_ROWS = 24, MAX_NODES = 64, MAX_DEPTH = 4, NCOLS = 5, MAX_REPS = 400 };

static const char *const col_names[NCOLS] = {"a", "b", "c", "d", "e"};
static const weft_type col_types[NCOLS] = {WEFT_TYPE_INT32, WEFT_TYPE_INT64, WEFT_TYPE_FLOAT64,
                                           WEFT_TYPE_UTF8, WEFT_TYPE_BOOL};
static const char *const words[] = {"", "a", "B", "ab", "\xc3\xa9", "abc", " a b ", "\xc3\x9f",
                                    "Ab", "ba", "1", "-2.5", "true", "x\xe2\x82\xacy"};
#define NWORDS (sizeof words / sizeof *words)

/* The input's table: columns in the harness's memory. */
typedef struct cols {
  int64_t rows;
  uint8_t valid[NCOLS][(MAX_ROWS + 7) / 8];
  int32_t a[MAX_ROWS];
  int64_t b[MAX_ROWS];
  double c[MAX_ROWS];
  int32_t d_off[MAX_ROWS + 1];
  char d_data[MAX_ROWS * 8];
  uint8_t e[(MAX_ROWS + 7) / 8];
} cols;

typedef enum nkind {
  N_COL, N_LIT_I, N_LIT_F, N_LIT_B, N_LIT_S, N_LIT_NULL, N_BIN, N_UN, N_CAST, N_FILL, N_WHEN,
  N_CONTAINS, N_STARTS, N_ENDS, N_SLICE, N_ROUND, N_IS_IN, N_STRIP, N_REPLACE, N_KINDS
} nkind;

typedef struct node {
  nkind kind;
  int a, b, c;   /* children (-1: none) */
  int op;        /* column index, operator, type, word index */
  int64_t i, j;  /* literal, slice arguments, n */
  double f;
} node;

typedef struct tree {
  node n[MAX_NODES];
  int count;
} tree;

static int64_t pick_int(fuzz_bytes *in) {
  static const int64_t special[] = {INT32_MIN, INT32_MAX, INT64_MIN, INT64_MAX, 1000000007, -129, 255, 65536};
  uint8_t v = fuzz_u8(in);
  return v < 200 ? (int64_t)(v % 11) - 5 : special[v % 8];
}

static double pick_float(fuzz_bytes *in) {
  static const double special[] = {NAN, INFINITY, -INFINITY, -0.0, 1e308, 2.5, -3.5, 1e-310};
  uint8_t v = fuzz_u8(in);
  return v < 200 ? ((double)(v % 21) - 10) / 2 : special[v % 8];
}

static int gen(tree *t, fuzz_bytes *in, int depth) {
  if (t->count == MAX_NODES) return -1;
  int me = t->count++;
  node *x = &t->n[me];
  memset(x, 0, sizeof *x);
  x->a = x->b = x->c = -1;
  uint8_t k = fuzz_u8(in);
  x->kind = depth >= MAX_DEPTH || !in->n ? (nkind)(k % 6) : (nkind)(k % N_KINDS);
  switch (x->kind) {
    case N_COL: x->op = fuzz_u8(in) % NCOLS; break;
    case N_LIT_I: x->i = pick_int(in); break;
    case N_LIT_F: x->f = pick_float(in); break;
    case N_LIT_B: x->i = fuzz_u8(in) & 1; break;
    case N_LIT_S: x->op = fuzz_u8(in) % NWORDS; break;
    case N_LIT_NULL: x->op = fuzz_u8(in) % NCOLS; break;
    case N_BIN: x->op = fuzz_u8(in) % 14; break;
    case N_UN: x->op = fuzz_u8(in) % 14; break; /* NOT .. CEIL: no dates */
    case N_CAST: {
      static const weft_type to[] = {WEFT_TYPE_BOOL,   WEFT_TYPE_INT8,    WEFT_TYPE_INT16,
                                     WEFT_TYPE_INT32,  WEFT_TYPE_INT64,   WEFT_TYPE_UINT8,
                                     WEFT_TYPE_UINT32, WEFT_TYPE_UINT64,  WEFT_TYPE_FLOAT32,
                                     WEFT_TYPE_FLOAT64, WEFT_TYPE_UTF8};
      x->op = (int)to[fuzz_u8(in) % (sizeof to / sizeof *to)];
      break;
    }
    case N_CONTAINS: case N_STARTS: case N_ENDS: case N_STRIP: x->op = fuzz_u8(in) % NWORDS; break;
    case N_SLICE: x->i = (int64_t)(fuzz_u8(in) % 9) - 4, x->j = (int64_t)(fuzz_u8(in) % 6) - 1; break;
    case N_ROUND: x->i = fuzz_u8(in) % 4; break;
    case N_IS_IN: x->op = fuzz_u8(in) % 3, x->i = pick_int(in), x->j = pick_int(in), x->f = pick_float(in); break;
    case N_REPLACE: x->op = 1 + fuzz_u8(in) % (NWORDS - 1), x->i = fuzz_u8(in) % NWORDS, x->j = (fuzz_u8(in) & 1) ? -1 : 1; break;
    default: break;
  }
  int kids = x->kind == N_BIN || x->kind == N_FILL ? 2 : x->kind == N_WHEN ? 3
           : x->kind >= N_UN ? 1 : 0;
  int a = -1, b = -1, c = -1;
  if (kids >= 1 && (a = gen(t, in, depth + 1)) < 0) return -1;
  if (kids >= 2 && (b = gen(t, in, depth + 1)) < 0) return -1;
  if (kids >= 3 && !(fuzz_u8(in) & 1) && (c = gen(t, in, depth + 1)) < 0) return -1;
  t->n[me].a = a, t->n[me].b = b, t->n[me].c = c;
  return me;
}

static int valid_at(const cols *d, int col, int64_t r) { return (d->valid[col][r >> 3] >> (r & 7)) & 1; }

/* Node `me` as a weft expression; row >= 0: columns replaced by row `row`'s values, as a
 * cast of a literal (a cast, not a literal, so literal typing treats it as a column). */
static weft_status build(const tree *t, int me, const cols *d, int64_t row, weft_expr **out) {
  const node *x = &t->n[me];
  weft_expr *a = NULL, *b = NULL, *c = NULL, *lit = NULL;
  weft_status st = WEFT_OK;
  if (x->a >= 0) st = build(t, x->a, d, row, &a);
  if (st == WEFT_OK && x->b >= 0) st = build(t, x->b, d, row, &b);
  if (st == WEFT_OK && x->c >= 0) st = build(t, x->c, d, row, &c);
  if (st != WEFT_OK) goto done;
  switch (x->kind) {
    case N_COL:
      if (row < 0) { st = weft_expr_column(col_names[x->op], out); break; }
      if (!valid_at(d, x->op, row)) st = weft_expr_literal_null(col_types[x->op], &lit);
      else if (x->op == 0) st = weft_expr_literal_int64(d->a[row], &lit);
      else if (x->op == 1) st = weft_expr_literal_int64(d->b[row], &lit);
      else if (x->op == 2) st = weft_expr_literal_float64(d->c[row], &lit);
      else if (x->op == 4) st = weft_expr_literal_bool((d->e[row >> 3] >> (row & 7)) & 1, &lit);
      else {
        char s[16];
        int32_t o0 = d->d_off[row], o1 = d->d_off[row + 1];
        memcpy(s, d->d_data + o0, (size_t)(o1 - o0));
        s[o1 - o0] = '\0';
        st = weft_expr_literal_utf8(s, &lit);
      }
      if (st == WEFT_OK) st = weft_expr_cast(lit, col_types[x->op], out);
      break;
    case N_LIT_I: st = weft_expr_literal_int64(x->i, out); break;
    case N_LIT_F: st = weft_expr_literal_float64(x->f, out); break;
    case N_LIT_B: st = weft_expr_literal_bool((int)x->i, out); break;
    case N_LIT_S: st = weft_expr_literal_utf8(words[x->op], out); break;
    case N_LIT_NULL: st = weft_expr_literal_null(col_types[x->op], out); break;
    case N_BIN: st = weft_expr_binary((weft_binary_op)x->op, a, b, out); break;
    case N_UN: st = weft_expr_unary((weft_unary_op)x->op, a, out); break;
    case N_CAST: st = weft_expr_cast(a, (weft_type)x->op, out); break;
    case N_FILL: st = weft_expr_fill_null(a, b, out); break;
    case N_WHEN: st = weft_expr_when(a, b, c, out); break;
    case N_CONTAINS: st = weft_expr_str_contains(a, words[x->op], out); break;
    case N_STARTS: st = weft_expr_str_starts_with(a, words[x->op], out); break;
    case N_ENDS: st = weft_expr_str_ends_with(a, words[x->op], out); break;
    case N_SLICE: st = weft_expr_str_slice(a, x->i, x->j, out); break;
    case N_ROUND: st = weft_expr_round(a, (int)x->i, out); break;
    case N_STRIP: st = weft_expr_str_strip_chars(a, x->op ? words[x->op] : NULL, out); break;
    case N_REPLACE: st = weft_expr_str_replace(a, words[x->op], words[x->i], 1, x->j, out); break;
    case N_IS_IN:
      if (x->op == 0) {
        int64_t v[2] = {x->i, x->j};
        st = weft_expr_is_in(a, WEFT_TYPE_INT64, v, 2, out);
      } else if (x->op == 1) {
        double v[2] = {x->f, (double)x->i};
        st = weft_expr_is_in(a, WEFT_TYPE_FLOAT64, v, 2, out);
      } else {
        const char *v[2] = {words[(uint64_t)x->i % NWORDS], words[(uint64_t)x->j % NWORDS]};
        st = weft_expr_is_in(a, WEFT_TYPE_UTF8, v, 2, out);
      }
      break;
    default: st = WEFT_ERR_INVALID_ARGUMENT;
  }
done:
  weft_expr_free(a), weft_expr_free(b), weft_expr_free(c), weft_expr_free(lit);
  if (st != WEFT_OK) *out = NULL;
  return st;
}

static int bit(const void *p, int64_t i) { return (((const uint8_t *)p)[i >> 3] >> (i & 7)) & 1; }

/* Row r of column v equals row s of column w (types already equal). */
static int same_value(const weft_column_view *v, int64_t r, const weft_column_view *w, int64_t s) {
  int64_t i = v->offset + r, j = w->offset + s;
  int nv = v->validity && !bit(v->validity, i), nw = w->validity && !bit(w->validity, j);
  if (nv || nw) return nv == nw;
  switch ((int)v->type) {
    case WEFT_TYPE_BOOL: return bit(v->values, i) == bit(w->values, j);
    case WEFT_TYPE_FLOAT32: {
      float x = ((const float *)v->values)[i], y = ((const float *)w->values)[j];
      return x == y || (isnan(x) && isnan(y));
    }
    case WEFT_TYPE_FLOAT64: {
      double x = ((const double *)v->values)[i], y = ((const double *)w->values)[j];
      return x == y || (isnan(x) && isnan(y));
    }
    case WEFT_TYPE_UTF8: {
      const int32_t *o = v->values, *p = w->values;
      int32_t n = o[i + 1] - o[i];
      return n == p[j + 1] - p[j] && !memcmp(v->data + o[i], w->data + p[j], (size_t)n);
    }
    default: {
      size_t width = (v->type == WEFT_TYPE_INT8 || v->type == WEFT_TYPE_UINT8) ? 1
                   : (v->type == WEFT_TYPE_INT16 || v->type == WEFT_TYPE_UINT16) ? 2
                   : (v->type == WEFT_TYPE_INT32 || v->type == WEFT_TYPE_UINT32 ||
                      v->type == WEFT_TYPE_DATE32) ? 4 : 8;
      return !memcmp((const char *)v->values + i * width, (const char *)w->values + j * width, width);
    }
  }
}

/* select(expr) over `table`; the result's only column, or a failure. */
static weft_status eval(const weft_expr *e, const weft_table *table, weft_table **res,
                        weft_column_view *col) {
  *res = NULL;
  weft_status st = weft_table_select(NULL, table, 1, &e, res);
  if (st == WEFT_OK) st = weft_table_column(*res, 0, col);
  return st;
}

static void fill_columns(cols *d, fuzz_bytes *in) {
  memset(d, 0, sizeof *d);
  d->rows = 1 + fuzz_u8(in) % MAX_ROWS;
  for (int c = 0; c < NCOLS; c++)
    for (int64_t r = 0; r < d->rows; r++)
      if (fuzz_u8(in) % 5) d->valid[c][r >> 3] |= (uint8_t)(1u << (r & 7));
  int32_t used = 0;
  for (int64_t r = 0; r < d->rows; r++) {
    d->a[r] = (int32_t)pick_int(in);
    d->b[r] = pick_int(in);
    d->c[r] = pick_float(in);
    if (fuzz_u8(in) & 1) d->e[r >> 3] |= (uint8_t)(1u << (r & 7));
    const char *w = words[fuzz_u8(in) % NWORDS];
    memcpy(d->d_data + used, w, strlen(w));
    used += (int32_t)strlen(w);
    d->d_off[r + 1] = used;
  }
}

/* The input's rows repeated `reps` times (past WEFT__CHUNK = 4096 rows and the scheduler's
 * partitions): row r's result must be the base table's row r % rows. */
typedef struct tiled {
  uint8_t valid[NCOLS][(MAX_ROWS * MAX_REPS + 7) / 8];
  int32_t a[MAX_ROWS * MAX_REPS];
  int64_t b[MAX_ROWS * MAX_REPS];
  double c[MAX_ROWS * MAX_REPS];
  int32_t d_off[MAX_ROWS * MAX_REPS + 1];
  char d_data[MAX_ROWS * MAX_REPS * 8];
  uint8_t e[(MAX_ROWS * MAX_REPS + 7) / 8];
} tiled;

static weft_table *tile(const cols *d, int64_t reps, tiled *t) {
  int64_t n = d->rows * reps;
  memset(t->valid, 0, sizeof t->valid);
  memset(t->e, 0, sizeof t->e);
  t->d_off[0] = 0;
  for (int64_t r = 0; r < n; r++) {
    int64_t s = r % d->rows;
    for (int c = 0; c < NCOLS; c++)
      if ((d->valid[c][s >> 3] >> (s & 7)) & 1) t->valid[c][r >> 3] |= (uint8_t)(1u << (r & 7));
    t->a[r] = d->a[s], t->b[r] = d->b[s], t->c[r] = d->c[s];
    if ((d->e[s >> 3] >> (s & 7)) & 1) t->e[r >> 3] |= (uint8_t)(1u << (r & 7));
    int32_t len = d->d_off[s + 1] - d->d_off[s];
    memcpy(t->d_data + t->d_off[r], d->d_data + d->d_off[s], (size_t)len);
    t->d_off[r + 1] = t->d_off[r] + len;
  }
  const void *values[NCOLS] = {t->a, t->b, t->c, t->d_off, t->e};
  weft_column_view views[NCOLS];
  for (int c = 0; c < NCOLS; c++)
    views[c] = (weft_column_view){col_types[c], n, 0, -1, t->valid[c], values[c],
                                  c == 3 ? t->d_data : NULL};
  weft_table *table = NULL;
  if (weft_table_from_columns(NCOLS, col_names, views, NULL, NULL, &table) != WEFT_OK) abort();
  return table;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_bytes in = {data, size};
  static cols d;
  fill_columns(&d, &in);
  weft_column_view views[NCOLS];
  const void *values[NCOLS] = {d.a, d.b, d.c, d.d_off, d.e};
  for (int c = 0; c < NCOLS; c++)
    views[c] = (weft_column_view){col_types[c], d.rows, 0, -1, d.valid[c], values[c],
                                  c == 3 ? d.d_data : NULL};
  weft_table *table = NULL;
  if (weft_table_from_columns(NCOLS, col_names, views, NULL, NULL, &table) != WEFT_OK) abort();
  static tree t;
  t.count = 0;
  int root = gen(&t, &in, 0);
  int64_t slice_at = fuzz_u8(&in) % d.rows;
  uint8_t tile_byte = fuzz_u8(&in);
  int64_t reps = tile_byte < 64 ? 4097 / d.rows + 1 + tile_byte * 5 % MAX_REPS : 0;
  if (reps > MAX_REPS) reps = MAX_REPS;
  weft_expr *e = NULL;
  weft_table *full = NULL;
  weft_column_view fv;
  if (root < 0 || build(&t, root, &d, -1, &e) != WEFT_OK) goto out;
  const char *text = "";
  (void)weft_expr_to_string(e, &text);
  const char *name;
  weft_type type;
  if (weft_expr_output(e, table, &name, &type) != WEFT_OK) goto out; /* a type error */
  weft_status fst = eval(e, table, &full, &fv);
  char fmsg[512];
  snprintf(fmsg, sizeof fmsg, "%s", fst == WEFT_OK ? "" : weft_last_error());
  if (fst == WEFT_OK)
    FUZZ_CHECK(fv.length == d.rows && fv.type == type, "%s: %lld rows of %s, want %lld of %s",
               text, (long long)fv.length, weft_type_name(fv.type), (long long)d.rows,
               weft_type_name(type));
  if (getenv("WEFT_FUZZ_VERBOSE"))
    fprintf(stderr, "%s: %s %s\n", text, fst == WEFT_OK ? weft_type_name(fv.type) : "fails:", fmsg);
  int row_failed = 0;
  for (int64_t r = 0; r < d.rows; r++) {
    weft_expr *er = NULL;
    weft_table *one = NULL, *res = NULL;
    weft_column_view rv;
    weft_status st = build(&t, root, &d, r, &er);
    FUZZ_CHECK(st == WEFT_OK, "%s: row %lld as constants does not build: %s", text, (long long)r,
               weft_last_error());
    if (weft_table_slice(table, r, 1, &one) != WEFT_OK) abort();
    st = eval(er, one, &res, &rv);
    if (st != WEFT_OK) {
      row_failed = 1;
      FUZZ_CHECK(fst != WEFT_OK, "%s: row %lld fails alone (%s) but not in the column", text,
                 (long long)r, weft_last_error());
    } else if (fst == WEFT_OK) {
      const char *rtext = "";
      (void)weft_expr_to_string(er, &rtext);
      FUZZ_CHECK(rv.type == fv.type && rv.length == 1, "%s: row %lld as constants (%s) is %s, "
                 "the column %s", text, (long long)r, rtext, weft_type_name(rv.type),
                 weft_type_name(fv.type));
      FUZZ_CHECK(same_value(&fv, r, &rv, 0), "%s: row %lld differs from the constants' %s", text,
                 (long long)r, rtext);
    }
    weft_table_free(res), weft_table_free(one), weft_expr_free(er);
  }
  FUZZ_CHECK(fst == WEFT_OK || row_failed, "%s fails over the column (%s) but in no row alone",
             text, fmsg);
  if (fst == WEFT_OK) { /* a slice starting mid-byte */
    weft_table *part = NULL, *res = NULL;
    weft_column_view sv;
    if (weft_table_slice(table, slice_at, d.rows - slice_at, &part) != WEFT_OK) abort();
    weft_status st = eval(e, part, &res, &sv);
    FUZZ_CHECK(st == WEFT_OK, "%s fails over rows %lld.. only: %s", text, (long long)slice_at,
               weft_last_error());
    for (int64_t r = 0; r < sv.length; r++)
      FUZZ_CHECK(same_value(&fv, slice_at + r, &sv, r), "%s: row %lld differs in a slice from %lld",
                 text, (long long)(slice_at + r), (long long)slice_at);
    weft_table_free(res), weft_table_free(part);
  }
  if (fst == WEFT_OK && fv.type == WEFT_TYPE_BOOL) { /* filter keeps exactly the true rows */
    weft_table *kept = NULL;
    weft_status st = weft_table_filter(NULL, table, e, &kept);
    FUZZ_CHECK(st == WEFT_OK, "filter(%s) fails: %s", text, weft_last_error());
    weft_column_view cols_in[NCOLS], cols_out[NCOLS];
    for (int c = 0; c < NCOLS; c++) {
      if (weft_table_column(table, (size_t)c, &cols_in[c]) != WEFT_OK ||
          weft_table_column(kept, (size_t)c, &cols_out[c]) != WEFT_OK) abort();
    }
    int64_t k = 0;
    for (int64_t r = 0; r < d.rows; r++) {
      int64_t i = fv.offset + r;
      if ((fv.validity && !bit(fv.validity, i)) || !bit(fv.values, i)) continue;
      FUZZ_CHECK(k < cols_out[0].length, "filter(%s) keeps %lld rows, row %lld is true", text,
                 (long long)cols_out[0].length, (long long)r);
      for (int c = 0; c < NCOLS; c++)
        FUZZ_CHECK(same_value(&cols_in[c], r, &cols_out[c], k), "filter(%s): kept row %lld "
                   "(row %lld) differs in column %s", text, (long long)k, (long long)r, col_names[c]);
      k++;
    }
    FUZZ_CHECK(k == cols_out[0].length, "filter(%s) keeps %lld rows, %lld are true", text,
               (long long)cols_out[0].length, (long long)k);
    weft_table_free(kept);
  }
  if (reps) { /* the same rows, repeated past a chunk */
    static tiled big;
    weft_table *bt = tile(&d, reps, &big), *res = NULL;
    weft_column_view bv;
    weft_status st = eval(e, bt, &res, &bv);
    FUZZ_CHECK((st == WEFT_OK) == (fst == WEFT_OK), "%s: %s over %lld rows, %s over their %lld "
               "repeats", text, fst == WEFT_OK ? "succeeds" : "fails", (long long)d.rows,
               st == WEFT_OK ? "succeeds" : "fails", (long long)reps);
    for (int64_t r = 0; st == WEFT_OK && r < bv.length; r++)
      FUZZ_CHECK(same_value(&fv, r % d.rows, &bv, r), "%s: row %lld of %lld repeats differs from "
                 "row %lld", text, (long long)r, (long long)reps, (long long)(r % d.rows));
    weft_table_free(res), weft_table_free(bt);
  }
out:
  weft_table_free(full);
  weft_expr_free(e);
  weft_table_free(table);
  return 0;
}
