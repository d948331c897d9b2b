/* Gathering a column by a list of row numbers (-1 = null), in blocks on the CPU pool.
 * Blocks are whole multiples of 8 rows, so no two threads write one bitmap byte. */
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/alloc.h"
#include "core/thread_pool.h"
#include "frame/join/join.h"

#define GATHER_BLOCK ((int64_t)1 << 16)

typedef struct gather_ctx {
  const weft__column *src;
  const int64_t *rows;
  int64_t n;
  weft__column *dst;
  _Atomic int64_t next;
} gather_ctx;

#define PREFETCH_AHEAD 24

static void set_bit(uint8_t *bits, int64_t i, int on) {
  if (on) bits[i >> 3] |= (uint8_t)(1u << (i & 7));
  else bits[i >> 3] &= (uint8_t)~(1u << (i & 7));
}

static void gather_block(const gather_ctx *c, int64_t o0, int64_t n) {
  const weft_column_view *s = &c->src->view;
  weft_column_view *d = &c->dst->view;
  const int64_t *rows = c->rows + o0;
  int64_t off = s->offset;
  switch (s->type) {
    case WEFT_TYPE_BOOL: {
      const uint8_t *sb = s->values;
      uint8_t *db = (uint8_t *)d->values;
      for (int64_t i = 0; i < n; i++) {
        int64_t r = rows[i] + off;
        set_bit(db, o0 + i, rows[i] >= 0 && ((sb[r >> 3] >> (r & 7)) & 1));
      }
      break;
    }
    case WEFT_TYPE_UTF8: {
      const int32_t *so = s->values;
      const int32_t *dof = d->values;
      for (int64_t i = 0; i < n; i++) {
        if (rows[i] < 0) continue;
        int64_t r = rows[i] + off;
        memcpy((char *)d->data + dof[o0 + i], s->data + so[r], (size_t)(so[r + 1] - so[r]));
      }
      break;
    }
    default: {
      size_t w = weft__type_width(s->type);
      /* Rows in random order (a shuffle, a join's probe side) miss the cache on each read;
       * a prefetch PREFETCH_AHEAD rows ahead keeps that many misses in flight, where the
       * loop alone stalls on each (2-3x on a shuffled gather larger than the cache). */
      if (w == 8) {
        const uint64_t *sv = (const uint64_t *)s->values + off;
        uint64_t *dv = (uint64_t *)d->values + o0;
        for (int64_t i = 0; i < n; i++) {
          if (i + PREFETCH_AHEAD < n && rows[i + PREFETCH_AHEAD] >= 0)
            __builtin_prefetch(sv + rows[i + PREFETCH_AHEAD]);
          dv[i] = rows[i] >= 0 ? sv[rows[i]] : 0;
        }
      } else if (w == 4) {
        const uint32_t *sv = (const uint32_t *)s->values + off;
        uint32_t *dv = (uint32_t *)d->values + o0;
        for (int64_t i = 0; i < n; i++) {
          if (i + PREFETCH_AHEAD < n && rows[i + PREFETCH_AHEAD] >= 0)
            __builtin_prefetch(sv + rows[i + PREFETCH_AHEAD]);
          dv[i] = rows[i] >= 0 ? sv[rows[i]] : 0;
        }
      } else {
        const char *sv = (const char *)s->values + (size_t)off * w;
        char *dv = (char *)d->values + (size_t)o0 * w;
        for (int64_t i = 0; i < n; i++) {
          if (rows[i] >= 0) memcpy(dv + (size_t)i * w, sv + (size_t)rows[i] * w, w);
          else memset(dv + (size_t)i * w, 0, w);
        }
      }
    }
  }
  if (d->validity) {
    uint8_t *dv = (uint8_t *)d->validity;
    for (int64_t i = 0; i < n; i++) {
      int ok = rows[i] >= 0 && weft__column_valid(c->src, rows[i]);
      if (!ok) set_bit(dv, o0 + i, 0);
    }
  }
}

static void gather_worker(void *ctx, int worker, int workers) {
  (void)worker, (void)workers;
  gather_ctx *c = ctx;
  for (;;) {
    int64_t o0 = atomic_fetch_add(&c->next, GATHER_BLOCK);
    if (o0 >= c->n) return;
    gather_block(c, o0, c->n - o0 < GATHER_BLOCK ? c->n - o0 : GATHER_BLOCK);
  }
}

