/* Aggregations over groups, given a group id per row. Values are loaded a block at a time
 * as int64, uint64 or double (the accumulator's type), so one loop serves every input type.
 *
 * Types, following Polars except where said: sum of signed integers (and dates) is int64,
 * of unsigned integers uint64, of bool the uint32 count of true, of floats the float type
 * (float32 sums accumulate in float64 and are rounded once); mean, std and var are float64;
 * min, max, first and last keep the type (utf8 min/max compare bytes); count, n_unique and
 * len are uint32. Nulls are skipped except by first, last, n_unique and len; the sum of no
 * value is 0, the mean/min/max of none null, std/var of fewer than two null. NaN propagates
 * through sum, mean, std and var; min and max skip it unless every value is NaN. */
#include "frame/group/agg.h"
#include "core/alloc.h"
#include "frame/group/agg_decimal.h"
#include "frame/group/n_unique.h"
#include "frame/table/categorical.h"

#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/thread_pool.h"
#include "frame/table/gather.h"

#define BLOCK 2048

static const char *agg_name(weft_agg_kind k) {
  static const char *names[] = {"sum", "mean", "min", "max", "count", "n_unique",
                                "std", "var", "first", "last", "len"};
  return (unsigned)k < sizeof names / sizeof *names ? names[k] : "unknown";
}

static int is_unsigned(weft_type t) { return t >= WEFT_TYPE_UINT8 && t <= WEFT_TYPE_UINT64; }

weft_status weft__agg_type(weft_agg_kind kind, weft_type in, const char *name, weft_type *out) {
  int numeric = weft__type_is_numeric(in) || in == WEFT_TYPE_BOOL;
  int ok = 1;
  if (weft__type_is_vector(in) && kind != WEFT_AGG_COUNT && kind != WEFT_AGG_LEN)
    return weft__error(WEFT_ERR_INVALID_ARGUMENT, "weft_table_group_by: %s of \"%s\" (%s) is not "
                       "supported: a vector column aggregates only by count and len",
                       agg_name(kind), name, weft_type_name(in));
  if (in == WEFT_TYPE_CATEGORICAL && kind != WEFT_AGG_COUNT && kind != WEFT_AGG_LEN &&
      kind != WEFT_AGG_N_UNIQUE && kind != WEFT_AGG_FIRST && kind != WEFT_AGG_LAST)
    return weft__error(WEFT_ERR_INVALID_ARGUMENT, "weft_table_group_by: %s of \"%s\" (categorical) "
                       "is not supported: a categorical column aggregates by count, n_unique, "
                       "first, last and len; cast it to utf8 first", agg_name(kind), name);
  if (weft__type_is_decimal(in) && (kind == WEFT_AGG_STD || kind == WEFT_AGG_VAR))
    return weft__error(WEFT_ERR_INVALID_ARGUMENT, "weft_table_group_by: %s of \"%s\" (%s) is not "
                       "supported; cast it to float64 first", agg_name(kind), name, weft_type_name(in));
  if (weft__type_is_decimal(in) && (kind == WEFT_AGG_SUM || kind == WEFT_AGG_MEAN)) {
    /* Polars: the sum is decimal(38, s), the mean float64 */
    *out = kind == WEFT_AGG_SUM ? WEFT_TYPE_DECIMAL(38, weft__dec_scale(in)) : WEFT_TYPE_FLOAT64;
    return WEFT_OK;
  }
  switch (kind) {
    case WEFT_AGG_SUM:
      ok = numeric;
      *out = in == WEFT_TYPE_BOOL ? WEFT_TYPE_UINT32
           : weft__type_is_float(in) ? in
           : is_unsigned(in) ? WEFT_TYPE_UINT64 : WEFT_TYPE_INT64;
      break;
    case WEFT_AGG_MEAN: case WEFT_AGG_STD: case WEFT_AGG_VAR:
      ok = numeric;
      *out = WEFT_TYPE_FLOAT64;
      break;
    case WEFT_AGG_MIN: case WEFT_AGG_MAX: case WEFT_AGG_FIRST: case WEFT_AGG_LAST:
      *out = in;
      break;
    case WEFT_AGG_COUNT: case WEFT_AGG_N_UNIQUE: case WEFT_AGG_LEN:
      *out = WEFT_TYPE_UINT32;
      break;
    default:
      return weft__error(WEFT_ERR_INVALID_ARGUMENT, "weft_table_group_by: aggregation \"%s\" has "
                         "unknown kind %d", name, (int)kind);
  }
  if (!ok)
    return weft__error(WEFT_ERR_INVALID_ARGUMENT, "weft_table_group_by: %s of \"%s\" (%s) is not "
                       "supported: it needs a numeric or bool column", agg_name(kind), name,
                       weft_type_name(in));
  return WEFT_OK;
}

