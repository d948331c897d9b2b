/* decimal128 aggregations: sums exact in 128 bits (Polars' decimal(38, s); a sum past 38
 * digits, or past the 128-bit range on the way, is an error naming the column, never a
 * wrapped value), means as float64 from the exact sum, min and max compared as 128-bit
 * integers (the scale is the column's). Many rows and few groups: fixed row ranges
 * accumulate on the CPU pool and are merged in row order, as agg.c does. */
#include "frame/group/agg_decimal.h"
#include "core/alloc.h"

#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/thread_pool.h"

typedef __int128 i128;

#define PARTS 16

typedef struct dacc {
  i128 *v;      /* sum, or the min / max so far */
  int64_t *n;   /* values that took part */
  int overflow;
} dacc;

typedef struct dctx {
  weft_agg_kind kind;
  const weft__column *in;
  const int32_t *gid;
  int64_t rows, chunk;
  dacc *parts;
  _Atomic int next;
} dctx;

static i128 value_at(const weft_column_view *v, int64_t r) {
  i128 x;
  memcpy(&x, (const char *)v->values + (size_t)(v->offset + r) * 16, sizeof x);
  return x;
}

static void accumulate(const dctx *c, int64_t r0, int64_t r1, dacc *a) {
  const weft__column *in = c->in;
  const i128 *x = (const i128 *)in->view.values + in->view.offset; /* read with memcpy below */
  int nulls = in->view.validity && in->view.null_count != 0;
  const int32_t *gid = c->gid;
  if (c->kind == WEFT_AGG_SUM || c->kind == WEFT_AGG_MEAN) {
    int over = 0;
    for (int64_t r = r0; r < r1; r++) {
      if (nulls && !weft__column_valid(in, r)) continue;
      i128 v;
      memcpy(&v, x + r, sizeof v);
      int32_t j = gid[r];
      over |= __builtin_add_overflow(a->v[j], v, &a->v[j]);
      a->n[j]++;
    }
    a->overflow |= over;
    return;
  }
  int mn = c->kind == WEFT_AGG_MIN;
  for (int64_t r = r0; r < r1; r++) {
    if (nulls && !weft__column_valid(in, r)) continue;
    i128 v = value_at(&in->view, r);
    int32_t j = gid[r];
    if (a->n[j]++ == 0 || (mn ? v < a->v[j] : v > a->v[j])) a->v[j] = v;
  }
}

static void worker(void *ctx, int w, int workers) {
  (void)w, (void)workers;
  dctx *c = ctx;
  for (;;) {
    int p = atomic_fetch_add(&c->next, 1);
    if (p >= PARTS) return;
    int64_t r0 = (int64_t)p * c->chunk, r1 = r0 + c->chunk < c->rows ? r0 + c->chunk : c->rows;
    if (r0 < r1) accumulate(c, r0, r1, &c->parts[p]);
  }
}

static int dacc_alloc(dacc *a, size_t G) {
  a->v = weft__calloc(G, sizeof *a->v);
  a->n = weft__calloc(G, sizeof *a->n);
  a->overflow = 0;
  return a->v && a->n;
}

static void dacc_free(dacc *a) { free(a->v), free(a->n); }

static void merge(weft_agg_kind kind, dacc *a, const dacc *b, size_t G) {
  int mn = kind == WEFT_AGG_MIN;
  a->overflow |= b->overflow;
  for (size_t j = 0; j < G; j++) {
    if (b->n[j] == 0) continue;
    if (kind == WEFT_AGG_SUM || kind == WEFT_AGG_MEAN)
      a->overflow |= __builtin_add_overflow(a->v[j], b->v[j], &a->v[j]);
    else if (a->n[j] == 0 || (mn ? b->v[j] < a->v[j] : b->v[j] > a->v[j]))
      a->v[j] = b->v[j];
    a->n[j] += b->n[j];
  }
}

static weft_status finish(weft_agg_kind kind, const dacc *a, const weft__groups *g, int scale,
                          const char *name, weft_type otype, weft__column *out) {
  int64_t G = g->ngroups;
  if (kind == WEFT_AGG_SUM) {
    i128 bound = 1;
    for (int k = 0; k < 38; k++) bound *= 10;
    for (int64_t j = 0; j < G; j++)
      if (a->overflow || a->v[j] >= bound || a->v[j] <= -bound)
        return weft__error(WEFT_ERR_INVALID_ARGUMENT, "weft_table_group_by: sum of \"%s\" "
                           "overflows %s (more than 38 digits)", name, weft_type_name(otype));
  }
  WEFT_RETURN_NOT_OK(weft__column_alloc(otype, G, kind != WEFT_AGG_SUM, 0, out));
  uint8_t *valid = (uint8_t *)out->view.validity;
  double p10 = pow(10.0, scale);
  for (int64_t j = 0; j < G; j++) {
    int null = kind != WEFT_AGG_SUM && a->n[j] == 0;
    if (null) valid[j >> 3] &= (uint8_t)~(1u << (j & 7));
    if (kind == WEFT_AGG_MEAN) {
      ((double *)out->view.values)[j] = null ? 0 : (double)a->v[j] / p10 / (double)a->n[j];
    } else {
      i128 v = null ? 0 : a->v[j];
      memcpy((char *)out->view.values + (size_t)j * 16, &v, sizeof v);
    }
  }
  return WEFT_OK;
}

weft_status weft__agg_decimal(weft_agg_kind kind, const weft__column *in, const weft__groups *g,
                              int64_t rows, const char *name, weft_type otype, weft__column *out) {
  memset(out, 0, sizeof *out);
  weft__column_null_count((weft__column *)in);
  size_t G = (size_t)(g->ngroups ? g->ngroups : 1);
  dacc parts[PARTS];
  int made = 0, ok = 1;
  dctx c = {kind, in, g->gid, rows, (rows + PARTS - 1) / PARTS, parts, 0};
  int parallel = rows >= ((int64_t)1 << 17) && (int64_t)G * PARTS <= rows / 8;
  for (; ok && made < (parallel ? PARTS : 1); made++) ok = dacc_alloc(&parts[made], G);
  weft_status st = WEFT_OK;
  if (!ok) {
    st = weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_table_group_by: no host memory for the "
                     "aggregation \"%s\"", name);
  } else if (parallel) {
    weft__pool_run(worker, &c);
    for (int p = 1; p < PARTS; p++) merge(kind, &parts[0], &parts[p], G);
  } else {
    accumulate(&c, 0, rows, &parts[0]);
  }
  if (st == WEFT_OK) st = finish(kind, &parts[0], g, weft__dec_scale(in->view.type), name, otype, out);
  for (int p = 0; p < made; p++) dacc_free(&parts[p]);
  return st;
}
