/* The fused filter + aggregate's hot loop (masked_hot.h). Each loop is compiled twice and
 * chosen at run time (AVX2 or the baseline): GCC vectorizes a double compare into a mask
 * only with AVX, and the binary must run on any x86-64. */
#include "frame/fused/masked_hot.h"

#include <string.h>

#include "frame/expr/expr.h"
#include "core/vector_clones.h"

#define LANES WEFT__HOT_LANES

/* Each compare sets the mask (the first conjunct) or ANDs into it; the last one also
 * counts the rows left, in the same loop (a pass of its own over the mask measured a fifth
 * of filter_sum). A macro keeps the operators' loops plain enough to vectorize. */
#define MASK_LOOP(TEST)                                                                   \
  if (first && !last)                                                                     \
    for (int64_t i = 0; i < n; i++) m[i] = (uint64_t)0 - (uint64_t)(TEST);                \
  else if (first)                                                                         \
    for (int64_t i = 0; i < n; i++) m[i] = (uint64_t)0 - (uint64_t)(TEST), k += m[i] & 1; \
  else if (!last)                                                                         \
    for (int64_t i = 0; i < n; i++) m[i] &= (uint64_t)0 - (uint64_t)(TEST);               \
  else                                                                                    \
    for (int64_t i = 0; i < n; i++) m[i] &= (uint64_t)0 - (uint64_t)(TEST), k += m[i] & 1; \
  break;
#define MASK_OPS(Q)                                  \
  uint64_t k = 0;                                    \
  switch (op) {                                      \
    case WEFT_OP_EQ: MASK_LOOP(x[i] == (Q))          \
    case WEFT_OP_NE: MASK_LOOP(x[i] != (Q))          \
    case WEFT_OP_LT: MASK_LOOP(x[i] < (Q))           \
    case WEFT_OP_LE: MASK_LOOP(x[i] <= (Q))          \
    case WEFT_OP_GT: MASK_LOOP(x[i] > (Q))           \
    default: MASK_LOOP(x[i] >= (Q))                  \
  }                                                  \
  return (int64_t)k;

/* Doubles: the number is not NaN, so a NaN row (above every number in weft's order)
 * satisfies exactly NE, GT and GE; IEEE's compares give that for NE, and GT and GE are
 * written as !(x <= q) and !(x < q). */
WEFT_VECTOR_CLONES static int64_t mask_f64(int op, const double *restrict x, double q, int64_t n,
                                        uint64_t *restrict m, int first, int last) {
  uint64_t k = 0;
  switch (op) {
    case WEFT_OP_EQ: MASK_LOOP(x[i] == q)
    case WEFT_OP_NE: MASK_LOOP(!(x[i] == q))
    case WEFT_OP_LT: MASK_LOOP(x[i] < q)
    case WEFT_OP_LE: MASK_LOOP(x[i] <= q)
    case WEFT_OP_GT: MASK_LOOP(!(x[i] <= q))
    default: MASK_LOOP(!(x[i] < q))
  }
  return (int64_t)k;
}

WEFT_VECTOR_CLONES static int64_t mask_i64(int op, const int64_t *restrict x, int64_t q, int64_t n,
                                        uint64_t *restrict m, int first, int last) {
  MASK_OPS(q)
}

/* int32 and date32 values compare widened, so a constant outside int32's range compares as
 * it does in the int64 lane */
WEFT_VECTOR_CLONES static int64_t mask_i32(int op, const int32_t *restrict x, int64_t q, int64_t n,
                                        uint64_t *restrict m, int first, int last) {
  MASK_OPS(q)
}

/* A range on one column (a lower and an upper bound, as Q6's dates and discounts): both
 * compares in one pass over the values and the mask. `closed`: bit 1 the lower bound is
 * GE (else GT), bit 0 the upper is LE (else LT). */
