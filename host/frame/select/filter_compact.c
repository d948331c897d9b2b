/* Filter compaction (filter_compact.h). A block is COMPACT_BLOCK rows, a whole number of
 * 64-bit mask words; its kept rows are found a word at a time (count trailing zeros), and a
 * full word is one memcpy. Values land at disjoint output positions; bitmaps (bool values,
 * validity) do not split on whole bytes, so the bytes a block shares with its neighbours are
 * OR-ed in atomically into a zeroed bitmap and the others stored. */
#include "frame/select/filter_compact.h"
#include "core/alloc.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/scratch.h"
#include "core/thread_pool.h"
#include "frame/table/gather.h"

#define COMPACT_BLOCK ((int64_t)1 << 16)

/* Mask word `w` (rows 64w .. 64w + 63), bits past `rows` cleared. */
static uint64_t mask_word(const uint8_t *mask, int64_t rows, int64_t w) {
  uint64_t m = 0;
  if ((w + 1) * 64 <= rows) {
    memcpy(&m, mask + w * 8, 8);
    return m;
  }
  int64_t bytes = (rows - w * 64 + 7) / 8;
  for (int64_t b = 0; b < bytes; b++) m |= (uint64_t)mask[w * 8 + b] << (8 * b);
  int64_t bits = rows - w * 64;
  return bits >= 64 ? m : m & (((uint64_t)1 << bits) - 1);
}

weft_status weft__compact_init(const uint8_t *mask, int64_t rows, weft__compact *out) {
  memset(out, 0, sizeof *out);
  out->mask = mask;
  out->rows = rows;
  out->nblocks = (rows + COMPACT_BLOCK - 1) / COMPACT_BLOCK;
  out->starts = weft__malloc((size_t)(out->nblocks + 1) * sizeof *out->starts);
  if (!out->starts)
    return weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_table_filter: no host memory for %lld rows",
                       (long long)rows);
  int64_t total = 0, words = (rows + 63) / 64;
  for (int64_t b = 0; b < out->nblocks; b++) {
    out->starts[b] = total;
    int64_t w1 = (b + 1) * (COMPACT_BLOCK / 64) < words ? (b + 1) * (COMPACT_BLOCK / 64) : words;
    for (int64_t w = b * (COMPACT_BLOCK / 64); w < w1; w++)
      total += __builtin_popcountll(mask_word(mask, rows, w));
  }
  out->starts[out->nblocks] = total;
  out->kept = total;
  return WEFT_OK;
}

void weft__compact_free(weft__compact *c) {
  free(c->starts);
  weft__scratch_free(c->idx);
  memset(c, 0, sizeof *c);
}

typedef struct job {
  const weft__compact *c;
  const weft__column *src;
  weft__column *dst; /* NULL: fill c->idx */
  int64_t *idx;
  _Atomic int64_t next;
} job;

/* Kept source rows of one block, in order, as `body` with `r` the row number. */
#define FOR_KEPT(c, blk, body)                                                             \
  do {                                                                                     \
    int64_t w0_ = (blk) * (COMPACT_BLOCK / 64), w1_ = w0_ + COMPACT_BLOCK / 64;             \
    int64_t words_ = ((c)->rows + 63) / 64;                                                \
    if (w1_ > words_) w1_ = words_;                                                        \
    for (int64_t w_ = w0_; w_ < w1_; w_++) {                                               \
      uint64_t m_ = mask_word((c)->mask, (c)->rows, w_);                                   \
      while (m_) {                                                                         \
        int64_t r = w_ * 64 + __builtin_ctzll(m_);                                         \
        m_ &= m_ - 1;                                                                      \
        body;                                                                              \
      }                                                                                    \
    }                                                                                      \
  } while (0)

/* Fixed-width values: a full mask word is one copy. */
#define COMPACT_VALUES(T)                                                                  \
  static void values_##T(const weft__compact *c, int64_t blk, const T *s, T *d) {          \
    int64_t w0 = blk * (COMPACT_BLOCK / 64), w1 = w0 + COMPACT_BLOCK / 64;                 \
    int64_t words = (c->rows + 63) / 64;                                                   \
    if (w1 > words) w1 = words;                                                            \
    d += c->starts[blk];                                                                   \
    for (int64_t w = w0; w < w1; w++) {                                                    \
      uint64_t m = mask_word(c->mask, c->rows, w);                                         \
      const T *sw = s + w * 64;                                                            \
      if (m == ~(uint64_t)0) {                                                             \
        memcpy(d, sw, 64 * sizeof *d);                                                     \
        d += 64;                                                                           \
        continue;                                                                          \
      }                                                                                    \
      while (m) {                                                                          \
        *d++ = sw[__builtin_ctzll(m)];                                                     \
        m &= m - 1;                                                                        \
      }                                                                                    \
    }                                                                                      \
  }