static int bit_at(const uint8_t *bits, int64_t i) { return (bits[i >> 3] >> (i & 7)) & 1; }
static void set_bit(uint8_t *bits, int64_t i, int on) {
  if (on) bits[i >> 3] |= (uint8_t)(1u << (i & 7));
  else bits[i >> 3] &= (uint8_t)~(1u << (i & 7));
}

#define LOAD_LOOP(T, CAST)                                                         \
  do {                                                                             \
    const T *p = (const T *)v->values + i0;                                        \
    for (size_t i = 0; i < n; i++) out[i] = (CAST)p[i];                            \
  } while (0)

static void load_i64(const weft_column_view *v, int64_t r0, size_t n, int64_t *out) {
  int64_t i0 = v->offset + r0;
  switch (v->type) {
    case WEFT_TYPE_BOOL:
      for (size_t i = 0; i < n; i++) out[i] = bit_at(v->values, i0 + (int64_t)i);
      break;
    case WEFT_TYPE_INT8: LOAD_LOOP(int8_t, int64_t); break;
    case WEFT_TYPE_INT16: LOAD_LOOP(int16_t, int64_t); break;
    case WEFT_TYPE_INT32: case WEFT_TYPE_DATE32: LOAD_LOOP(int32_t, int64_t); break;
    default: LOAD_LOOP(int64_t, int64_t); break;
  }
}

static void load_u64(const weft_column_view *v, int64_t r0, size_t n, uint64_t *out) {
  int64_t i0 = v->offset + r0;
  switch (v->type) {
    case WEFT_TYPE_UINT8: LOAD_LOOP(uint8_t, uint64_t); break;
    case WEFT_TYPE_UINT16: LOAD_LOOP(uint16_t, uint64_t); break;
    case WEFT_TYPE_UINT32: LOAD_LOOP(uint32_t, uint64_t); break;
    default: LOAD_LOOP(uint64_t, uint64_t); break;
  }
}

static void load_f64(const weft_column_view *v, int64_t r0, size_t n, double *out) {
  int64_t i0 = v->offset + r0;
  switch (v->type) {
    case WEFT_TYPE_FLOAT64: memcpy(out, (const double *)v->values + i0, n * sizeof *out); break;
    case WEFT_TYPE_FLOAT32: LOAD_LOOP(float, double); break;
    case WEFT_TYPE_UINT8: LOAD_LOOP(uint8_t, double); break;
    case WEFT_TYPE_UINT16: LOAD_LOOP(uint16_t, double); break;
    case WEFT_TYPE_UINT32: LOAD_LOOP(uint32_t, double); break;
    case WEFT_TYPE_UINT64: LOAD_LOOP(uint64_t, double); break;
    default: {
      int64_t tmp[BLOCK];
      load_i64(v, r0, n, tmp);
      for (size_t i = 0; i < n; i++) out[i] = (double)tmp[i];
    }
  }
}

static void load_valid(const weft__column *c, int64_t r0, size_t n, uint8_t *ok) {
  if (!c->view.validity || c->view.null_count == 0) {
    memset(ok, 1, n);
    return;
  }
  for (size_t i = 0; i < n; i++) ok[i] = (uint8_t)weft__column_valid(c, r0 + (int64_t)i);
}

/* Writes integer x into row g of a fixed-width or bool column. */
static void store_int(weft_column_view *v, int64_t g, uint64_t x) {
  void *p = (void *)v->values;
  switch (v->type == WEFT_TYPE_BOOL ? 0 : weft__type_width(v->type)) {
    case 0: set_bit(p, g, x != 0); break;
    case 1: ((uint8_t *)p)[g] = (uint8_t)x; break;
    case 2: ((uint16_t *)p)[g] = (uint16_t)x; break;
    case 4: ((uint32_t *)p)[g] = (uint32_t)x; break;
    default: ((uint64_t *)p)[g] = x; break;
  }
}

