/* weft__group_rows. When the exec chooses an OpenCL or CUDA device, the rows are grouped
 * there (group_device.c: the same groups in the same order). On the CPU, a single integer
 * key of small range (at most 2^20, or twice the rows: dense ids such as order numbers) is
 * grouped by direct indexing, on the CPU pool: one slot array per row range, the ranges'
 * groups merged in row order. Otherwise the rows are split into one
 * partition per CPU thread (weft__schedule on the CPU: these hash tables live in host memory);
 * each partition builds a local open-addressing hash table, numbering its groups in order
 * of first appearance; the local groups are then merged partition by partition into a
 * global table, which keeps global first-appearance order, and the per-row ids remapped.
 * Keys that are mostly distinct (judged on a sample) take one partition: merging would
 * cost as much as grouping. Rows are compared by the cheapest exact means at hand: one
 * non-utf8 key as its word, one utf8 key by its 8-byte prefix before its bytes, several
 * keys that each fit a word (utf8 ones of at most 7 bytes) as words, else column by column. */
#include "frame/group/group_rows.h"
#include "frame/table/categorical.h"
#include "core/progress.h"
#include "core/alloc.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/scheduler.h"
#include "core/scratch.h"
#include "core/thread_pool.h"
#include "frame/table/cpu_only.h"
#include "frame/table/decimal_keys.h"
#include "frame/group/group_device.h"
#include "frame/table/hash_keys.h"
#include "core/vector_clones.h"

#define DIRECT_RANGE ((int64_t)1 << 20)
#define MIN_PART_ROWS ((int64_t)1 << 16)

/* Groups of one table: hash, first row (and for one non-utf8 key, the word) of each, and
 * an open-addressing index of 4-byte slots (small, so it stays in cache for longer). The
 * null group of a one-word key is kept out of the index. */
typedef struct htab {
  int64_t n, cap, null_g;
  uint64_t *hash, *word;
  uint64_t *wide; /* wide keys: W words per group */
  int64_t W;
  int64_t *first;
  int32_t *len;  /* one utf8 key: each group's length, so a probe reads no offsets */
  int32_t *slot; /* -1 empty, else a group */
  uint64_t mask;
} htab;

static void htab_free(htab *t) {
  free(t->hash), free(t->word), free(t->wide), free(t->first), free(t->len), free(t->slot);
  memset(t, 0, sizeof *t);
  t->null_g = -1;
}

static void htab_index(htab *t, int64_t g) {
  uint64_t i = t->hash[g] & t->mask;
  while (t->slot[i] >= 0) i = (i + 1) & t->mask;
  t->slot[i] = (int32_t)g;
}

static int htab_grow(htab *t) {
  int64_t cap = t->cap ? t->cap * 2 : 64;
  uint64_t *h = weft__realloc(t->hash, (size_t)cap * sizeof *h);
  if (h) t->hash = h;
  uint64_t *w = h ? weft__realloc(t->word, (size_t)cap * sizeof *w) : NULL;
  if (w) t->word = w;
  uint64_t *x = w && t->W ? weft__realloc(t->wide, (size_t)(cap * t->W) * sizeof *x) : NULL;
  if (x) t->wide = x;
  int64_t *f = w && (x || !t->W) ? weft__realloc(t->first, (size_t)cap * sizeof *f) : NULL;
  if (f) t->first = f;
  int32_t *l = f ? weft__realloc(t->len, (size_t)cap * sizeof *l) : NULL;
  if (l) t->len = l;
  if (!l) f = NULL;
  /* sparser the smaller the table: at most 1/16 full up to 1024 groups (the slots still fit
   * in L1; a probe that misses its first slot costs a mispredicted branch, measured 15% of
   * a 1,000-string group_by at 1/4), 1/8 and 1/4 while they fit in L2, half beyond */
  uint64_t nslots = (uint64_t)cap * (cap <= ((int64_t)1 << 10) ? 16 : cap <= ((int64_t)1 << 12) ? 8 : cap <= ((int64_t)1 << 16) ? 4 : 2);
  int32_t *s = f ? weft__malloc(nslots * sizeof *s) : NULL;
  if (!s) return 0;
  memset(s, 0xFF, nslots * sizeof *s);
  free(t->slot);
  t->slot = s;
  t->cap = cap;
  t->mask = nslots - 1;
  for (int64_t g = 0; g < t->n; g++)
    if (g != t->null_g) htab_index(t, g);
  return 1;
}

/* A new group (indexed unless it is a one-word key's null group); -1 on OOM. */
static int64_t htab_add(htab *t, uint64_t h, uint64_t w, int64_t row, int indexed) {
  if (t->n == t->cap && !htab_grow(t)) return -1;
  int64_t g = t->n++;
  t->hash[g] = h;
  t->word[g] = w;
  t->first[g] = row;
  if (indexed) htab_index(t, g);
  else t->null_g = g;
  return g;
}

