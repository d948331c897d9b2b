/* Device grouping (see group_device.h and kernels/group_hash.kern). The host packs each row's
 * key tuple into W = nkeys + 1 words as group_rows.c's wide path does (a non-utf8 key as its
 * hash_keys.c word: integers widened, -0.0 as 0.0, one NaN; a utf8 key of at most 7 bytes as
 * its bytes and length; null flags in the last word, a null's word 0), so two rows are one
 * group on the device exactly when they are one on the CPU. The table has a power-of-two
 * number of slots, at least twice the rows, so it never fills. */
#include "frame/group/group_device.h"
#include "core/alloc.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frame/families.h"
#include "core/device_choice.h"
#include "core/exec.h"
#include "core/scratch.h"
#include "core/thread_pool.h"
#include "frame/table/hash_keys.h"

#define TILE WEFT_GROUP_TILE
#define PACK_BLOCK 1024

weft_status weft__gdev_alloc(weft__gdev *g, size_t bytes, void **out) {
  *out = NULL;
  if (g->n == WEFT_GDEV_BUFFERS)
    return weft__error(WEFT_ERR_INTERNAL, "device grouping: more than %d buffers",
                       WEFT_GDEV_BUFFERS);
  if (bytes == 0) bytes = 8;
  WEFT_RETURN_NOT_OK(weft__device_alloc(g->dev, bytes, out));
  g->h[g->n] = *out;
  g->bytes[g->n++] = bytes;
  return WEFT_OK;
}

void weft__gdev_release(weft__gdev *g) {
  if (g->dev && g->n) g->dev->backend->synchronize(g->dev->backend_device);
  for (int i = 0; i < g->n; i++) weft__device_free(g->dev, g->h[i], g->bytes[i]);
  g->n = 0;
}

weft_status weft__gdev_launch(weft__gdev *g, weft__group_kernel k, uint64_t n, uint64_t a,
                              uint64_t b, uint64_t c, void *const *bufs) {
  weft__group_launch l = {k, n, a, b, c, {0}};
  for (int i = 0; i < 6; i++) l.buf[i] = bufs[i];
  return g->dev->backend->group_kernel(g->dev->backend_device, &l);
}

weft_status weft__gdev_write(weft__gdev *g, void *dst, const void *src, size_t bytes) {
  if (bytes == 0) return WEFT_OK;
  return g->dev->backend->buffer_write(g->dev->backend_device, dst, 0, src, bytes, 1);
}

weft_status weft__gdev_read(weft__gdev *g, const void *src, size_t offset, void *dst, size_t bytes) {
  if (bytes == 0) return WEFT_OK;
  return g->dev->backend->buffer_read(g->dev->backend_device, src, offset, dst, bytes, 1);
}

weft_status weft__gdev_scan(weft__gdev *g, void *x, uint64_t m) {
  uint64_t tiles = (m + TILE - 1) / TILE;
  if (tiles <= 1) return weft__gdev_launch(g, WEFT__GK_SCAN_APPLY, 1, m, 0, 0,
                                           (void *[6]){x, NULL, NULL, NULL, NULL, NULL});
  void *sums;
  WEFT_RETURN_NOT_OK(weft__gdev_alloc(g, (size_t)tiles * 4, &sums));
  WEFT_RETURN_NOT_OK(weft__gdev_launch(g, WEFT__GK_SCAN_SUM, tiles, m, 0, 0,
                                       (void *[6]){x, sums, NULL, NULL, NULL, NULL}));
  WEFT_RETURN_NOT_OK(weft__gdev_scan(g, sums, tiles));
  return weft__gdev_launch(g, WEFT__GK_SCAN_APPLY, tiles, m, 1, 0,
                           (void *[6]){x, sums, NULL, NULL, NULL, NULL});
}

const char *weft__group_keys_unsupported(const weft__column *const *keys, size_t nkeys,
                                         int64_t rows) {
  if (rows > INT32_MAX) return "more than 2^31 - 1 rows (device row indices are 32-bit)";
  if (nkeys > 64) return "more than 64 key columns (one word of null flags)";
  for (size_t k = 0; k < nkeys; k++) {
    const weft_column_view *v = &keys[k]->view;
    if (v->type != WEFT_TYPE_UTF8) continue;
    const int32_t *o = (const int32_t *)v->values + v->offset;
    for (int64_t r = 0; r < rows; r++)
      if (o[r + 1] - o[r] > 7) return "utf8 key longer than 7 bytes";
  }
  return NULL;
}