static void store_f(weft_column_view *v, int64_t g, double x) {
  if (v->type == WEFT_TYPE_FLOAT32) ((float *)v->values)[g] = (float)x;
  else ((double *)v->values)[g] = x;
}

static weft_status no_memory(const char *name) {
  return weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_table_group_by: no host memory for the "
                     "aggregation \"%s\"", name);
}

/* Per-group counters: rows (len) or non-null values (count). */
static weft_status counts(const weft__column *in, const weft__groups *g, int64_t rows, int nonnull,
                          weft__column *out) {
  WEFT_RETURN_NOT_OK(weft__column_alloc(WEFT_TYPE_UINT32, g->ngroups, 0, 0, out));
  uint32_t *c = (uint32_t *)out->view.values;
  memset(c, 0, (size_t)g->ngroups * sizeof *c);
  int check = nonnull && in->view.validity && in->view.null_count != 0;
  for (int64_t r = 0; r < rows; r++)
    if (!check || weft__column_valid(in, r)) c[g->gid[r]]++;
  return WEFT_OK;
}

/* Distinct (group, value) pairs, found by grouping on both, counted per group. */
static weft_status n_unique(const weft__column *in, const weft__groups *g, int64_t rows,
                            weft__column *out) {
  weft__column codes; /* a categorical column: its distinct codes are its distinct strings */
  if (in->view.type == WEFT_TYPE_CATEGORICAL) codes = weft__column_codes(in), in = &codes;
  int packed = weft__n_unique_packed(in, g, rows, out);
  if (packed > 0) return WEFT_OK;
  if (packed < 0) return no_memory("n_unique");
  weft__column gc = weft__gid_column(g, rows);
  const weft__column *keys[2] = {&gc, in};
  weft__groups pairs;
  WEFT_RETURN_NOT_OK(weft__group_rows(NULL, "weft_table_group_by n_unique", keys, 2, rows, 0, &pairs));
  return weft__n_unique_counts(g, &pairs, out);
}

weft__column weft__gid_column(const weft__groups *g, int64_t rows) {
  weft__column gc;
  memset(&gc, 0, sizeof gc);
  gc.view.type = WEFT_TYPE_INT32;
  gc.view.length = rows;
  gc.view.values = g->gid;
  return gc;
}

weft_status weft__n_unique_counts(const weft__groups *g, weft__groups *pairs, weft__column *out) {
  weft_status st = weft__column_alloc(WEFT_TYPE_UINT32, g->ngroups, 0, 0, out);
  if (st == WEFT_OK) {
    uint32_t *c = (uint32_t *)out->view.values;
    memset(c, 0, (size_t)g->ngroups * sizeof *c);
    for (int64_t j = 0; j < pairs->ngroups; j++) c[g->gid[pairs->first[j]]]++;
  }
  weft__groups_free(pairs);
  return st;
}

static int utf8_less(const weft_column_view *v, int64_t a, int64_t b) {
  const int32_t *o = (const int32_t *)v->values + v->offset;
  int32_t la = o[a + 1] - o[a], lb = o[b + 1] - o[b];
  int c = memcmp(v->data + o[a], v->data + o[b], (size_t)(la < lb ? la : lb));
  return c < 0 || (c == 0 && la < lb);
}

/* The row holding each group's result (-1: none), then gathered: first, last, utf8 min/max. */
static weft_status by_rows(weft_agg_kind kind, const weft__column *in, const weft__groups *g,
                           int64_t rows, const char *name, weft__column *out) {
  if (kind == WEFT_AGG_FIRST) return weft__column_gather(in, g->first, g->ngroups, out);
  int64_t *best = weft__malloc((size_t)(g->ngroups ? g->ngroups : 1) * sizeof *best);
  if (!best) return no_memory(name);
  for (int64_t j = 0; j < g->ngroups; j++) best[j] = -1;
  int check = in->view.validity && in->view.null_count != 0;
  for (int64_t r = 0; r < rows; r++) {
    int32_t j = g->gid[r];
    if (kind == WEFT_AGG_LAST) best[j] = r;
    else if (!check || weft__column_valid(in, r)) {
      int64_t b = best[j];
      if (b < 0 || (kind == WEFT_AGG_MIN ? utf8_less(&in->view, r, b) : utf8_less(&in->view, b, r)))
        best[j] = r;
    }
  }
  weft_status st = weft__column_gather(in, best, g->ngroups, out);
  free(best);
  return st;
}