COMPACT_VALUES(uint8_t)
COMPACT_VALUES(uint16_t)
COMPACT_VALUES(uint32_t)
COMPACT_VALUES(uint64_t)
typedef struct bytes16 { uint64_t w[2]; } bytes16; /* decimal128 */
COMPACT_VALUES(bytes16)

/* Values of any other width (a vector column's rows: dim * 4 bytes). */
static void values_wide(const weft__compact *c, int64_t blk, const char *s, char *d, size_t w) {
  d += (size_t)c->starts[blk] * w;
  FOR_KEPT(c, blk, {
    memcpy(d, s + (size_t)r * w, w);
    d += w;
  });
}

/* Bits of `src` (bit offset `off`) at the kept rows of one block into the zeroed `dst`. */
static void compact_bits(const weft__compact *c, int64_t blk, const uint8_t *src, int64_t off,
                         uint8_t *dst) {
  int64_t o0 = c->starts[blk], o1 = c->starts[blk + 1], p = o0;
  unsigned cur = 0;
  FOR_KEPT(c, blk, {
    int64_t s = off + r;
    cur |= ((src[s >> 3] >> (s & 7)) & 1u) << (p & 7);
    if ((p & 7) == 7 || p + 1 == o1) {
      int64_t byte = p >> 3;
      if (byte * 8 >= o0 && byte * 8 + 8 <= o1) dst[byte] = (uint8_t)cur;
      else atomic_fetch_or_explicit((_Atomic uint8_t *)&dst[byte], (uint8_t)cur, memory_order_relaxed);
      cur = 0;
    }
    p++;
  });
}

static void compact_block(const job *j, int64_t blk) {
  const weft__compact *c = j->c;
  if (!j->dst) {
    int64_t *o = j->idx + c->starts[blk];
    FOR_KEPT(c, blk, *o++ = r);
    return;
  }
  const weft_column_view *s = &j->src->view;
  weft_column_view *d = &j->dst->view;
  switch (s->type) {
    case WEFT_TYPE_BOOL:
      compact_bits(c, blk, s->values, s->offset, (uint8_t *)d->values);
      break;
    default:
      switch (weft__type_width(s->type)) {
        case 1: values_uint8_t(c, blk, (const uint8_t *)s->values + s->offset, (uint8_t *)d->values); break;
        case 2: values_uint16_t(c, blk, (const uint16_t *)s->values + s->offset, (uint16_t *)d->values); break;
        case 4: values_uint32_t(c, blk, (const uint32_t *)s->values + s->offset, (uint32_t *)d->values); break;
        case 16: values_bytes16(c, blk, (const bytes16 *)s->values + s->offset, (bytes16 *)d->values); break;
        case 8: values_uint64_t(c, blk, (const uint64_t *)s->values + s->offset, (uint64_t *)d->values); break;
        default: {
          size_t w = weft__type_width(s->type);
          values_wide(c, blk, (const char *)s->values + (size_t)s->offset * w, (char *)d->values, w);
        }
      }
  }
  if (d->validity) compact_bits(c, blk, s->validity, s->offset, (uint8_t *)d->validity);
}

static void worker(void *ctx, int w, int workers) {
  (void)w, (void)workers;
  job *j = ctx;
  for (;;) {
    int64_t blk = atomic_fetch_add(&j->next, 1);
    if (blk >= j->c->nblocks) return;
    compact_block(j, blk);
  }
}

static void run(job *j) {
  if (j->c->nblocks <= 1) {
    for (int64_t b = 0; b < j->c->nblocks; b++) compact_block(j, b);
  } else {
    weft__pool_run(worker, j);
  }
}

weft_status weft__compact_column(weft__compact *c, const weft__column *src, weft__column *out) {
  if (src->view.type == WEFT_TYPE_UTF8) { /* offsets are a running sum: the shared gather */
    if (!c->idx) {
      c->idx = weft__scratch_alloc((size_t)(c->kept ? c->kept : 1) * sizeof *c->idx);
      if (!c->idx)
        return weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_table_filter: no host memory for %lld "
                           "rows", (long long)c->kept);
      job j = {c, NULL, NULL, c->idx, 0};
      run(&j);
    }
    return weft__column_gather(src, c->idx, c->kept, out);
  }
  int nulls = weft__column_null_count((weft__column *)src) > 0;
  WEFT_RETURN_NOT_OK(weft__column_alloc_like(src, c->kept, nulls, out));
  size_t bytes = (size_t)(c->kept + 7) / 8;
  if (nulls) memset((void *)out->view.validity, 0, bytes);
  if (src->view.type == WEFT_TYPE_BOOL) memset((void *)out->view.values, 0, bytes);
  job j = {c, src, out, NULL, 0};
  run(&j);
  return WEFT_OK;
}
