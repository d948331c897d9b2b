/* weft_table_join on OpenCL / CUDA (join_device.h). The host packs each row's key tuple into
 * W uint64 words, equal words meaning equal keys as the CPU compares them: every non-utf8
 * key is its CPU key word (hash_keys.c: integers widened to int64, -0.0 as 0.0, one NaN,
 * bool 0/1, dates as integers), and a utf8 key takes ceil((longest + 1) / 8) words, its
 * bytes zero-padded with the length in the last byte (one word for up to 7 bytes, the
 * word the CPU's grouping uses). A row with a null key is marked invalid: it never matches.
 * The device then builds and probes (kernels/join_hash.kern) and the pairs come back in the
 * CPU's order: left rows ascending, each one's matches in right order. */
#include "frame/join/join_device.h"
#include "core/alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../../kernels/join_hash.h"
#include "frame/families.h"
#include "core/backend_launch.h"
#include "core/device_choice.h"
#include "core/scratch.h"
#include "core/error.h"

_Static_assert(WK_JOIN_INNER == WEFT_JOIN_INNER && WK_JOIN_LEFT == WEFT_JOIN_LEFT &&
                   WK_JOIN_SEMI == WEFT_JOIN_SEMI && WK_JOIN_ANTI == WEFT_JOIN_ANTI,
               "kernels/join_hash.h join kinds match weft_join_kind");

/* The cost model counts a hash probe on the CPU (a cache miss or two, ~15 ns a core) as
 * this many flops a row; a GPU hides those misses. */
#define PROBE_FLOPS_PER_ROW 600

typedef struct key_layout {
  size_t words;                             /* W */
  size_t first[WEFT_JOIN_DEVICE_MAX_WORDS]; /* per key: its first word */
  size_t count[WEFT_JOIN_DEVICE_MAX_WORDS]; /* per key: its words */
} key_layout;

static int32_t longest_utf8(const weft_column_view *v) {
  const int32_t *o = (const int32_t *)v->values + v->offset;
  int32_t most = 0;
  for (int64_t i = 0; i < v->length; i++)
    if (o[i + 1] - o[i] > most) most = o[i + 1] - o[i];
  return most;
}

/* 1 with the layout, or 0 with why the keys do not fit the device join. */
static int layout_keys(const weft__join_keys *lk, const weft__join_keys *rk, key_layout *out,
                       char *why, size_t cap) {
  memset(out, 0, sizeof *out);
  if (lk->n > WEFT_JOIN_DEVICE_MAX_WORDS) {
    snprintf(why, cap, "%zu join keys; the device join takes up to %d words of keys", lk->n,
             WEFT_JOIN_DEVICE_MAX_WORDS);
    return 0;
  }
  for (size_t k = 0; k < lk->n; k++) {
    size_t words = 1;
    int32_t longest = 0;
    if (lk->cols[k]->view.type == WEFT_TYPE_UTF8) {
      int32_t a = longest_utf8(&lk->cols[k]->view), b = longest_utf8(&rk->cols[k]->view);
      longest = a > b ? a : b;
      words = (size_t)(longest + 8) / 8;
    }
    out->first[k] = out->words;
    out->count[k] = words;
    out->words += words;
    if (out->words > WEFT_JOIN_DEVICE_MAX_WORDS) {
      snprintf(why, cap, "utf8 key %zu has values of %d bytes: the keys need %zu or more words "
               "a row, the device join takes up to %d", k, (int)longest, out->words,
               WEFT_JOIN_DEVICE_MAX_WORDS);
      return 0;
    }
  }
  return 1;
}

static int has_join_kernels(const weft__device *dev) {
  const weft__backend *be = dev->backend;
  /* the join's steps and scans are weft__kernel ids, queued through the launch entry */
  return be->host_memory || be->launch;
}

const weft__family weft__family_join = {.name = "join", .verb = "join",
                                        .min_rows_auto = WEFT__AUTO_MIN_ROWS,
                                        .has_kernels = has_join_kernels};