#define RANGE_OPS(LT, LE)                                               \
  uint64_t k = 0;                                                       \
  switch (closed) {                                                     \
    case 0: MASK_LOOP(!LE(x[i], lo) & LT(x[i], hi))                     \
    case 1: MASK_LOOP(!LE(x[i], lo) & LE(x[i], hi))                     \
    case 2: MASK_LOOP(!LT(x[i], lo) & LT(x[i], hi))                     \
    default: MASK_LOOP(!LT(x[i], lo) & LE(x[i], hi))                    \
  }                                                                     \
  return (int64_t)k;
#define LESS(a, b) ((a) < (b))
#define LESS_EQ(a, b) ((a) <= (b))

WEFT_VECTOR_CLONES static int64_t range_f64(int closed, const double *restrict x, double lo, double hi,
                                         int64_t n, uint64_t *restrict m, int first, int last) {
  RANGE_OPS(LESS, LESS_EQ)
}

WEFT_VECTOR_CLONES static int64_t range_i64(int closed, const int64_t *restrict x, int64_t lo,
                                         int64_t hi, int64_t n, uint64_t *restrict m, int first, int last) {
  RANGE_OPS(LESS, LESS_EQ)
}

WEFT_VECTOR_CLONES static int64_t range_i32(int closed, const int32_t *restrict x, int64_t lo,
                                         int64_t hi, int64_t n, uint64_t *restrict m, int first, int last) {
  RANGE_OPS(LESS, LESS_EQ)
}

static int lower_bound(int op) { return op == WEFT_OP_GT || op == WEFT_OP_GE; }
static int upper_bound(int op) { return op == WEFT_OP_LT || op == WEFT_OP_LE; }

/* Conjuncts j and j + 1 bound one column from below and above: *lo and *hi say which. */
static int is_range(const weft__hot_conj *a, const weft__hot_conj *b, const weft__hot_conj **lo,
                    const weft__hot_conj **hi) {
  if (a->x != b->x || a->type != b->type) return 0;
  if (lower_bound(a->op) && upper_bound(b->op)) *lo = a, *hi = b;
  else if (upper_bound(a->op) && lower_bound(b->op)) *lo = b, *hi = a;
  else return 0;
  return 1;
}

typedef double lanes4_f64 __attribute__((vector_size(32)));
typedef int64_t lanes4_i64 __attribute__((vector_size(32)));
typedef int32_t lanes4_i32 __attribute__((vector_size(16)));

/* A conjunct, or two on one column forming a range (closed as RANGE_OPS), as one step of
 * the loops below. */
enum { STEP_F64, STEP_I64, STEP_I32 };
typedef struct hot_step {
  int type, op;       /* STEP_*; a WEFT_OP_* compare, or -1 - closed for a range */
  const void *x;      /* the column at row 0 of the table */
  lanes4_f64 qf, hf;  /* the number (a range: its low and high bound) */
  lanes4_i64 qi, hi;
} hot_step;

/* The step of conjuncts c[j] (and c[j + 1] when the two are a range); returns how many
 * conjuncts it took. */
static int step_of(const weft__hot_conj *c, int nconj, int j, hot_step *st) {
  const weft__hot_conj *cj = &c[j], *lo, *hi;
  st->type = cj->type == WEFT_TYPE_FLOAT64 ? STEP_F64
           : cj->type == WEFT_TYPE_INT32 || cj->type == WEFT_TYPE_DATE32 ? STEP_I32 : STEP_I64;
  st->x = cj->x;
  if (j + 1 < nconj && is_range(cj, &c[j + 1], &lo, &hi)) {
    st->op = -1 - ((lo->op == WEFT_OP_GE) * 2 + (hi->op == WEFT_OP_LE));
    st->qf = (lanes4_f64){lo->kf, lo->kf, lo->kf, lo->kf}, st->hf = (lanes4_f64){hi->kf, hi->kf, hi->kf, hi->kf};
    st->qi = (lanes4_i64){lo->ki, lo->ki, lo->ki, lo->ki}, st->hi = (lanes4_i64){hi->ki, hi->ki, hi->ki, hi->ki};
    return 2;
  }
  st->op = cj->op;
  st->qf = (lanes4_f64){cj->kf, cj->kf, cj->kf, cj->kf};
  st->qi = (lanes4_i64){cj->ki, cj->ki, cj->ki, cj->ki};
  return 1;
}