/* The group of key row `row` (of `kcols`, with hash h), added when new; -1 on OOM. `gcols`
 * are the columns the groups' first rows refer to. */
static int64_t htab_find_or_add(htab *t, uint64_t h, const weft__column *const *kcols, int64_t row,
                                const weft__column *const *gcols, size_t nkeys) {
  for (uint64_t i = h & t->mask; t->slot; i = (i + 1) & t->mask) {
    int32_t g = t->slot[i];
    if (g < 0) break;
    if (t->hash[g] == h && weft__key_rows_equal(gcols, t->first[g], kcols, row, nkeys)) return g;
  }
  return htab_add(t, h, 0, row, 1);
}

/* The same for one non-utf8 key: words compared, no row access. */
static int64_t htab_find_or_add_word(htab *t, uint64_t w, int64_t row) {
  uint64_t h = weft__hash_mix(w);
  for (uint64_t i = h & t->mask; t->slot; i = (i + 1) & t->mask) {
    int32_t g = t->slot[i];
    if (g < 0) break;
    if (t->word[g] == w) return g;
  }
  return htab_add(t, h, w, row, 1);
}

/* The same for one utf8 key (row `row` of view `v`, non-null): its prefix is kept as the
 * group's word, so most probes of short strings touch neither the offsets nor the bytes
 * of the groups' first rows. `gv` is the view the groups' first rows refer to. */
static int64_t htab_find_or_add_str_at(htab *t, uint64_t h, uint64_t w, int32_t len, const char *p,
                                       int64_t row, const weft_column_view *gv) {
  const int32_t *go = (const int32_t *)gv->values + gv->offset;
  for (uint64_t i = h & t->mask; t->slot; i = (i + 1) & t->mask) {
    int32_t g = t->slot[i];
    if (g < 0) break;
    if (t->word[g] != w || t->len[g] != len) continue;
    /* up to 8 bytes the word and the length are the string */
    if (len <= 8) return g;
    if (t->hash[g] == h && !memcmp(gv->data + go[t->first[g]] + 8, p + 8, (size_t)len - 8)) return g;
  }
  int64_t g = htab_add(t, h, w, row, 1);
  if (g >= 0) t->len[g] = len;
  return g;
}

static int64_t htab_find_or_add_str(htab *t, uint64_t h, const weft_column_view *v, int64_t row,
                                    const weft_column_view *gv) {
  const int32_t *o = (const int32_t *)v->values + v->offset;
  const char *p = v->data + o[row];
  int32_t len = o[row + 1] - o[row];
  return htab_find_or_add_str_at(t, h, weft__prefix8(p, (size_t)len), len, p, row, gv);
}

/* Rows [base, base + n) of one utf8 key without nulls into t: each string's word, length
 * and hash made once, in the probe's loop. 0 on OOM. */
static int build_str_block(htab *t, const weft_column_view *v, int64_t base, size_t n, int32_t *gid) {
  const int32_t *o = (const int32_t *)v->values + v->offset;
  for (size_t i = 0; i < n; i++) {
    int64_t row = base + (int64_t)i;
    int32_t at = o[row], len = o[row + 1] - at;
    const char *p = v->data + at;
    uint64_t w = weft__prefix8(p, (size_t)len);
    uint64_t h = weft__hash_bytes(p, (size_t)len); /* inline: shares the word's loads */
    int64_t g = htab_find_or_add_str_at(t, h, w, len, p, row, v);
    if (g < 0) return 0;
    if (gid) gid[row] = (int32_t)g;
  }
  return 1;
}

/* Several keys that each fit a word (utf8 of at most 7 bytes: its bytes and its length),
 * plus a word of null flags: rows compared as W words, no column access. */
#define WIDE_MAX_KEYS 8
#define WIDE_BLOCK 256

static int64_t htab_find_or_add_wide(htab *t, uint64_t h, const uint64_t *kw, int64_t row) {
  size_t W = (size_t)t->W;
  for (uint64_t i = h & t->mask; t->slot; i = (i + 1) & t->mask) {
    int32_t g = t->slot[i];
    if (g < 0) break;
    if (t->hash[g] == h && !memcmp(t->wide + (size_t)g * W, kw, W * sizeof *kw)) return g;
  }
  int64_t g = htab_add(t, h, 0, row, 1);
  if (g >= 0) memcpy(t->wide + (size_t)g * W, kw, W * sizeof *kw);
  return g;
}