weft_status weft__join_device_choose(struct weft_exec *exec, const char *name,
                                     const weft__join_keys *lk, int64_t lrows,
                                     const weft__join_keys *rk, int64_t rrows,
                                     weft__device **out) {
  *out = NULL;
  key_layout layout;
  char why[256] = "";
  int fits = layout_keys(lk, rk, &layout, why, sizeof why);
  weft__op op = {.name = name,
                 .rows = (size_t)(lrows + rrows),
                 .flops_per_row = PROBE_FLOPS_PER_ROW,
                 .family = &weft__family_join,
                 .device_unsupported = fits ? NULL : why};
  /* Over PCIe: every row's key words and validity byte, and about one (left, right) pair
   * of int64 back per left row. */
  op.slot_row_bits[0] = 64 * (fits ? layout.words : lk->n) + 8;
  op.slot_row_bits[1] = lrows + rrows ? (size_t)(128 * lrows / (lrows + rrows)) : 0;
  weft__choice choice;
  WEFT_RETURN_NOT_OK(weft__choose_devices(exec, &op, &choice));
  for (int i = 0; i < choice.count && !*out; i++)
    if (!choice.devices[i]->backend->host_memory) *out = choice.devices[i];
  return WEFT_OK;
}

/* Key words of rows [0, rows) of one side, row-major, and each row's validity byte. */
static void pack_keys(const weft__join_keys *keys, const key_layout *layout, int64_t rows,
                      uint64_t *words, uint8_t *valid) {
  uint64_t block[WEFT_JOIN_BLOCK];
  size_t w = layout->words;
  for (int64_t r0 = 0; r0 < rows; r0 += WEFT_JOIN_BLOCK) {
    size_t n = (size_t)(rows - r0 < WEFT_JOIN_BLOCK ? rows - r0 : WEFT_JOIN_BLOCK);
    memset(valid + r0, 1, n);
    for (size_t k = 0; k < keys->n; k++) {
      const weft_column_view *v = &keys->cols[k]->view;
      if (v->validity && v->null_count != 0) {
        for (size_t i = 0; i < n; i++) {
          int64_t at = v->offset + r0 + (int64_t)i;
          valid[r0 + (int64_t)i] &= (uint8_t)((v->validity[at >> 3] >> (at & 7)) & 1);
        }
      }
      uint64_t *dst = words + (size_t)r0 * w + layout->first[k];
      if (v->type != WEFT_TYPE_UTF8) {
        weft__key_words(v, r0, n, block);
        if (k < 64 && ((keys->sign_guard >> k) & 1)) /* uint64 against signed (join.h) */
          for (size_t i = 0; i < n; i++)
            if (block[i] >> 63) valid[r0 + (int64_t)i] = 0;
        for (size_t i = 0; i < n; i++) dst[i * w] = block[i];
        continue;
      }
      size_t nw = layout->count[k];
      const int32_t *o = (const int32_t *)v->values + v->offset + r0;
      for (size_t i = 0; i < n; i++) {
        uint8_t bytes[8 * WEFT_JOIN_DEVICE_MAX_WORDS] = {0};
        size_t len = (size_t)(o[i + 1] - o[i]);
        memcpy(bytes, v->data + o[i], len);
        bytes[8 * nw - 1] = (uint8_t)len; /* len <= 8 * nw - 1: never a byte of the value */
        memcpy(dst + i * w, bytes, 8 * nw);
      }
    }
  }
}

/* Device buffers of one join, all freed at the end. */
enum { MAX_BUFS = 24 };
typedef struct dev_bufs {
  weft__device *dev;
  void *handle[MAX_BUFS];
  size_t bytes[MAX_BUFS];
  int n;
} dev_bufs;

static weft_status alloc(dev_bufs *b, size_t bytes, void **out) {
  if (b->n == MAX_BUFS) return weft__error(WEFT_ERR_INTERNAL, "join on %s: too many buffers", b->dev->id);
  bytes = bytes ? bytes : 8;
  uint64_t most = b->dev->desc.max_alloc_bytes;
  if (most && bytes > most)
    return weft__error(WEFT_ERR_DEVICE_MEMORY, "join on %s: a buffer of %zu bytes is over the "
                       "device's largest allocation (%llu bytes)", b->dev->id, bytes,
                       (unsigned long long)most);
  WEFT_RETURN_NOT_OK(weft__device_alloc(b->dev, bytes, out));
  b->handle[b->n] = *out;
  b->bytes[b->n++] = bytes;
  return WEFT_OK;
}

static void release(dev_bufs *b, void *handle) {
  for (int i = 0; i < b->n; i++)
    if (b->handle[i] == handle) {
      weft__device_free(b->dev, handle, b->bytes[i]);
      b->handle[i] = b->handle[--b->n];
      b->bytes[i] = b->bytes[b->n];
      return;
    }
}

static void release_all(dev_bufs *b) {
  while (b->n > 0) release(b, b->handle[b->n - 1]);
}