/* UTF8 offsets are a running sum, so they are made first, in one pass. */
static weft_status utf8_offsets(const weft__column *src, const int64_t *rows, int64_t n,
                                weft__column *dst) {
  const weft_column_view *s = &src->view;
  const int32_t *so = (const int32_t *)s->values + s->offset;
  int32_t *dof = (int32_t *)dst->view.values;
  int64_t total = 0;
  dof[0] = 0;
  for (int64_t i = 0; i < n; i++) {
    if (rows[i] >= 0) total += so[rows[i] + 1] - so[rows[i]];
    if (total > INT32_MAX)
      return weft__error(WEFT_ERR_INVALID_ARGUMENT, "a utf8 column of these %lld rows would hold "
                         "more than the %d bytes of strings its 32-bit offsets address",
                         (long long)n, INT32_MAX);
    dof[i + 1] = (int32_t)total;
  }
  return weft__column_grow_utf8(dst, (size_t)total);
}

/* dst made for src's rows listed in `rows` (utf8: with its offsets), not yet filled. */
static weft_status gather_target(const weft__column *src, const int64_t *rows, int64_t n,
                                 int may_have_minus_one, weft__column *dst) {
  int nulls = may_have_minus_one || weft__column_null_count((weft__column *)src) > 0;
  WEFT_RETURN_NOT_OK(weft__column_alloc(src->view.type, n, nulls, 0, dst));
  if (src->view.type == WEFT_TYPE_UTF8) {
    weft_status st = utf8_offsets(src, rows, n, dst);
    if (st != WEFT_OK) {
      weft__column_release(dst);
      return st;
    }
  }
  return WEFT_OK;
}

weft_status weft__join_gather(const weft__column *src, const int64_t *rows, int64_t n,
                              int may_have_minus_one, weft__column *dst) {
  WEFT_RETURN_NOT_OK(gather_target(src, rows, n, may_have_minus_one, dst));
  gather_ctx c = {src, rows, n, dst, 0};
  if (n <= GATHER_BLOCK) gather_block(&c, 0, n);
  else weft__pool_run(gather_worker, &c);
  return WEFT_OK;
}

/* Several columns by one row list: a block of rows for every column before the next block,
 * so the block's row numbers are read from memory once, not once a column. */
#define MANY_BLOCK ((int64_t)1 << 14)

typedef struct many_ctx {
  gather_ctx *cols;
  size_t ncols;
  int64_t n;
  _Atomic int64_t next;
} many_ctx;

static void many_worker(void *ctx, int worker, int workers) {
  (void)worker, (void)workers;
  many_ctx *m = ctx;
  for (;;) {
    int64_t o0 = atomic_fetch_add(&m->next, MANY_BLOCK);
    if (o0 >= m->n) return;
    int64_t len = m->n - o0 < MANY_BLOCK ? m->n - o0 : MANY_BLOCK;
    for (size_t c = 0; c < m->ncols; c++) gather_block(&m->cols[c], o0, len);
  }
}

weft_status weft__columns_gather(const weft__column *srcs, size_t ncols, const int64_t *rows,
                                 int64_t n, weft__column *dsts) {
  gather_ctx *cs = weft__calloc(ncols ? ncols : 1, sizeof *cs);
  if (!cs) return weft__error(WEFT_ERR_OUT_OF_MEMORY, "gather: no host memory");
  weft_status st = WEFT_OK;
  size_t made = 0;
  for (; st == WEFT_OK && made < ncols; made++) {
    st = gather_target(&srcs[made], rows, n, 0, &dsts[made]);
    cs[made] = (gather_ctx){&srcs[made], rows, n, &dsts[made], 0};
  }
  if (st != WEFT_OK) {
    for (size_t c = 0; c + 1 < made; c++) weft__column_release(&dsts[c]);
    free(cs);
    return st;
  }
  many_ctx m = {cs, ncols, n, 0};
  if (n <= MANY_BLOCK) many_worker(&m, 0, 1);
  else weft__pool_run(many_worker, &m);
  free(cs);
  return WEFT_OK;
}
