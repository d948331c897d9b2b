/* Random tables for the differential fuzz targets: the input decides each column's type, null
 * rate, number of distinct values and special values, and the row count; a PRNG seeded from
 * the input draws the cells, so a few bytes describe thousands of rows (past the device tiles
 * and the CPU's partitions) and the fuzzer still steers the shape. Two tables generated from
 * the same column specs draw their values from the same domain (value = f(k, column seed), k
 * below the distinct count), so a join's keys match across sides. */
#ifndef WEFT_FUZZ_TABLE_GEN_H
#define WEFT_FUZZ_TABLE_GEN_H

#include "fuzz_common.h" /* first: it defines _GNU_SOURCE */

#include <math.h>
#include "weft.h"

enum { GEN_MAX_COLS = 6, GEN_MAX_ROWS = 4200, GEN_BIG_ROWS = 70000 };

static const weft_type gen_types[] = {WEFT_TYPE_INT32, WEFT_TYPE_INT64, WEFT_TYPE_FLOAT64,
                                      WEFT_TYPE_UTF8,  WEFT_TYPE_BOOL,  WEFT_TYPE_DATE32};
#define GEN_NTYPES (sizeof gen_types / sizeof *gen_types)

/* Short words (what a device groups and joins in one key word), 7 and 8 bytes, words that
 * share their first 8 bytes, multi-byte UTF-8, the empty string. */
static const char *const gen_words[] = {
    "",        "a",        "b",         "ab",        "abc",      "abcdefg",   "abcdefh",
    "\xc3\xa9", "\xe2\x82\xac", "z",     "A",         "0",        "-1",        "s1",
    "s10",     "s2",       "abcdefgh",  "abcdefghi", "prefix0a", "prefix0b",  "prefix01xyz",
    "longer than seven", "\xf0\x9f\x98\x80\xf0\x9f\x98\x80"};
#define GEN_SHORT_WORDS 16 /* the first 16 are at most 7 bytes */
#define GEN_NWORDS (sizeof gen_words / sizeof *gen_words)

typedef struct gen_col_spec {
  weft_type type;
  uint8_t nulls;    /* 0 none (no bitmap), 1 a bitmap without nulls, 2 ~6%, 3 ~30%, 4 all */
  uint32_t distinct;
  uint8_t special;  /* out of 256: how often a special value (NaN, inf, -0.0, extremes) */
  uint8_t long_str; /* utf8: words past 7 bytes allowed */
  uint8_t narrow;   /* integers drawn in int32's range (kept when a join side widens them) */
  uint64_t seed;    /* the value domain */
} gen_col_spec;

typedef struct gen_spec {
  size_t ncols;
  gen_col_spec col[GEN_MAX_COLS];
} gen_spec;

