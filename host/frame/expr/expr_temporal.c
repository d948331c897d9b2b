/* Dates and timestamps: dt.year/month/day/weekday (proleptic Gregorian, from days since the
 * epoch), shifts by a duration, and the difference of two dates. weft has no duration type:
 * a duration is int64 microseconds with its node marked `dur` (expr_bind.c). */
#include <stdint.h>

#include "core/error.h"
#include "frame/expr/expr.h"

#define US_PER_DAY INT64_C(86400000000)

static int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

/* Howard Hinnant's civil_from_days. */
static void civil(int64_t z, int64_t *y, int *m, int *d) {
  z += 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  *d = (int)(doy - (153 * mp + 2) / 5 + 1);
  *m = (int)(mp < 10 ? mp + 3 : mp - 9);
  *y = yoe + era * 400 + (*m <= 2);
}

int weft__unary_is_newer(int op) { return op >= WEFT_OP_STR_LEN_BYTES && op <= WEFT_OP_DT_TOTAL_DAYS; }

static weft_status shift(weft__eval *ev, int me, int64_t n) {
  const weft__bnode *nd = &ev->bound->nodes[me];
  const weft__bnode *A = &ev->bound->nodes[nd->a], *B = &ev->bound->nodes[nd->b];
  weft__vec *out = &ev->vecs[me], *a = &ev->vecs[nd->a], *b = &ev->vecs[nd->b];
  out->all_valid = a->all_valid && b->all_valid;
  for (int64_t i = 0; i < n; i++)
    out->valid[i] = (a->all_valid || a->valid[i]) && (b->all_valid || b->valid[i]);
  int sub = nd->e->op == WEFT_OP_SUB;
  /* every operand in microseconds: a date is its midnight */
  int64_t ma = A->type == WEFT_TYPE_DATE32 ? US_PER_DAY : 1, mb = B->type == WEFT_TYPE_DATE32 ? US_PER_DAY : 1;
  for (int64_t i = 0; i < n; i++) {
    uint64_t x = (uint64_t)a->v[i].i * (uint64_t)ma, y = (uint64_t)b->v[i].i * (uint64_t)mb;
    int64_t us = (int64_t)(sub ? x - y : x + y);
    /* a date shifted by part of a day is the day it lands in, as Polars casts back */
    out->v[i].i = nd->type == WEFT_TYPE_DATE32 ? floor_div(us, US_PER_DAY) : us;
  }
  weft__normalize(out, nd->type, n);
  return WEFT_OK;
}

weft_status weft__eval_temporal(weft__eval *ev, int me, int64_t n) {
  const weft__bnode *nd = &ev->bound->nodes[me];
  if (nd->e->kind == WEFT__E_BINARY) return shift(ev, me, n);
  weft__vec *out = &ev->vecs[me], *a = &ev->vecs[nd->a];
  const weft__bnode *A = &ev->bound->nodes[nd->a];
  weft__copy_valid(out, a, n);
  int op = nd->e->op;
  for (int64_t i = 0; i < n; i++) {
    int64_t x = a->v[i].i, r;
    if (op == WEFT_OP_DT_TOTAL_DAYS) {
      out->v[i].i = x / US_PER_DAY; /* toward zero, as Polars */
      continue;
    }
    int64_t days = A->type == WEFT_TYPE_DATE32 ? x : floor_div(x, US_PER_DAY);
    if (op == WEFT_OP_DT_WEEKDAY) {
      r = ((days % 7 + 7) % 7 + 3) % 7 + 1; /* 1970-01-01 was a Thursday (4) */
    } else {
      int64_t y;
      int m, d;
      civil(days, &y, &m, &d);
      r = op == WEFT_OP_DT_YEAR ? y : op == WEFT_OP_DT_MONTH ? m : d;
    }
    out->v[i].i = r;
  }
  weft__normalize(out, nd->type, n);
  return WEFT_OK;
}