/* Rows [row0, row0 + n) as W = nkeys + 1 words each, and their hashes. */
static void wide_words(const weft__column *const *keys, size_t nkeys, int64_t row0, size_t n,
                       uint64_t *kw, uint64_t *h) {
  size_t W = nkeys + 1;
  uint64_t w[WIDE_BLOCK];
  for (size_t i = 0; i < n; i++) kw[i * W + nkeys] = 0;
  for (size_t k = 0; k < nkeys; k++) {
    const weft_column_view *v = &keys[k]->view;
    if (v->type == WEFT_TYPE_UTF8) {
      const int32_t *o = (const int32_t *)v->values + v->offset + row0;
      for (size_t i = 0; i < n; i++) {
        size_t len = (size_t)(o[i + 1] - o[i]);
        w[i] = weft__prefix8(v->data + o[i], len) | (uint64_t)len << 56;
      }
    } else {
      weft__key_words(v, row0, n, w);
    }
    if (v->validity && v->null_count != 0)
      for (size_t i = 0; i < n; i++)
        if (!weft__column_valid(keys[k], row0 + (int64_t)i)) {
          w[i] = 0;
          kw[i * W + nkeys] |= (uint64_t)1 << k;
        }
    for (size_t i = 0; i < n; i++) kw[i * W + k] = w[i];
  }
  for (size_t i = 0; i < n; i++) {
    uint64_t x = kw[i * W + nkeys] * 0x9e3779b97f4a7c15ULL;
    for (size_t k = 0; k < nkeys; k++) x = weft__hash_mix(x + kw[i * W + k]);
    h[i] = x;
  }
}

/* True when the keys can be compared as words: 2 to WIDE_MAX_KEYS columns, each utf8 one
 * no longer than 7 bytes (a pass over its offsets). */
static int wide_keys(const weft__column *const *keys, size_t nkeys, int64_t rows) {
  if (nkeys < 2 || nkeys > WIDE_MAX_KEYS) return 0;
  for (size_t k = 0; k < nkeys; k++) {
    const weft_column_view *v = &keys[k]->view;
    if (v->type != WEFT_TYPE_UTF8) continue;
    const int32_t *o = (const int32_t *)v->values + v->offset;
    int32_t longest = 0;
    for (int64_t r = 0; r < rows; r++) {
      int32_t len = o[r + 1] - o[r];
      longest = len > longest ? len : longest;
    }
    if (longest > 7) return 0;
  }
  return 1;
}

typedef struct part_ctx {
  const weft__column *const *keys;
  size_t nkeys;
  int wide; /* keys compared as words (wide_keys) */
  int64_t part_rows;
  int32_t *gid; /* local ids first, global after the remap */
  htab *parts;
  int32_t **map;
} part_ctx;

/* Groups rows [row0, row0 + rows) into t (gid: the local group of each row, or NULL);
 * 0 on OOM. */
static int build_local(const part_ctx *c, htab *t, size_t row0, size_t rows, int32_t *gid) {
  const weft__column *k0 = c->keys[0];
  int single = c->nkeys == 1 && k0->view.type != WEFT_TYPE_UTF8;
  int str1 = c->nkeys == 1 && k0->view.type == WEFT_TYPE_UTF8;
  int nulls = k0->view.validity && k0->view.null_count != 0;
  uint64_t h[WEFT_HASH_BLOCK];
  if (c->wide) {
    uint64_t kw[WIDE_BLOCK * (WIDE_MAX_KEYS + 1)];
    size_t W = c->nkeys + 1;
    t->W = (int64_t)W;
    for (size_t b0 = 0; b0 < rows; b0 += WIDE_BLOCK) {
      size_t n = rows - b0 < WIDE_BLOCK ? rows - b0 : WIDE_BLOCK;
      int64_t base = (int64_t)(row0 + b0);
      wide_words(c->keys, c->nkeys, base, n, kw, h);
      for (size_t i = 0; i < n; i++) {
        int64_t g = htab_find_or_add_wide(t, h[i], kw + i * W, base + (int64_t)i);
        if (g < 0) return 0;
        if (gid) gid[base + (int64_t)i] = (int32_t)g;
      }
    }
    return 1;
  }
  for (size_t b0 = 0; b0 < rows; b0 += WEFT_HASH_BLOCK) {
    size_t n = rows - b0 < WEFT_HASH_BLOCK ? rows - b0 : WEFT_HASH_BLOCK;
    int64_t base = (int64_t)(row0 + b0);
    if (str1 && !nulls) {
      if (!build_str_block(t, &k0->view, base, n, gid)) return 0;
      continue;
    }
    if (single) weft__key_words(&k0->view, base, n, h);
    else weft__hash_rows(c->keys, c->nkeys, base, n, h);
    for (size_t i = 0; i < n; i++) {
      int64_t row = base + (int64_t)i, g;
      if ((single || str1) && nulls && !weft__column_valid(k0, row))
        g = t->null_g >= 0 ? t->null_g : htab_add(t, WEFT_HASH_NULL, 0, row, 0);
      else if (str1) g = htab_find_or_add_str(t, h[i], &k0->view, row, &k0->view);
      else if (!single) g = htab_find_or_add(t, h[i], c->keys, row, c->keys, c->nkeys);
      else g = htab_find_or_add_word(t, h[i], row);
      if (g < 0) return 0;
      if (gid) gid[row] = (int32_t)g;
    }
  }
  return 1;
}

