/* weft__masked_agg: a predicate and aggregations evaluated together, a chunk (WEFT__CHUNK
 * rows) at a time with expr_eval.c's evaluator, each aggregation accumulating only the rows
 * the predicate keeps, into the group of the row's key tuple when there are keys (few
 * groups: small_groups.h). The filtered columns are never built, and a chunk where nothing
 * is kept skips the aggregations' inputs.
 *
 * Semantics are agg.c's (the eager group_by of the filtered table): nulls skipped, the sum
 * of nothing 0, the mean/min/max of nothing null, NaN propagating through sum and mean,
 * min/max skipping NaN unless every value is NaN, integer sums wrapping like Polars.
 * Work is split into fixed ranges of RANGE_ROWS input rows, each accumulated in row order,
 * and the ranges' partials are merged in row order: the result does not depend on the
 * number of threads. Integer sums, counts, len, min and max equal the unfused path's bits;
 * float sums and means add in another order than agg.c's (which splits by thread count), so
 * they agree to rounding. */
#include "frame/fused/masked_agg.h"
#include "core/alloc.h"

#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/exec.h"
#include "core/thread_pool.h"
#include "frame/table/cpu_only.h"
#include "frame/expr/expr.h"
#include "frame/expr/expr_shared.h"
#include "frame/table/gather.h"
#include "frame/fused/masked_hot.h"
#include "frame/fused/masked_keep.h"
#include "frame/select/filter_literal.h"
#include "frame/group/small_groups.h"

/* 16 chunks: large enough that a range's partial costs nothing to merge, small enough that
 * 10M rows make ~150 ranges to balance over the pool. */
#define RANGE_ROWS ((int64_t)16 * WEFT__CHUNK)

static int has_cast(const weft_expr *e) {
  if (!e) return 0;
  return e->kind == WEFT__E_CAST || has_cast(e->a) || has_cast(e->b);
}

int weft__masked_agg_supports(const weft_agg *agg, const weft_table *schema) {
  switch (agg->kind) {
    case WEFT_AGG_LEN: return 1;
    case WEFT_AGG_SUM: case WEFT_AGG_MEAN: case WEFT_AGG_MIN: case WEFT_AGG_MAX:
    case WEFT_AGG_COUNT: break;
    default: return 0;
  }
  if (!agg->input || has_cast(agg->input)) return 0;
  const weft_expr *e = agg->input;
  while (e->kind == WEFT__E_ALIAS) e = e->a;
  if (agg->kind == WEFT_AGG_COUNT && e->kind == WEFT__E_COLUMN) return 1; /* counted_column: any type */
  const char *name;
  weft_type t;
  if (weft_expr_output(agg->input, schema, &name, &t) != WEFT_OK) {
    weft__error_clear();
    return 0;
  }
  return weft__type_is_numeric(t) || t == WEFT_TYPE_BOOL || t == WEFT_TYPE_DATE32 ||
         t == WEFT_TYPE_TIMESTAMP_US || weft__type_is_decimal(t);
}

int weft__masked_agg_keys_ok(const weft_table *schema, size_t nkeys, const char *const *keys) {
  if (nkeys > WEFT__SMALL_KEYS_MAX) return 0;
  for (size_t k = 0; k < nkeys; k++) {
    size_t idx;
    if (weft__table_find(schema, keys[k], &idx) != WEFT_OK) {
      weft__error_clear();
      return 0;
    }
    if (!weft__small_key_type_ok(schema->cols[idx].view.type)) return 0;
  }
  return 1;
}

/* One aggregation's partial over some rows: `d` the float sum or min/max (NaN: none yet),
 * `i` the integer sum or min/max (uint64 bits for the unsigned lane), `n` the values seen. */
typedef struct part {
  double d;
  int64_t i;
  int64_t n;
  weft__i128 q; /* a decimal's exact sum (overflow: `over`), or its min / max */
  int over;
} part;


/* What one range of rows accumulated: its groups (keys: their tuples in `tab`; no keys: the
 * one group 0) with naggs partials and a kept-row count each. */
typedef struct range_acc {
  weft__small_groups *tab; /* NULL without keys */
  part *parts;             /* groups x naggs */
  int64_t *kept;           /* per group */
  int groups, cap;
} range_acc;

typedef struct agg_ctx {
  const weft_agg *aggs;
  size_t naggs;
  const weft__column *const *keys;
  size_t nkeys;
  const weft__bound *pred;
  const weft__conj *conjs;
  int nconj;
  const weft__lit_pred *lit; /* the whole predicate planned by filter_literal.h, or NULL */
  const weft__bound *in;   /* one per aggregation (unused for len) */
  const weft__column **direct; /* per aggregation: a float64 column without nulls, read in place */
  const weft__agg_source *src; /* rows from a source (its tables, one a worker) instead */
  const weft__hot_conj *hot;   /* the conjuncts, when the hot loop (masked_hot.h) runs */
  const int *same_as;      /* per aggregation: an earlier one whose partials it shares, or -1 */
  const int *dec_scale;    /* per aggregation: a decimal input's scale, or -1 */
  int sparse;              /* an aggregation's expression holds a decimal: sparse_chunk */
  int64_t rows, nranges;
  range_acc *acc;          /* per range */
  _Atomic int too_many;    /* a range met more than WEFT__SMALL_GROUPS_MAX groups, or a long string key */
  _Atomic int64_t next;
  _Atomic int64_t failed_at; /* the first range that failed (nranges: none) */
  weft_status *errs;       /* per range: its error, */
  char **msgs;             /* and its message, taken on the worker's thread */
} agg_ctx;

static void part_init(part *p, weft_agg_kind kind) {
  p->d = kind == WEFT_AGG_MIN || kind == WEFT_AGG_MAX ? NAN : 0;
  p->i = 0, p->n = 0, p->q = 0, p->over = 0;
}

/* Folds decimal x (its column's scale) into p, as agg_decimal.c does: sums exact in 128
 * bits, an overflow on the way remembered. */
static void fold_dec(part *p, weft_agg_kind kind, weft__i128 x) {
  if (kind == WEFT_AGG_SUM || kind == WEFT_AGG_MEAN) p->over |= __builtin_add_overflow(p->q, x, &p->q);
  else if ((kind == WEFT_AGG_MIN || kind == WEFT_AGG_MAX) &&
           (p->n == 0 || (kind == WEFT_AGG_MIN ? x < p->q : x > p->q)))
    p->q = x;
  p->n++;
}