static inline uint64_t gen_mix(uint64_t x) { /* splitmix64's finalizer */
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

static inline uint64_t gen_next(uint64_t *s) { return gen_mix(*s += 0x9e3779b97f4a7c15ull); }

static void gen_read_spec(fuzz_bytes *in, size_t ncols, gen_spec *s) {
  static const uint32_t distinct[] = {1, 2, 3, 7, 40, 300, 5000, 0xffffffffu};
  s->ncols = ncols;
  for (size_t c = 0; c < ncols; c++) {
    gen_col_spec *g = &s->col[c];
    uint8_t a = fuzz_u8(in), b = fuzz_u8(in);
    g->type = gen_types[a % GEN_NTYPES];
    g->nulls = (uint8_t)((a / GEN_NTYPES) % 5);
    g->distinct = distinct[b & 7];
    g->special = (uint8_t)((b >> 3) & 3) * 20; /* 0, 8%, 16%, 23% */
    g->long_str = (b >> 5) & 1;
    g->seed = gen_mix((uint64_t)c * 1000003u + b);
    g->narrow = g->type != WEFT_TYPE_INT64;
  }
}

/* The rows of a table: a small count most of the time, up to GEN_MAX_ROWS often, and now and
 * then up to GEN_BIG_ROWS (past 2^16 rows: more tiles and radix digits than a block). */
static int64_t gen_read_rows(fuzz_bytes *in) {
  uint8_t r = fuzz_u8(in);
  if (r < 96) return r % 24;
  if (r < 160) return (int64_t)fuzz_u64(in, 2) % 1100;
  if (r < 250) return (int64_t)fuzz_u64(in, 2) % (GEN_MAX_ROWS + 1);
  /* rare (a big table costs seconds under ASan), and not for a run of 0xff bytes */
  uint64_t big = fuzz_u64(in, 3);
  if (big & 0x800000) return (int64_t)(big % (GEN_MAX_ROWS + 1));
  return GEN_MAX_ROWS + (int64_t)big % (GEN_BIG_ROWS - GEN_MAX_ROWS + 1);
}

/* The value of domain index k: integers spread over the type's range or small, floats on a
 * grid of quarters (sums exact in any order) or special. */
static int64_t gen_int(const gen_col_spec *g, uint64_t k, uint64_t *rng, int bits) {
  static const int64_t special64[] = {INT64_MIN, INT64_MAX, 0, -1, (int64_t)1 << 32, -((int64_t)1 << 32) + 1};
  static const int64_t special32[] = {INT32_MIN, INT32_MAX, 0, -1, 65536, -65537};
  if ((gen_next(rng) & 255) < g->special) {
    uint64_t i = gen_next(rng) % 6;
    return bits == 64 ? special64[i] : special32[i];
  }
  uint64_t h = gen_mix(g->seed ^ k);
  if (g->distinct > 1000 && (h & 1)) return g->narrow ? (int32_t)(uint32_t)h : (int64_t)h;
  return (int64_t)(k % 100000) - 50;
}

static double gen_float(const gen_col_spec *g, uint64_t k, uint64_t *rng) {
  static const double special[] = {NAN, -NAN, INFINITY, -INFINITY, -0.0, 0.0, 1e300, -1e300, 5e-324};
  if ((gen_next(rng) & 255) < g->special) return special[gen_next(rng) % 9];
  uint64_t h = gen_mix(g->seed ^ k);
  return (double)((int64_t)(h % 4001) - 2000) / 4.0;
}

/* One table's memory, freed by weft when the last table using it goes. */
typedef struct gen_block {
  uint8_t *valid[GEN_MAX_COLS + 1];
  void *values[GEN_MAX_COLS + 1]; /* + rid */
  char *data[GEN_MAX_COLS + 1];
} gen_block;

static void gen_release(void *p) {
  gen_block *b = p;
  for (int c = 0; c <= GEN_MAX_COLS; c++) free(b->valid[c]), free(b->values[c]), free(b->data[c]);
  free(b);
}

/* A table of `rows` rows drawn from `spec` with `seed`, its columns named names[c], plus an
 * int32 column `rid` (the row number) last when rid is not NULL. */
static weft_table *gen_table(const gen_spec *spec, int64_t rows, uint64_t seed,
                             const char *const *names, const char *rid) {
  gen_block *b = calloc(1, sizeof *b);
  if (!b) abort();
  weft_column_view views[GEN_MAX_COLS + 1];
  const char *all_names[GEN_MAX_COLS + 1];
  size_t n = (size_t)rows, bytes = n / 8 + 1;
  uint64_t rng = seed;
  for (size_t c = 0; c < spec->ncols; c++) {
    const gen_col_spec *g = &spec->col[c];
    weft_column_view *v = &views[c];
    memset(v, 0, sizeof *v);
    v->type = g->type, v->length = rows, v->null_count = -1;
    all_names[c] = names[c];
    if (g->nulls) {
      b->valid[c] = calloc(bytes, 1);
      for (size_t r = 0; r < n; r++) {
        uint64_t x = gen_next(&rng) & 255;
        int null = g->nulls == 4 || (g->nulls == 2 && x < 16) || (g->nulls == 3 && x < 77);
        if (!null) b->valid[c][r >> 3] |= (uint8_t)(1u << (r & 7));
      }
      v->validity = b->valid[c];
    }
    switch ((int)g->type) {
      case WEFT_TYPE_INT32: case WEFT_TYPE_DATE32: {
        int32_t *p = b->values[c] = calloc(n + 1, 4);
        for (size_t r = 0; r < n; r++) p[r] = (int32_t)gen_int(g, gen_next(&rng) % g->distinct, &rng, 32);
        break;
      }
      case WEFT_TYPE_INT64: {
        int64_t *p = b->values[c] = calloc(n + 1, 8);
        for (size_t r = 0; r < n; r++) p[r] = gen_int(g, gen_next(&rng) % g->distinct, &rng, 64);
        break;
      }
      case WEFT_TYPE_FLOAT64: {
        double *p = b->values[c] = calloc(n + 1, 8);
        for (size_t r = 0; r < n; r++) p[r] = gen_float(g, gen_next(&rng) % g->distinct, &rng);
        break;
      }
      case WEFT_TYPE_BOOL: {
        uint8_t *p = b->values[c] = calloc(bytes, 1);
        for (size_t r = 0; r < n; r++)
          if (gen_mix(g->seed ^ (gen_next(&rng) % g->distinct)) & 1) p[r >> 3] |= (uint8_t)(1u << (r & 7));
        break;
      }
      default: { /* utf8 */
        int32_t *o = b->values[c] = calloc(n + 1, 4);
        char *d = b->data[c] = malloc(n * 24 + 1);
        size_t words = g->long_str ? GEN_NWORDS : GEN_SHORT_WORDS;
        for (size_t r = 0; r < n; r++) {
          uint64_t k = gen_next(&rng) % g->distinct;
          const char *w = gen_words[gen_mix(g->seed ^ k) % words];
          char buf[24];
          if (g->distinct > words && (k & 1)) /* more distinct values: s<k> */
            snprintf(buf, sizeof buf, "s%llu", (unsigned long long)(k % 9999999));
          else
            snprintf(buf, sizeof buf, "%s", w);
          size_t len = strlen(buf);
          memcpy(d + o[r], buf, len);
          o[r + 1] = o[r] + (int32_t)len;
        }
        v->data = d;
      }
    }
    v->values = b->values[c];
  }
  size_t ncols = spec->ncols;
  if (rid) {
    int32_t *p = b->values[ncols] = calloc(n + 1, 4);
    for (size_t r = 0; r < n; r++) p[r] = (int32_t)r;
    views[ncols] = (weft_column_view){.type = WEFT_TYPE_INT32, .length = rows, .values = p};
    all_names[ncols++] = rid;
  }
  weft_table *t = NULL;
  weft_status st = weft_table_from_columns(ncols, all_names, views, gen_release, b, &t);
  FUZZ_CHECK(st == WEFT_OK, "weft_table_from_columns: %s", weft_last_error());
  return t;
}

#endif
