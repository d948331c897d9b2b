/* Device aggregation (agg_device.h). Rows are ordered by group with a stable LSD radix sort of
 * the 32-bit group ids (8-bit digits, as many passes as the group count needs; each pass a
 * per-tile digit count, an exclusive scan, a stable per-tile placement), so each group's rows
 * are in row order and one work-item per group folds them in that order: float sums, means,
 * std and var add in a fixed order (deterministic; equal to the CPU's within rounding, since
 * the CPU adds per thread range then merges), everything else equals the CPU's exactly.
 * n_unique groups the (group, value) pairs on the device, as agg.c does on the CPU. */
#include "frame/group/agg_device.h"
#include "frame/table/categorical.h"
#include "core/alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "frame/group/agg.h"
#include "frame/table/gather.h"

#define TILE WEFT_GROUP_TILE
#define NOBUF NULL, NULL, NULL, NULL, NULL, NULL

void weft__agg_device_release(weft__agg_device *c) {
  weft__gdev_release(&c->g);
  c->ready = 0;
  c->start = c->sorted = c->chunk0 = c->row0 = NULL;
  c->chunks = 0;
}

weft_status weft__agg_device_prepare(weft__agg_device *c, const weft__groups *g, int64_t rows) {
  weft__gdev *d = &c->g;
  d->dev = g->device;
  size_t n = (size_t)rows, G = (size_t)g->ngroups;
  uint64_t tiles = (n + TILE - 1) / TILE;
  void *ids, *ids2, *rows_a, *rows_b, *hist;
  WEFT_RETURN_NOT_OK(weft__gdev_alloc(d, n * 4, &ids));
  WEFT_RETURN_NOT_OK(weft__gdev_alloc(d, n * 4, &ids2));
  WEFT_RETURN_NOT_OK(weft__gdev_alloc(d, n * 4, &rows_a));
  WEFT_RETURN_NOT_OK(weft__gdev_alloc(d, n * 4, &rows_b));
  WEFT_RETURN_NOT_OK(weft__gdev_alloc(d, (size_t)tiles * 256 * 4, &hist));
  WEFT_RETURN_NOT_OK(weft__gdev_alloc(d, (G + 1) * 4, &c->start));
  WEFT_RETURN_NOT_OK(weft__gdev_write(d, ids, g->gid, n * 4));
  WEFT_RETURN_NOT_OK(weft__gdev_launch(d, WEFT__GK_FILL32, G + 1, 0, 0, 0,
                                       (void *[6]){c->start, NULL, NULL, NULL, NULL, NULL}));
  WEFT_RETURN_NOT_OK(weft__gdev_launch(d, WEFT__GK_COUNT, n, 0, 0, 0,
                                       (void *[6]){ids, c->start, NULL, NULL, NULL, NULL}));
  WEFT_RETURN_NOT_OK(weft__gdev_scan(d, c->start, G + 1));
  void *rin = NULL, *rout = rows_a;
  for (uint64_t shift = 0;; shift += 8) {
    WEFT_RETURN_NOT_OK(weft__gdev_launch(d, WEFT__GK_RADIX_HIST, tiles, n, shift, 0,
                                         (void *[6]){ids, hist, NULL, NULL, NULL, NULL}));
    WEFT_RETURN_NOT_OK(weft__gdev_scan(d, hist, tiles * 256));
    WEFT_RETURN_NOT_OK(weft__gdev_launch(d, WEFT__GK_RADIX_SCATTER, tiles, n, shift, rin != NULL,
                                         (void *[6]){ids, hist, rin, ids2, rout, NULL}));
    void *t = ids;
    ids = ids2, ids2 = t;
    rin = rout;
    rout = rout == rows_a ? rows_b : rows_a;
    if (shift + 8 >= 32 || ((uint64_t)(G ? G - 1 : 0) >> (shift + 8)) == 0) break;
  }
  c->sorted = rin;
  /* chunks: a few huge groups still spread over many work-items */
  WEFT_RETURN_NOT_OK(weft__gdev_alloc(d, (G + 1) * 4, &c->chunk0));
  WEFT_RETURN_NOT_OK(weft__gdev_launch(d, WEFT__GK_CHUNK_COUNT, G, WEFT_AGG_CHUNK, 0, 0,
                                       (void *[6]){c->start, c->chunk0, NULL, NULL, NULL, NULL}));
  WEFT_RETURN_NOT_OK(weft__gdev_scan(d, c->chunk0, G + 1));
  uint32_t chunks = 0;
  WEFT_RETURN_NOT_OK(weft__gdev_read(d, c->chunk0, G * 4, &chunks, 4));
  c->chunks = chunks;
  WEFT_RETURN_NOT_OK(weft__gdev_alloc(d, ((size_t)chunks + 1) * 4, &c->row0));
  WEFT_RETURN_NOT_OK(weft__gdev_launch(d, WEFT__GK_CHUNK_MAP, G, WEFT_AGG_CHUNK, chunks, n,
                                       (void *[6]){c->start, c->chunk0, c->row0, NULL, NULL, NULL}));
  c->ready = 1;
  return WEFT_OK;
}

