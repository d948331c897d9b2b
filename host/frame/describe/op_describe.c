/* weft_table_describe: Polars' DataFrame.describe() computed in C on the CPU pool, or, for
 * the columns a device can take, on the OpenCL or CUDA device the exec chooses
 * (describe_device.c: the same blocks, merged by the same code, so the same bits).
 *
 * Each column is read once: fixed row ranges ("parts", their number set by the row count
 * alone, so the bits do not depend on the thread count) are claimed by the pool's threads;
 * a part walks its rows a block at a time, copies the block's non-null, non-NaN values into
 * the percentile buffer when percentiles are asked for (so no second read of the column is
 * needed), and folds the block's count, sum, mean, M2, min and max into its own statistics
 * (describe_stats.c: 32 lane sums a block, the device kernel's additions; M2 by two passes
 * over the block in cache; a block without nulls, NaN or infinities, read in place when
 * float64, takes a loop without masks that adds the same lanes: the same bits, about twice
 * as fast), blocks and parts merged with
 * Chan et al.'s pairwise update, all in float64. Parts are merged in row
 * order.
 * Percentiles are the "nearest" quantiles Polars' describe uses, found by selection
 * (quickselect, expected linear time) on the gathered values, each later one searching only
 * to the right of the previous one.
 *
 * What each column gives, as Polars:
 *   numbers (ints, uints, floats) -> float64: count, null_count, mean, std (ddof 1), min,
 *     percentiles, max; NaN makes mean and std NaN, min and max skip it (NaN when every value
 *     is NaN), percentiles rank it above every number (a zero percentile is +0.0); float32
 *     means and stds are rounded to float32 (Polars computes them in the column's type);
 *   bool -> float64: count, null_count, mean (share of true), min, max; std and percentiles
 *     null;
 *   date32, timestamp[us] -> utf8: counts as integers, the mean as a timestamp truncated to
 *     the microsecond, min, percentiles, max as dates or timestamps (Python's str());
 *   utf8 -> utf8: counts, min and max (by bytes); the rest null;
 *   decimal128 -> float64: described as its float64 cast, as Polars. */
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/alloc.h"
#include "core/exec.h"
#include "core/thread_pool.h"
#include "frame/io/csv.h"
#include "frame/describe/describe_device.h"
#include "frame/describe/describe_stats.h"
#include "frame/table/table.h"

#define BLOCK WEFT__DESC_BLOCK
#define LANE_F WEFT__DESC_LANE_F
#define LANE_I WEFT__DESC_LANE_I
#define LANE_S WEFT__DESC_LANE_S

typedef weft__dstats stats;

static int bit_at(const uint8_t *bits, int64_t i) { return (bits[i >> 3] >> (i & 7)) & 1; }

#define LOAD(T)                                                                   \
  do {                                                                            \
    const T *p = (const T *)v->values + i0;                                       \
    for (size_t i = 0; i < n; i++) out[i] = (double)p[i];                         \
  } while (0)

/* Rows [r0, r0 + n) (relative to the view) of a number or bool column as doubles. */
static void load_f(const weft_column_view *v, int64_t r0, size_t n, double *out) {
  int64_t i0 = v->offset + r0;
  switch (v->type) {
    case WEFT_TYPE_BOOL:
      for (size_t i = 0; i < n; i++) out[i] = bit_at(v->values, i0 + (int64_t)i);
      break;
    case WEFT_TYPE_INT8: LOAD(int8_t); break;
    case WEFT_TYPE_INT16: LOAD(int16_t); break;
    case WEFT_TYPE_INT32: LOAD(int32_t); break;
    case WEFT_TYPE_INT64: LOAD(int64_t); break;
    case WEFT_TYPE_UINT8: LOAD(uint8_t); break;
    case WEFT_TYPE_UINT16: LOAD(uint16_t); break;
    case WEFT_TYPE_UINT32: LOAD(uint32_t); break;
    case WEFT_TYPE_UINT64: LOAD(uint64_t); break;
    case WEFT_TYPE_FLOAT32: LOAD(float); break;
    default: LOAD(double); break;
  }
}