/* Folds value x (the lane of `lane`) into p, as agg.c's accumulate does. */
static void fold(part *p, weft_agg_kind kind, int lane, weft__val x) {
  int mn = kind == WEFT_AGG_MIN;
  switch (kind) {
    case WEFT_AGG_COUNT: break;
    case WEFT_AGG_SUM:
      if (lane == WEFT__LANE_F) p->d += x.f;
      else p->i = (int64_t)((uint64_t)p->i + x.u); /* wraps without signed overflow */
      break;
    case WEFT_AGG_MEAN:
      p->d += lane == WEFT__LANE_F ? x.f : lane == WEFT__LANE_U ? (double)x.u : (double)x.i;
      break;
    default:
      if (lane == WEFT__LANE_F) {
        if (!isnan(x.f) && (isnan(p->d) || (mn ? x.f < p->d : x.f > p->d))) p->d = x.f;
      } else if (lane == WEFT__LANE_U) {
        uint64_t cur = (uint64_t)p->i;
        if (p->n == 0 || (mn ? x.u < cur : x.u > cur)) p->i = (int64_t)x.u;
      } else if (p->n == 0 || (mn ? x.i < p->i : x.i > p->i)) {
        p->i = x.i;
      }
  }
  p->n++;
}

/* Folds b (later rows) into a, as agg.c's accs_merge does. */
static void merge(part *a, const part *b, weft_agg_kind kind, int lane) {
  if (lane == WEFT__LANE_D) {
    if (b->n == 0) return;
    if (kind == WEFT_AGG_SUM || kind == WEFT_AGG_MEAN)
      a->over |= b->over | __builtin_add_overflow(a->q, b->q, &a->q);
    else if (a->n == 0 || (kind == WEFT_AGG_MIN ? b->q < a->q : kind == WEFT_AGG_MAX && b->q > a->q))
      a->q = b->q;
    a->n += b->n;
    return;
  }
  if (kind == WEFT_AGG_SUM || kind == WEFT_AGG_MEAN) {
    if (lane == WEFT__LANE_F || kind == WEFT_AGG_MEAN) a->d += b->d;
    else a->i = (int64_t)((uint64_t)a->i + (uint64_t)b->i);
    a->n += b->n;
    return;
  }
  if (b->n == 0) return;
  if (kind == WEFT_AGG_MIN || kind == WEFT_AGG_MAX) {
    weft__val x;
    if (lane == WEFT__LANE_F) x.f = b->d;
    else x.i = b->i;
    int64_t n = a->n;
    fold(a, kind, lane, x);
    a->n = n;
  }
  a->n += b->n;
}

/* A float sum and a mean of the same expression accumulate the same partials (the mean's
 * sum in the float lane is the sum, added in the same order), so the later one shares the
 * earlier one's (q1 sums and averages the same columns). */
static void share_float_sums(const weft_agg *aggs, size_t naggs, const int *lanes, int *same_as) {
  for (size_t a = 0; a < naggs; a++) {
    same_as[a] = -1;
    int sums = aggs[a].kind == WEFT_AGG_SUM || aggs[a].kind == WEFT_AGG_MEAN;
    if (!sums || lanes[a] != WEFT__LANE_F) continue;
    for (size_t b = 0; b < a && same_as[a] < 0; b++)
      if (same_as[b] < 0 && (aggs[b].kind == WEFT_AGG_SUM || aggs[b].kind == WEFT_AGG_MEAN) &&
          lanes[b] == WEFT__LANE_F && aggs[a].input->text && aggs[b].input->text &&
          !strcmp(aggs[a].input->text, aggs[b].input->text))
        same_as[a] = (int)b;
  }
}

/* Opens group `groups` of range accumulator `a` (partials initialised); 0 when out of memory. */
static int acc_open_group(range_acc *a, const agg_ctx *c) {
  size_t na = c->naggs ? c->naggs : 1;
  if (a->groups == a->cap) {
    int cap = a->cap ? a->cap * 2 : 4;
    part *np = weft__realloc(a->parts, (size_t)cap * na * sizeof *np);
    if (!np) return 0;
    a->parts = np;
    int64_t *nk = weft__realloc(a->kept, (size_t)cap * sizeof *nk);
    if (!nk) return 0;
    a->kept = nk;
    a->cap = cap;
  }
  part *ps = a->parts + (size_t)a->groups * c->naggs;
  for (size_t k = 0; k < c->naggs; k++) part_init(&ps[k], c->aggs[k].kind);
  a->kept[a->groups++] = 0;
  return 1;
}

static weft_status no_memory(void) {
  return weft__error(WEFT_ERR_OUT_OF_MEMORY, "filter + aggregate (fused): no host memory");
}

/* grp[i] = the range's group of each kept row i of the chunk at `at` (new groups opened);
 * 0 when the keys do not fit the fused pass (too many groups, a long string). */
static int group_chunk(agg_ctx *c, range_acc *ra, int64_t at, int64_t n, const uint8_t *keep,
                       uint64_t *words, int16_t *grp, weft_status *st) {
  if (!weft__small_keys_encode(c->keys, c->nkeys, at, n, words)) return 0;
  size_t W = c->nkeys + 1;
  for (int64_t i = 0; i < n; i++) {
    grp[i] = 0; /* a dropped row adds +0.0 to group 0 in keyed_float_sum */
    if (!keep[i]) continue;
    int g = weft__small_groups_find(ra->tab, words + (size_t)i * W, at + i);
    if (g < 0) return 0;
    if (g == ra->groups && !acc_open_group(ra, c)) {
      *st = no_memory();
      return 0;
    }
    grp[i] = (int16_t)g;
    ra->kept[g]++;
  }
  return 1;
}

/* Float sums of the kept rows of a chunk into their groups' partials (pa, one every `stride`
 * parts), `chunk_kept[g]` values each. Row i adds into lane i % LANES of its group, and each
 * group's lanes are added together once a chunk in a fixed tree: consecutive rows of one
 * group do not wait on each other's add, and the order does not depend on the thread
 * count. (One masked pass per group, vectorized, measured 1.6x slower with 4 groups.)
 * A dropped row adds +0.0, which changes no sum (a sum starts at +0.0, so it is never
 * -0.0). */
#define LANES 8

static double lanes_total(const double *l) {
  return ((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7]));
}

/* The sum of the kept values of a chunk, in lanes as keyed_float_sum adds one group's (so
 * a sum with no keys is that of one group), without a branch a random predicate would
 * mispredict; the lanes let the adds run in parallel and vectorize. */
WEFT_VECTOR_CLONES static double masked_sum(const double *restrict xd, const uint8_t *restrict keep, int64_t n) {
  const uint64_t *x = (const uint64_t *)xd;
  double acc[LANES] = {0};
  int64_t i = 0;
  for (; i + LANES <= n; i += LANES)
    for (int l = 0; l < LANES; l++) {
      weft__val y = {.u = x[i + l] & ((uint64_t)0 - keep[i + l])};
      acc[l] += y.f;
    }
  for (; i < n; i++) {
    weft__val y = {.u = x[i] & ((uint64_t)0 - keep[i])};
    acc[i % LANES] += y.f;
  }
  return lanes_total(acc);
}