typedef struct accs {
  int64_t *i; /* also uint64 bits */
  double *d, *m2;
  int64_t *n;
} accs;

/* One group's std / var partial over a block: its count, mean and M2 by two passes over the
 * block (sums in 4 independent lanes, no division a row), folded into (n, mean, m2) by Chan
 * et al.'s update, as accs_merge folds partials. A serial Welford update waits on a division
 * a row; this is the keyless case (a select of col.std(), Standardize's std). */
static void block_moments(const double *f, const uint8_t *ok, size_t n, accs *a) {
  double s[4] = {0, 0, 0, 0};
  int64_t m = 0;
  for (size_t i = 0; i < n; i++) {
    double x = ok[i] ? f[i] : 0.0;
    s[i & 3] += x;
    m += ok[i];
  }
  if (m == 0) return;
  double mean = (s[0] + s[1] + s[2] + s[3]) / (double)m, q[4] = {0, 0, 0, 0};
  for (size_t i = 0; i < n; i++) {
    double d = ok[i] ? f[i] - mean : 0.0;
    q[i & 3] += d * d;
  }
  double m2 = q[0] + q[1] + q[2] + q[3];
  int64_t na = a->n[0];
  if (na == 0) {
    a->d[0] = mean, a->m2[0] = m2, a->n[0] = m;
    return;
  }
  double total = (double)(na + m), delta = mean - a->d[0];
  a->d[0] += delta * (double)m / total;
  a->m2[0] += m2 + delta * delta * (double)na * (double)m / total;
  a->n[0] = na + m;
}

/* Accumulates rows [r0, rows) into their groups (`single`: all in group 0). `cls`: 'f'
 * double, 'i' int64, 'u' uint64. */
static void accumulate(weft_agg_kind kind, char cls, const weft__column *in, const int32_t *gid,
                       int single, int64_t r0, int64_t rows, accs *a) {
  int mean = kind == WEFT_AGG_MEAN;
  if ((kind == WEFT_AGG_SUM || mean) && cls == 'f' && in->view.type == WEFT_TYPE_FLOAT64 &&
      !(in->view.validity && weft__column_null_count((weft__column *)in) != 0)) {
    /* the common case, read in place: no block copy, no validity bytes (the same adds) */
    const double *x = (const double *)in->view.values + in->view.offset;
    if (mean)
      for (int64_t r = r0; r < rows; r++) a->d[gid[r]] += x[r], a->n[gid[r]]++;
    else
      for (int64_t r = r0; r < rows; r++) a->d[gid[r]] += x[r];
    return;
  }
  double f[BLOCK];
  int64_t iv[BLOCK];
  uint64_t *uv = (uint64_t *)iv;
  uint8_t ok[BLOCK];
  for (int64_t b0 = r0; b0 < rows; b0 += BLOCK) {
    size_t n = (size_t)(rows - b0 < BLOCK ? rows - b0 : BLOCK);
    const int32_t *gg = gid + b0;
    load_valid(in, b0, n, ok);
    if (cls == 'f') load_f64(&in->view, b0, n, f);
    else if (cls == 'i') load_i64(&in->view, b0, n, iv);
    else load_u64(&in->view, b0, n, uv);
    switch (kind) {
      case WEFT_AGG_SUM:
        if (cls == 'f') {
          for (size_t i = 0; i < n; i++)
            if (ok[i]) a->d[gg[i]] += f[i];
        } else {
          uint64_t *s = (uint64_t *)a->i; /* wraps like Polars, without signed overflow */
          for (size_t i = 0; i < n; i++)
            if (ok[i]) s[gg[i]] += uv[i];
        }
        break;
      case WEFT_AGG_MEAN:
        for (size_t i = 0; i < n; i++)
          if (ok[i]) a->d[gg[i]] += f[i], a->n[gg[i]]++;
        break;
      case WEFT_AGG_STD: case WEFT_AGG_VAR:
        if (single) {
          block_moments(f, ok, n, a);
          break;
        }
        for (size_t i = 0; i < n; i++) {
          if (!ok[i]) continue;
          int32_t j = gg[i];
          double delta = f[i] - a->d[j];
          a->d[j] += delta / (double)++a->n[j];
          a->m2[j] += delta * (f[i] - a->d[j]);
        }
        break;
      default: { /* min, max */
        int mn = kind == WEFT_AGG_MIN;
        for (size_t i = 0; i < n; i++) {
          if (!ok[i]) continue;
          int32_t j = gg[i];
          if (cls == 'f') {
            double x = f[i];
            if (!isnan(x) && (isnan(a->d[j]) || (mn ? x < a->d[j] : x > a->d[j]))) a->d[j] = x;
          } else if (cls == 'i') {
            if (a->n[j] == 0 || (mn ? iv[i] < a->i[j] : iv[i] > a->i[j])) a->i[j] = iv[i];
          } else {
            uint64_t *u = (uint64_t *)a->i;
            if (a->n[j] == 0 || (mn ? uv[i] < u[j] : uv[i] > u[j])) u[j] = uv[i];
          }
          a->n[j]++;
        }
      }
    }
  }
}

