/* weft__join_agg: a join whose output only feeds aggregations (a lazy plan's group_by, or
 * aggregate-only select, directly over a join; without keys, or by left columns of few
 * values), in one pass over the left rows: the join's output is never built.
 *
 * When each left row has at most one match (the right keys are unique: always so with a
 * direct table, join_keys.c; checked bucket by bucket otherwise), or the join is a semi or
 * anti join (only whether a match exists counts), the join's output rows are the left rows
 * in order, kept by their match (inner and semi: matched; anti: unmatched; left: every
 * one), and the right columns of a row are those of its match (null when none).
 * masked_agg.c runs the aggregations over that table a chunk at a time (weft__agg_source):
 * left columns are read in place, right columns are gathered for the chunk into small
 * buffers of the worker, seen from offset -at so that row `at` is their first stored row.
 * The rows aggregated are the rows the join would output, in its order, so groups come out
 * in the order group_by gives. An inner or left join whose right keys repeat gives up, as
 * does the keyed pass on more groups than it holds. */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/alloc.h"
#include "core/exec.h"
#include "frame/expr/expr.h"
#include "frame/join/join.h"
#include "frame/fused/masked_agg.h"

/* The probes and gathers below are not prefetched by hand: the rows are independent, so
 * out-of-order execution overlaps their misses already (software prefetch measured 1.2x
 * slower in CPU time). */
typedef struct join_source {
  weft_join_kind kind;
  const weft_table *left, *join_proto;
  const weft__join_keys *lk, *rk;
  const weft__join_table *table;
  const weft__column **rcols; /* the right columns of the output, in order */
  size_t nright;
} join_source;

static int right_nullable(const join_source *j, const weft__column *src) {
  return j->kind == WEFT_JOIN_LEFT || weft__column_null_count((weft__column *)src) > 0;
}

static void source_close(void *ctx, weft_table *t) {
  (void)ctx;
  weft_table_free(t);
}

static weft_status source_open(void *ctx, weft_table **out) {
  const join_source *j = ctx;
  const weft_table *left = j->left;
  weft_table *t = NULL;
  WEFT_RETURN_NOT_OK(weft__table_new(left->ncols + j->nright, left->rows, &t));
  weft_status st = WEFT_OK;
  for (size_t c = 0; st == WEFT_OK && c < left->ncols; c++) {
    weft__column col = left->cols[c];
    weft__column_retain(&col);
    st = weft__table_set_column(t, c, j->join_proto->names[c], col);
  }
  for (size_t k = 0; st == WEFT_OK && k < j->nright; k++) {
    const weft__column *src = j->rcols[k];
    int nullable = right_nullable(j, src);
    weft__column col;
    st = weft__column_alloc_like(src, WEFT__CHUNK, nullable, &col);
    if (st != WEFT_OK) break;
    /* rows of the whole left side as far as binding can tell; only a chunk's are stored */
    col.view.length = left->rows;
    col.view.null_count = nullable; /* known, so nothing scans the buffer */
    st = weft__table_set_column(t, left->ncols + k, j->join_proto->names[left->ncols + k], col);
  }
  if (st != WEFT_OK) {
    weft_table_free(t);
    return st;
  }
  *out = t;
  return WEFT_OK;
}

/* dst[i] = src's value at row match[i] (0 and null when match[i] < 0), for i in [0, n). */
static void gather_chunk(const weft__column *src, const int32_t *match, int64_t n, weft__column *dst) {
  const weft_column_view *s = &src->view;
  uint8_t *values = (uint8_t *)dst->view.values, *valid = (uint8_t *)dst->view.validity;
  if (s->type == WEFT_TYPE_BOOL) {
    memset(values, 0, (size_t)(n + 7) / 8);
    for (int64_t i = 0; i < n; i++) {
      int64_t r = s->offset + match[i];
      const uint8_t *bits = s->values;
      if (match[i] >= 0 && ((bits[r >> 3] >> (r & 7)) & 1)) values[i >> 3] |= (uint8_t)(1u << (i & 7));
    }
  } else {
    size_t w = weft__type_width(s->type);
    const uint8_t *from = (const uint8_t *)s->values + (size_t)s->offset * w;
    switch (w) {
#define GATHER(W, T) case W: { \
        for (int64_t i = 0; i < n; i++) ((T *)values)[i] = match[i] >= 0 ? ((const T *)from)[match[i]] : 0; \
        break; }
      GATHER(1, uint8_t) GATHER(2, uint16_t) GATHER(4, uint32_t) GATHER(8, uint64_t)
#undef GATHER
      default: break;
    }
  }
  if (!valid) return;
  memset(valid, 0, (size_t)(n + 7) / 8);
  for (int64_t i = 0; i < n; i++)
    if (match[i] >= 0 && weft__column_valid(src, match[i])) valid[i >> 3] |= (uint8_t)(1u << (i & 7));
}