/* With a few groups on AVX2, LANES rows at a time: each group's lanes are two vector
 * registers that add the rows of the group and +0.0 for the others (a lane is never -0.0:
 * it starts at +0.0), so every lane adds the same values in the same order as the scalar
 * loop. Returns the rows done (a multiple of LANES; 0 without AVX2). */
#define FEW_GROUPS 4
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

__attribute__((target("avx2"))) static int64_t keyed_few_groups_avx2(
    const uint64_t *x, int64_t n, const uint8_t *keep, const int16_t *grp, int groups,
    double (*acc)[LANES]) {
  __m256d lo[FEW_GROUPS], hi[FEW_GROUPS];
  __m256i id[FEW_GROUPS];
  for (int g = 0; g < FEW_GROUPS; g++)
    lo[g] = hi[g] = _mm256_setzero_pd(), id[g] = _mm256_set1_epi64x(g);
  const __m256i zero = _mm256_setzero_si256();
  int64_t i = 0;
  for (; i + LANES <= n; i += LANES) {
    __m256i x0 = _mm256_loadu_si256((const __m256i *)(x + i));
    __m256i x1 = _mm256_loadu_si256((const __m256i *)(x + i + 4));
    __m128i k8 = _mm_loadl_epi64((const __m128i *)(keep + i));
    __m128i g8 = _mm_loadu_si128((const __m128i *)(grp + i));
    x0 = _mm256_and_si256(x0, _mm256_sub_epi64(zero, _mm256_cvtepu8_epi64(k8)));
    x1 = _mm256_and_si256(x1, _mm256_sub_epi64(zero, _mm256_cvtepu8_epi64(_mm_srli_si128(k8, 4))));
    __m256i g0 = _mm256_cvtepi16_epi64(g8), g1 = _mm256_cvtepi16_epi64(_mm_srli_si128(g8, 8));
    for (int g = 0; g < FEW_GROUPS; g++) { /* unrolled: the sums stay in registers */
      lo[g] = _mm256_add_pd(lo[g], _mm256_castsi256_pd(_mm256_and_si256(x0, _mm256_cmpeq_epi64(g0, id[g]))));
      hi[g] = _mm256_add_pd(hi[g], _mm256_castsi256_pd(_mm256_and_si256(x1, _mm256_cmpeq_epi64(g1, id[g]))));
    }
  }
  for (int g = 0; g < groups; g++) {
    _mm256_storeu_pd(acc[g], lo[g]);
    _mm256_storeu_pd(acc[g] + 4, hi[g]);
  }
  return i;
}

static int g_have_avx2; /* set once when the library loads */

__attribute__((constructor)) static void detect_avx2(void) {
  __builtin_cpu_init();
  g_have_avx2 = __builtin_cpu_supports("avx2");
}

static int64_t keyed_few_groups(const uint64_t *x, int64_t n, const uint8_t *keep,
                                const int16_t *grp, int groups, double (*acc)[LANES]) {
  return g_have_avx2 ? keyed_few_groups_avx2(x, n, keep, grp, groups, acc) : 0;
}
#else
static int64_t keyed_few_groups(const uint64_t *x, int64_t n, const uint8_t *keep,
                                const int16_t *grp, int groups, double (*acc)[LANES]) {
  (void)x, (void)n, (void)keep, (void)grp, (void)groups, (void)acc;
  return 0;
}
#endif

static void keyed_float_sum(const uint64_t *x, int64_t n, const uint8_t *keep, const int16_t *grp,
                            const int64_t *chunk_kept, int groups, part *pa, size_t stride) {
  double acc[WEFT__SMALL_GROUPS_MAX][LANES];
  memset(acc, 0, (size_t)groups * sizeof acc[0]);
  int64_t i = groups <= FEW_GROUPS ? keyed_few_groups(x, n, keep, grp, groups, acc) : 0;
  for (; i < n; i++) {
    weft__val y = {.u = x[i] & ((uint64_t)0 - keep[i])};
    acc[grp[i]][i % LANES] += y.f;
  }
  for (int g = 0; g < groups; g++) {
    if (!chunk_kept[g]) continue;
    part *p = pa + (size_t)g * stride;
    p->d += lanes_total(acc[g]);
    p->n += chunk_kept[g];
  }
}

/* The float64 column without nulls an aggregation reads as is, or NULL. */
static const weft__column *direct_column(const weft__bound *b) {
  int node = b->root;
  while (b->nodes[node].e->kind == WEFT__E_ALIAS) node = b->nodes[node].a;
  const weft__column *col = b->nodes[node].col;
  return b->nodes[node].e->kind == WEFT__E_COLUMN && col && col->view.type == WEFT_TYPE_FLOAT64 &&
         !col->view.validity ? col : NULL;
}

/* What one worker reads: the aggregations bound to the table it sees (the input, or with a
 * source its own table) and their in-place columns. */
typedef struct worker_view {
  weft_table *table; /* a source's table of this worker, else NULL */
  const weft__bound *in;
  const weft__column **direct;
  const int *roots; /* per aggregation: its input's root in the worker's program */
} worker_view;

/* Row `at` of a float64 column (offset + at first: a source's column has a negative one). */
static const double *column_at(const weft__column *col, int64_t at) {
  return (const double *)col->view.values + (col->view.offset + at);
}

/* The column a count() reads as is (any type, through aliases), or NULL: its count is the
 * kept rows where the column is valid, with no value loaded. */
static const weft__column *counted_column(const weft_agg *agg, const weft__bound *b) {
  if (agg->kind != WEFT_AGG_COUNT) return NULL;
  int node = b->root;
  while (b->nodes[node].e->kind == WEFT__E_ALIAS) node = b->nodes[node].a;
  return b->nodes[node].e->kind == WEFT__E_COLUMN ? b->nodes[node].col : NULL;
}

/* count(column) of every group over the chunk's kept rows: validity bits only. */
static void count_valid(part *pa, size_t stride, const weft__column *col, int64_t at, int64_t n,
                        const uint8_t *keep, const int16_t *grp, int keyed, int64_t kept) {
  const uint8_t *valid = col->view.validity;
  int64_t o = col->view.offset + at; /* a source's column is seen from a negative offset */
  if (!valid && !keyed) {
    pa->n += kept;
    return;
  }
  for (int64_t i = 0; i < n; i++)
    if (keep[i] && (!valid || ((valid[(o + i) >> 3] >> ((o + i) & 7)) & 1)))
      pa[(size_t)grp[i] * stride].n++;
}

/* 1 when the aggregation's input is the product of two float64 columns without nulls. */
static int product_of_columns(const weft__bound *b, const weft__column **x, const weft__column **y) {
  int node = b->root;
  while (b->nodes[node].e->kind == WEFT__E_ALIAS) node = b->nodes[node].a;
  const weft__bnode *nd = &b->nodes[node];
  if (nd->e->kind != WEFT__E_BINARY || nd->e->op != WEFT_OP_MUL) return 0;
  weft__bound left = *b, right = *b;
  left.root = nd->a, right.root = nd->b;
  *x = direct_column(&left), *y = direct_column(&right);
  return *x && *y;
}