static int can_group(const weft__device *d) {
  return d->backend->host_memory || d->backend->group_kernel != NULL;
}

const weft__family weft__family_group = {.name = "group_by", .verb = "group",
                                         .min_rows_auto = WEFT__AUTO_MIN_ROWS,
                                         .has_kernels = can_group};

weft_status weft__group_choose(weft_exec *exec, const char *opname, const weft__column *const *keys,
                               size_t nkeys, int64_t rows, weft__device **dev, char *why,
                               size_t cap) {
  *dev = NULL;
  why[0] = '\0';
  const char *unsupported = weft__group_keys_unsupported(keys, nkeys, rows);
  /* hash probes are random accesses: ~25 ns a row on a core, far less on a GPU */
  weft__op op = {.name = opname, .rows = (size_t)rows, .flops_per_row = 1000,
                 .family = &weft__family_group, .device_unsupported = unsupported};
  op.slot_row_bits[0] = 64 * (nkeys + 1);
  weft__report_clear(exec);
  weft__report(exec, "%s: %lld rows", opname, (long long)rows);
  weft__choice choice;
  WEFT_RETURN_NOT_OK(weft__choose_devices(exec, &op, &choice));
  *dev = weft__choice_one_device(exec, &choice, opname);
  if (*dev) return WEFT_OK;
  if (unsupported && !weft__exec_is_auto(exec)) snprintf(why, cap, "%s", unsupported);
  return WEFT_OK;
}

/* Rows [r0, r0 + n) as W words each (see the file comment). */
static void pack_keys(const weft__column *const *keys, size_t nkeys, int64_t r0, size_t n,
                      uint64_t *kw) {
  size_t W = nkeys + 1;
  uint64_t w[PACK_BLOCK];
  for (size_t i = 0; i < n; i++) kw[i * W + nkeys] = 0;
  for (size_t k = 0; k < nkeys; k++) {
    const weft_column_view *v = &keys[k]->view;
    if (v->type == WEFT_TYPE_UTF8) {
      const int32_t *o = (const int32_t *)v->values + v->offset + r0;
      for (size_t i = 0; i < n; i++) {
        size_t len = (size_t)(o[i + 1] - o[i]);
        w[i] = weft__prefix8(v->data + o[i], len) | (uint64_t)len << 56;
      }
    } else {
      weft__key_words(v, r0, n, w);
    }
    int nulls = v->validity && v->null_count != 0;
    for (size_t i = 0; i < n; i++) {
      if (nulls && !weft__column_valid(keys[k], r0 + (int64_t)i)) {
        kw[i * W + k] = 0;
        kw[i * W + nkeys] |= (uint64_t)1 << k; /* k < 64: checked by the caller */
      } else {
        kw[i * W + k] = w[i];
      }
    }
  }
}

/* Packing on the CPU pool, blocks of PACK_BLOCK rows claimed in turn. */
typedef struct pack_ctx {
  const weft__column *const *keys;
  size_t nkeys, rows;
  uint64_t *kw;
  _Atomic size_t next;
} pack_ctx;

static void pack_worker(void *ctx, int worker, int workers) {
  (void)worker, (void)workers;
  pack_ctx *c = ctx;
  for (;;) {
    size_t r = atomic_fetch_add(&c->next, (size_t)PACK_BLOCK * 16);
    if (r >= c->rows) return;
    size_t end = r + (size_t)PACK_BLOCK * 16 < c->rows ? r + (size_t)PACK_BLOCK * 16 : c->rows;
    for (; r < end; r += PACK_BLOCK)
      pack_keys(c->keys, c->nkeys, (int64_t)r, end - r < PACK_BLOCK ? end - r : PACK_BLOCK,
                c->kw + r * (c->nkeys + 1));
  }
}