/* The first right row whose keys equal left row `l`'s (key: its word or hash), or -1. */
static int32_t first_match(const join_source *j, int64_t l, uint64_t key) {
  const weft__join_table *t = j->table;
  uint64_t b = weft__join_bucket(j->lk, key, t->mask);
  for (uint32_t e = t->start[b], end = t->start[b + 1]; e < end; e++) {
    const weft__join_entry *x = &t->entries[e];
    if (x->key == key && (j->lk->single_word || weft__join_rows_equal(j->lk, l, j->rk, x->row)))
      return (int32_t)x->row;
  }
  return -1;
}

static void source_fill(void *ctx, weft_table *t, int64_t at, int64_t n, uint8_t *keep) {
  const join_source *j = ctx;
  const weft__join_table *tab = j->table;
  uint64_t key[WEFT_JOIN_BLOCK];
  uint8_t valid[WEFT_JOIN_BLOCK];
  int32_t match[WEFT__CHUNK];
  const weft_column_view *kv = &j->lk->cols[0]->view;
  int in_place = tab->direct && (kv->type == WEFT_TYPE_INT64 || kv->type == WEFT_TYPE_TIMESTAMP_US) &&
                 kv->null_count == 0;
  if (in_place) {
    /* int64 keys without nulls are their own words: read in place, not copied a block
     * at a time */
    const uint64_t *k = (const uint64_t *)kv->values + kv->offset + at;
    for (int64_t i = 0; i < n; i++) {
      uint64_t slot = k[i] - tab->base;
      match[i] = (int32_t)(slot < tab->span ? tab->direct[slot] : 0) - 1;
    }
  }
  for (int64_t b0 = 0; b0 < n && !in_place; b0 += WEFT_JOIN_BLOCK) {
    size_t m = (size_t)(n - b0 < WEFT_JOIN_BLOCK ? n - b0 : WEFT_JOIN_BLOCK);
    weft__join_block_keys(j->lk, at + b0, m, valid, key);
    if (tab->direct) {
      for (size_t i = 0; i < m; i++) {
        uint64_t slot = key[i] - tab->base;
        uint32_t r = valid[i] && slot < tab->span ? tab->direct[slot] : 0;
        match[b0 + (int64_t)i] = (int32_t)r - 1;
      }
      continue;
    }
    for (size_t i = 0; i < m; i++)
      match[b0 + (int64_t)i] = valid[i] ? first_match(j, at + b0 + (int64_t)i, key[i]) : -1;
  }
  switch (j->kind) {
    case WEFT_JOIN_INNER: case WEFT_JOIN_SEMI:
      for (int64_t i = 0; i < n; i++) keep[i] &= (uint8_t)(match[i] >= 0);
      break;
    case WEFT_JOIN_ANTI:
      for (int64_t i = 0; i < n; i++) keep[i] &= (uint8_t)(match[i] < 0);
      break;
    default: break; /* left: every left row is a row */
  }
  for (size_t k = 0; k < j->nright; k++) {
    weft__column *dst = &t->cols[j->left->ncols + k];
    dst->view.offset = -at;
    gather_chunk(j->rcols[k], match, n, dst);
  }
}

/* Right rows from which an inner or left join larger on the right than on the left is not
 * fused: building on the right costs more than the join output it would save. */
#define WEFT__JOIN_AGG_BIG_RIGHT 65536

static int is_right_key(const size_t *ridx, size_t nkeys, size_t c) {
  for (size_t k = 0; k < nkeys; k++)
    if (ridx[k] == c) return 1;
  return 0;
}