static weft_status part_run(void *ctx, weft__stage *stage, size_t row0, size_t rows) {
  (void)stage;
  part_ctx *c = ctx;
  htab *t = &c->parts[row0 / (size_t)c->part_rows];
  htab_free(t); /* a re-run partition starts over */
  if (!build_local(c, t, row0, rows, c->gid))
    return weft__error(WEFT_ERR_OUT_OF_MEMORY, "no host memory for a hash table of %lld groups",
                       (long long)t->n);
  return WEFT_OK;
}

/* Mostly distinct keys make the merge of partition tables as costly as building them:
 * then one partition does it all. Judged on the first rows. */
static int mostly_distinct(const part_ctx *c, int64_t rows) {
  size_t sample = rows < 16384 ? (size_t)rows : 16384;
  htab t = {.null_g = -1};
  int ok = build_local(c, &t, 0, sample, NULL);
  int64_t groups = t.n;
  htab_free(&t);
  return !ok || groups > (int64_t)sample / 2;
}

typedef struct remap_ctx {
  part_ctx *p;
  int64_t rows;
  _Atomic int64_t next;
} remap_ctx;

static void remap_worker(void *ctx, int worker, int workers) {
  (void)worker, (void)workers;
  remap_ctx *r = ctx;
  for (;;) {
    int64_t r0 = atomic_fetch_add(&r->next, 1 << 16);
    if (r0 >= r->rows) return;
    int64_t r1 = r0 + (1 << 16) < r->rows ? r0 + (1 << 16) : r->rows;
    /* a partition's stretch at a time (no division a row); the first partition's local
     * groups are numbered first in the merge, so its map is the identity */
    for (int64_t s = r0; s < r1;) {
      int64_t part = s / r->p->part_rows, e = (part + 1) * r->p->part_rows;
      if (e > r1) e = r1;
      const int32_t *map = r->p->map[part];
      int32_t *gid = r->p->gid;
      if (part > 0)
        for (int64_t i = s; i < e; i++) gid[i] = map[gid[i]];
      s = e;
    }
  }
}

static int host_only(const weft__device *dev) { return dev->backend->host_memory; }