int64_t weft__hot_mask(const weft__hot_conj *c, int nconj, int64_t at, int64_t n, uint64_t *mask) {
  int64_t k = 0;
  for (int j = 0; j < nconj;) {
    hot_step st;
    int first = j == 0;
    j += step_of(c, nconj, j, &st);
    int last = j == nconj;
    if (st.op < 0) {
      int closed = -1 - st.op;
      switch (st.type) {
        case STEP_F64:
          k = range_f64(closed, (const double *)st.x + at, st.qf[0], st.hf[0], n, mask, first, last);
          break;
        case STEP_I32:
          k = range_i32(closed, (const int32_t *)st.x + at, st.qi[0], st.hi[0], n, mask, first, last);
          break;
        default:
          k = range_i64(closed, (const int64_t *)st.x + at, st.qi[0], st.hi[0], n, mask, first, last);
          break;
      }
      continue;
    }
    switch (st.type) {
      case STEP_F64: k = mask_f64(st.op, (const double *)st.x + at, st.qf[0], n, mask, first, last); break;
      case STEP_I32: k = mask_i32(st.op, (const int32_t *)st.x + at, st.qi[0], n, mask, first, last); break;
      default: k = mask_i64(st.op, (const int64_t *)st.x + at, st.qi[0], n, mask, first, last); break;
    }
  }
  return k;
}

/* ---- one sum: every conjunct and the sum in one loop, the mask in vector registers
 *
 * With one float sum (of a column, or a product of two: filter_sum, TPC-H Q6), LANES rows
 * at a time go through every conjunct (a switch a conjunct, the same branch each time) into
 * a mask held in two 4-lane registers, then into the sum: no mask in memory, each column
 * read once. The lanes and the order of the adds are the general loops', so the bits are. */
/* 8 rows of a column as two 4-lane int64 or double vectors. */
#define LOAD_F64(p, i, v0, v1) memcpy(&v0, (const double *)(p) + (i), 32), \
                               memcpy(&v1, (const double *)(p) + (i) + 4, 32)
#define CMP_F64(op, w, q, r)                                            \
  switch (op) {                                                         \
    case WEFT_OP_EQ: r = (w) == (q); break;                             \
    case WEFT_OP_NE: r = ~((w) == (q)); break;                          \
    case WEFT_OP_LT: r = (w) < (q); break;                              \
    case WEFT_OP_LE: r = (w) <= (q); break;                             \
    case WEFT_OP_GT: r = ~((w) <= (q)); break;                          \
    default: r = ~((w) < (q)); break;                                   \
  }
#define CMP_INT(op, w, q, r)                                            \
  switch (op) {                                                         \
    case WEFT_OP_EQ: r = (w) == (q); break;                             \
    case WEFT_OP_NE: r = (w) != (q); break;                             \
    case WEFT_OP_LT: r = (w) < (q); break;                              \
    case WEFT_OP_LE: r = (w) <= (q); break;                             \
    case WEFT_OP_GT: r = (w) > (q); break;                              \
    default: r = (w) >= (q); break;                                     \
  }
/* A range's closed bits (as RANGE_OPS): lower GE (2) or GT, upper LE (1) or LT. */
#define RANGE_CMP(closed, w, lo, hi, r)                                                   \
  r = (((closed) & 2 ? ~((w) < (lo)) : ~((w) <= (lo))) & ((closed) & 1 ? (w) <= (hi) : (w) < (hi)))

