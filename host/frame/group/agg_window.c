/* Aggregations inside select / with_columns / filter (agg_window.h): per window, the rows
 * are grouped once (group_rows.c: a group id per row), each aggregation reduced per group
 * (agg.c) and its values broadcast to the rows by their group id, so a window costs one
 * grouping, the reductions and one pass of loads: no join back. */
#include "frame/group/agg_window.h"
#include "core/alloc.h"

#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/thread_pool.h"
#include "frame/fused/masked_agg.h"
#include "frame/group/agg.h"
#include "frame/group/group_rows.h"
#include "frame/table/gather.h"

/* The column `e` gives over `t`: a bare column shared, anything else computed. */
static weft_status column_of(const weft_expr *e, const weft_table *t, weft__column *out) {
  if (e->kind == WEFT__E_COLUMN) {
    size_t idx;
    WEFT_RETURN_NOT_OK(weft__table_find(t, e->s, &idx));
    *out = t->cols[idx];
    weft__column_retain(out);
    return WEFT_OK;
  }
  weft_table *sel = NULL;
  WEFT_RETURN_NOT_OK(weft_table_select(NULL, t, 1, &e, &sel));
  *out = sel->cols[0];
  weft__column_retain(out);
  weft_table_free(sel);
  return WEFT_OK;
}

typedef struct bcast {
  const uint8_t *src;
  uint8_t *dst;
  const int32_t *gid;
  size_t width;
  int64_t rows;
  _Atomic int64_t next;
} bcast;

#define BCAST_BLOCK 65536

typedef struct bytes16 { uint64_t w[2]; } bytes16; /* decimal128 */

static void bcast_run(void *ctx, int worker, int workers) {
  (void)worker, (void)workers;
  bcast *b = ctx;
  for (;;) {
    int64_t r0 = atomic_fetch_add(&b->next, BCAST_BLOCK);
    if (r0 >= b->rows) return;
    int64_t r1 = r0 + BCAST_BLOCK < b->rows ? r0 + BCAST_BLOCK : b->rows;
    const int32_t *g = b->gid;
    switch (b->width) {
#define COPY(W, T) case W: { const T *s = (const T *)b->src; T *d = (T *)b->dst; \
        if (g) { for (int64_t r = r0; r < r1; r++) d[r] = s[g[r]]; } \
        else { for (int64_t r = r0; r < r1; r++) d[r] = s[0]; } break; }
      COPY(1, uint8_t) COPY(2, uint16_t) COPY(4, uint32_t) COPY(8, uint64_t) COPY(16, bytes16)
#undef COPY
      default: break;
    }
  }
}

weft_status weft__column_broadcast(const weft__column *in, const int32_t *gid, int64_t rows,
                                   weft__column *out) {
  weft_type type = in->view.type;
  size_t width = weft__type_width(type);
  int has_nulls = weft__column_null_count((weft__column *)in) > 0;
  if (width == 0 || has_nulls) { /* bool, utf8, nulls: by the general gather */
    int64_t *rowsv = weft__malloc((size_t)(rows ? rows : 1) * sizeof *rowsv);
    if (!rowsv) return weft__error(WEFT_ERR_OUT_OF_MEMORY, "no host memory to broadcast %lld rows",
                                   (long long)rows);
    for (int64_t r = 0; r < rows; r++) rowsv[r] = gid ? gid[r] : 0;
    weft_status st = weft__column_gather(in, rowsv, rows, out);
    free(rowsv);
    return st;
  }
  WEFT_RETURN_NOT_OK(weft__column_alloc(type, rows, 0, 0, out));
  bcast b = {.src = (const uint8_t *)in->view.values + (size_t)in->view.offset * width,
             .dst = (uint8_t *)out->view.values, .gid = gid, .width = width, .rows = rows};
  atomic_init(&b.next, 0);
  if (rows > BCAST_BLOCK) weft__pool_run(bcast_run, &b);
  else bcast_run(&b, 0, 1);
  out->view.null_count = 0;
  return WEFT_OK;
}

/* Same window: both without keys, or the same key list. */
static int same_window(const weft_expr *a, const weft_expr *b) {
  if (!a || !b) return a == b;
  return !strcmp(a->s, b->s);
}

/* The aggregations without a window, when the one-pass aggregate (masked_agg.c, as the lazy
 * plan's "aggregate (one pass)") computes them all: no group id a row. *done = 0: it cannot. */