/* One column's job: parts of `chunk` rows, the percentile buffer (NULL: not wanted), each
 * part writing its kept values from the slot of its first row. */
typedef struct col_job {
  const weft_column_view *v;
  int lane;
  void *buf;
  int64_t rows, chunk;
  int nparts;
  stats *parts;
  _Atomic int next;
} col_job;

/* keep[i] = all ones when row b0 + i is valid (every row without a validity bitmap), else 0 */
static void load_valid(const weft_column_view *v, int64_t b0, size_t n, uint64_t *keep) {
  if (!v->validity) {
    memset(keep, 0xff, n * sizeof *keep);
    return;
  }
  int64_t at = v->offset + b0;
  for (size_t i = 0; i < n; i++) keep[i] = 0 - (uint64_t)bit_at(v->validity, at + (int64_t)i);
}

static void run_part_f(const col_job *j, int64_t r0, int64_t r1, stats *s) {
  const weft_column_view *v = j->v;
  double tmp[BLOCK];
  uint64_t keep[BLOCK];
  double *out = j->buf ? (double *)j->buf + r0 : NULL;
  for (int64_t b0 = r0; b0 < r1; b0 += BLOCK) {
    size_t n = (size_t)(r1 - b0 < BLOCK ? r1 - b0 : BLOCK), m = 0;
    const double *x = tmp;
    if (v->type == WEFT_TYPE_FLOAT64) x = (const double *)v->values + v->offset + b0;
    else load_f(v, b0, n, tmp);
    stats b = {0};
    if (!v->validity && weft__desc_block_f_dense(x, n, &b)) {  /* no null, NaN or infinity */
      b.valid = (int64_t)n;
      if (out) {
        memcpy(out, x, n * sizeof *out);
        out += n;
      }
      weft__dstats_merge(s, &b, LANE_F, v);
      continue;
    }
    if (x != tmp) memcpy(tmp, x, n * sizeof *tmp);
    load_valid(v, b0, n, keep);
    for (size_t i = 0; i < n; i++) {
      uint64_t nan = 0 - (uint64_t)(tmp[i] != tmp[i]);
      b.valid += (int64_t)(keep[i] & 1);
      b.nan += (int64_t)(keep[i] & nan & 1);
      keep[i] &= ~nan;
    }
    weft__desc_block_f(tmp, keep, n, &b);
    if (out) {
      for (size_t i = 0; i < n; i++)
        if (keep[i]) out[m++] = tmp[i];
      out += m;
    }
    weft__dstats_merge(s, &b, LANE_F, v);
  }
}

static void run_part_i(const col_job *j, int64_t r0, int64_t r1, stats *s) {
  const weft_column_view *v = j->v;
  int64_t tmp[BLOCK];
  uint64_t keep[BLOCK];
  int64_t *out = j->buf ? (int64_t *)j->buf + r0 : NULL;
  for (int64_t b0 = r0; b0 < r1; b0 += BLOCK) {
    size_t n = (size_t)(r1 - b0 < BLOCK ? r1 - b0 : BLOCK), m = 0;
    int64_t at = v->offset + b0;
    if (v->type == WEFT_TYPE_DATE32) {
      const int32_t *p = (const int32_t *)v->values + at;
      for (size_t i = 0; i < n; i++) tmp[i] = p[i];
    } else {
      memcpy(tmp, (const int64_t *)v->values + at, n * sizeof *tmp);
    }
    load_valid(v, b0, n, keep);
    stats b = {0};
    for (size_t i = 0; i < n; i++) b.valid += (int64_t)(keep[i] & 1);
    weft__desc_block_i(tmp, keep, n, &b);
    if (out) {
      for (size_t i = 0; i < n; i++)
        if (keep[i]) out[m++] = tmp[i];
      out += m;
    }
    weft__dstats_merge(s, &b, LANE_I, v);
  }
}