static inline void step_mask(const hot_step *st, int64_t i, lanes4_i64 *m0, lanes4_i64 *m1) {
  lanes4_i64 r0, r1;
  if (st->type == STEP_F64) {
    lanes4_f64 w0, w1;
    LOAD_F64(st->x, i, w0, w1);
    if (st->op < 0) {
      RANGE_CMP(-1 - st->op, w0, st->qf, st->hf, r0);
      RANGE_CMP(-1 - st->op, w1, st->qf, st->hf, r1);
    } else {
      CMP_F64(st->op, w0, st->qf, r0);
      CMP_F64(st->op, w1, st->qf, r1);
    }
  } else {
    lanes4_i64 w0, w1;
    if (st->type == STEP_I64) {
      memcpy(&w0, (const int64_t *)st->x + i, 32), memcpy(&w1, (const int64_t *)st->x + i + 4, 32);
    } else { /* int32 and date32 widened, as the general loop compares them */
      lanes4_i32 n0, n1;
      memcpy(&n0, (const int32_t *)st->x + i, 16), memcpy(&n1, (const int32_t *)st->x + i + 4, 16);
      w0 = __builtin_convertvector(n0, lanes4_i64), w1 = __builtin_convertvector(n1, lanes4_i64);
    }
    if (st->op < 0) {
      RANGE_CMP(-1 - st->op, w0, st->qi, st->hi, r0);
      RANGE_CMP(-1 - st->op, w1, st->qi, st->hi, r1);
    } else {
      CMP_INT(st->op, w0, st->qi, r0);
      CMP_INT(st->op, w1, st->qi, r1);
    }
  }
  *m0 &= r0, *m1 &= r1;
}

/* With several columns streaming at once (Q6 reads four) the hardware prefetcher falls
 * behind: each column's line this many rows ahead is asked for (Q6 measured 15% faster;
 * filter_sum's one column measured 10% slower with it, so it goes without). */
#define PREFETCH_ROWS 512
#define PREFETCH_MIN_COLUMNS 3

/* Rows [at, at + *done) of the steps and the sum; *done: the rows done, a multiple of
 * LANES (the rest go through the general loops). */
static inline __attribute__((always_inline)) int64_t one_sum_loop(
    const hot_step *steps, int nsteps, const double *x, const double *y, int64_t at, int64_t n,
    const int prefetch, double *acc, int64_t *done) {
  lanes4_f64 a0, a1;
  lanes4_i64 c0 = {0, 0, 0, 0}, c1 = {0, 0, 0, 0};
  memcpy(&a0, acc, 32), memcpy(&a1, acc + 4, 32);
  int64_t i = 0;
  for (; i + LANES <= n; i += LANES) {
    lanes4_i64 m0 = ~(lanes4_i64){0, 0, 0, 0}, m1 = m0;
    for (int j = 0; j < nsteps; j++) {
      if (prefetch) /* the column's line PREFETCH_ROWS rows on */
        __builtin_prefetch((const char *)steps[j].x +
                           (at + i + PREFETCH_ROWS) * (steps[j].type == STEP_I32 ? 4 : 8));
      step_mask(&steps[j], at + i, &m0, &m1);
    }
    if (prefetch) {
      __builtin_prefetch(x + i + PREFETCH_ROWS);
      if (y) __builtin_prefetch(y + i + PREFETCH_ROWS);
    }
    lanes4_f64 s0, s1;
    LOAD_F64(x, i, s0, s1);
    if (y) {
      lanes4_f64 t0, t1;
      LOAD_F64(y, i, t0, t1);
      s0 *= t0, s1 *= t1;
    }
    a0 += (lanes4_f64)((lanes4_i64)s0 & m0), a1 += (lanes4_f64)((lanes4_i64)s1 & m1);
    c0 -= m0, c1 -= m1;
  }
  memcpy(acc, &a0, 32), memcpy(acc + 4, &a1, 32);
  lanes4_i64 c = c0 + c1;
  *done = i;
  return c[0] + c[1] + c[2] + c[3];
}