static weft_status whole_table(weft_exec *exec, const weft_table *t, const weft__agg_uses *u,
                               weft_table *res, size_t *slot, int *done) {
  *done = 0;
  size_t n = 0;
  weft_agg *aggs = weft__calloc(u->n ? u->n : 1, sizeof *aggs);
  size_t *which = weft__calloc(u->n ? u->n : 1, sizeof *which);
  weft_status st = aggs && which ? WEFT_OK : weft__error(WEFT_ERR_OUT_OF_MEMORY, "no host memory");
  int ok = st == WEFT_OK;
  for (size_t i = 0; ok && i < u->n; i++) {
    if (u->v[i].over) continue;
    which[n] = i;
    aggs[n] = (weft_agg){.kind = (weft_agg_kind)u->v[i].agg->op, .input = u->v[i].agg->a,
                         .name = u->v[i].column};
    ok = weft__masked_agg_supports(&aggs[n++], t);
  }
  weft_table *empty = NULL, *proto = NULL, *row = NULL;
  if (ok) st = weft_table_slice(t, 0, 0, &empty);
  if (ok && st == WEFT_OK) st = weft_table_group_by(NULL, empty, 0, NULL, n, aggs, &proto);
  if (ok && st == WEFT_OK) st = weft__masked_agg(exec, t, NULL, 0, NULL, n, aggs, proto, &row);
  for (size_t a = 0; ok && st == WEFT_OK && row && a < n; a++) {
    weft__column col;
    st = weft__column_broadcast(&row->cols[a], NULL, t->rows, &col);
    if (st == WEFT_OK) st = weft__table_set_column(res, (*slot)++, u->v[which[a]].column, col);
    if (st != WEFT_OK) st = weft__error_context(st, "%s", u->v[which[a]].agg->text);
  }
  *done = ok && st == WEFT_OK && row != NULL;
  weft_table_free(row), weft_table_free(proto), weft_table_free(empty);
  free(aggs), free(which);
  return st;
}

/* Computes the uses of window `over` (the first at `first`) into res's slots from `slot`. */
static weft_status one_window(weft_exec *exec, const char *opname, const weft_table *t,
                              const weft__agg_uses *u, size_t first, weft_table *res, size_t *slot) {
  const weft_expr *over = u->v[first].over;
  size_t nkeys = 0;
  for (const weft_expr *k = over ? over->b : NULL; k; k = k->b) nkeys++;
  weft__column *kcols = weft__calloc(nkeys ? nkeys : 1, sizeof *kcols);
  const weft__column **kptr = weft__calloc(nkeys ? nkeys : 1, sizeof *kptr);
  weft_status st = kcols && kptr ? WEFT_OK : weft__error(WEFT_ERR_OUT_OF_MEMORY, "%s: no host memory", opname);
  size_t made = 0;
  for (const weft_expr *k = over ? over->b : NULL; st == WEFT_OK && k; k = k->b, made++) {
    st = column_of(k->a, t, &kcols[made]);
    kptr[made] = &kcols[made];
    if (st != WEFT_OK) st = weft__error_context(st, "%s: key %s of %s", opname, k->a->text, over->text);
  }
  weft__groups g = {0};
  if (st == WEFT_OK) st = weft__group_rows(exec, opname, kptr, nkeys, t->rows, 1, &g);
  weft__agg_memo memo = {0};
  for (size_t i = first; st == WEFT_OK && i < u->n; i++) {
    const weft__agg_use *use = &u->v[i];
    if (!same_window(use->over, over)) continue;
    weft__column in, values, rows;
    memset(&in, 0, sizeof in);
    const weft_expr *input = use->agg->a;
    if (input) st = column_of(input, t, &in);
    if (st == WEFT_OK)
      st = weft__aggregate((weft_agg_kind)use->agg->op, &in, &g, t->rows, weft__expr_out_name(use->agg),
                           input && input->kind == WEFT__E_COLUMN ? &memo : NULL, &values);
    if (st == WEFT_OK) {
      st = weft__column_broadcast(&values, nkeys ? g.gid : NULL, t->rows, &rows);
      weft__column_release(&values);
    }
    if (st == WEFT_OK) st = weft__table_set_column(res, (*slot)++, use->column, rows);
    weft__column_release(&in);
    if (st != WEFT_OK) st = weft__error_context(st, "%s: %s", opname, use->agg->text);
  }
  weft__agg_memo_free(&memo);
  weft__groups_free(&g);
  for (size_t k = 0; k < made; k++) weft__column_release(&kcols[k]);
  free(kcols), free(kptr);
  return st;
}

weft_status weft__agg_window(weft_exec *exec, const char *opname, const weft_table *t,
                             const weft__agg_uses *u, weft_table **out) {
  weft_table *res = NULL;
  WEFT_RETURN_NOT_OK(weft__table_new(t->ncols + u->n, t->rows, &res));
  weft_status st = WEFT_OK;
  for (size_t c = 0; st == WEFT_OK && c < t->ncols; c++) {
    weft__column col = t->cols[c];
    weft__column_retain(&col);
    st = weft__table_set_column(res, c, t->names[c], col);
  }
  size_t slot = t->ncols;
  for (size_t i = 0; st == WEFT_OK && i < u->n; i++) {
    int seen = 0;
    for (size_t j = 0; j < i; j++) seen |= same_window(u->v[j].over, u->v[i].over);
    if (seen) continue;
    int done = 0;
    if (!u->v[i].over) st = whole_table(exec, t, u, res, &slot, &done);
    if (st == WEFT_OK && !done) st = one_window(exec, opname, t, u, i, res, &slot);
  }
  if (st != WEFT_OK) {
    weft_table_free(res);
    return st;
  }
  *out = res;
  return WEFT_OK;
}