/* A chunk through the hot loop: no keys, every conjunct in c->hot, every aggregation len or
 * a float sum or mean (hot_ok). */
static weft_status hot_chunk(agg_ctx *c, const worker_view *wv, weft__eval *ae, range_acc *ra,
                             int64_t at, int64_t n) {
  /* where each aggregation's values are: a column, a product of two, or the chunk evaluated
   * (with nulls: `with_nulls`, folded row by row) */
  const double *x[WEFT__HOT_MAX_AGGS] = {0}, *y[WEFT__HOT_MAX_AGGS] = {0};
  const weft__vec *with_nulls[WEFT__HOT_MAX_AGGS] = {0};
  double acc[WEFT__HOT_MAX_AGGS][WEFT__HOT_LANES];
  for (size_t a = 0; a < c->naggs; a++) {
    if (c->aggs[a].kind == WEFT_AGG_LEN || c->same_as[a] >= 0) continue;
    memset(acc[a], 0, sizeof acc[a]);
    const weft__column *fx, *fy;
    if (wv->direct[a]) {
      x[a] = column_at(wv->direct[a], at);
    } else if (product_of_columns(&wv->in[a], &fx, &fy)) {
      x[a] = column_at(fx, at), y[a] = column_at(fy, at);
    } else {
      WEFT_RETURN_NOT_OK(weft__eval_node(ae, wv->roots[a], at, n));
      const weft__vec *v = &ae->vecs[wv->roots[a]];
      if (v->all_valid) x[a] = &v->v[0].f;
      else with_nulls[a] = v;
    }
  }
  /* sub-blocks small enough that a mask and the values it is applied to stay in L1 from
   * the first conjunct to the last sum; lanes continue across them (they start on
   * multiples of the lane count), so the bits are those of one pass over the chunk */
  uint64_t mask[WEFT__HOT_SUB];
  int64_t k = 0;
  /* one float sum (of a column or a product: filter_sum, Q6): one loop, no mask in memory */
  int sums = 0, one = -1;
  for (size_t a = 0; a < c->naggs; a++)
    if (x[a] || with_nulls[a]) sums++, one = x[a] ? (int)a : -1;
  if (sums == 1 && one >= 0 && c->nconj <= WEFT__HOT_MAX_CONJ)
    k = weft__hot_one_sum(c->hot, c->nconj, x[one], y[one], at, n, acc[one]);
  else
  for (int64_t s0 = 0; s0 < n; s0 += WEFT__HOT_SUB) {
    int64_t m = n - s0 < WEFT__HOT_SUB ? n - s0 : WEFT__HOT_SUB;
    int64_t ks = weft__hot_mask(c->hot, c->nconj, at + s0, m, mask);
    if (ks == 0) continue;
    k += ks;
    for (size_t a = 0; a < c->naggs; a++) {
      if (with_nulls[a]) {
        const weft__vec *v = with_nulls[a];
        for (int64_t i = 0; i < m; i++)
          if (mask[i] && v->valid[s0 + i]) fold(&ra->parts[a], c->aggs[a].kind, WEFT__LANE_F, v->v[s0 + i]);
      } else if (x[a]) {
        weft__hot_sum_lanes(x[a] + s0, y[a] ? y[a] + s0 : NULL, mask, m, acc[a]);
      }
    }
  }
  if (k == 0) return WEFT_OK;
  ra->kept[0] += k;
  for (size_t a = 0; a < c->naggs; a++) {
    if (!x[a]) continue;
    ra->parts[a].d += weft__hot_lanes_total(acc[a]);
    ra->parts[a].n += k;
  }
  return WEFT_OK;
}

/* The conjuncts as the hot loop's, or NULL when it cannot run them all (or an aggregation
 * is not len or a float sum or mean, or there are keys or a source). */
static weft__hot_conj *hot_conjs(const agg_ctx *c, const int *lanes) {
  if (c->src || c->nkeys || c->nconj == 0 || c->naggs > WEFT__HOT_MAX_AGGS) return NULL;
  for (size_t a = 0; a < c->naggs; a++) {
    weft_agg_kind kind = c->aggs[a].kind;
    int float_sum = (kind == WEFT_AGG_SUM || kind == WEFT_AGG_MEAN) && lanes[a] == WEFT__LANE_F;
    if (kind != WEFT_AGG_LEN && !float_sum) return NULL;
  }
  weft__hot_conj *h = weft__calloc((size_t)c->nconj, sizeof *h);
  for (int j = 0; h && j < c->nconj; j++) {
    const weft__conj *cj = &c->conjs[j];
    const weft_column_view *v = cj->fast ? &cj->col->view : NULL;
    if (!v || v->validity || cj->k_null) break;
    weft_type t = v->type;
    int f = cj->lane == WEFT__LANE_F;
    int ok = f ? t == WEFT_TYPE_FLOAT64 && !isnan(cj->k.f)
               : t == WEFT_TYPE_INT64 || t == WEFT_TYPE_TIMESTAMP_US || t == WEFT_TYPE_INT32 ||
                 t == WEFT_TYPE_DATE32;
    if (!ok) break;
    size_t w = weft__type_width(t);
    h[j] = (weft__hot_conj){cj->op, t, (const char *)v->values + (size_t)v->offset * w,
                            f ? cj->k.f : 0, f ? 0 : cj->k.i};
    if (j == c->nconj - 1) return h;
  }
  free(h);
  return NULL;
}

/* A chunk of a pass whose aggregations hold decimals: their expressions are evaluated on the
 * kept rows only (the evaluator's selection), so a decimal that overflows, or a division by
 * zero, on a row the filter drops is no error, as in the unfused plan; and the gathered rows
 * are all the arithmetic is done on. Each value is folded as the dense path folds it: a
 * float sum into lane (row % LANES) of its group (a dropped row added +0.0 there, which
 * changes nothing), so the bits are the dense path's. */