static int accs_alloc(accs *a, size_t G, int minmax) {
  *a = (accs){weft__calloc(G, sizeof(int64_t)), weft__malloc(G * sizeof(double)), weft__calloc(G, sizeof(double)),
              weft__calloc(G, sizeof(int64_t))};
  if (!a->i || !a->d || !a->m2 || !a->n) return 0;
  for (size_t j = 0; j < G; j++) a->d[j] = minmax ? NAN : 0;
  return 1;
}

static void accs_free(accs *a) { free(a->i), free(a->d), free(a->m2), free(a->n); }

/* Folds b (the partials of later rows) into a. */
static void accs_merge(weft_agg_kind kind, char cls, accs *a, const accs *b, size_t G) {
  uint64_t *au = (uint64_t *)a->i;
  const uint64_t *bu = (const uint64_t *)b->i;
  int mn = kind == WEFT_AGG_MIN;
  for (size_t j = 0; j < G; j++) {
    int64_t na = a->n[j], nb = b->n[j];
    switch (kind) {
      case WEFT_AGG_SUM:
        if (cls == 'f') a->d[j] += b->d[j];
        else au[j] += bu[j];
        break;
      case WEFT_AGG_MEAN: a->d[j] += b->d[j], a->n[j] += nb; break;
      case WEFT_AGG_STD: case WEFT_AGG_VAR: /* Chan et al.'s pairwise update */
        if (nb == 0) break;
        if (na == 0) {
          a->d[j] = b->d[j], a->m2[j] = b->m2[j], a->n[j] = nb;
        } else {
          double n = (double)(na + nb), delta = b->d[j] - a->d[j];
          a->d[j] += delta * (double)nb / n;
          a->m2[j] += b->m2[j] + delta * delta * (double)na * (double)nb / n;
          a->n[j] = na + nb;
        }
        break;
      default:
        if (nb == 0) break;
        if (cls == 'f') {
          double x = b->d[j];
          if (!isnan(x) && (isnan(a->d[j]) || (mn ? x < a->d[j] : x > a->d[j]))) a->d[j] = x;
        } else if (cls == 'i') {
          if (na == 0 || (mn ? b->i[j] < a->i[j] : b->i[j] > a->i[j])) a->i[j] = b->i[j];
        } else if (na == 0 || (mn ? bu[j] < au[j] : bu[j] > au[j])) {
          au[j] = bu[j];
        }
        a->n[j] = na + nb;
    }
  }
}

/* Few groups and many rows: each of AGG_PARTS row ranges accumulates on its own on the CPU
 * pool, then the partials are merged in row order. The number of ranges is fixed, not the
 * pool's size, so float sums give the same bits whatever the number of threads. */
#define AGG_PARTS 16
typedef struct par_ctx {
  weft_agg_kind kind;
  char cls;
  const weft__column *in;
  const int32_t *gid;
  int single;
  int64_t rows, chunk;
  accs *parts;
  int nparts;
  _Atomic int next;
} par_ctx;