static weft_status hash_groups(weft_exec *exec, const char *opname, const weft__column *const *keys,
                               size_t nkeys, int64_t rows, weft__groups *out) {
  part_ctx c = {keys, nkeys, wide_keys(keys, nkeys, rows), 0, out->gid, NULL, NULL};
  int64_t nparts = rows / MIN_PART_ROWS;
  if (nparts > weft__pool_size()) nparts = weft__pool_size();
  if (nparts < 1 || (nparts > 1 && mostly_distinct(&c, rows))) nparts = 1;
  int64_t part_rows = (rows + nparts - 1) / nparts;
  part_rows = (part_rows + 1023) / 1024 * 1024;
  nparts = (rows + part_rows - 1) / part_rows;
  c.part_rows = part_rows;
  c.parts = weft__calloc((size_t)nparts, sizeof(htab));
  c.map = weft__calloc((size_t)nparts, sizeof(int32_t *));
  int single = nkeys == 1 && keys[0]->view.type != WEFT_TYPE_UTF8;
  int str1 = nkeys == 1 && keys[0]->view.type == WEFT_TYPE_UTF8;
  htab global = {.null_g = -1, .W = c.wide ? (int64_t)nkeys + 1 : 0};
  weft_status st = WEFT_OK;
  if (!c.parts || !c.map) st = weft__error(WEFT_ERR_OUT_OF_MEMORY, "%s: no host memory", opname);
  if (st == WEFT_OK) {
    char name[64];
    snprintf(name, sizeof name, "%s (hash)", opname);
    weft__op op = {.name = name, .rows = (size_t)rows, .cpu_partition_rows = (size_t)part_rows,
                   .align_rows = (size_t)part_rows, .flops_per_row = 8, .supports = host_only,
                   .ctx = &c, .run = part_run};
    op.slot_row_bits[0] = 64 * (nkeys ? nkeys : 1);
    struct weft_exec local;
    if (!exec) weft__exec_defaults(&local);
    st = weft__schedule(exec ? exec : &local, &op);
    if (!exec) weft__exec_release(&local);
    else if (st == WEFT_OK)
      weft__report(exec, "  cpu:0 grouped the rows (hash tables in host memory)");
  }
  if (st == WEFT_OK && nparts == 1) { /* the one partition's groups are the groups */
    global = c.parts[0];
    memset(&c.parts[0], 0, sizeof c.parts[0]);
  }
  /* Partitions in row order, local groups in their order: global first appearance. */
  for (int64_t p = 0; st == WEFT_OK && nparts > 1 && p < nparts; p++) {
    htab *t = &c.parts[p];
    c.map[p] = weft__malloc((size_t)(t->n ? t->n : 1) * sizeof(int32_t));
    if (!c.map[p]) st = weft__error(WEFT_ERR_OUT_OF_MEMORY, "%s: no host memory", opname);
    for (int64_t j = 0; st == WEFT_OK && j < t->n; j++) {
      int64_t g;
      if (c.wide) g = htab_find_or_add_wide(&global, t->hash[j], t->wide + j * t->W, t->first[j]);
      else if ((single || str1) && j == t->null_g)
        g = global.null_g >= 0 ? global.null_g : htab_add(&global, WEFT_HASH_NULL, 0, t->first[j], 0);
      else if (str1)
        g = htab_find_or_add_str(&global, t->hash[j], &keys[0]->view, t->first[j], &keys[0]->view);
      else if (!single) g = htab_find_or_add(&global, t->hash[j], keys, t->first[j], keys, nkeys);
      else g = htab_find_or_add_word(&global, t->word[j], t->first[j]);
      if (g < 0) st = weft__error(WEFT_ERR_OUT_OF_MEMORY, "%s: no host memory for %lld groups",
                                  opname, (long long)global.n);
      else c.map[p][j] = (int32_t)g;
    }
    htab_free(t);
  }
  if (st == WEFT_OK && out->gid && nparts > 1) {
    remap_ctx r = {&c, rows, 0};
    weft__pool_run(remap_worker, &r);
  }
  for (int64_t p = 0; c.map && p < nparts; p++) free(c.map[p]);
  for (int64_t p = 0; c.parts && p < nparts; p++) htab_free(&c.parts[p]);
  free(c.map), free(c.parts);
  if (st == WEFT_OK) {
    out->ngroups = global.n;
    out->first = global.first;
    global.first = NULL;
  }
  htab_free(&global);
  return st;
}

/* Integer keys as int64 (uint64 is left to the hash path). */
static int direct_type(weft_type t) {
  return t == WEFT_TYPE_BOOL || (weft__type_is_integer(t) && t != WEFT_TYPE_UINT64) ||
         t == WEFT_TYPE_DATE32 || t == WEFT_TYPE_TIMESTAMP_US;
}

/* The direct path, on the CPU pool: each of a few row ranges (one per pool thread) finds
 * its key range, then numbers its own groups in first appearance through a slot array
 * indexed by key - lo (the last slot: null); the ranges' groups are merged in row order,
 * as the hash path does, so the numbering is the same whatever the number of ranges. */
typedef struct direct_ctx {
  const weft__column *key;
  int64_t rows, part_rows, nparts, lo, range; /* slot `range`: the null group */
  int nulls;
  int32_t *gid;
  int64_t *lo_of, *hi_of;           /* per range: its key range (lo > hi: no valid key) */
  int32_t **slot;                   /* per range: key - lo -> local group, -1 none */
  int64_t **first, **slotv, *ngrp;  /* per range: first row and slot of each local group */
  int32_t **map;                    /* per range: local group -> global group */
  int pass;                         /* 0: key range, 1: local groups, 2: remap */
  int failed;
  _Atomic int64_t next;
} direct_ctx;

/* Keys of rows [b, b + n) as int64: the column itself when it is int64, else a copy in buf. */
static const int64_t *direct_keys(const weft_column_view *v, int64_t b, size_t n, uint64_t *buf) {
  if (v->type == WEFT_TYPE_INT64 || v->type == WEFT_TYPE_TIMESTAMP_US)
    return (const int64_t *)v->values + v->offset + b;
  weft__key_words(v, b, n, buf);
  return (const int64_t *)buf;
}

/* The smallest and largest of k[0, n) folded into *lo, *hi (vectorized with AVX2). */
WEFT_VECTOR_CLONES static void fold_min_max(const int64_t *restrict k, size_t n, int64_t *lo,
                                            int64_t *hi) {
  int64_t l = *lo, h = *hi;
  for (size_t i = 0; i < n; i++) {
    l = k[i] < l ? k[i] : l;
    h = k[i] > h ? k[i] : h;
  }
  *lo = l, *hi = h;
}