static weft_status sparse_chunk(agg_ctx *c, const worker_view *wv, weft__eval *ae, range_acc *ra,
                                int64_t at, int64_t n, const uint8_t *keep, const int16_t *grp,
                                const int64_t *chunk_kept) {
  int32_t sel[WEFT__CHUNK];
  int64_t m = 0;
  for (int64_t i = 0; i < n; i++)
    if (keep[i]) sel[m++] = (int32_t)i;
  size_t stride = c->naggs;
  int groups = c->nkeys ? ra->groups : 1;
  weft_status st = WEFT_OK;
  ae->sel = sel;
  for (size_t a = 0; st == WEFT_OK && a < c->naggs; a++) {
    weft_agg_kind kind = c->aggs[a].kind;
    if (kind == WEFT_AGG_LEN || c->same_as[a] >= 0) continue;
    const weft__bound *b = &wv->in[a];
    if (counted_column(&c->aggs[a], b)) continue; /* counted by run_range */
    int lane = b->nodes[b->root].lane;
    st = weft__eval_node(ae, wv->roots[a], at, m);
    if (st != WEFT_OK) break;
    const weft__vec *v = &ae->vecs[wv->roots[a]];
    part *pa = &ra->parts[a];
    if (lane == WEFT__LANE_D) {
      for (int64_t j = 0; j < m; j++)
        if (v->all_valid || v->valid[j]) fold_dec(pa + (size_t)grp[sel[j]] * stride, kind, v->d[j]);
    } else if ((kind == WEFT_AGG_SUM || kind == WEFT_AGG_MEAN) && lane == WEFT__LANE_F && v->all_valid) {
      double acc[WEFT__SMALL_GROUPS_MAX][LANES];
      memset(acc, 0, (size_t)groups * sizeof acc[0]);
      for (int64_t j = 0; j < m; j++) acc[grp[sel[j]]][sel[j] % LANES] += v->v[j].f;
      for (int g = 0; g < groups; g++) {
        int64_t kept = c->nkeys ? chunk_kept[g] : m;
        if (!kept) continue;
        part *p = pa + (size_t)g * stride;
        p->d += lanes_total(acc[g]);
        p->n += kept;
      }
    } else {
      for (int64_t j = 0; j < m; j++)
        if (v->all_valid || v->valid[j]) fold(pa + (size_t)grp[sel[j]] * stride, kind, lane, v->v[j]);
    }
  }
  ae->sel = NULL;
  return st;
}

static weft_status run_range(agg_ctx *c, const worker_view *wv, weft__eval *pe, weft__eval *ae,
                             uint64_t *words, int64_t r) {
  int64_t r0 = r * RANGE_ROWS, r1 = r0 + RANGE_ROWS < c->rows ? r0 + RANGE_ROWS : c->rows;
  range_acc *ra = &c->acc[r];
  if (c->nkeys) {
    ra->tab = weft__malloc(sizeof *ra->tab);
    if (!ra->tab) return no_memory();
    weft__small_groups_init(ra->tab, c->nkeys);
  } else if (!acc_open_group(ra, c)) {
    return no_memory();
  }
  uint8_t keep[WEFT__CHUNK];
  int16_t grp[WEFT__CHUNK];
  int64_t chunk_kept[WEFT__SMALL_GROUPS_MAX]; /* kept rows of each group in the chunk */
  if (!c->nkeys) memset(grp, 0, sizeof grp); /* the one group */
  for (int64_t at = r0; at < r1; at += WEFT__CHUNK) {
    int64_t n = r1 - at < WEFT__CHUNK ? r1 - at : WEFT__CHUNK, k = 0;
    weft__eval_begin(ae); /* the inputs' shared subexpressions are computed once a chunk */
    if (c->hot) {
      WEFT_RETURN_NOT_OK(hot_chunk(c, wv, ae, ra, at, n));
      continue;
    }
    memset(keep, 1, (size_t)n);
    if (c->src) c->src->fill(c->src->ctx, wv->table, at, n, keep);
    if (c->lit) weft__lit_pred_keep(c->lit, at, n, keep); /* no source: it sets every byte */
    /* every conjunct runs on every chunk (none skipped when nothing is left), so a failing
     * cast fails here as it does in the filter */
    for (int j = 0; !c->lit && j < c->nconj; j++) {
      const weft__conj *cj = &c->conjs[j];
      if (cj->fast) {
        weft__fast_keep(cj, at, n, keep);
        continue;
      }
      WEFT_RETURN_NOT_OK(weft__eval_node(pe, cj->node, at, n));
      const weft__vec *pv = &pe->vecs[cj->node];
      for (int64_t i = 0; i < n; i++)
        keep[i] &= (uint8_t)((pv->all_valid || pv->valid[i]) && pv->v[i].i != 0);
    }
    k = weft__count_kept(keep, n);
    if (k == 0) continue;
    int before = ra->groups;
    if (!c->nkeys) {
      ra->kept[0] += k;
    } else {
      weft_status st = WEFT_OK;
      for (int g = 0; g < ra->groups; g++) chunk_kept[g] = ra->kept[g];
      if (!group_chunk(c, ra, at, n, keep, words, grp, &st)) {
        if (st == WEFT_OK) atomic_store(&c->too_many, 1);
        return st;
      }
      for (int g = 0; g < ra->groups; g++) /* groups opened in this chunk started at 0 */
        chunk_kept[g] = g < before ? ra->kept[g] - chunk_kept[g] : ra->kept[g];
    }
    for (size_t a = 0; a < c->naggs; a++) {
      const weft__column *cc = c->same_as[a] < 0 ? counted_column(&c->aggs[a], &wv->in[a]) : NULL;
      if (cc) count_valid(&ra->parts[a], c->naggs, cc, at, n, keep, grp, c->nkeys > 0, k);
    }
    if (c->sparse) {
      WEFT_RETURN_NOT_OK(sparse_chunk(c, wv, ae, ra, at, n, keep, grp, chunk_kept));
      continue;
    }
    for (size_t a = 0; a < c->naggs; a++) {
      weft_agg_kind kind = c->aggs[a].kind;
      if (kind == WEFT_AGG_LEN || c->same_as[a] >= 0) continue;
      const weft__bound *b = &wv->in[a];
      if (counted_column(&c->aggs[a], b)) continue; /* counted above */
      int lane = b->nodes[b->root].lane;
      part *p0 = &ra->parts[a]; /* the one group's partial when there are no keys */
      int float_sum = (kind == WEFT_AGG_SUM || kind == WEFT_AGG_MEAN) && lane == WEFT__LANE_F;
      if (!c->nkeys && float_sum && wv->direct[a]) {
        /* the hot case (a float64 column without nulls), read in place; offset + at first:
         * a source's column is seen from a negative offset */
        const weft_column_view *dv = &wv->direct[a]->view;
        p0->d += masked_sum((const double *)dv->values + (dv->offset + at), keep, n);
        p0->n += k;
        continue;
      }
      part *pa = &ra->parts[a];
      size_t stride = c->naggs;
      if (float_sum && wv->direct[a]) { /* a float64 column without nulls, read in place */
        const double *x = column_at(wv->direct[a], at);
        keyed_float_sum((const uint64_t *)x, n, keep, grp, chunk_kept, ra->groups, pa, stride);
        continue;
      }
      WEFT_RETURN_NOT_OK(weft__eval_node(ae, wv->roots[a], at, n));
      const weft__vec *v = &ae->vecs[wv->roots[a]];
      if (!c->nkeys && float_sum && v->all_valid) {
        p0->d += masked_sum(&v->v[0].f, keep, n);
        p0->n += k;
        continue;
      }
      if (float_sum && v->all_valid) {
        keyed_float_sum((const uint64_t *)v->v, n, keep, grp, chunk_kept, ra->groups, pa, stride);
        continue;
      }
      if (lane == WEFT__LANE_D) {
        for (int64_t i = 0; i < n; i++)
          if (keep[i] && (v->all_valid || v->valid[i])) fold_dec(pa + (size_t)grp[i] * stride, kind, v->d[i]);
        continue;
      }
      for (int64_t i = 0; i < n; i++)
        if (keep[i] && (v->all_valid || v->valid[i]))
          fold(pa + (size_t)grp[i] * stride, kind, lane, v->v[i]);
    }
  }
  return WEFT_OK;
}

