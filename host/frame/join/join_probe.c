/* The CPU probes of weft_table_join, on the CPU pool in partitions of WEFT__JOIN_PROBE_ROWS
 * probe rows. The hash table is on the smaller side: with it on the right, the left rows
 * probe and each partition's pairs come out in left order; with it on the left, the right
 * rows probe, and the pairs come out in right order (join_order.c puts them in left order)
 * or, for semi and anti, only mark the left rows that have a match. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/alloc.h"
#include "core/exec.h"
#include "core/placement.h"
#include "core/scheduler.h"
#include "frame/join/join.h"

typedef struct probe_ctx {
  weft_join_kind kind;
  int build_left;
  const weft__join_keys *pk, *bk; /* probe side, build side */
  const weft__join_table *table;
  weft__join_pairs *parts; /* by row0 / WEFT__JOIN_PROBE_ROWS */
  int64_t *match;          /* direct table: per probe row, its build row or -1 */
  uint8_t *mask;           /* direct table: bit set when the probe row is output */
  _Atomic uint8_t *matched; /* build_left semi / anti: per left row */
} probe_ctx;

static int push(weft__join_pairs *p, int64_t l, int64_t r, int pairs) {
  if (p->n == p->cap) {
    size_t cap = p->cap ? p->cap * 2 : 4096;
    int64_t *nl = weft__realloc(p->left, cap * sizeof *nl);
    if (!nl) return 0;
    p->left = nl;
    if (pairs) {
      int64_t *nr = weft__realloc(p->right, cap * sizeof *nr);
      if (!nr) return 0;
      p->right = nr;
    }
    p->cap = cap;
  }
  p->left[p->n] = l;
  if (pairs) p->right[p->n] = r;
  p->n++;
  return 1;
}

/* A partition against the direct table (at most one match a row): each probe row's build
 * row and whether it is output, written in place; partitions start on multiples of
 * WEFT__JOIN_PROBE_ROWS, so they write whole bytes of the mask. */
static void probe_direct(const probe_ctx *c, size_t row0, size_t rows) {
  const weft__join_table *t = c->table;
  uint64_t key[WEFT_JOIN_BLOCK];
  uint8_t valid[WEFT_JOIN_BLOCK];
  int anti = c->kind == WEFT_JOIN_ANTI;
  for (size_t b0 = 0; b0 < rows; b0 += WEFT_JOIN_BLOCK) {
    size_t n = rows - b0 < WEFT_JOIN_BLOCK ? rows - b0 : WEFT_JOIN_BLOCK;
    int64_t base = (int64_t)(row0 + b0);
    weft__join_block_keys(c->pk, base, n, valid, key);
    for (size_t i = 0; i < n; i += 8) {
      uint8_t byte = 0;
      for (size_t k = i; k < i + 8 && k < n; k++) {
        if (k + 16 < n && key[k + 16] - t->base < t->span) __builtin_prefetch(&t->direct[key[k + 16] - t->base]);
        uint64_t at = key[k] - t->base;
        uint32_t r = valid[k] && at < t->span ? t->direct[at] : 0;
        c->match[base + (int64_t)k] = (int64_t)r - 1;
        byte |= (uint8_t)((anti ? r == 0 : r != 0) << (k - i));
      }
      c->mask[(base + (int64_t)i) >> 3] = byte;
    }
  }
}

/* Runs BODY with b_ = each build row whose key equals probe row `prow`'s, in build order (a
 * direct table has at most one); BODY may `break` to stop at the first. */
#define FOR_EACH_MATCH(t, c, keyv, bucketv, prow, BODY)                                         \
  do {                                                                                         \
    if ((t)->direct) {                                                                         \
      uint64_t at_ = (keyv) - (t)->base;                                                       \
      uint32_t hit_ = at_ < (t)->span ? (t)->direct[at_] : 0;                                  \
      if (hit_) {                                                                              \
        int64_t b_ = (int64_t)hit_ - 1;                                                        \
        BODY                                                                                   \
      }                                                                                        \
    } else {                                                                                   \
      for (uint32_t j_ = (t)->start[bucketv], end_ = (t)->start[(bucketv) + 1]; j_ < end_; j_++) { \
        const weft__join_entry *e_ = &(t)->entries[j_];                                        \
        if (e_->key != (keyv) ||                                                               \
            (!(c)->pk->single_word && !equal_rows((c), (prow), e_->row)))                      \
          continue;                                                                            \
        int64_t b_ = e_->row;                                                                  \
        BODY                                                                                   \
      }                                                                                        \
    }                                                                                          \
  } while (0)

static int equal_rows(const probe_ctx *c, int64_t prow, int64_t brow) {
  return c->build_left ? weft__join_rows_equal(c->bk, brow, c->pk, prow)
                       : weft__join_rows_equal(c->pk, prow, c->bk, brow);
}

