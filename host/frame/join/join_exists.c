/* Semi and anti joins with the smaller left side and one non-utf8 key: the left keys go into
 * an open-addressing set (linear probing, the key words inline, so most probes are one load
 * where the bucketed table needs two dependent ones), the right rows probe it in partitions
 * on the CPU pool and flag the slots they find, and each left row then reads its slot's flag.
 * Only whether a match exists is asked, so nothing else is kept. When the left keys span a
 * range of at most as many bits as the set would take (TPC-H Q4's 57k orders of a quarter
 * among 6M order keys: a 750 KB bitmap), the set is a bitmap of that range instead: a probe
 * is one bit load and no loop, and most probes (keys not in the set) never branch away. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/alloc.h"
#include "core/exec.h"
#include "core/placement.h"
#include "core/scheduler.h"
#include "frame/join/join.h"

typedef struct key_set {
  uint64_t *keys; /* slots; `empty` where free */
  uint64_t mask, empty;
  _Atomic uint8_t *seen; /* per slot: a right row has its key */
  int64_t *slot;         /* per left row: its slot, -1 for a row that never matches */
  const weft__join_keys *rk;
  /* The bitmap form (keys NULL): bit w - base of `has` for each left word w, of `seen` for
   * each found by a right row; the left rows' words and validity, to read `seen` at the end. */
  uint64_t *has;
  _Atomic uint64_t *seen_bits;
  uint64_t base, span;
  uint64_t *words;
  uint8_t *valid;
} key_set;

/* Bits a left row may take in the bitmap form: what a slot of the set costs, two per row. */
#define WEFT__KEY_BITS_PER_ROW 128

/* The bitmap form when the valid words span few enough bits (words compare as signed
 * integers, as join_keys.c's direct table does); 0 when they do not (or memory is short). */
static int build_bits(key_set *s, int64_t lrows) {
  int64_t lo = INT64_MAX, hi = INT64_MIN;
  for (int64_t r = 0; r < lrows; r++) {
    if (!s->valid[r]) continue;
    int64_t k = (int64_t)s->words[r];
    lo = k < lo ? k : lo;
    hi = k > hi ? k : hi;
  }
  if (lo > hi) lo = hi = 0; /* no valid key: a range of one bit that nothing sets */
  uint64_t span = (uint64_t)hi - (uint64_t)lo + 1;
  if (span == 0 || span > (uint64_t)lrows * WEFT__KEY_BITS_PER_ROW + 65536) return 0;
  size_t nwords = (size_t)(span + 63) / 64;
  s->has = weft__calloc(nwords, sizeof *s->has);
  s->seen_bits = weft__calloc(nwords, sizeof *s->seen_bits);
  if (!s->has || !s->seen_bits) {
    free(s->has), free((void *)s->seen_bits);
    s->has = NULL, s->seen_bits = NULL;
    return 0;
  }
  s->base = (uint64_t)lo, s->span = span;
  for (int64_t r = 0; r < lrows; r++)
    if (s->valid[r]) {
      uint64_t b = s->words[r] - s->base;
      s->has[b >> 6] |= 1ULL << (b & 63);
    }
  return 1;
}

/* A word no valid left key has, to mark free slots. */
static uint64_t free_word(const uint64_t *words, const uint8_t *valid, int64_t rows) {
  for (uint64_t w = 0x9e3779b97f4a7c15ULL;; w = weft__hash_mix(w + 1)) {
    int64_t r = 0;
    while (r < rows && !(valid[r] && words[r] == w)) r++;
    if (r == rows) return w;
  }
}

static weft_status build(const weft__join_keys *lk, int64_t lrows, key_set *s) {
  uint64_t slots = 16;
  while (slots < (uint64_t)lrows * 2) slots *= 2;
  uint64_t *words = weft__malloc(((size_t)lrows + 1) * sizeof *words);
  uint8_t *valid = weft__malloc((size_t)lrows + 1);
  s->keys = weft__malloc(slots * sizeof *s->keys);
  s->seen = weft__calloc(slots, 1);
  s->slot = weft__malloc(((size_t)lrows + 1) * sizeof *s->slot);
  if (!words || !valid || !s->keys || !s->seen || !s->slot) {
    free(words), free(valid);
    return weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_table_join: no host memory for a key set "
                       "of %lld rows", (long long)lrows);
  }
  for (int64_t r0 = 0; r0 < lrows; r0 += WEFT_JOIN_BLOCK) {
    size_t n = (size_t)(lrows - r0 < WEFT_JOIN_BLOCK ? lrows - r0 : WEFT_JOIN_BLOCK);
    weft__join_block_keys(lk, r0, n, valid + r0, words + r0);
  }
  s->words = words, s->valid = valid;
  if (lk->single_word && build_bits(s, lrows)) {
    free(s->keys), free((void *)s->seen), free(s->slot);
    s->keys = NULL, s->seen = NULL, s->slot = NULL;
    return WEFT_OK; /* words and valid are kept for the end */
  }
  s->words = NULL, s->valid = NULL;
  s->mask = slots - 1;
  s->empty = free_word(words, valid, lrows);
  for (uint64_t i = 0; i < slots; i++) s->keys[i] = s->empty;
  for (int64_t r = 0; r < lrows; r++) {
    if (!valid[r]) {
      s->slot[r] = -1;
      continue;
    }
    uint64_t h = weft__hash_mix(words[r]) & s->mask;
    while (s->keys[h] != s->empty && s->keys[h] != words[r]) h = (h + 1) & s->mask;
    s->keys[h] = words[r];
    s->slot[r] = (int64_t)h;
  }
  free(words), free(valid);
  return WEFT_OK;
}