/* A source's worker: its own table, the aggregations bound to it (*bound of them). */
static weft_status open_source_view(const agg_ctx *c, worker_view *wv, weft__bound **in,
                                    const weft__column ***direct, size_t *bound) {
  size_t na = c->naggs ? c->naggs : 1;
  *in = weft__calloc(na, sizeof **in);
  *direct = weft__calloc(na, sizeof **direct);
  if (!*in || !*direct) return no_memory();
  WEFT_RETURN_NOT_OK(c->src->open(c->src->ctx, &wv->table));
  for (; *bound < c->naggs; (*bound)++) {
    size_t a = *bound;
    if (c->aggs[a].kind == WEFT_AGG_LEN) continue;
    WEFT_RETURN_NOT_OK(weft__expr_bind(c->aggs[a].input, wv->table, &(*in)[a]));
    (*direct)[a] = direct_column(&(*in)[a]);
  }
  wv->in = *in, wv->direct = *direct;
  return WEFT_OK;
}

static void worker(void *ctx, int w, int workers) {
  (void)w, (void)workers;
  agg_ctx *c = ctx;
  worker_view wv = {NULL, c->in, c->direct, NULL};
  weft__bound *own_in = NULL;
  const weft__column **own_direct = NULL;
  size_t own_bound = 0;
  weft__eval pe, aev, *ae = &aev;
  weft__program prog = {0};
  uint64_t *words = c->nkeys ? weft__malloc((size_t)WEFT__CHUNK * (c->nkeys + 1) * sizeof *words) : NULL;
  weft_status st = words || !c->nkeys ? WEFT_OK : no_memory();
  if (st == WEFT_OK && c->src) st = open_source_view(c, &wv, &own_in, &own_direct, &own_bound);
  if (st == WEFT_OK && c->pred) st = weft__eval_init(&pe, c->pred);
  int pe_ok = st == WEFT_OK && c->pred;
  /* every aggregation's input in one program: a subexpression two of them share (Q1's
   * price * (1 - discount)) is computed once a chunk (len's input is empty) */
  if (st == WEFT_OK) st = weft__program_build(wv.in, c->naggs, &prog);
  int ae_ok = st == WEFT_OK && (st = weft__program_eval_init(ae, &prog)) == WEFT_OK;
  wv.roots = prog.roots;
  for (;;) {
    int64_t r = atomic_fetch_add(&c->next, 1);
    if (r >= c->nranges || atomic_load(&c->too_many)) break;
    /* ranges after one that failed are skipped; earlier ones still run, so the error
     * reported is the one of the first failing range, as a sequential run would give */
    if (r > atomic_load(&c->failed_at)) continue;
    if (st == WEFT_OK) st = run_range(c, &wv, &pe, ae, words, r);
    if (st != WEFT_OK) {
      /* the message is this thread's: keep a copy for the caller's thread */
      c->errs[r] = st;
      c->msgs[r] = weft__strdup(weft_last_error());
      int64_t cur = atomic_load(&c->failed_at);
      while (r < cur && !atomic_compare_exchange_weak(&c->failed_at, &cur, r)) {
      }
      break;
    }
  }
  if (ae_ok) weft__eval_free(ae);
  weft__program_free(&prog);
  if (pe_ok) weft__eval_free(&pe);
  for (size_t a = 0; own_in && a < own_bound; a++)
    if (c->aggs[a].kind != WEFT_AGG_LEN) weft__expr_unbind(&own_in[a]);
  if (wv.table) c->src->close(c->src->ctx, wv.table);
  free(own_in), free(own_direct), free(words);
}

/* Row j of an output column from a group's partial (kept: the group's kept rows, for len). */
static void put(weft_column_view *v, int64_t j, const part *p, weft_agg_kind kind, int64_t kept) {
  uint8_t *dst = (uint8_t *)v->values;
  int null = (kind == WEFT_AGG_MEAN || kind == WEFT_AGG_MIN || kind == WEFT_AGG_MAX) && p->n == 0;
  if (v->validity) {
    uint8_t *vb = (uint8_t *)v->validity, bit = (uint8_t)(1u << (j & 7));
    vb[j >> 3] = null ? (uint8_t)(vb[j >> 3] & ~bit) : (uint8_t)(vb[j >> 3] | bit);
  }
  if (weft__type_is_decimal(v->type)) { /* a decimal's sum, min or max */
    weft__i128 q = null ? 0 : p->q;
    memcpy(dst + (size_t)j * 16, &q, sizeof q);
    return;
  }
  uint64_t x = (uint64_t)p->i;
  double f = p->d;
  if (kind == WEFT_AGG_COUNT) x = (uint64_t)p->n;
  if (kind == WEFT_AGG_LEN) x = (uint64_t)kept;
  if (kind == WEFT_AGG_MEAN) f = null ? 0 : p->d / (double)p->n;
  if (null) f = 0, x = 0;
  switch (v->type) {
    case WEFT_TYPE_FLOAT64: ((double *)dst)[j] = f; break;
    case WEFT_TYPE_FLOAT32: ((float *)dst)[j] = (float)f; break;
    case WEFT_TYPE_BOOL: {
      uint8_t bit = (uint8_t)(1u << (j & 7));
      dst[j >> 3] = x ? (uint8_t)(dst[j >> 3] | bit) : (uint8_t)(dst[j >> 3] & ~bit);
      break;
    }
    default:
      switch (weft__type_width(v->type)) {
        case 1: dst[j] = (uint8_t)x; break;
        case 2: ((uint16_t *)dst)[j] = (uint16_t)x; break;
        case 4: ((uint32_t *)dst)[j] = (uint32_t)x; break;
        default: ((uint64_t *)dst)[j] = x; break;
      }
  }
}

/* The ranges' groups merged in row order into `g` (keys) with their partials in `parts`
 * (groups x naggs) and kept counts (kept[] starts at -1: a group not seen yet); 0 when there
 * are more groups than the fused pass holds. */