static weft_status probe_run(void *ctx, weft__stage *stage, size_t row0, size_t rows) {
  (void)stage;
  probe_ctx *c = ctx;
  if (c->match) {
    probe_direct(c, row0, rows);
    return WEFT_OK;
  }
  weft__join_pairs *out = &c->parts[row0 / WEFT__JOIN_PROBE_ROWS];
  out->n = 0; /* a re-run partition starts over */
  const int existence = c->kind == WEFT_JOIN_SEMI || c->kind == WEFT_JOIN_ANTI;
  const int pairs = !existence || c->build_left;
  const weft__join_table *t = c->table;
  uint64_t key[WEFT_JOIN_BLOCK], bucket[WEFT_JOIN_BLOCK];
  uint8_t valid[WEFT_JOIN_BLOCK];
  for (size_t b0 = 0; b0 < rows; b0 += WEFT_JOIN_BLOCK) {
    size_t n = rows - b0 < WEFT_JOIN_BLOCK ? rows - b0 : WEFT_JOIN_BLOCK;
    int64_t base = (int64_t)(row0 + b0);
    weft__join_block_keys(c->pk, base, n, valid, key);
    if (!t->direct)
      for (size_t i = 0; i < n; i++) bucket[i] = weft__join_bucket(c->pk, key[i], t->mask);
    for (size_t i = 0; i < n; i++) {
      /* The table is far bigger than the cache: fetch a later row's bucket, then its
       * entries, while this row waits on its own. */
      if (t->direct) {
        if (i + 16 < n && key[i + 16] - t->base < t->span) __builtin_prefetch(&t->direct[key[i + 16] - t->base]);
      } else {
        if (i + 16 < n) __builtin_prefetch(&t->start[bucket[i + 16]]);
        if (i + 8 < n) __builtin_prefetch(&t->entries[t->start[bucket[i + 8]]]);
      }
      int64_t p = base + (int64_t)i;
      int matched = 0;
      if (!valid[i]) {
        /* a null key matches nothing */
      } else if (c->build_left && existence) {
        FOR_EACH_MATCH(t, c, key[i], bucket[i], p, {
          atomic_store_explicit(&c->matched[b_], 1, memory_order_relaxed);
        });
        continue;
      } else if (c->build_left) {
        FOR_EACH_MATCH(t, c, key[i], bucket[i], p, {
          if (!push(out, b_, p, 1)) goto oom;
        });
        continue;
      } else {
        FOR_EACH_MATCH(t, c, key[i], bucket[i], p, {
          matched = 1;
          if (existence) break;
          if (!push(out, p, b_, 1)) goto oom;
        });
      }
      if (c->build_left) continue;
      int emit = (c->kind == WEFT_JOIN_SEMI && matched) || (c->kind == WEFT_JOIN_ANTI && !matched) ||
                 (c->kind == WEFT_JOIN_LEFT && !matched);
      if (emit && !push(out, p, -1, pairs)) goto oom;
    }
  }
  return WEFT_OK;
oom:
  return weft__error(WEFT_ERR_OUT_OF_MEMORY, "no host memory for %zu join output rows", out->cap * 2);
}

static int host_only(const weft__device *dev) { return dev->backend->host_memory; }

static void report_lines(weft_exec *exec, const char *text) {
  while (text && *text) {
    const char *end = strchr(text, '\n');
    int len = end ? (int)(end - text) : (int)strlen(text);
    weft__report(exec, "%.*s", len, text);
    text += len + (end != NULL);
  }
}

weft_status weft__join_probe_cpu(weft_exec *exec, weft_join_kind kind, int build_left,
                             const weft__join_keys *probe_keys, int64_t probe_rows,
                             const weft__join_keys *build_keys, const weft__join_table *table,
                             weft__join_pairs *parts, int64_t *match, uint8_t *mask,
                             uint8_t *matched) {
  static const char *names[] = {"join inner (probe)", "join left (probe)", "join semi (probe)",
                                "join anti (probe)"};
  static const char *names_right[] = {"join inner (probe by the right rows)",
                                      "join left (probe by the right rows)",
                                      "join semi (probe by the right rows)",
                                      "join anti (probe by the right rows)"};
  probe_ctx c = {kind, build_left, probe_keys, build_keys, table, parts,
                 build_left ? NULL : match, mask, (_Atomic uint8_t *)matched};
  weft__op op = {.name = build_left ? names_right[kind] : names[kind],
                 .rows = (size_t)probe_rows,
                 .cpu_partition_rows = WEFT__JOIN_PROBE_ROWS,
                 .align_rows = WEFT__JOIN_PROBE_ROWS,
                 .flops_per_row = 4,
                 .supports = host_only,
                 .ctx = &c,
                 .run = probe_run};
  op.slot_row_bits[0] = 64 * probe_keys->n;
  struct weft_exec cpu;
  weft__exec_defaults(&cpu);
  weft__exec_place(&cpu, 0, "the probe reads the hash table in host memory");
  weft_status st = weft__schedule(&cpu, &op);
  report_lines(exec, cpu.report);
  exec->last_device = 0;
  weft__exec_release(&cpu);
  return st;
}