static weft_status probe_run(void *ctx, weft__stage *stage, size_t row0, size_t rows) {
  (void)stage;
  const key_set *s = ctx;
  uint64_t key[WEFT_JOIN_BLOCK], at[WEFT_JOIN_BLOCK];
  uint8_t valid[WEFT_JOIN_BLOCK];
  for (size_t b0 = 0; b0 < rows; b0 += WEFT_JOIN_BLOCK) {
    size_t n = rows - b0 < WEFT_JOIN_BLOCK ? rows - b0 : WEFT_JOIN_BLOCK;
    weft__join_block_keys(s->rk, (int64_t)(row0 + b0), n, valid, key);
    if (s->has) {
      for (size_t i = 0; i < n; i++) {
        uint64_t b = key[i] - s->base;
        if (!valid[i] || b >= s->span || !((s->has[b >> 6] >> (b & 63)) & 1)) continue;
        uint64_t bit = 1ULL << (b & 63);
        if (!(atomic_load_explicit(&s->seen_bits[b >> 6], memory_order_relaxed) & bit))
          atomic_fetch_or_explicit(&s->seen_bits[b >> 6], bit, memory_order_relaxed);
      }
      continue;
    }
    for (size_t i = 0; i < n; i++) at[i] = weft__hash_mix(key[i]) & s->mask;
    for (size_t i = 0; i < n; i++) {
      if (i + 16 < n) __builtin_prefetch(&s->keys[at[i + 16]]);
      if (!valid[i]) continue;
      for (uint64_t h = at[i]; s->keys[h] != s->empty; h = (h + 1) & s->mask)
        if (s->keys[h] == key[i]) {
          atomic_store_explicit(&s->seen[h], 1, memory_order_relaxed);
          break;
        }
    }
  }
  return WEFT_OK;
}

static int host_only(const weft__device *dev) { return dev->backend->host_memory; }

weft_status weft__join_exists(weft_exec *exec, const weft__join_keys *lk, int64_t lrows,
                              const weft__join_keys *rk, int64_t rrows, uint8_t *matched) {
  key_set s = {.rk = rk};
  weft_status st = build(lk, lrows, &s);
  weft__op op = {.name = "join (probe of the left keys' set by the right rows)",
                 .rows = (size_t)rrows,
                 .cpu_partition_rows = WEFT__JOIN_PROBE_ROWS,
                 .align_rows = WEFT__JOIN_PROBE_ROWS,
                 .flops_per_row = 4,
                 .supports = host_only,
                 .ctx = &s,
                 .run = probe_run};
  op.slot_row_bits[0] = 64;
  if (st == WEFT_OK) {
    struct weft_exec cpu;
    weft__exec_defaults(&cpu);
    weft__exec_place(&cpu, 0, "the probe reads the key set in host memory");
    st = weft__schedule(&cpu, &op);
    const char *text = cpu.report;
    while (text && *text) { /* the probe's report joins the caller's */
      const char *end = strchr(text, '\n');
      int len = end ? (int)(end - text) : (int)strlen(text);
      weft__report(exec, "%.*s", len, text);
      text += len + (end != NULL);
    }
    exec->last_device = 0;
    weft__exec_release(&cpu);
    if (s.has)
      weft__report(exec, "  the key set is a bitmap of the left keys' range (%llu keys)",
                   (unsigned long long)s.span);
  }
  for (int64_t l = 0; st == WEFT_OK && s.has && l < lrows; l++) {
    uint64_t b = s.words[l] - s.base;
    matched[l] = s.valid[l] && ((atomic_load_explicit(&s.seen_bits[b >> 6], memory_order_relaxed) >>
                                 (b & 63)) & 1);
  }
  for (int64_t l = 0; st == WEFT_OK && !s.has && l < lrows; l++)
    matched[l] = s.slot[l] >= 0 && atomic_load_explicit(&s.seen[s.slot[l]], memory_order_relaxed);
  free(s.keys), free((void *)s.seen), free(s.slot);
  free(s.has), free((void *)s.seen_bits), free(s.words), free(s.valid);
  return st;
}