static int merge_ranges(const agg_ctx *c, const int *lanes, weft__small_groups *g, part *parts,
                        int64_t *kept) {
  size_t na = c->naggs;
  if (!c->nkeys) {
    g->n = 1, g->first[0] = -1, kept[0] = 0;
    for (size_t a = 0; a < na; a++) part_init(&parts[a], c->aggs[a].kind);
  }
  for (int64_t r = 0; r < c->nranges; r++) {
    const range_acc *ra = &c->acc[r];
    for (int lg = 0; lg < ra->groups; lg++) {
      int gg = 0;
      if (c->nkeys) {
        gg = weft__small_groups_find(g, &ra->tab->words[(size_t)lg * g->W], ra->tab->first[lg]);
        if (gg < 0) return 0;
        if (gg == g->n - 1 && kept[gg] < 0) { /* new: its partials start empty */
          kept[gg] = 0;
          for (size_t a = 0; a < na; a++) part_init(&parts[(size_t)gg * na + a], c->aggs[a].kind);
        }
      }
      for (size_t a = 0; a < na; a++) {
        size_t src = c->same_as[a] >= 0 ? (size_t)c->same_as[a] : a;
        merge(&parts[(size_t)gg * na + a], &ra->parts[(size_t)lg * na + src], c->aggs[a].kind, lanes[a]);
      }
      kept[gg] += ra->kept[lg];
    }
  }
  return 1;
}

/* A decimal aggregation's partials made ready for put: a sum past 38 digits (or past 128
 * bits on the way) is an error naming the column, as agg_decimal.c gives; a mean becomes
 * the float64 of the exact sum over the count. */
static weft_status decimal_output(const agg_ctx *c, const weft__small_groups *g, const part *parts,
                                  size_t a, weft_type t, const char *name) {
  size_t na = c->naggs;
  weft_agg_kind kind = c->aggs[a].kind;
  weft__i128 bound = weft__dec_pow10(38);
  double p10 = pow(10.0, c->dec_scale[a]);
  for (int j = 0; j < g->n; j++) {
    part *p = (part *)&parts[(size_t)j * na + a];
    if (kind == WEFT_AGG_SUM && (p->over || p->q >= bound || p->q <= -bound))
      return weft__error(WEFT_ERR_INVALID_ARGUMENT, "weft_table_group_by: sum of \"%s\" overflows %s "
                         "(more than 38 digits)", name, weft_type_name(t));
    if (kind == WEFT_AGG_MEAN) p->d = p->n ? (double)p->q / p10 : 0; /* put divides by n */
  }
  return WEFT_OK;
}

/* The output table: the key columns at each group's first row, then the aggregations. */
static weft_status build_output(const agg_ctx *c, const weft__small_groups *g, const part *parts,
                                const int64_t *kept, const weft_table *proto, weft_table **out) {
  size_t na = c->naggs, nk = c->nkeys;
  weft_table *res = NULL;
  weft_status st = weft__table_new(nk + na, g->n, &res);
  for (size_t k = 0; st == WEFT_OK && k < nk; k++) {
    weft__column col;
    st = weft__column_gather(c->keys[k], g->first, g->n, &col);
    if (st == WEFT_OK) st = weft__table_set_column(res, k, proto->names[k], col);
  }
  for (size_t a = 0; st == WEFT_OK && a < na; a++) {
    weft_agg_kind kind = c->aggs[a].kind;
    weft_type t = proto->cols[nk + a].view.type;
    int nullable = kind == WEFT_AGG_MEAN || kind == WEFT_AGG_MIN || kind == WEFT_AGG_MAX;
    weft__column col;
    st = weft__column_alloc(t, g->n, nullable, 0, &col);
    if (st != WEFT_OK) break;
    if (c->dec_scale[a] >= 0) /* a decimal input: its partials from q, checked */
      st = decimal_output(c, g, parts, a, t, proto->names[nk + a]);
    for (int j = 0; st == WEFT_OK && j < g->n; j++) put(&col.view, j, &parts[(size_t)j * na + a], kind, kept[j]);
    if (st != WEFT_OK) {
      weft__column_release(&col);
      break;
    }
    st = weft__table_set_column(res, nk + a, proto->names[nk + a], col);
  }
  if (st != WEFT_OK) {
    weft_table_free(res);
    return st;
  }
  *out = res;
  return WEFT_OK;
}

/* The pass over `table` (with a source: the table of the main thread, for types) where
 * `predicate` (NULL: none) is true. */