static void run_part_s(const col_job *j, int64_t r0, int64_t r1, stats *s) {
  const weft_column_view *v = j->v;
  for (int64_t r = r0; r < r1; r++) {
    if (v->validity && !bit_at(v->validity, v->offset + r)) continue;
    s->valid++;
    if (s->imin < 0 || weft__desc_utf8_less(v, r, s->imin)) s->imin = r;
    if (s->imax < 0 || weft__desc_utf8_less(v, s->imax, r)) s->imax = r;
  }
}

static void part_worker(void *ctx, int worker, int workers) {
  (void)worker, (void)workers;
  col_job *j = ctx;
  for (;;) {
    int p = atomic_fetch_add(&j->next, 1);
    if (p >= j->nparts) return;
    int64_t r0 = (int64_t)p * j->chunk, r1 = r0 + j->chunk < j->rows ? r0 + j->chunk : j->rows;
    stats *s = &j->parts[p];
    weft__dstats_init(s);
    if (j->lane == LANE_F) run_part_f(j, r0, r1, s);
    else if (j->lane == LANE_I) run_part_i(j, r0, r1, s);
    else run_part_s(j, r0, r1, s);
  }
}

/* Reads the column once; on return buf (when given) holds its `kept` values from index 0. */
static void column_stats(const weft_column_view *v, int lane, void *buf, stats *out) {
  stats parts[WEFT__DESC_MAX_PARTS];
  int64_t rows = v->length, chunk;
  int nparts = weft__desc_parts(rows, &chunk);
  col_job j = {v, lane, buf, rows, chunk, (int)nparts, parts, 0};
  if (nparts == 1) part_worker(&j, 0, 1);
  else weft__pool_run(part_worker, &j);
  *out = parts[0];
  size_t elem = 8, at = (size_t)parts[0].kept;
  for (int p = 1; p < j.nparts; p++) {
    if (buf && parts[p].kept)
      memmove((char *)buf + at * elem, (char *)buf + (size_t)(p * chunk) * elem,
              (size_t)parts[p].kept * elem);
    at += (size_t)parts[p].kept;
    weft__dstats_merge(out, &parts[p], lane, v);
  }
}

/* ------------------------------------------------------------------ selection */