weft_status weft__group_rows_device(weft__device *dev, const char *opname,
                                    const weft__column *const *keys, size_t nkeys, int64_t rows,
                                    int want_gid, weft__groups *out) {
  memset(out, 0, sizeof *out);
  if (nkeys > 64)
    return weft__error(WEFT_ERR_UNSUPPORTED, "%s: %zu keys; a device groups at most 64", opname,
                       nkeys);
  size_t n = (size_t)rows, W = nkeys + 1;
  uint64_t nslots = 1024;
  while (nslots < 2 * (uint64_t)n) nslots <<= 1;
  size_t need = n * W * 8 + (size_t)nslots * 8 + n * 16 + 64;
  if (need > weft__device_available(dev))
    return weft__error(WEFT_ERR_DEVICE_MEMORY, "%s: %zu bytes to group %zu rows on %s, %llu "
                       "available under its memory cap", opname, need, n, dev->id,
                       (unsigned long long)weft__device_available(dev));
  for (size_t k = 0; k < nkeys; k++) weft__column_null_count((weft__column *)keys[k]);
  uint64_t *kw = weft__malloc(n * W * sizeof *kw);
  out->first = weft__malloc(n * sizeof *out->first);
  uint32_t *u32 = weft__malloc(n * sizeof *u32);
  if (want_gid) out->gid = weft__scratch_alloc(n * sizeof *out->gid);
  weft__gdev g = {.dev = dev};
  weft_status st = kw && out->first && u32 && (!want_gid || out->gid)
                 ? WEFT_OK : weft__error(WEFT_ERR_OUT_OF_MEMORY, "%s: no host memory", opname);
  if (st == WEFT_OK) {
    pack_ctx pc = {keys, nkeys, n, kw, 0};
    weft__pool_run(pack_worker, &pc);
  }
  void *kd = NULL, *slots = NULL, *smin = NULL, *rslot = NULL, *mark = NULL, *first = NULL,
       *gid = NULL;
  if (st == WEFT_OK) st = weft__gdev_alloc(&g, n * W * 8, &kd);
  if (st == WEFT_OK) st = weft__gdev_alloc(&g, (size_t)nslots * 4, &slots);
  if (st == WEFT_OK) st = weft__gdev_alloc(&g, (size_t)nslots * 4, &smin);
  if (st == WEFT_OK) st = weft__gdev_alloc(&g, n * 4, &rslot);
  if (st == WEFT_OK) st = weft__gdev_alloc(&g, (n + 1) * 4, &mark);
  if (st == WEFT_OK) st = weft__gdev_alloc(&g, n * 4, &first);
  if (st == WEFT_OK) st = weft__gdev_alloc(&g, n * 4, &gid);
  if (st == WEFT_OK) st = weft__gdev_write(&g, kd, kw, n * W * 8);
  if (st == WEFT_OK)
    st = weft__gdev_launch(&g, WEFT__GK_FILL32, nslots, 0, 0, 0,
                           (void *[6]){slots, NULL, NULL, NULL, NULL, NULL});
  if (st == WEFT_OK)
    st = weft__gdev_launch(&g, WEFT__GK_FILL32, nslots, UINT32_MAX, 0, 0,
                           (void *[6]){smin, NULL, NULL, NULL, NULL, NULL});
  if (st == WEFT_OK)
    st = weft__gdev_launch(&g, WEFT__GK_INSERT, n, W, nslots - 1, 0,
                           (void *[6]){kd, slots, smin, rslot, NULL, NULL});
  if (st == WEFT_OK)
    st = weft__gdev_launch(&g, WEFT__GK_MARK, n, 0, 0, 0,
                           (void *[6]){NULL, NULL, smin, rslot, mark, NULL});
  if (st == WEFT_OK) st = weft__gdev_scan(&g, mark, n + 1);
  if (st == WEFT_OK)
    st = weft__gdev_launch(&g, WEFT__GK_NUMBER, n, 0, 0, 0,
                           (void *[6]){first, NULL, smin, rslot, mark, gid});
  uint32_t ngroups = 0;
  if (st == WEFT_OK) st = weft__gdev_read(&g, mark, n * 4, &ngroups, 4);
  if (st == WEFT_OK) st = weft__gdev_read(&g, first, 0, u32, (size_t)ngroups * 4);
  if (st == WEFT_OK && want_gid) st = weft__gdev_read(&g, gid, 0, out->gid, n * 4);
  weft__gdev_release(&g);
  if (st == WEFT_OK) {
    for (uint32_t j = 0; j < ngroups; j++) out->first[j] = u32[j];
    out->ngroups = ngroups;
    out->device = dev;
  }
  free(kw), free(u32);
  if (st != WEFT_OK) weft__groups_free(out);
  return st;
}
