/* weft__group_rows. A single integer key of small range is grouped by direct indexing.
 * Otherwise the rows are split into one partition per CPU thread (weft__schedule, CPU only:
 * the hash tables live in host memory and the other backends have no kernel for them);
 * each partition builds a local open-addressing hash table, numbering its groups in order
 * of first appearance; the local groups are then merged partition by partition into a
 * global table, which keeps global first-appearance order, and the per-row ids remapped.
 * Keys that are mostly distinct (judged on a sample) take one partition: merging would
 * cost as much as grouping. */
#include "group_rows.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../error.h"
#include "../scheduler.h"
#include "../thread_pool.h"
#include "cpu_only.h"
#include "hash_keys.h"

#define DIRECT_RANGE ((int64_t)1 << 20)
#define MIN_PART_ROWS ((int64_t)1 << 16)

/* Groups of one table: hash, first row (and for one non-utf8 key, the word) of each, and
 * an open-addressing index of 4-byte slots (small, so it stays in cache for longer). The
 * null group of a one-word key is kept out of the index. */
typedef struct htab {
  int64_t n, cap, null_g;
  uint64_t *hash, *word;
  int64_t *first;
  int32_t *slot; /* -1 empty, else a group */
  uint64_t mask;
} htab;

static void htab_free(htab *t) {
  free(t->hash), free(t->word), free(t->first), free(t->slot);
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
  uint64_t *h = realloc(t->hash, (size_t)cap * sizeof *h);
  if (h) t->hash = h;
  uint64_t *w = h ? realloc(t->word, (size_t)cap * sizeof *w) : NULL;
  if (w) t->word = w;
  int64_t *f = w ? realloc(t->first, (size_t)cap * sizeof *f) : NULL;
  if (f) t->first = f;
  uint64_t nslots = (uint64_t)cap * 2;
  int32_t *s = f ? malloc(nslots * sizeof *s) : NULL;
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

typedef struct part_ctx {
  const weft__column *const *keys;
  size_t nkeys;
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
  int nulls = k0->view.validity && k0->view.null_count != 0;
  uint64_t h[WEFT_HASH_BLOCK];
  for (size_t b0 = 0; b0 < rows; b0 += WEFT_HASH_BLOCK) {
    size_t n = rows - b0 < WEFT_HASH_BLOCK ? rows - b0 : WEFT_HASH_BLOCK;
    int64_t base = (int64_t)(row0 + b0);
    if (single) weft__key_words(&k0->view, base, n, h);
    else weft__hash_rows(c->keys, c->nkeys, base, n, h);
    for (size_t i = 0; i < n; i++) {
      int64_t row = base + (int64_t)i, g;
      if (!single) g = htab_find_or_add(t, h[i], c->keys, row, c->keys, c->nkeys);
      else if (nulls && !weft__column_valid(k0, row))
        g = t->null_g >= 0 ? t->null_g : htab_add(t, WEFT_HASH_NULL, 0, row, 0);
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
    for (int64_t i = r0; i < r1; i++) r->p->gid[i] = r->p->map[i / r->p->part_rows][r->p->gid[i]];
  }
}

static int host_only(const weft__device *dev) { return dev->backend->host_memory; }

static weft_status hash_groups(weft_exec *exec, const char *opname, const weft__column *const *keys,
                               size_t nkeys, int64_t rows, weft__groups *out) {
  part_ctx c = {keys, nkeys, 0, out->gid, NULL, NULL};
  int64_t nparts = rows / MIN_PART_ROWS;
  if (nparts > weft__pool_size()) nparts = weft__pool_size();
  if (nparts < 1 || (nparts > 1 && mostly_distinct(&c, rows))) nparts = 1;
  int64_t part_rows = (rows + nparts - 1) / nparts;
  part_rows = (part_rows + 1023) / 1024 * 1024;
  nparts = (rows + part_rows - 1) / part_rows;
  c.part_rows = part_rows;
  c.parts = calloc((size_t)nparts, sizeof(htab));
  c.map = calloc((size_t)nparts, sizeof(int32_t *));
  int single = nkeys == 1 && keys[0]->view.type != WEFT_TYPE_UTF8;
  htab global = {.null_g = -1};
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
      weft__report(exec, "  cpu only: the hash tables live in host memory (no device kernel)");
  }
  if (st == WEFT_OK && nparts == 1) { /* the one partition's groups are the groups */
    global = c.parts[0];
    memset(&c.parts[0], 0, sizeof c.parts[0]);
  }
  /* Partitions in row order, local groups in their order: global first appearance. */
  for (int64_t p = 0; st == WEFT_OK && nparts > 1 && p < nparts; p++) {
    htab *t = &c.parts[p];
    c.map[p] = malloc((size_t)(t->n ? t->n : 1) * sizeof(int32_t));
    if (!c.map[p]) st = weft__error(WEFT_ERR_OUT_OF_MEMORY, "%s: no host memory", opname);
    for (int64_t j = 0; st == WEFT_OK && j < t->n; j++) {
      int64_t g;
      if (!single) g = htab_find_or_add(&global, t->hash[j], keys, t->first[j], keys, nkeys);
      else if (j == t->null_g)
        g = global.null_g >= 0 ? global.null_g : htab_add(&global, WEFT_HASH_NULL, 0, t->first[j], 0);
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

#define KEY_AT(v, r)                                                                       \
  ((v)->type == WEFT_TYPE_INT32 || (v)->type == WEFT_TYPE_DATE32                         \
       ? (int64_t)((const int32_t *)(v)->values)[(v)->offset + (r)]                       \
   : (v)->type == WEFT_TYPE_INT64 || (v)->type == WEFT_TYPE_TIMESTAMP_US                  \
       ? ((const int64_t *)(v)->values)[(v)->offset + (r)]                                \
       : (int64_t)weft__key_word((v), (r)))

/* 1 when the key was grouped here, 0 when its range is too wide, -1 on OOM. */
static int direct_groups(const weft__column *key, int64_t rows, weft__groups *out) {
  const weft_column_view *v = &key->view;
  int64_t lo = INT64_MAX, hi = INT64_MIN;
  for (int64_t r = 0; r < rows; r++) {
    if (!weft__column_valid(key, r)) continue;
    int64_t x = KEY_AT(v, r);
    if (x < lo) lo = x;
    if (x > hi) hi = x;
  }
  if (lo <= hi && (uint64_t)hi - (uint64_t)lo >= (uint64_t)DIRECT_RANGE) return 0;
  int64_t range = lo <= hi ? hi - lo + 1 : 0;
  int32_t *slot = malloc((size_t)(range + 1) * sizeof *slot);
  int64_t *first = malloc((size_t)(rows < range + 1 ? rows + 1 : range + 2) * sizeof *first);
  if (!slot || !first) {
    free(slot), free(first);
    return -1;
  }
  memset(slot, 0xFF, (size_t)(range + 1) * sizeof *slot);
  int64_t n = 0;
  int nulls = v->validity && weft__column_null_count((weft__column *)key) > 0;
  for (int64_t r = 0; r < rows; r++) {
    int64_t s = nulls && !weft__column_valid(key, r) ? range : KEY_AT(v, r) - lo;
    int32_t g = slot[s];
    if (g < 0) {
      g = slot[s] = (int32_t)n;
      first[n++] = r;
    }
    if (out->gid) out->gid[r] = g;
  }
  free(slot);
  out->ngroups = n;
  out->first = first;
  return 1;
}

weft_status weft__group_rows(weft_exec *exec, const char *opname, const weft__column *const *keys,
                             size_t nkeys, int64_t rows, int want_gid, weft__groups *out) {
  memset(out, 0, sizeof *out);
  if (rows > INT32_MAX)
    return weft__error(WEFT_ERR_INVALID_ARGUMENT, "%s: %lld rows; at most %d are supported",
                       opname, (long long)rows, INT32_MAX);
  if (want_gid) {
    out->gid = malloc((size_t)(rows ? rows : 1) * sizeof *out->gid);
    if (!out->gid) return weft__error(WEFT_ERR_OUT_OF_MEMORY, "%s: no host memory for %lld group "
                                      "ids", opname, (long long)rows);
  }
  for (size_t k = 0; k < nkeys; k++) weft__column_null_count((weft__column *)keys[k]);
  weft_status st = WEFT_OK;
  if (nkeys == 0 || rows == 0) {
    out->first = malloc(sizeof *out->first);
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
                     "array (no device kernel)");
    } else if (done == 0) {
      st = hash_groups(exec, opname, keys, nkeys, rows, out);
    }
  }
  if (st != WEFT_OK) weft__groups_free(out);
  return st;
}

void weft__groups_free(weft__groups *g) {
  free(g->gid);
  free(g->first);
  memset(g, 0, sizeof *g);
}