static uint64_t next_rand(uint64_t *state) { /* splitmix64 */
  uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

/* Puts the k-th smallest of a[lo, hi) at a[k], smaller ones before it and larger ones after.
 * Random pivots (median of three) make adversarial orders as unlikely as any other, and the
 * three-way partition keeps columns of few distinct values (small ints, bools) linear. */
#define DEFINE_SELECT(NAME, T)                                                         \
  static void NAME(T *a, int64_t lo, int64_t hi, int64_t k, uint64_t *rng) {            \
    while (hi - lo > 16) {                                                              \
      uint64_t len = (uint64_t)(hi - lo);                                               \
      T x = a[lo + (int64_t)(next_rand(rng) % len)], y = a[lo + (int64_t)(next_rand(rng) % len)], \
        z = a[lo + (int64_t)(next_rand(rng) % len)];                                    \
      T p = x < y ? (y < z ? y : (x < z ? z : x)) : (x < z ? x : (y < z ? z : y));      \
      int64_t lt = lo, i = lo, gt = hi;                                                 \
      while (i < gt) {                                                                  \
        T e = a[i];                                                                     \
        if (e < p) {                                                                    \
          a[i++] = a[lt], a[lt++] = e;                                                  \
        } else if (p < e) {                                                             \
          a[i] = a[--gt], a[gt] = e;                                                    \
        } else {                                                                        \
          i++;                                                                          \
        }                                                                               \
      }                                                                                 \
      if (k < lt) hi = lt;                                                              \
      else if (k >= gt) lo = gt;                                                        \
      else return;                                                                      \
    }                                                                                   \
    for (int64_t i = lo + 1; i < hi; i++) {                                             \
      T e = a[i];                                                                       \
      int64_t m = i;                                                                    \
      for (; m > lo && e < a[m - 1]; m--) a[m] = a[m - 1];                              \
      a[m] = e;                                                                         \
    }                                                                                   \
  }

DEFINE_SELECT(select_f, double)
DEFINE_SELECT(select_i, int64_t)

/* The rank Polars' "nearest" quantile takes among `valid` sorted values (round half away
 * from zero, as Rust's f64::round). */
static int64_t nearest_rank(int64_t valid, double q) {
  return (int64_t)round((double)(valid - 1) * q);
}

/* ------------------------------------------------------------------ output */

/* A utf8 column of n cells (p[i] NULL: null). */
static weft_status utf8_column(size_t n, const char *const *p, const size_t *len, weft__column *out) {
  size_t bytes = 0;
  int any_null = 0;
  for (size_t i = 0; i < n; i++) {
    if (p[i]) bytes += len[i];
    else any_null = 1;
  }
  if (bytes > INT32_MAX)
    return weft__error(WEFT_ERR_INVALID_ARGUMENT, "weft_table_describe: a column's min and max "
                       "strings take %zu bytes, over utf8's 2^31 - 1", bytes);
  WEFT_RETURN_NOT_OK(weft__column_alloc(WEFT_TYPE_UTF8, (int64_t)n, any_null, bytes, out));
  int32_t *off = (int32_t *)out->view.values;
  char *data = (char *)out->view.data;
  uint8_t *valid = (uint8_t *)out->view.validity;
  size_t at = 0;
  for (size_t i = 0; i < n; i++) {
    if (p[i]) {
      memcpy(data + at, p[i], len[i]);
      at += len[i];
    } else {
      valid[i >> 3] &= (uint8_t)~(1u << (i & 7));
    }
    off[i + 1] = (int32_t)at;
  }
  out->view.null_count = -1;
  return WEFT_OK;
}

/* Python's str() of a date and of a datetime (microseconds only when not zero). */
static int fmt_date(char *s, size_t cap, int64_t days) {
  int64_t y;
  unsigned m, d;
  weft__civil_from_days(days, &y, &m, &d);
  return snprintf(s, cap, "%04lld-%02u-%02u", (long long)y, m, d);
}

static int fmt_timestamp(char *s, size_t cap, int64_t us) {
  const int64_t day_us = (int64_t)86400 * 1000000;
  int64_t days = us / day_us, rest = us % day_us;
  if (rest < 0) rest += day_us, days--;
  int n = fmt_date(s, cap, days);
  int64_t secs = rest / 1000000, frac = rest % 1000000;
  n += snprintf(s + n, cap - (size_t)n, " %02lld:%02lld:%02lld", (long long)(secs / 3600),
                (long long)(secs / 60 % 60), (long long)(secs % 60));
  if (frac) n += snprintf(s + n, cap - (size_t)n, ".%06lld", (long long)frac);
  return n;
}

#define CELL 64 /* bytes of one formatted cell */

typedef struct described {
  size_t nstat;
  double *f;        /* LANE_F: nstat values */
  uint8_t *fvalid;  /* LANE_F: 1 = not null */
  const char **p;   /* text cells */
  size_t *len;
  char *text;       /* nstat * CELL bytes the cells are formatted into */
} described;

static void set_text(described *d, size_t row, int len) {
  d->p[row] = d->text + row * CELL;
  d->len[row] = (size_t)len;
}

/* Row numbers of the output: count, null_count, mean, std, min, percentiles..., max. */
enum { ROW_COUNT, ROW_NULLS, ROW_MEAN, ROW_STD, ROW_MIN, ROW_PCT };

/* Where describe_column runs: the device (NULL: the CPU pool) and the tally for the report. */
typedef struct placement {
  weft_exec *exec;
  weft__device *dev;
  int on_device, on_cpu;
} placement;

/* The statistics of column `name` on the placement's device, or on the CPU pool when there is
 * none, the column is utf8 or the device fails (reported; strict mode: the error). *sorted = 1
 * when the device left buf's kept values sorted. */
static weft_status column_stats_placed(placement *pl, const char *name, const weft_column_view *v,
                                       int lane, void *buf, stats *s, int *sorted) {
  *sorted = 0;
  int strict = pl->exec && pl->exec->strict;
  if (pl->dev && lane == LANE_S) {
    const char *why = "utf8 min and max (no string comparison on devices)";
    if (strict)
      return weft__error(WEFT_ERR_UNSUPPORTED, "weft_table_describe: column '%s' cannot be "
                         "described on %s: %s (strict mode)", name, pl->dev->id, why);
    weft__report(pl->exec, "  column '%s': fell back to cpu: %s", name, why);
  } else if (pl->dev) {
    weft_status st = weft__describe_column_device(pl->dev, v, lane, buf, s);
    if (st == WEFT_OK) {
      *sorted = buf != NULL;
      pl->on_device++;
      return WEFT_OK;
    }
    if (strict)
      return weft__error_context(st, "weft_table_describe: column '%s' on %s (strict mode)", name,
                                 pl->dev->id);
    weft__report(pl->exec, "  column '%s': fell back to cpu: %s", name, weft_last_error());
    weft__error_clear();
  }
  column_stats(v, lane, buf, s);
  pl->on_cpu++;
  return WEFT_OK;
}

/* A vector column, as Polars describes an Array: its count and null count, float64 nulls
 * for the rest (no device sees it); a categorical column the same way. */
static weft_status describe_vector(const weft__column *col, const described *d, weft__column *out) {
  int64_t nulls = weft__column_null_count((weft__column *)col);
  WEFT_RETURN_NOT_OK(weft__column_alloc(WEFT_TYPE_FLOAT64, (int64_t)d->nstat, 1, 0, out));
  uint8_t *valid = (uint8_t *)out->view.validity;
  double *values = (double *)out->view.values;
  for (size_t r = 0; r < d->nstat; r++) {
    values[r] = r == ROW_COUNT ? (double)(col->view.length - nulls) : r == ROW_NULLS ? (double)nulls : 0;
    if (r != ROW_COUNT && r != ROW_NULLS) valid[r >> 3] &= (uint8_t)~(1u << (r & 7));
  }
  return WEFT_OK;
}

static weft_status describe_column(placement *pl, const char *name, const weft__column *col,
                                   void *buf, const double *pct, size_t npct, described *d,
                                   weft__column *out) {
  const weft_column_view *v = &col->view;
  weft_type t = v->type;
  /* a vector, or a categorical column (its codes are no statistic): counts only */
  if (weft__type_is_vector(t) || t == WEFT_TYPE_CATEGORICAL) return describe_vector(col, d, out);
  int lane = weft__desc_lane(t);
  int is_bool = t == WEFT_TYPE_BOOL, want_pct = npct && lane != LANE_S && !is_bool;
  stats s;
  int sorted;
  WEFT_RETURN_NOT_OK(column_stats_placed(pl, name, v, lane, want_pct ? buf : NULL, &s, &sorted));
  size_t n = d->nstat, max_row = n - 1;
  memset(d->f, 0, n * sizeof *d->f);
  int64_t nulls = v->length - s.valid;
  uint64_t rng = 0x5DEECE66DULL;
  if (lane == LANE_F) {
    memset(d->fvalid, 0, n);
    d->f[ROW_COUNT] = (double)s.valid, d->fvalid[ROW_COUNT] = 1;
    d->f[ROW_NULLS] = (double)nulls, d->fvalid[ROW_NULLS] = 1;
    if (s.valid > 0) {
      double mean = s.nan ? NAN : s.sum / (double)s.valid;
      double sd = s.nan || s.valid < 2 ? NAN : sqrt(s.m2 / (double)(s.valid - 1));
      if (t == WEFT_TYPE_FLOAT32) { /* Polars' float32 mean and std are float32 */
        /* volatile: GCC 12's SLP vectorizer drops this double -> float -> double round
         * trip when it pairs the two (seen at -O2 and -O3) */
        volatile float m32 = (float)mean, s32 = (float)sd;
        mean = m32, sd = s32;
      }
      d->f[ROW_MEAN] = mean, d->fvalid[ROW_MEAN] = 1;
      d->f[ROW_STD] = sd, d->fvalid[ROW_STD] = !is_bool && s.valid > 1;
      d->f[ROW_MIN] = s.kept ? s.fmin : NAN, d->fvalid[ROW_MIN] = 1;
      d->f[max_row] = s.kept ? s.fmax : NAN, d->fvalid[max_row] = 1;
    }
    int64_t done = -1; /* the last rank selected: values after it are not smaller */
    for (size_t q = 0; want_pct && s.valid > 0 && q < npct; q++) {
      int64_t k = nearest_rank(s.valid, pct[q]);
      if (k >= s.kept) {
        d->f[ROW_PCT + q] = NAN; /* NaN ranks above every number */
      } else {
        if (k != done && !sorted) select_f(buf, done + 1, s.kept, k, &rng);
        done = k;
        d->f[ROW_PCT + q] = ((double *)buf)[k] + 0.0; /* -0.0 as 0.0: ties may pick either */
      }
      d->fvalid[ROW_PCT + q] = 1;
    }
    WEFT_RETURN_NOT_OK(weft__column_alloc(WEFT_TYPE_FLOAT64, (int64_t)n, 1, 0, out));
    uint8_t *valid = (uint8_t *)out->view.validity;
    double *values = (double *)out->view.values;
    for (size_t r = 0; r < n; r++) {
      values[r] = d->fvalid[r] ? d->f[r] : 0;
      if (!d->fvalid[r]) valid[r >> 3] &= (uint8_t)~(1u << (r & 7));
    }
    return WEFT_OK;
  }
  /* text: counts always, the rest when there is a value */
  for (size_t r = 0; r < n; r++) d->p[r] = NULL;
  set_text(d, ROW_COUNT, snprintf(d->text + ROW_COUNT * CELL, CELL, "%lld", (long long)s.valid));
  set_text(d, ROW_NULLS, snprintf(d->text + ROW_NULLS * CELL, CELL, "%lld", (long long)nulls));
  if (lane == LANE_S) {
    if (s.valid > 0) {
      const int32_t *o = (const int32_t *)v->values + v->offset;
      d->p[ROW_MIN] = v->data + o[s.imin], d->len[ROW_MIN] = (size_t)(o[s.imin + 1] - o[s.imin]);
      d->p[max_row] = v->data + o[s.imax], d->len[max_row] = (size_t)(o[s.imax + 1] - o[s.imax]);
    }
    return utf8_column(n, d->p, d->len, out);
  }
  int is_date = t == WEFT_TYPE_DATE32;
#define PUT_TIME(row, x)                                                                 \
  set_text(d, row, is_date ? fmt_date(d->text + (row) * CELL, CELL, x)                   \
                           : fmt_timestamp(d->text + (row) * CELL, CELL, x))
  if (s.valid > 0) {
    /* the mean of dates is a timestamp (Polars: Datetime("us")), truncated toward zero */
    double mean = s.sum / (double)s.valid * (is_date ? 86400e6 : 1.0);
    if (mean >= -9223372036854775808.0 && mean < 9223372036854775808.0)
      set_text(d, ROW_MEAN, fmt_timestamp(d->text + ROW_MEAN * CELL, CELL, (int64_t)mean));
    PUT_TIME(ROW_MIN, s.imin);
    PUT_TIME(max_row, s.imax);
  }
  int64_t done = -1;
  for (size_t q = 0; want_pct && s.valid > 0 && q < npct; q++) {
    int64_t k = nearest_rank(s.valid, pct[q]);
    if (k != done && !sorted) select_i(buf, done + 1, s.kept, k, &rng);
    done = k;
    PUT_TIME(ROW_PCT + q, ((int64_t *)buf)[k]);
  }
#undef PUT_TIME
  return utf8_column(n, d->p, d->len, out);
}

static weft_status statistic_column(const double *pct, size_t npct, described *d, weft__column *out) {
  static const char *first[] = {"count", "null_count", "mean", "std", "min"};
  size_t n = d->nstat;
  for (size_t r = 0; r < ROW_PCT; r++) d->p[r] = first[r], d->len[r] = strlen(first[r]);
  for (size_t q = 0; q < npct; q++) /* Polars' f"{q * 100:g}%": Python's g is C's %g */
    set_text(d, ROW_PCT + q, snprintf(d->text + (ROW_PCT + q) * CELL, CELL, "%g%%", pct[q] * 100));
  d->p[n - 1] = "max", d->len[n - 1] = 3;
  return utf8_column(n, d->p, d->len, out);
}

static weft_status describe_table(weft_exec *exec, const weft_table *table, size_t npercentiles,
                                  const double *percentiles, weft_table **out);

/* The table with its decimal128 columns cast to float64 (*out = NULL when it has none). */
static weft_status decimals_as_float(const weft_table *table, weft_table **out) {
  *out = NULL;
  size_t n = 0;
  for (size_t c = 0; c < table->ncols; c++) n += weft__type_is_decimal(table->cols[c].view.type) != 0;
  if (n == 0) return WEFT_OK;
  weft_expr **casts = weft__calloc(n, sizeof *casts);
  if (!casts) return weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_table_describe: no host memory");
  weft_status st = WEFT_OK;
  size_t made = 0;
  for (size_t c = 0; st == WEFT_OK && c < table->ncols; c++) {
    if (!weft__type_is_decimal(table->cols[c].view.type)) continue;
    weft_expr *column = NULL;
    st = weft_expr_column(table->names[c], &column);
    if (st == WEFT_OK) st = weft_expr_cast(column, WEFT_TYPE_FLOAT64, &casts[made]);
    if (st == WEFT_OK) made++;
    weft_expr_free(column);
  }
  if (st == WEFT_OK) st = weft_table_with_columns(NULL, table, n, (const weft_expr *const *)casts, out);
  for (size_t i = 0; i < made; i++) weft_expr_free(casts[i]);
  free(casts);
  return st;
}

weft_status weft_table_describe(weft_exec *exec, const weft_table *table, size_t npercentiles,
                                const double *percentiles, weft_table **out) {
  WEFT_CHECK_ARG(out, "weft_table_describe: out is NULL");
  *out = NULL;
  WEFT_CHECK_ARG(table, "weft_table_describe: table is NULL");
  weft_table *floats;
  WEFT_RETURN_NOT_OK(decimals_as_float(table, &floats));
  weft_status st = describe_table(exec, floats ? floats : table, npercentiles, percentiles, out);
  weft_table_free(floats);
  return st;
}

static weft_status describe_table(weft_exec *exec, const weft_table *table, size_t npercentiles,
                                  const double *percentiles, weft_table **out) {
  WEFT_CHECK_ARG(out, "weft_table_describe: out is NULL");
  *out = NULL;
  WEFT_CHECK_ARG(table, "weft_table_describe: table is NULL");
  WEFT_CHECK_ARG(npercentiles == 0 || percentiles, "weft_table_describe: percentiles is NULL "
                 "with npercentiles = %zu", npercentiles);
  WEFT_CHECK_ARG(npercentiles <= 1000, "weft_table_describe: npercentiles = %zu; at most 1000",
                 npercentiles);
  for (size_t q = 0; q < npercentiles; q++)
    WEFT_CHECK_ARG(percentiles[q] >= 0 && percentiles[q] <= 1, "weft_table_describe: "
                   "percentiles[%zu] = %g is not in [0, 1]", q, percentiles[q]);
  for (size_t c = 0; c < table->ncols; c++)
    WEFT_CHECK_ARG(strcmp(table->names[c], "statistic"), "weft_table_describe: column %zu is "
                   "named \"statistic\", the name of the output's first column; rename it", c);
  placement pl = {exec, NULL, 0, 0};
  WEFT_RETURN_NOT_OK(weft__describe_choose(exec, table, npercentiles, &pl.dev));

  size_t nstat = ROW_PCT + npercentiles + 1;
  int need_buf = 0;
  for (size_t c = 0; c < table->ncols; c++) {
    weft_type t = table->cols[c].view.type;
    need_buf |= t != WEFT_TYPE_UTF8 && t != WEFT_TYPE_BOOL && t != WEFT_TYPE_CATEGORICAL &&
                !weft__type_is_vector(t);
  }
  need_buf = need_buf && npercentiles && table->rows > 0;
  double *pct = weft__malloc((npercentiles ? npercentiles : 1) * sizeof *pct);
  described d = {nstat, weft__malloc(nstat * sizeof(double)), weft__malloc(nstat), weft__malloc(nstat * sizeof(char *)),
                 weft__malloc(nstat * sizeof(size_t)), weft__malloc(nstat * CELL)};
  void *buf = need_buf ? weft__malloc((size_t)table->rows * 8) : NULL;
  weft_table *res = NULL;
  weft_status st = pct && d.f && d.fvalid && d.p && d.len && d.text && (buf || !need_buf)
                 ? WEFT_OK
                 : weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_table_describe: no host memory for "
                               "%lld rows", (long long)table->rows);
  if (st == WEFT_OK) {
    /* Polars sorts them (those under 0.5, then the rest: ascending) */
    for (size_t q = 0; q < npercentiles; q++) {
      size_t m = q;
      for (; m > 0 && percentiles[q] < pct[m - 1]; m--) pct[m] = pct[m - 1];
      pct[m] = percentiles[q];
    }
    st = weft__table_new(table->ncols + 1, (int64_t)nstat, &res);
  }
  if (st == WEFT_OK) {
    weft__column col;
    st = statistic_column(pct, npercentiles, &d, &col);
    if (st == WEFT_OK) st = weft__table_set_column(res, 0, "statistic", col);
  }
  for (size_t c = 0; st == WEFT_OK && c < table->ncols; c++) {
    weft__column col;
    st = describe_column(&pl, table->names[c], &table->cols[c], buf, pct, npercentiles, &d, &col);
    if (st == WEFT_OK) st = weft__table_set_column(res, c + 1, table->names[c], col);
  }
  if (st == WEFT_OK && exec && pl.on_device) {
    weft__report(exec, "  %s: %d columns (block statistics on the device, percentiles by its "
                 "radix sort); cpu:0: %d columns", pl.dev->id, pl.on_device, pl.on_cpu);
    exec->last_device = weft__device_index(pl.dev);
  } else if (st == WEFT_OK && exec) {
    weft__report(exec, "  cpu:0: %zu columns, %zu percentiles by selection on the CPU pool",
                 table->ncols, npercentiles);
  }
  free(pct), free(d.f), free(d.fvalid), free(d.p), free(d.len), free(d.text), free(buf);
  if (st != WEFT_OK) {
    weft_table_free(res);
    return st;
  }
  *out = res;
  return WEFT_OK;
}