/* Runs the aggregation kernel; acc receives 3 x G words (value, M2, count). */
static weft_status run_agg(weft__agg_device *c, weft_agg_kind kind, char cls, const weft__column *in,
                           int64_t rows, int64_t G, uint64_t *acc) {
  weft__gdev d = {.dev = c->g.dev};
  size_t n = (size_t)rows;
  int nulls = in && in->view.validity && weft__column_null_count((weft__column *)in) != 0;
  int values = in && kind != WEFT_AGG_LEN && kind != WEFT_AGG_LAST && kind != WEFT_AGG_COUNT;
  int valid = nulls && kind != WEFT_AGG_LEN && kind != WEFT_AGG_LAST;
  uint64_t *w = values ? weft__malloc(n * 8 + 8) : NULL;
  uint8_t *ok = valid ? weft__malloc(n + 1) : NULL;
  void *vd = NULL, *okd = NULL, *part = NULL, *out = NULL;
  weft_status st = (!values || w) && (!valid || ok)
                 ? WEFT_OK : weft__error(WEFT_ERR_OUT_OF_MEMORY, "group_by: no host memory");
  if (st == WEFT_OK && (values || valid)) weft__agg_load_words(in, cls, 0, n, w, ok);
  if (st == WEFT_OK && values) st = weft__gdev_alloc(&d, n * 8, &vd);
  if (st == WEFT_OK && ok) st = weft__gdev_alloc(&d, n, &okd);
  if (st == WEFT_OK) st = weft__gdev_alloc(&d, (size_t)c->chunks * 24, &part);
  if (st == WEFT_OK) st = weft__gdev_alloc(&d, (size_t)G * 24, &out);
  if (st == WEFT_OK && values) st = weft__gdev_write(&d, vd, w, n * 8);
  if (st == WEFT_OK && ok) st = weft__gdev_write(&d, okd, ok, n);
  if (st == WEFT_OK)
    st = weft__gdev_launch(&d, WEFT__GK_AGG, c->chunks, (uint64_t)kind, (uint64_t)cls, ok != NULL,
                           (void *[6]){c->row0, c->sorted, vd, okd, part, NULL});
  if (st == WEFT_OK)
    st = weft__gdev_launch(&d, WEFT__GK_AGG_MERGE, (uint64_t)G, (uint64_t)kind, (uint64_t)cls,
                           c->chunks, (void *[6]){c->chunk0, part, out, NULL, NULL, NULL});
  if (st == WEFT_OK) st = weft__gdev_read(&d, out, 0, acc, (size_t)G * 24);
  weft__gdev_release(&d);
  free(w), free(ok);
  return st;
}

static weft_status counts_column(const uint64_t *acc, int64_t G, weft__column *out) {
  WEFT_RETURN_NOT_OK(weft__column_alloc(WEFT_TYPE_UINT32, G, 0, 0, out));
  uint32_t *v = (uint32_t *)out->view.values;
  for (int64_t j = 0; j < G; j++) v[j] = (uint32_t)acc[2 * G + j];
  return WEFT_OK;
}

