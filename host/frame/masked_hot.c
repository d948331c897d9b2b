/* The fused filter + aggregate's hot loop (masked_hot.h). Each loop is compiled twice and
 * chosen at run time (AVX2 or the baseline): GCC vectorizes a double compare into a mask
 * only with AVX, and the binary must run on any x86-64. */
#include "masked_hot.h"

#include <string.h>

#include "expr.h"
#include "masked_keep.h" /* WEFT_VECTOR_CLONES */

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

int64_t weft__hot_mask(const weft__hot_conj *c, int nconj, int64_t at, int64_t n, uint64_t *mask) {
  int64_t k = 0;
  for (int j = 0; j < nconj; j++) {
    const weft__hot_conj *cj = &c[j], *lo, *hi;
    int first = j == 0, range = j + 1 < nconj && is_range(cj, &c[j + 1], &lo, &hi);
    int last = j + range == nconj - 1;
    if (range) {
      int closed = (lo->op == WEFT_OP_GE) * 2 + (hi->op == WEFT_OP_LE);
      switch (cj->type) {
        case WEFT_TYPE_FLOAT64:
          k = range_f64(closed, (const double *)cj->x + at, lo->kf, hi->kf, n, mask, first, last);
          break;
        case WEFT_TYPE_INT32: case WEFT_TYPE_DATE32:
          k = range_i32(closed, (const int32_t *)cj->x + at, lo->ki, hi->ki, n, mask, first, last);
          break;
        default:
          k = range_i64(closed, (const int64_t *)cj->x + at, lo->ki, hi->ki, n, mask, first, last);
          break;
      }
      j++;
      continue;
    }
    switch (cj->type) {
      case WEFT_TYPE_FLOAT64:
        k = mask_f64(cj->op, (const double *)cj->x + at, cj->kf, n, mask, first, last);
        break;
      case WEFT_TYPE_INT32: case WEFT_TYPE_DATE32:
        k = mask_i32(cj->op, (const int32_t *)cj->x + at, cj->ki, n, mask, first, last);
        break;
      default: k = mask_i64(cj->op, (const int64_t *)cj->x + at, cj->ki, n, mask, first, last); break;
    }
  }
  return k;
}

/* One compare on a float64 column and one float sum of a column: both in one loop, the
 * mask in registers (filter_sum). Lanes and order as weft__hot_sum_lanes after
 * weft__hot_mask, so the bits are the same. */
typedef double lanes4_f64 __attribute__((vector_size(32)));
typedef int64_t lanes4_i64 __attribute__((vector_size(32)));
#define FILTER_SUM_LOOP(TEST)                                                  \
  for (; i + LANES <= n; i += LANES) {                                         \
    lanes4_f64 w0, w1, s0, s1;                                                 \
    memcpy(&w0, w + i, sizeof w0), memcpy(&w1, w + i + 4, sizeof w1);          \
    memcpy(&s0, s + i, sizeof s0), memcpy(&s1, s + i + 4, sizeof s1);          \
    lanes4_i64 m0 = TEST(w0), m1 = TEST(w1);                                   \
    a0 += (lanes4_f64)((lanes4_i64)s0 & m0), a1 += (lanes4_f64)((lanes4_i64)s1 & m1); \
    c0 -= m0, c1 -= m1;                                                        \
  }                                                                            \
  break;
#define T_EQ(x) ((x) == qv)
#define T_NE(x) (~((x) == qv))
#define T_LT(x) ((x) < qv)
#define T_LE(x) ((x) <= qv)
#define T_GT(x) (~((x) <= qv))
#define T_GE(x) (~((x) < qv))

WEFT_VECTOR_CLONES static int64_t filter_sum_f64(int op, const double *restrict w, double q,
                                                 const double *restrict s, int64_t n,
                                                 double *restrict acc, int64_t *done) {
  const lanes4_f64 qv = {q, q, q, q};
  lanes4_f64 a0, a1;
  lanes4_i64 c0 = {0, 0, 0, 0}, c1 = {0, 0, 0, 0};
  memcpy(&a0, acc, sizeof a0), memcpy(&a1, acc + 4, sizeof a1);
  int64_t i = 0;
  switch (op) {
    case WEFT_OP_EQ: FILTER_SUM_LOOP(T_EQ)
    case WEFT_OP_NE: FILTER_SUM_LOOP(T_NE)
    case WEFT_OP_LT: FILTER_SUM_LOOP(T_LT)
    case WEFT_OP_LE: FILTER_SUM_LOOP(T_LE)
    case WEFT_OP_GT: FILTER_SUM_LOOP(T_GT)
    default: FILTER_SUM_LOOP(T_GE)
  }
  memcpy(acc, &a0, sizeof a0), memcpy(acc + 4, &a1, sizeof a1);
  lanes4_i64 c = c0 + c1;
  *done = i;
  return c[0] + c[1] + c[2] + c[3];
}

int64_t weft__hot_filter_sum(const weft__hot_conj *c, const double *x, int64_t at, int64_t n,
                             double *acc) {
  int64_t done = 0, k;
  k = filter_sum_f64(c->op, (const double *)c->x + at, c->kf, x, n, acc, &done);
  if (done < n) { /* the last rows: mask, then add, as the general loop */
    uint64_t mask[LANES];
    int64_t m = n - done;
    k += weft__hot_mask(c, 1, at + done, m, mask);
    for (int64_t i = 0; i < m; i++) {
      weft__val v = {.f = x[done + i]};
      v.u &= mask[i];
      acc[i] += v.f; /* done is a multiple of LANES: row done + i is in lane i */
    }
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