static void par_worker(void *ctx, int worker, int workers) {
  (void)worker, (void)workers;
  par_ctx *c = ctx;
  for (;;) {
    int p = atomic_fetch_add(&c->next, 1);
    if (p >= c->nparts) return;
    int64_t r0 = (int64_t)p * c->chunk, r1 = r0 + c->chunk < c->rows ? r0 + c->chunk : c->rows;
    accumulate(c->kind, c->cls, c->in, c->gid, c->single, r0, r1, &c->parts[p]);
  }
}

static int accumulate_all(weft_agg_kind kind, char cls, const weft__column *in, const weft__groups *g,
                          int64_t rows, size_t G, int minmax, accs *a) {
  const int nparts = AGG_PARTS;
  if (rows < ((int64_t)1 << 17) || (int64_t)G * nparts > rows / 8) {
    accumulate(kind, cls, in, g->gid, G == 1, 0, rows, a);
    return 1;
  }
  accs parts[AGG_PARTS];
  parts[0] = *a;
  int ok = 1, made = 1;
  for (; made < nparts && ok; made++) ok = accs_alloc(&parts[made], G, minmax);
  if (ok) {
    par_ctx c = {kind, cls, in, g->gid, G == 1, rows, (rows + nparts - 1) / nparts, parts, nparts, 0};
    weft__pool_run(par_worker, &c);
    for (int p = 1; p < nparts; p++) accs_merge(kind, cls, a, &parts[p], G);
  }
  for (int p = 1; p < made; p++) accs_free(&parts[p]);
  return ok;
}

void weft__agg_memo_free(weft__agg_memo *m) {
  for (size_t k = 0; k < m->n; k++) free(m->e[k].sum), free(m->e[k].count);
  m->n = 0;
}

static int same_view(const weft_column_view *a, const weft_column_view *b) {
  return a->type == b->type && a->length == b->length && a->offset == b->offset &&
         a->validity == b->validity && a->values == b->values;
}

/* A float sum and a mean accumulate the same double sums (plus counts, cheap next to the
 * memory traffic), so they are computed as a mean once per input and kept in the memo.
 * 1 when `a` holds them (a->i and a->m2 unused), 0 when not memoised, -1 on OOM. */
static int memo_sums(weft__agg_memo *m, const weft__column *in, const weft__groups *g,
                     int64_t rows, size_t G, accs *a) {
  if (!m) return 0;
  for (size_t k = 0; k < m->n; k++)
    if (same_view(&m->e[k].view, &in->view)) {
      *a = (accs){NULL, m->e[k].sum, NULL, m->e[k].count};
      return 1;
    }
  if (m->n == WEFT_AGG_MEMO) return 0;
  if (!accs_alloc(a, G, 0) || !accumulate_all(WEFT_AGG_MEAN, 'f', in, g, rows, G, 0, a)) {
    accs_free(a);
    return -1;
  }
  free(a->i), free(a->m2);
  a->i = NULL, a->m2 = NULL;
  m->e[m->n].view = in->view;
  m->e[m->n].sum = a->d;
  m->e[m->n].count = a->n;
  m->n++;
  return 1;
}