/* The loop compiled twice, with and without the prefetches, each cloned for AVX2. */
WEFT_VECTOR_CLONES static int64_t one_sum_streams(const hot_step *steps, int nsteps, const double *x,
                                                  const double *y, int64_t at, int64_t n,
                                                  double *acc, int64_t *done) {
  return one_sum_loop(steps, nsteps, x, y, at, n, 1, acc, done);
}

WEFT_VECTOR_CLONES static int64_t one_sum_stream(const hot_step *steps, int nsteps, const double *x,
                                                 const double *y, int64_t at, int64_t n,
                                                 double *acc, int64_t *done) {
  return one_sum_loop(steps, nsteps, x, y, at, n, 0, acc, done);
}

int64_t weft__hot_one_sum(const weft__hot_conj *c, int nconj, const double *x, const double *y,
                          int64_t at, int64_t n, double *acc) {
  hot_step steps[WEFT__HOT_MAX_CONJ];
  int nsteps = 0;
  for (int j = 0; j < nconj; nsteps++) j += step_of(c, nconj, j, &steps[nsteps]);
  /* the distinct columns read (a compared column may be the summed one, as filter_sum's) */
  const void *cols[WEFT__HOT_MAX_CONJ + 2];
  int ncols = 0;
  for (int j = 0; j < nsteps + 2; j++) {
    const void *p = j < nsteps ? steps[j].x : j == nsteps ? (const void *)(x - at)
                  : y ? (const void *)(y - at) : NULL;
    int seen = !p;
    for (int q = 0; q < ncols && !seen; q++) seen = cols[q] == p;
    if (!seen) cols[ncols++] = p;
  }
  int64_t done = 0;
  int64_t k = ncols >= PREFETCH_MIN_COLUMNS ? one_sum_streams(steps, nsteps, x, y, at, n, acc, &done)
                                            : one_sum_stream(steps, nsteps, x, y, at, n, acc, &done);
  if (done < n) { /* the last rows: mask, then add, as the general loops */
    uint64_t mask[LANES];
    int64_t m = n - done;
    k += weft__hot_mask(c, nconj, at + done, m, mask);
    weft__hot_sum_lanes(x + done, y ? y + done : NULL, mask, m, acc); /* done: a lane multiple */
  }
  return k;
}

double weft__hot_lanes_total(const double *acc) {
  return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

/* Blocks of LANES rows, lane l taking row i + l: the form GCC vectorizes. */
WEFT_VECTOR_CLONES static void sum_dense(const double *restrict x, const uint64_t *restrict mask, int64_t n,
                                 double *restrict acc) {
  int64_t i = 0;
  for (; i + LANES <= n; i += LANES)
    for (int l = 0; l < LANES; l++) {
      weft__val v = {.f = x[i + l]};
      v.u &= mask[i + l];
      acc[l] += v.f;
    }
  for (; i < n; i++) {
    weft__val v = {.f = x[i]};
    v.u &= mask[i];
    acc[i % LANES] += v.f;
  }
}

WEFT_VECTOR_CLONES static void product_dense(const double *restrict x, const double *restrict y,
                                     const uint64_t *restrict mask, int64_t n, double *restrict acc) {
  int64_t i = 0;
  for (; i + LANES <= n; i += LANES)
    for (int l = 0; l < LANES; l++) {
      weft__val v = {.f = x[i + l] * y[i + l]};
      v.u &= mask[i + l];
      acc[l] += v.f;
    }
  for (; i < n; i++) {
    weft__val v = {.f = x[i] * y[i]};
    v.u &= mask[i];
    acc[i % LANES] += v.f;
  }
}

/* Every value is read, kept or not: a loop that skips blocks of dropped rows (TPC-H Q6 keeps
 * 2% of them) measured 1.4x slower, its branches costing more than the reads. */
void weft__hot_sum_lanes(const double *x, const double *y, const uint64_t *mask, int64_t n,
                         double *acc) {
  if (y) product_dense(x, y, mask, n, acc);
  else sum_dense(x, mask, n, acc);
}
