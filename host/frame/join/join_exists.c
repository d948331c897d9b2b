/* Semi and anti joins with the smaller left side and one non-utf8 key: the left keys go into
 * an open-addressing set (linear probing, the key words inline, so most probes are one load
 * where the bucketed table needs two dependent ones), the right rows probe it in partitions
 * on the CPU pool and flag the slots they find, and each left row then reads its slot's flag.
 * Only whether a match exists is asked, so nothing else is kept. */
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
} key_set;

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
  }
  for (int64_t l = 0; st == WEFT_OK && l < lrows; l++)
    matched[l] = s.slot[l] >= 0 && atomic_load_explicit(&s.seen[s.slot[l]], memory_order_relaxed);
  free(s.keys), free((void *)s.seen), free(s.slot);
  return st;
}