weft_status weft__agg_finish(weft_agg_kind kind, char cls, weft_type otype, int64_t ngroups,
                             const int64_t *ai, const double *ad, const double *am2,
                             const int64_t *an, weft__column *out) {
  accs a = {(int64_t *)ai, (double *)ad, (double *)am2, (int64_t *)an};
  int minmax = kind == WEFT_AGG_MIN || kind == WEFT_AGG_MAX;
  int nullable = kind != WEFT_AGG_SUM;
  weft_status st = weft__column_alloc(otype, ngroups, nullable, 0, out);
  for (int64_t j = 0; st == WEFT_OK && j < ngroups; j++) {
    weft_column_view *v = &out->view;
    int64_t n = a.n[j];
    int null = (kind == WEFT_AGG_MEAN || minmax) ? n == 0
             : (kind == WEFT_AGG_STD || kind == WEFT_AGG_VAR) ? n < 2 : 0;
    if (null) {
      set_bit((uint8_t *)v->validity, j, 0);
      if (otype == WEFT_TYPE_BOOL) set_bit((uint8_t *)v->values, j, 0);
      else memset((char *)v->values + (size_t)j * weft__type_width(otype), 0, weft__type_width(otype));
      continue;
    }
    switch (kind) {
      case WEFT_AGG_SUM:
        if (cls == 'f') store_f(v, j, a.d[j]);
        else store_int(v, j, (uint64_t)a.i[j]);
        break;
      case WEFT_AGG_MEAN: store_f(v, j, a.d[j] / (double)n); break;
      case WEFT_AGG_VAR: store_f(v, j, a.m2[j] / (double)(n - 1)); break;
      case WEFT_AGG_STD: store_f(v, j, sqrt(a.m2[j] / (double)(n - 1))); break;
      default:
        if (cls == 'f') store_f(v, j, a.d[j]);
        else store_int(v, j, (uint64_t)a.i[j]);
    }
  }
  return st;
}

char weft__agg_class(weft_agg_kind kind, weft_type t) {
  return weft__type_is_float(t) || kind == WEFT_AGG_MEAN || kind == WEFT_AGG_STD ||
         kind == WEFT_AGG_VAR ? 'f' : is_unsigned(t) ? 'u' : 'i';
}

void weft__agg_load_words(const weft__column *in, char cls, int64_t r0, size_t n, uint64_t *out,
                          uint8_t *valid) {
  for (size_t b = 0; b < n; b += BLOCK) {
    size_t m = n - b < BLOCK ? n - b : BLOCK;
    int64_t r = r0 + (int64_t)b;
    if (!out) {
    } else if (cls == 'f') load_f64(&in->view, r, m, (double *)(out + b));
    else if (cls == 'i') load_i64(&in->view, r, m, (int64_t *)(out + b));
    else load_u64(&in->view, r, m, out + b);
    if (valid) load_valid(in, r, m, valid + b);
  }
}

static weft_status numeric(weft_agg_kind kind, const weft__column *in, const weft__groups *g,
                           int64_t rows, const char *name, weft_type otype, weft__agg_memo *memo,
                           weft__column *out) {
  char cls = weft__agg_class(kind, in->view.type);
  size_t G = (size_t)(g->ngroups ? g->ngroups : 1);
  int minmax = kind == WEFT_AGG_MIN || kind == WEFT_AGG_MAX;
  accs a;
  int memoised = cls == 'f' && (kind == WEFT_AGG_SUM || kind == WEFT_AGG_MEAN)
               ? memo_sums(memo, in, g, rows, G, &a) : 0;
  if (memoised < 0) return no_memory(name);
  if (!memoised && (!accs_alloc(&a, G, minmax) || !accumulate_all(kind, cls, in, g, rows, G, minmax, &a))) {
    accs_free(&a);
    return no_memory(name);
  }
  weft_status st = weft__agg_finish(kind, cls, otype, g->ngroups, a.i, a.d, a.m2, a.n, out);
  if (!memoised) accs_free(&a);
  return st;
}

weft_status weft__aggregate(weft_agg_kind kind, const weft__column *in, const weft__groups *g,
                            int64_t rows, const char *name, weft__agg_memo *memo,
                            weft__column *out) {
  memset(out, 0, sizeof *out);
  if (kind == WEFT_AGG_LEN) return counts(in, g, rows, 0, out);
  weft__column_null_count((weft__column *)in);
  weft_type otype;
  WEFT_RETURN_NOT_OK(weft__agg_type(kind, in->view.type, name, &otype));
  switch (kind) {
    case WEFT_AGG_COUNT: return counts(in, g, rows, 1, out);
    case WEFT_AGG_N_UNIQUE: return n_unique(in, g, rows, out);
    case WEFT_AGG_FIRST: case WEFT_AGG_LAST: return by_rows(kind, in, g, rows, name, out);
    default: break;
  }
  if (in->view.type == WEFT_TYPE_UTF8) return by_rows(kind, in, g, rows, name, out);
  if (weft__type_is_decimal(in->view.type)) return weft__agg_decimal(kind, in, g, rows, name, otype, out);
  return numeric(kind, in, g, rows, name, otype, memo, out);
}