static void direct_range(direct_ctx *c, int64_t p) {
  int64_t r0 = p * c->part_rows, r1 = r0 + c->part_rows < c->rows ? r0 + c->part_rows : c->rows;
  int64_t lo = INT64_MAX, hi = INT64_MIN;
  uint64_t w[WEFT_HASH_BLOCK];
  for (int64_t b = r0; b < r1; b += WEFT_HASH_BLOCK) {
    size_t n = (size_t)(r1 - b < WEFT_HASH_BLOCK ? r1 - b : WEFT_HASH_BLOCK);
    const int64_t *k = direct_keys(&c->key->view, b, n, w);
    if (!c->nulls) {
      fold_min_max(k, n, &lo, &hi);
      continue;
    }
    for (size_t i = 0; i < n; i++) {
      if (!weft__column_valid(c->key, b + (int64_t)i)) continue;
      lo = k[i] < lo ? k[i] : lo;
      hi = k[i] > hi ? k[i] : hi;
    }
  }
  c->lo_of[p] = lo, c->hi_of[p] = hi;
}

static int direct_local(direct_ctx *c, int64_t p) {
  int64_t r0 = p * c->part_rows, r1 = r0 + c->part_rows < c->rows ? r0 + c->part_rows : c->rows;
  int64_t cap = r1 - r0 < c->range + 1 ? r1 - r0 : c->range + 1;
  int32_t *slot = c->slot[p] = weft__scratch_alloc((size_t)(c->range + 1) * sizeof *slot);
  int64_t *first = c->first[p] = weft__malloc((size_t)(cap ? cap : 1) * sizeof *first);
  int64_t *slotv = c->slotv[p] = weft__malloc((size_t)(cap ? cap : 1) * sizeof *slotv);
  if (!slot || !first || !slotv) return 0;
  memset(slot, 0xFF, (size_t)(c->range + 1) * sizeof *slot);
  int64_t n = 0;
  uint64_t w[WEFT_HASH_BLOCK];
  for (int64_t b = r0; b < r1; b += WEFT_HASH_BLOCK) {
    size_t m = (size_t)(r1 - b < WEFT_HASH_BLOCK ? r1 - b : WEFT_HASH_BLOCK);
    const int64_t *k = direct_keys(&c->key->view, b, m, w);
    for (size_t i = 0; i < m; i++) {
      int64_t r = b + (int64_t)i;
      int64_t s = c->nulls && !weft__column_valid(c->key, r) ? c->range : k[i] - c->lo;
      int32_t g = slot[s];
      if (g < 0) {
        g = slot[s] = (int32_t)n;
        first[n] = r, slotv[n] = s;
        n++;
      }
      if (c->gid) c->gid[r] = g;
    }
  }
  c->ngrp[p] = n;
  return 1;
}

static void direct_worker(void *ctx, int worker, int workers) {
  (void)worker, (void)workers;
  direct_ctx *c = ctx;
  for (;;) {
    int64_t p = atomic_fetch_add(&c->next, 1);
    if (p >= c->nparts) return;
    if (c->pass == 0) {
      direct_range(c, p);
    } else if (c->pass == 1) {
      if (!direct_local(c, p)) c->failed = 1;
      int64_t r0 = p * c->part_rows;
      weft__progress_tick((uint64_t)(c->rows - r0 < c->part_rows ? c->rows - r0 : c->part_rows));
    } else if (p > 0) { /* the first range's local groups are global ones */
      int64_t r0 = p * c->part_rows, r1 = r0 + c->part_rows < c->rows ? r0 + c->part_rows : c->rows;
      const int32_t *map = c->map[p];
      for (int64_t r = r0; r < r1; r++) c->gid[r] = map[c->gid[r]];
    }
  }
}

static void direct_free(direct_ctx *c) {
  for (int64_t p = 0; p < c->nparts; p++) {
    if (c->slot) weft__scratch_free(c->slot[p]);
    if (c->first) free(c->first[p]);
    if (c->slotv) free(c->slotv[p]);
    if (c->map) free(c->map[p]);
  }
  free(c->lo_of), free(c->hi_of), free(c->slot), free(c->first), free(c->slotv), free(c->ngrp);
  free(c->map);
}

static void direct_pass(direct_ctx *c, int pass) {
  if (pass == 1) weft__progress_grow(weft__progress_current(), (uint64_t)c->rows); /* ticked above */
  c->pass = pass;
  atomic_store(&c->next, 0);
  weft__pool_run(direct_worker, c);
}