static weft_status n_unique(weft__agg_device *c, const weft__column *in, const weft__groups *g,
                            int64_t rows, weft__column *out) {
  weft__column gc = weft__gid_column(g, rows);
  const weft__column *keys[2] = {&gc, in};
  weft__groups pairs;
  WEFT_RETURN_NOT_OK(weft__group_rows_device(c->g.dev, "weft_table_group_by n_unique", keys, 2,
                                             rows, 0, &pairs));
  return weft__n_unique_counts(g, &pairs, out);
}

weft_status weft__aggregate_device(weft__agg_device *c, weft_agg_kind kind, const weft__column *in,
                                   const weft__groups *g, int64_t rows, const char *name,
                                   weft__column *out, char *why, size_t cap) {
  memset(out, 0, sizeof *out);
  why[0] = '\0';
  weft_type otype = WEFT_TYPE_UINT32;
  if (kind != WEFT_AGG_LEN) {
    weft__column_null_count((weft__column *)in);
    WEFT_RETURN_NOT_OK(weft__agg_type(kind, in->view.type, name, &otype));
  }
  if (kind == WEFT_AGG_FIRST) return weft__column_gather(in, g->first, g->ngroups, out);
  if (in && weft__type_is_decimal(in->view.type)) { /* 128-bit values: no device kernel */
    snprintf(why, cap, "decimal128 aggregation of \"%s\" runs on the CPU", name);
    return WEFT_ERR_UNSUPPORTED;
  }
  weft__column codes; /* a categorical column counts its codes */
  if (in && in->view.type == WEFT_TYPE_CATEGORICAL) {
    if (kind == WEFT_AGG_LAST) {
      snprintf(why, cap, "last of categorical \"%s\" runs on the CPU", name);
      return WEFT_ERR_UNSUPPORTED;
    }
    codes = weft__column_codes(in), in = &codes;
  }
  if (kind == WEFT_AGG_N_UNIQUE) {
    const char *no = weft__group_keys_unsupported(&in, 1, rows);
    if (no) {
      snprintf(why, cap, "n_unique of \"%s\": %s", name, no);
      return WEFT_ERR_UNSUPPORTED;
    }
    return n_unique(c, in, g, rows, out);
  }
  if (in && in->view.type == WEFT_TYPE_UTF8 && (kind == WEFT_AGG_MIN || kind == WEFT_AGG_MAX)) {
    snprintf(why, cap, "utf8 %s of \"%s\" (byte comparisons stay on the CPU)",
             kind == WEFT_AGG_MIN ? "min" : "max", name);
    return WEFT_ERR_UNSUPPORTED;
  }
  if (!c->g.dev->desc.has_fp64) {
    snprintf(why, cap, "%s has no fp64, which the aggregation kernel needs", c->g.dev->id);
    return WEFT_ERR_UNSUPPORTED;
  }
  int64_t G = g->ngroups;
  char cls = in ? weft__agg_class(kind, in->view.type) : 'i';
  uint64_t *acc = weft__malloc((size_t)(G ? G : 1) * 24);
  if (!acc) return weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_table_group_by: no host memory");
  weft_status st = run_agg(c, kind, cls, in, rows, G, acc);
  if (st == WEFT_OK) {
    if (kind == WEFT_AGG_COUNT || kind == WEFT_AGG_LEN) {
      st = counts_column(acc, G, out);
    } else if (kind == WEFT_AGG_LAST) {
      int64_t *best = weft__malloc((size_t)(G ? G : 1) * sizeof *best);
      if (!best) st = weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_table_group_by: no host memory");
      /* a group of no rows (no keys, an empty table: the one group) has no last row: null,
       * as on the CPU, not row 0 */
      for (int64_t j = 0; best && j < G; j++) best[j] = acc[2 * G + j] ? (int64_t)acc[j] : -1;
      if (best) st = weft__column_gather(in, best, G, out);
      free(best);
    } else {
      st = weft__agg_finish(kind, cls, otype, G, (const int64_t *)acc, (const double *)acc,
                            (const double *)(acc + G), (const int64_t *)(acc + 2 * G), out);
    }
  }
  free(acc);
  return st;
}