weft_status weft__join_agg(weft_exec *exec, const weft_table *left, const weft_table *right,
                           size_t nkeys, const char *const *left_on, const char *const *right_on,
                           weft_join_kind kind, const weft_table *join_proto, size_t ngroup_keys,
                           const char *const *group_keys, size_t naggs, const weft_agg *aggs,
                           const weft_table *proto, weft_table **out) {
  *out = NULL;
  const weft__column **lcols = weft__calloc(nkeys ? nkeys : 1, sizeof *lcols);
  const weft__column **rkeys = weft__calloc(nkeys ? nkeys : 1, sizeof *rkeys);
  const weft__column **rcols = weft__calloc(right->ncols ? right->ncols : 1, sizeof *rcols);
  size_t *lidx = weft__calloc(nkeys ? nkeys : 1, sizeof *lidx), *ridx = weft__calloc(nkeys ? nkeys : 1, sizeof *ridx);
  weft_status st = lcols && rkeys && rcols && lidx && ridx
                 ? weft__join_find_keys(left, right, nkeys, left_on, right_on, lcols, rkeys, lidx, ridx)
                 : weft__error(WEFT_ERR_OUT_OF_MEMORY, "join + aggregate (fused): no host memory");
  int pairs = kind == WEFT_JOIN_INNER || kind == WEFT_JOIN_LEFT;
  size_t nright = 0;
  int readable = st == WEFT_OK;
  /* categorical keys join on unified codes (weft_table_join does that): not fused */
  for (size_t k = 0; readable && k < nkeys; k++)
    if (lcols[k]->view.type == WEFT_TYPE_CATEGORICAL) readable = 0;
  for (size_t c = 0; readable && pairs && c < right->ncols; c++) {
    if (is_right_key(ridx, nkeys, c)) continue;
    if (right->cols[c].view.type == WEFT_TYPE_UTF8 || right->cols[c].view.type == WEFT_TYPE_CATEGORICAL)
      readable = 0; /* strings: not gathered here */
    rcols[nright++] = &right->cols[c];
  }
  if (readable && join_proto->ncols != left->ncols + nright)
    st = weft__error(WEFT_ERR_INTERNAL, "join + aggregate (fused): the join has %zu output "
                     "columns, not %zu", join_proto->ncols, left->ncols + nright);
  if (st == WEFT_OK && readable && pairs) {
    st = weft__join_group_count(exec, left, right, nkeys, left_on, lcols, rkeys, kind, join_proto,
                                rcols, nright, ngroup_keys, group_keys, naggs, aggs, proto, out);
    if (st != WEFT_OK || *out) readable = 0; /* done (or failed) */
  }
  weft__join_table table = {0};
  int one_match = 0;
  if (st == WEFT_OK && readable && right->rows > left->rows &&
      (!pairs || right->rows >= WEFT__JOIN_AGG_BIG_RIGHT)) {
    /* the join builds on the smaller side: a semi / anti join marks the left rows instead,
     * an inner or left join probes by the right rows (a large right side larger than the
     * left mostly repeats its keys, as TPC-H Q13's orders by customer: a table built on it
     * would be thrown away once it shows a repeat) */
    if (exec)
      weft__report(exec, "  not fused: the right side (%lld rows) is larger than the left "
                   "(%lld rows); the join builds its table on the left", (long long)right->rows,
                   (long long)left->rows);
    readable = 0;
    one_match = 1; /* reported */
  }
  if (st == WEFT_OK && readable) {
    for (size_t k = 0; k < nkeys; k++) {
      weft__column_null_count((weft__column *)lcols[k]);
      weft__column_null_count((weft__column *)rkeys[k]);
    }
    int single = nkeys == 1 && lcols[0]->view.type != WEFT_TYPE_UTF8;
    weft__join_keys lk = {nkeys, lcols, single, 0}, rk = {nkeys, rkeys, single, 0};
    st = weft__join_sign_guards(&lk, &rk);
    if (st == WEFT_OK) st = weft__join_build(&rk, right->rows, &table);
    /* semi and anti ask only whether a match exists; inner and left need at most one */
    one_match = st == WEFT_OK && (table.direct || !pairs || weft__join_keys_unique(&table, &rk));
    if (one_match) {
      join_source j = {kind, left, join_proto, &lk, &rk, &table, rcols, nright};
      weft__agg_source src = {"join + aggregate (fused)", &j, source_open, source_fill, source_close};
      st = weft__masked_agg_source(exec, &src, ngroup_keys, group_keys, naggs, aggs, proto, out);
      if (st == WEFT_OK && exec && *out && table.direct)
        weft__report(exec, "  direct table on %lld right rows (a span of %llu keys): the join's "
                     "output was not built", (long long)right->rows,
                     (unsigned long long)table.span);
      else if (st == WEFT_OK && exec && *out)
        weft__report(exec, "  hash table on %lld right rows%s: the join's output was not built",
                     (long long)right->rows, pairs ? " (keys unique)" : "");
    }
    weft__join_table_free(&table);
  }
  if (st == WEFT_OK && !*out && exec && !one_match)
    weft__report(exec, "  %s: not fused", readable ? "the right keys repeat (a left row may match "
                 "several right rows)" : "a right column is utf8, or a key categorical");
  free(lcols), free(rkeys), free(rcols), free(lidx), free(ridx);
  return st;
}