/* 1 when the key was grouped here, 0 when its range is too wide, -1 on OOM. */
static int direct_groups(const weft__column *key, int64_t rows, weft__groups *out) {
  direct_ctx c = {.key = key, .rows = rows, .gid = out->gid};
  c.nulls = key->view.validity && weft__column_null_count((weft__column *)key) > 0;
  c.nparts = rows >= MIN_PART_ROWS * 2 ? weft__pool_size() : 1;
  if (c.nparts > rows / MIN_PART_ROWS) c.nparts = rows / MIN_PART_ROWS;
  if (c.nparts < 1) c.nparts = 1;
  c.part_rows = (rows + c.nparts - 1) / c.nparts;
  size_t np = (size_t)c.nparts;
  c.lo_of = weft__malloc(np * sizeof *c.lo_of), c.hi_of = weft__malloc(np * sizeof *c.hi_of);
  c.slot = weft__calloc(np, sizeof *c.slot), c.first = weft__calloc(np, sizeof *c.first);
  c.slotv = weft__calloc(np, sizeof *c.slotv), c.ngrp = weft__calloc(np, sizeof *c.ngrp);
  c.map = weft__calloc(np, sizeof *c.map);
  int ret = -1;
  if (!c.lo_of || !c.hi_of || !c.slot || !c.first || !c.slotv || !c.ngrp || !c.map) goto done;
  direct_pass(&c, 0);
  int64_t lo = INT64_MAX, hi = INT64_MIN;
  for (int64_t p = 0; p < c.nparts; p++) {
    lo = c.lo_of[p] < lo ? c.lo_of[p] : lo;
    hi = c.hi_of[p] > hi ? c.hi_of[p] : hi;
  }
  ret = 0;
  /* a slot array per range of up to twice the rows costs no more than the hash tables
   * (about 40 bytes a group) would: dense keys such as order numbers are grouped here */
  uint64_t widest = (uint64_t)(2 * rows > DIRECT_RANGE ? 2 * rows : DIRECT_RANGE);
  if (lo <= hi && (uint64_t)hi - (uint64_t)lo >= widest) goto done;
  c.lo = lo;
  c.range = lo <= hi ? hi - lo + 1 : 0;
  /* a slot array per range costs its clearing (a streaming write, a fraction of a row's
     lookup) and merging: more ranges only while the arrays are not much larger than the rows */
  if (c.nparts > 1 && (c.range + 1) * c.nparts > rows * 4) { /* the arrays are still empty */
    c.nparts = 1;
    c.part_rows = rows;
  }
  ret = -1;
  direct_pass(&c, 1);
  if (c.failed) goto done;
  if (c.nparts == 1) { /* the one range's groups are the groups */
    out->ngroups = c.ngrp[0];
    out->first = c.first[0];
    c.first[0] = NULL;
    ret = 1;
    goto done;
  }
  /* Ranges in row order, local groups in their order: global first appearance. */
  int64_t total = 0;
  for (int64_t p = 0; p < c.nparts; p++) total += c.ngrp[p];
  int32_t *gslot = c.slot[0]; /* range 0's slot array becomes the global one */
  int64_t *first = weft__malloc((size_t)(total < c.range + 1 ? total : c.range + 1) * sizeof *first + 8);
  if (!first) goto done;
  int64_t n = c.ngrp[0];
  memcpy(first, c.first[0], (size_t)n * sizeof *first);
  for (int64_t p = 1; p < c.nparts; p++) {
    int32_t *map = c.map[p] = weft__malloc((size_t)(c.ngrp[p] ? c.ngrp[p] : 1) * sizeof *map);
    if (!map) {
      free(first);
      goto done;
    }
    for (int64_t j = 0; j < c.ngrp[p]; j++) {
      int64_t s = c.slotv[p][j];
      if (gslot[s] < 0) {
        gslot[s] = (int32_t)n;
        first[n++] = c.first[p][j];
      }
      map[j] = gslot[s];
    }
  }
  if (out->gid) direct_pass(&c, 2);
  out->ngroups = n;
  out->first = first;
  ret = 1;
done:
  direct_free(&c);
  return ret;
}