static weft_status masked_agg_run(weft_exec *exec, const char *opname, const weft_table *table,
                                  const weft_expr *predicate, const weft__agg_source *src,
                                  size_t nkeys, const char *const *keys, size_t naggs,
                                  const weft_agg *aggs, const weft_table *proto, weft_table **out) {
  *out = NULL;
  if (proto->ncols != nkeys + naggs || nkeys > WEFT__SMALL_KEYS_MAX)
    return weft__error(WEFT_ERR_INTERNAL, "%s: %zu keys and %zu aggregations but %zu output "
                       "columns", opname, nkeys, naggs, proto->ncols);
  int64_t nranges = (table->rows + RANGE_ROWS - 1) / RANGE_ROWS;
  agg_ctx c = {.aggs = aggs, .naggs = naggs, .nkeys = nkeys, .rows = table->rows, .nranges = nranges,
               .src = src};
  weft__bound pred = {0}, *in = weft__calloc(naggs ? naggs : 1, sizeof *in);
  weft__lit_pred lit;
  const weft__column **kcols = weft__calloc(nkeys ? nkeys : 1, sizeof *kcols);
  c.keys = kcols;
  c.acc = weft__calloc((size_t)(nranges ? nranges : 1), sizeof *c.acc);
  c.errs = weft__calloc((size_t)(nranges ? nranges : 1), sizeof *c.errs);
  c.msgs = weft__calloc((size_t)(nranges ? nranges : 1), sizeof *c.msgs);
  atomic_init(&c.next, 0);
  atomic_init(&c.failed_at, nranges);
  atomic_init(&c.too_many, 0);
  weft_status st = in && kcols && c.acc && c.errs && c.msgs ? WEFT_OK : no_memory();
  for (size_t k = 0; st == WEFT_OK && k < nkeys; k++) {
    size_t idx = 0;
    st = weft__table_find(table, keys[k], &idx);
    if (st == WEFT_OK) kcols[k] = &table->cols[idx];
  }
  int pred_bound = 0;
  size_t bound = 0;
  if (st == WEFT_OK && predicate) st = weft__expr_bind(predicate, table, &pred);
  pred_bound = st == WEFT_OK && predicate;
  if (st == WEFT_OK && predicate && pred.nodes[pred.root].type != WEFT_TYPE_BOOL)
    st = weft__error(WEFT_ERR_INVALID_ARGUMENT, "%s: the predicate %s is %s, not bool", opname,
                     predicate->text ? predicate->text : "?",
                     weft_type_name(pred.nodes[pred.root].type));
  weft__conj *conjs = pred_bound ? weft__calloc((size_t)pred.n, sizeof *conjs) : NULL;
  if (st == WEFT_OK && predicate && !conjs) st = no_memory();
  if (st == WEFT_OK && predicate && table->rows > 0) { /* no rows: nothing is evaluated, as in the filter */
    weft__eval ev;
    st = weft__eval_init(&ev, &pred);
    if (st == WEFT_OK) {
      st = weft__add_conjs(&pred, &ev, pred.root, conjs, &c.nconj);
      weft__eval_free(&ev);
    }
    c.conjs = conjs;
    if (st == WEFT_OK && !src && weft__lit_pred_plan(&pred, &lit)) c.lit = &lit;
  }
  for (; st == WEFT_OK && bound < naggs; bound++) {
    if (aggs[bound].kind == WEFT_AGG_LEN) continue;
    if (!aggs[bound].input)
      st = weft__error(WEFT_ERR_INVALID_ARGUMENT, "%s: aggregation %zu has no input", opname, bound);
    else st = weft__expr_bind(aggs[bound].input, table, &in[bound]);
    if (st != WEFT_OK) break;
  }
  c.pred = predicate ? &pred : NULL, c.in = in;
  c.direct = weft__calloc(naggs ? naggs : 1, sizeof *c.direct);
  int *lanes = weft__calloc(naggs ? naggs : 1, sizeof *lanes);
  if (st == WEFT_OK && (!c.direct || !lanes)) st = no_memory();
  for (size_t a = 0; st == WEFT_OK && a < naggs; a++) {
    if (aggs[a].kind == WEFT_AGG_LEN) {
      lanes[a] = WEFT__LANE_I;
      continue;
    }
    lanes[a] = in[a].nodes[in[a].root].lane;
    c.direct[a] = direct_column(&in[a]);
  }
  int *same_as = weft__calloc(naggs ? naggs : 1, sizeof *same_as);
  int *dec_scale = weft__calloc(naggs ? naggs : 1, sizeof *dec_scale);
  if (st == WEFT_OK && (!same_as || !dec_scale)) st = no_memory();
  for (size_t a = 0; st == WEFT_OK && a < naggs; a++) {
    weft_type it = aggs[a].kind == WEFT_AGG_LEN ? WEFT_TYPE_INT64 : in[a].nodes[in[a].root].type;
    dec_scale[a] = lanes[a] == WEFT__LANE_D && aggs[a].kind != WEFT_AGG_COUNT ? weft__dec_scale(it) : -1;
  }
  c.dec_scale = dec_scale;
  for (size_t a = 0; st == WEFT_OK && a < naggs; a++)
    for (int i = 0; aggs[a].kind != WEFT_AGG_LEN && i < in[a].n; i++)
      c.sparse |= in[a].nodes[i].lane == WEFT__LANE_D;
  if (st == WEFT_OK) share_float_sums(aggs, naggs, lanes, same_as);
  c.same_as = same_as;
  weft__hot_conj *hot = st == WEFT_OK && table->rows > 0 ? hot_conjs(&c, lanes) : NULL;
  c.hot = hot;
  if (st == WEFT_OK && exec) st = weft__cpu_only_begin(exec, opname, (size_t)table->rows);
  if (st == WEFT_OK && nranges > 0) {
    weft__pool_run(worker, &c);
    for (int64_t r = 0; r < nranges; r++)
      if (c.errs[r] != WEFT_OK) {
        st = weft__error(c.errs[r], "%s: %s", opname, c.msgs[r] ? c.msgs[r] : "(no memory for the message)");
        break;
      }
  }
  int fits = !atomic_load(&c.too_many);
  weft__small_groups *g = st == WEFT_OK && fits ? weft__malloc(sizeof *g) : NULL;
  size_t na1 = naggs ? naggs : 1;
  part *parts = g ? weft__malloc(WEFT__SMALL_GROUPS_MAX * na1 * sizeof *parts) : NULL;
  int64_t *kept = g ? weft__malloc(WEFT__SMALL_GROUPS_MAX * sizeof *kept) : NULL;
  if (st == WEFT_OK && fits && (!g || !parts || !kept)) st = no_memory();
  if (st == WEFT_OK && fits) {
    weft__small_groups_init(g, nkeys);
    for (int j = 0; j < WEFT__SMALL_GROUPS_MAX; j++) kept[j] = -1;
    fits = merge_ranges(&c, lanes, g, parts, kept);
  }
  if (st == WEFT_OK && fits) st = build_output(&c, g, parts, kept, proto, out);
  if (st == WEFT_OK && exec && fits) {
    int64_t total = 0;
    for (int j = 0; j < g->n; j++) total += kept[j];
    weft__report(exec, "  %lld of %lld rows kept, %d groups, %zu aggregations in one pass on cpu:0 "
                 "(%lld ranges of %lld rows)", (long long)total, (long long)table->rows, g->n,
                 naggs, (long long)nranges, (long long)RANGE_ROWS);
    weft__program prog; /* what the workers' programs share (the same for each) */
    if (weft__program_build(in, naggs, &prog) == WEFT_OK) {
      if (prog.shared_exprs)
        weft__report(exec, "  %d common subexpressions of the aggregations computed once a chunk",
                     prog.shared_exprs);
      weft__program_free(&prog);
    } else {
      weft__error_clear(); /* only the report line is lost */
    }
  }
  if (st == WEFT_OK && exec && !fits)
    weft__report(exec, "  more than %d groups (or a utf8 key over 7 bytes): not fused",
                 WEFT__SMALL_GROUPS_MAX);
  for (size_t a = 0; a < bound; a++)
    if (aggs[a].kind != WEFT_AGG_LEN) weft__expr_unbind(&in[a]);
  if (pred_bound) weft__expr_unbind(&pred);
  for (int64_t r = 0; c.acc && r < nranges; r++)
    free(c.acc[r].tab), free(c.acc[r].parts), free(c.acc[r].kept);
  for (int64_t r = 0; c.msgs && r < nranges; r++) free(c.msgs[r]);
  free(in), free(kcols), free(c.acc), free(c.errs), free(c.direct), free(c.msgs), free(conjs);
  free(lanes), free(same_as), free(dec_scale), free(g), free(parts), free(kept), free(hot);
  return st;
}

weft_status weft__masked_agg(weft_exec *exec, const weft_table *table, const weft_expr *predicate,
                             size_t nkeys, const char *const *keys, size_t naggs,
                             const weft_agg *aggs, const weft_table *proto, weft_table **out) {
  return masked_agg_run(exec, "filter + aggregate (fused)", table, predicate, NULL, nkeys, keys,
                        naggs, aggs, proto, out);
}

weft_status weft__masked_agg_source(weft_exec *exec, const weft__agg_source *src, size_t nkeys,
                                    const char *const *keys, size_t naggs, const weft_agg *aggs,
                                    const weft_table *proto, weft_table **out) {
  *out = NULL;
  weft_table *schema = NULL;
  WEFT_RETURN_NOT_OK(src->open(src->ctx, &schema));
  weft_status st = masked_agg_run(exec, src->name, schema, NULL, src, nkeys, keys, naggs, aggs,
                                  proto, out);
  src->close(src->ctx, schema);
  return st;
}