#define SCAN_CHUNK ((size_t)WK_JOIN_SCAN_CHUNK)
#define RADIX_CHUNK ((size_t)WK_JOIN_RADIX_CHUNK)

/* Exclusive scan of n uint64 in place; *total (if not NULL) = their sum. */
static weft_status scan(dev_bufs *b, void *data, size_t n, uint64_t *total) {
  const weft__backend *be = b->dev->backend;
  int d = b->dev->backend_device;
  if (total) *total = 0;
  if (n == 0) return WEFT_OK;
  size_t chunks = (n + SCAN_CHUNK - 1) / SCAN_CHUNK;
  void *sums;
  WEFT_RETURN_NOT_OK(alloc(b, chunks * 8, &sums));
  weft_status st = weft__backend_launch(
      b->dev, WEFT__K_SCAN_CHUNKS, &(weft__scan_chunks_args){.n = n, .data = data, .sums = sums});
  if (st == WEFT_OK && chunks > 1) {
    st = scan(b, sums, chunks, total);
    if (st == WEFT_OK)
      st = weft__backend_launch(b->dev, WEFT__K_SCAN_ADD,
                                &(weft__scan_add_args){.n = n, .data = data, .sums = sums});
  } else if (st == WEFT_OK && total) {
    st = be->buffer_read(d, sums, 0, total, sizeof *total, 1);
  }
  release(b, sums);
  return st;
}

/* The table over the right rows: owner, seg_start, seg_end (slots each) and the right rows
 * grouped by slot (*rows_sorted). */
static weft_status build(dev_bufs *b, const weft__join_probe *p, size_t nr, const void *rkeys,
                         const void *rvalid, void **rows_sorted) {
  const weft__backend *be = b->dev->backend;
  int d = b->dev->backend_device;
  void *slot[2], *row[2], *hist;
  size_t chunks = (nr + RADIX_CHUNK - 1) / RADIX_CHUNK;
  for (int i = 0; i < 2; i++) {
    WEFT_RETURN_NOT_OK(alloc(b, nr * 4, &slot[i]));
    WEFT_RETURN_NOT_OK(alloc(b, nr * 4, &row[i]));
  }
  WEFT_RETURN_NOT_OK(alloc(b, WK_JOIN_RADIX_DIGITS * chunks * 8, &hist));
  void *owner = (void *)p->owner, *start = (void *)p->seg_start, *end = (void *)p->seg_end;
  WEFT_RETURN_NOT_OK(weft__backend_launch(
      b->dev, WEFT__K_JOIN_CLEAR,
      &(weft__join_clear_args){.slots = p->slots, .owner = owner, .seg_start = start,
                               .seg_end = end}));
  WEFT_RETURN_NOT_OK(weft__backend_launch(
      b->dev, WEFT__K_JOIN_INSERT,
      &(weft__join_insert_args){.rows = nr, .words = p->words, .keys = rkeys, .valid = rvalid,
                                .slots = p->slots, .owner = owner, .slot_of = slot[0],
                                .row_of = row[0]}));
  /* slot ids run to `slots` itself (null rows), so the sort covers log2(slots) + 1 bits */
  unsigned bits = 1;
  while (((size_t)1 << (bits - 1)) < p->slots) bits++;
  int cur = 0;
  for (unsigned shift = 0; shift < bits; shift += WK_JOIN_RADIX_BITS, cur ^= 1) {
    WEFT_RETURN_NOT_OK(weft__backend_launch(
        b->dev, WEFT__K_JOIN_RADIX_COUNT,
        &(weft__join_radix_count_args){.n = nr, .shift = shift, .slot_in = slot[cur],
                                       .hist = hist}));
    WEFT_RETURN_NOT_OK(scan(b, hist, WK_JOIN_RADIX_DIGITS * chunks, NULL));
    WEFT_RETURN_NOT_OK(weft__backend_launch(
        b->dev, WEFT__K_JOIN_RADIX_SCATTER,
        &(weft__join_radix_scatter_args){.n = nr, .shift = shift, .slot_in = slot[cur],
                                         .row_in = row[cur], .hist = hist,
                                         .slot_out = slot[cur ^ 1], .row_out = row[cur ^ 1]}));
  }
  WEFT_RETURN_NOT_OK(weft__backend_launch(
      b->dev, WEFT__K_JOIN_BOUNDS,
      &(weft__join_bounds_args){.n = nr, .slots = p->slots, .slot_sorted = slot[cur],
                                .seg_start = start, .seg_end = end}));
  /* The queue runs in order: the frees below only return memory to the accounting after
   * the work is queued; the backend keeps a buffer alive until its queued work ends. */
  WEFT_RETURN_NOT_OK(be->synchronize(d));
  release(b, hist);
  release(b, slot[0]);
  release(b, slot[1]);
  release(b, row[cur ^ 1]);
  *rows_sorted = row[cur];
  return WEFT_OK;
}