static weft_status group_rows_cpu(weft_exec *exec, const char *opname,
                                  const weft__column *const *keys, size_t nkeys, int64_t rows,
                                  int want_gid, weft__groups *out) {
  memset(out, 0, sizeof *out);
  if (rows > INT32_MAX)
    return weft__error(WEFT_ERR_INVALID_ARGUMENT, "%s: %lld rows; at most %d are supported",
                       opname, (long long)rows, INT32_MAX);
  if (want_gid) {
    out->gid = weft__scratch_alloc((size_t)(rows ? rows : 1) * sizeof *out->gid);
    if (!out->gid) return weft__error(WEFT_ERR_OUT_OF_MEMORY, "%s: no host memory for %lld group "
                                      "ids", opname, (long long)rows);
  }
  for (size_t k = 0; k < nkeys; k++) weft__column_null_count((weft__column *)keys[k]);
  weft_status st = WEFT_OK;
  if (nkeys == 0 || rows == 0) {
    out->first = weft__malloc(sizeof *out->first);
    if (!out->first) st = weft__error(WEFT_ERR_OUT_OF_MEMORY, "%s: no host memory", opname);
    else {
      /* no keys: one group, even of no rows (whose first row is none, -1) */
      out->first[0] = rows > 0 ? 0 : -1;
      out->ngroups = nkeys == 0 || rows > 0;
      if (out->gid) memset(out->gid, 0, (size_t)rows * sizeof *out->gid);
      /* the report must be this call's, not the previous operation's */
      if (exec) st = weft__cpu_only_begin(exec, opname, (size_t)rows);
    }
  } else {
    int done = nkeys == 1 && direct_type(keys[0]->view.type) ? direct_groups(keys[0], rows, out) : 0;
    if (done < 0) st = weft__error(WEFT_ERR_OUT_OF_MEMORY, "%s: no host memory", opname);
    else if (done > 0 && exec) {
      char name[96];
      snprintf(name, sizeof name, "%s (direct index)", opname);
      st = weft__cpu_only_begin(exec, name, (size_t)rows);
      if (st == WEFT_OK)
        weft__report(exec, "  cpu:0: one integer key of small range, grouped by indexing an "
                     "array");
    } else if (done == 0) {
      st = hash_groups(exec, opname, keys, nkeys, rows, out);
    }
  }
  if (st != WEFT_OK) weft__groups_free(out);
  return st;
}

static weft_status group_rows_words(weft_exec *exec, const char *opname, const weft__column *const *keys,
                                    size_t nkeys, int64_t rows, int want_gid, weft__groups *out) {
  if (!exec || rows > INT32_MAX) return group_rows_cpu(exec, opname, keys, nkeys, rows, want_gid, out);
  weft__device *dev = NULL;
  char why[320];
  WEFT_RETURN_NOT_OK(weft__group_choose(exec, opname, keys, nkeys, rows, &dev, why, sizeof why));
  if (dev) {
    /* no keys or no rows: nothing to group, the one group (or none) is known */
    weft_status st = nkeys == 0 || rows == 0
                   ? group_rows_cpu(NULL, opname, keys, nkeys, rows, want_gid, out)
                   : weft__group_rows_device(dev, opname, keys, nkeys, rows, want_gid, out);
    if (st == WEFT_OK) out->device = dev;
    if (st == WEFT_OK) {
      weft__report(exec, "  %s grouped %lld rows: %lld groups", dev->id, (long long)rows,
                   (long long)out->ngroups);
      exec->last_device = weft__device_index(dev);
      return WEFT_OK;
    }
    if (exec->strict) return weft__error_context(st, "%s on %s (strict mode)", opname, dev->id);
    snprintf(why, sizeof why, "%s", weft_last_error());
    weft__error_clear();
  }
  weft_status st = group_rows_cpu(exec, opname, keys, nkeys, rows, want_gid, out);
  if (st == WEFT_OK && why[0]) weft__report(exec, "  fell back to cpu: %s", why);
  return st;
}


weft_status weft__group_rows(weft_exec *exec, const char *opname, const weft__column *const *keys,
                             size_t nkeys, int64_t rows, int want_gid, weft__groups *out) {
  memset(out, 0, sizeof *out);
  if (weft__keys_have_categorical(keys, nkeys)) { /* grouped by their codes */
    weft__column *codes = weft__calloc(nkeys, sizeof *codes);
    const weft__column **ptrs = weft__calloc(nkeys, sizeof *ptrs);
    weft_status st = codes && ptrs ? WEFT_OK
                   : weft__error(WEFT_ERR_OUT_OF_MEMORY, "%s: no host memory", opname);
    for (size_t k = 0; st == WEFT_OK && k < nkeys; k++) {
      ptrs[k] = keys[k];
      if (keys[k]->view.type != WEFT_TYPE_CATEGORICAL) continue;
      codes[k] = weft__column_codes(keys[k]);
      ptrs[k] = &codes[k];
    }
    if (st == WEFT_OK) st = weft__group_rows(exec, opname, ptrs, nkeys, rows, want_gid, out);
    free(codes);
    free(ptrs);
    return st;
  }
  if (!weft__keys_have_decimal(keys, nkeys))
    return group_rows_words(exec, opname, keys, nkeys, rows, want_gid, out);
  weft__split_keys split;
  WEFT_RETURN_NOT_OK(weft__split_decimal_keys(keys, NULL, nkeys, &split));
  weft_status st = group_rows_words(exec, opname, split.cols, split.n, rows, want_gid, out);
  weft__split_keys_free(&split);
  return st;
}