static weft_status upload(dev_bufs *b, const void *host, size_t bytes, void **out) {
  WEFT_RETURN_NOT_OK(alloc(b, bytes, out));
  if (bytes == 0) return WEFT_OK;
  return b->dev->backend->buffer_write(b->dev->backend_device, *out, 0, host, bytes, 1);
}

static weft_status emit(dev_bufs *b, weft__join_probe *p, uint64_t total, int64_t *left,
                        int64_t *right, size_t *slices);

static weft_status run(dev_bufs *b, const key_layout *layout, const uint64_t *lwords,
                       const uint8_t *lvalid, int64_t lrows, const uint64_t *rwords,
                       const uint8_t *rvalid, int64_t rrows, weft_join_kind kind, int64_t **left,
                       int64_t **right, size_t *n, size_t *slices) {
  size_t w = layout->words, nl = (size_t)lrows, nr = (size_t)rrows;
  weft__join_probe p = {.rows = nl, .words = w, .kind = (int)kind};
  p.slots = 16;
  while (p.slots < nr * 2) p.slots *= 2;
  void *rkeys, *rv, *owner, *start, *end, *rows_sorted;
  WEFT_RETURN_NOT_OK(upload(b, rwords, nr * w * 8, &rkeys));
  WEFT_RETURN_NOT_OK(upload(b, rvalid, nr, &rv));
  WEFT_RETURN_NOT_OK(alloc(b, p.slots * 4, &owner));
  WEFT_RETURN_NOT_OK(alloc(b, p.slots * 4, &start));
  WEFT_RETURN_NOT_OK(alloc(b, p.slots * 4, &end));
  p.owner = owner, p.seg_start = start, p.seg_end = end, p.right_keys = rkeys;
  WEFT_RETURN_NOT_OK(build(b, &p, nr, rkeys, rv, &rows_sorted));
  release(b, rv);
  p.right_rows = rows_sorted;
  void *lkeys, *lv;
  WEFT_RETURN_NOT_OK(upload(b, lwords, nl * w * 8, &lkeys));
  WEFT_RETURN_NOT_OK(upload(b, lvalid, nl, &lv));
  p.keys = lkeys, p.valid = lv;
  WEFT_RETURN_NOT_OK(alloc(b, nl * 4, &p.match));
  WEFT_RETURN_NOT_OK(alloc(b, nl * 8, &p.count));
  WEFT_RETURN_NOT_OK(weft__backend_launch(b->dev, WEFT__K_JOIN_PROBE_COUNT, &p));
  uint64_t total = 0;
  WEFT_RETURN_NOT_OK(scan(b, p.count, nl, &total));
  int pairs = kind == WEFT_JOIN_INNER || kind == WEFT_JOIN_LEFT;
  *left = weft__scratch_alloc((size_t)total * 8 + 8);
  *right = pairs ? weft__scratch_alloc((size_t)total * 8 + 8) : NULL;
  if (!*left || (pairs && !*right))
    return weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_table_join: no host memory for %llu output "
                       "rows", (unsigned long long)total);
  *n = (size_t)total;
  return emit(b, &p, total, *left, *right, slices);
}

/* Output rows [first, last) of left rows [row0, row0 + rows) into the host arrays. */
static weft_status emit_slice(dev_bufs *b, weft__join_probe *p, size_t row0, size_t rows,
                              uint64_t first, uint64_t last, int64_t *left, int64_t *right) {
  const weft__backend *be = b->dev->backend;
  int d = b->dev->backend_device;
  p->emit_row0 = row0, p->emit_rows = rows, p->emit_base = first;
  WEFT_RETURN_NOT_OK(weft__backend_launch(b->dev, WEFT__K_JOIN_EMIT, p));
  size_t bytes = (size_t)(last - first) * 8;
  if (bytes == 0) return WEFT_OK;
  WEFT_RETURN_NOT_OK(be->buffer_read(d, p->out_left, 0, left + first, bytes, 1));
  if (right) WEFT_RETURN_NOT_OK(be->buffer_read(d, p->out_right, 0, right + first, bytes, 1));
  return WEFT_OK;
}

/* The pairs, written by the device in one go, or, when they do not all fit its memory
 * (a join whose keys repeat on both sides), in slices of left rows cut where the scanned
 * counts (read back once) say their output fits. */
static weft_status emit(dev_bufs *b, weft__join_probe *p, uint64_t total, int64_t *left,
                        int64_t *right, size_t *slices) {
  const weft__backend *be = b->dev->backend;
  int d = b->dev->backend_device;
  size_t row_bytes = right ? 16 : 8, nl = p->rows;
  uint64_t fit = weft__device_available(b->dev) / row_bytes;
  if (b->dev->desc.max_alloc_bytes && fit > b->dev->desc.max_alloc_bytes / 8)
    fit = b->dev->desc.max_alloc_bytes / 8;
  fit = fit < total ? fit : total;
  WEFT_RETURN_NOT_OK(alloc(b, (size_t)fit * 8, &p->out_left));
  if (right) WEFT_RETURN_NOT_OK(alloc(b, (size_t)fit * 8, &p->out_right));
  *slices = 1;
  if (fit == total) return emit_slice(b, p, 0, nl, 0, total, left, right);
  uint64_t *offset = weft__malloc((nl + 1) * sizeof *offset);
  if (!offset)
    return weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_table_join: no host memory for %zu offsets", nl);
  weft_status st = be->buffer_read(d, p->count, 0, offset, nl * 8, 1);
  offset[nl] = total;
  *slices = 0;
  for (size_t l0 = 0; st == WEFT_OK && l0 < nl; (*slices)++) {
    size_t lo = l0 + 1, hi = nl; /* the last l1 with offset[l1] - offset[l0] <= fit */
    if (offset[lo] - offset[l0] > fit) {
      st = weft__error(WEFT_ERR_DEVICE_MEMORY, "join on %s: left row %zu alone has %llu output "
                       "rows; %llu fit in the device's memory", b->dev->id, l0,
                       (unsigned long long)(offset[lo] - offset[l0]), (unsigned long long)fit);
      break;
    }
    while (lo < hi) {
      size_t mid = lo + (hi - lo + 1) / 2;
      if (offset[mid] - offset[l0] <= fit) lo = mid;
      else hi = mid - 1;
    }
    st = emit_slice(b, p, l0, lo - l0, offset[l0], offset[lo], left, right);
    l0 = lo;
  }
  free(offset);
  return st;
}

weft_status weft__join_device_pairs(weft__device *dev, const weft__join_keys *lk, int64_t lrows,
                                    const weft__join_keys *rk, int64_t rrows, weft_join_kind kind,
                                    int64_t **left, int64_t **right, size_t *n, size_t *slices) {
  *left = *right = NULL;
  *n = 0;
  *slices = 0;
  key_layout layout;
  char why[256];
  if (!layout_keys(lk, rk, &layout, why, sizeof why))
    return weft__error(WEFT_ERR_UNSUPPORTED, "join on %s: %s", dev->id, why);
  if (rrows >= (int64_t)1 << 30)
    return weft__error(WEFT_ERR_UNSUPPORTED, "join on %s: the right table has %lld rows; the "
                       "device join takes fewer than 2^30", dev->id, (long long)rrows);
  size_t w = layout.words;
  uint64_t *lwords = weft__malloc((size_t)lrows * w * 8 + 8), *rwords = weft__malloc((size_t)rrows * w * 8 + 8);
  uint8_t *lvalid = weft__malloc((size_t)lrows + 1), *rvalid = weft__malloc((size_t)rrows + 1);
  weft_status st = WEFT_OK;
  if (!lwords || !rwords || !lvalid || !rvalid)
    st = weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_table_join: no host memory for the key words "
                     "of %lld + %lld rows", (long long)lrows, (long long)rrows);
  dev_bufs bufs = {.dev = dev};
  if (st == WEFT_OK) {
    pack_keys(lk, &layout, lrows, lwords, lvalid);
    pack_keys(rk, &layout, rrows, rwords, rvalid);
    st = run(&bufs, &layout, lwords, lvalid, lrows, rwords, rvalid, rrows, kind, left, right, n,
             slices);
  }
  if (st != WEFT_OK) {
    char message[1024];
    snprintf(message, sizeof message, "%s", weft_last_error());
    dev->backend->synchronize(dev->backend_device); /* nothing queued may still use the buffers */
    st = weft__error(st, "%s", message);
    weft__scratch_free(*left), weft__scratch_free(*right);
    *left = *right = NULL;
    *n = 0;
  }
  release_all(&bufs);
  free(lwords), free(rwords), free(lvalid), free(rvalid);
  return st;
}
