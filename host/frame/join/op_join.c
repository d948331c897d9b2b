/* weft_table_join: a hash join. The right table's keys go into a hash table (join_keys.c);
 * the left rows probe it in partitions on the CPU pool, each partition listing its
 * (left row, right row) pairs; the lists are joined in partition order, so the output is in
 * left order with each left row's matches in right order, and the columns are gathered by
 * those row lists (join_gather.c). When the right keys are one unique integer-like word of
 * a small range, the table is a direct array (join_keys.c): each left row then has at most
 * one match, so the probe writes every left row's match and an output bitmap in place, and
 * the left columns are shared (left join) or compacted by the bitmap (filter_compact.c)
 * instead of gathered; the order is the same.
 *
 * When the exec chooses an OpenCL or CUDA device (join_device.c), the build and the probe
 * run there instead and hand back the same pair lists; the columns are gathered on the
 * host as above. A device that fails (out of its memory, keys it cannot take) falls back to
 * the CPU with the reason in the report, or fails in strict mode. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/placement.h"
#include "core/scratch.h"
#include "core/scheduler.h"
#include "frame/select/filter_compact.h"
#include "frame/join/join.h"
#include "frame/join/join_device.h"
#include "frame/table/decimal_keys.h"

#define PROBE_ROWS ((size_t)16384) /* left rows per partition */

typedef struct pair_list {
  int64_t *left, *right; /* right is NULL for semi / anti */
  size_t n, cap;
} pair_list;

typedef struct probe_ctx {
  weft_join_kind kind;
  const weft__join_keys *lk, *rk;
  const weft__join_table *table;
  pair_list *parts; /* by row0 / PROBE_ROWS */
  int64_t *match;   /* direct table: per left row, its right row or -1 */
  uint8_t *mask;    /* direct table: bit l set when left row l is output */
} probe_ctx;

static int push(pair_list *p, int64_t l, int64_t r, int pairs) {
  if (p->n == p->cap) {
    size_t cap = p->cap ? p->cap * 2 : 4096;
    int64_t *nl = realloc(p->left, cap * sizeof *nl);
    if (!nl) return 0;
    p->left = nl;
    if (pairs) {
      int64_t *nr = realloc(p->right, cap * sizeof *nr);
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

/* A partition against the direct table (at most one match a row): each left row's right
 * row and whether it is output, written in place; partitions start on multiples of
 * PROBE_ROWS, so they write whole bytes of the mask. */
static void probe_direct(const probe_ctx *c, size_t row0, size_t rows) {
  const weft__join_table *t = c->table;
  uint64_t key[WEFT_JOIN_BLOCK];
  uint8_t valid[WEFT_JOIN_BLOCK];
  int anti = c->kind == WEFT_JOIN_ANTI;
  for (size_t b0 = 0; b0 < rows; b0 += WEFT_JOIN_BLOCK) {
    size_t n = rows - b0 < WEFT_JOIN_BLOCK ? rows - b0 : WEFT_JOIN_BLOCK;
    int64_t base = (int64_t)(row0 + b0);
    weft__join_block_keys(c->lk, base, n, valid, key);
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

static weft_status probe_run(void *ctx, weft__stage *stage, size_t row0, size_t rows) {
  (void)stage;
  probe_ctx *c = ctx;
  if (c->table->direct) {
    probe_direct(c, row0, rows);
    return WEFT_OK;
  }
  pair_list *out = &c->parts[row0 / PROBE_ROWS];
  out->n = 0; /* a re-run partition starts over */
  int pairs = c->kind == WEFT_JOIN_INNER || c->kind == WEFT_JOIN_LEFT;
  const weft__join_table *t = c->table;
  const int single = c->lk->single_word;
  uint64_t key[WEFT_JOIN_BLOCK], bucket[WEFT_JOIN_BLOCK];
  uint8_t valid[WEFT_JOIN_BLOCK];
  for (size_t b0 = 0; b0 < rows; b0 += WEFT_JOIN_BLOCK) {
    size_t n = rows - b0 < WEFT_JOIN_BLOCK ? rows - b0 : WEFT_JOIN_BLOCK;
    int64_t base = (int64_t)(row0 + b0);
    weft__join_block_keys(c->lk, base, n, valid, key);
    for (size_t i = 0; i < n; i++) bucket[i] = weft__join_bucket(c->lk, key[i], t->mask);
    for (size_t i = 0; i < n; i++) {
      /* The table is far bigger than the cache: fetch a later row's bucket, then its
       * entries, while this row waits on its own. */
      if (i + 16 < n) __builtin_prefetch(&t->start[bucket[i + 16]]);
      if (i + 8 < n) __builtin_prefetch(&t->entries[t->start[bucket[i + 8]]]);
      int64_t l = base + (int64_t)i;
      int matched = 0;
      if (valid[i]) {
        uint64_t b = bucket[i];
        for (uint32_t j = t->start[b], end = t->start[b + 1]; j < end; j++) {
          const weft__join_entry *e = &t->entries[j];
          if (e->key != key[i] || (!single && !weft__join_rows_equal(c->lk, l, c->rk, e->row)))
            continue;
          matched = 1;
          if (c->kind == WEFT_JOIN_SEMI || c->kind == WEFT_JOIN_ANTI) break;
          if (!push(out, l, e->row, 1)) goto oom;
        }
      }
      int emit = (c->kind == WEFT_JOIN_SEMI && matched) || (c->kind == WEFT_JOIN_ANTI && !matched) ||
                 (c->kind == WEFT_JOIN_LEFT && !matched);
      if (emit && !push(out, l, -1, pairs)) goto oom;
    }
  }
  return WEFT_OK;
oom:
  return weft__error(WEFT_ERR_OUT_OF_MEMORY, "no host memory for %zu join output rows", out->cap * 2);
}

static int host_only(const weft__device *dev) { return dev->backend->host_memory; }

static int types_match(weft_type a, weft_type b) {
  return a == b || (weft__type_is_integer(a) && weft__type_is_integer(b));
}

/* The key columns of `table`, with types checked against the other side. */
static weft_status find_keys(const weft_table *table, const char *side, size_t nkeys,
                             const char *const *names, const weft__column **cols, size_t *idx) {
  for (size_t k = 0; k < nkeys; k++) {
    WEFT_CHECK_ARG(names[k], "weft_table_join: %s_on[%zu] is NULL", side, k);
    weft_status st = weft__table_find(table, names[k], &idx[k]);
    if (st != WEFT_OK)
      return weft__error_context(st, "weft_table_join: %s key %zu", side, k);
    cols[k] = &table->cols[idx[k]];
  }
  return WEFT_OK;
}

static int is_key(const size_t *idx, size_t nkeys, size_t c) {
  for (size_t k = 0; k < nkeys; k++)
    if (idx[k] == c) return 1;
  return 0;
}

/* Output names: the left's, then the right's non-key columns, `suffix` added on a clash. */
static weft_status output_names(const weft_table *left, const weft_table *right,
                                const size_t *ridx, size_t nkeys, int with_right,
                                const char *suffix, char ***names_out, size_t *ncols_out) {
  size_t n = left->ncols + (with_right ? right->ncols - nkeys : 0);
  char **names = calloc(n ? n : 1, sizeof *names);
  if (!names) return weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_table_join: no host memory");
  *names_out = names;
  *ncols_out = n;
  size_t at = 0;
  for (size_t c = 0; c < left->ncols; c++) names[at++] = strdup(left->names[c]);
  for (size_t c = 0; with_right && c < right->ncols; c++) {
    if (is_key(ridx, nkeys, c)) continue;
    const char *name = right->names[c];
    int clash = 0;
    for (size_t j = 0; j < at && !clash; j++) clash = names[j] && !strcmp(names[j], name);
    size_t len = strlen(name) + (clash ? strlen(suffix) : 0) + 1;
    char *s = malloc(len);
    if (s) snprintf(s, len, "%s%s", name, clash ? suffix : "");
    names[at++] = s;
  }
  for (size_t i = 0; i < n; i++) {
    if (!names[i]) return weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_table_join: no host memory");
    for (size_t j = 0; j < i; j++)
      if (!strcmp(names[i], names[j]))
        return weft__error(WEFT_ERR_INVALID_ARGUMENT, "weft_table_join: output column \"%s\" "
                           "appears twice (even with the suffix \"%s\"); rename a column first",
                           names[i], suffix);
  }
  return WEFT_OK;
}

static void free_names(char **names, size_t n) {
  for (size_t i = 0; names && i < n; i++) free(names[i]);
  free(names);
}

/* Joins the partitions' lists into one (left rows, right rows), in partition order. */
static weft_status concat_pairs(pair_list *parts, size_t nparts, int pairs, pair_list *all) {
  size_t total = 0;
  for (size_t p = 0; p < nparts; p++) total += parts[p].n;
  all->left = weft__scratch_alloc((total + 1) * sizeof(int64_t));
  all->right = pairs ? weft__scratch_alloc((total + 1) * sizeof(int64_t)) : NULL;
  if (!all->left || (pairs && !all->right))
    return weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_table_join: no host memory for %zu output "
                       "rows", total);
  size_t at = 0;
  for (size_t p = 0; p < nparts; p++) {
    if (!parts[p].n) continue;
    memcpy(all->left + at, parts[p].left, parts[p].n * sizeof(int64_t));
    if (pairs) memcpy(all->right + at, parts[p].right, parts[p].n * sizeof(int64_t));
    at += parts[p].n;
  }
  all->n = total;
  return WEFT_OK;
}

static const char *join_name(weft_join_kind kind) {
  static const char *names[] = {"join inner", "join left", "join semi", "join anti"};
  return names[kind];
}

/* Appends `text`'s lines to the report of `exec`. */
static void report_lines(weft_exec *exec, const char *text) {
  while (text && *text) {
    const char *end = strchr(text, '\n');
    int len = end ? (int)(end - text) : (int)strlen(text);
    weft__report(exec, "%.*s", len, text);
    text += len + (end != NULL);
  }
}

/* The probe on the CPU pool (the device was not chosen, or fell back): scheduled with an
 * exec of its own on "cpu", whose report joins the caller's. */
static weft_status probe(weft_exec *exec, const weft_table *left, probe_ctx *c) {
  static const char *names[] = {"join inner (probe)", "join left (probe)", "join semi (probe)",
                                "join anti (probe)"};
  weft__op op = {.name = names[c->kind],
                 .rows = (size_t)left->rows,
                 .cpu_partition_rows = PROBE_ROWS,
                 .align_rows = PROBE_ROWS,
                 .flops_per_row = 4,
                 .supports = host_only,
                 .ctx = c,
                 .run = probe_run};
  op.slot_row_bits[0] = 64 * c->lk->n;
  struct weft_exec cpu;
  weft__exec_defaults(&cpu);
  weft__exec_place(&cpu, 0, "the probe reads the hash table in host memory");
  weft_status st = weft__schedule(&cpu, &op);
  report_lines(exec, cpu.report);
  exec->last_device = 0;
  weft__exec_release(&cpu);
  return st;
}

/* A left column of the output: gathered by the pair lists, or with a direct table shared
 * (left join: every left row once, in order) or compacted by the mask. */
static weft_status left_column(const weft__column *src, const pair_list *all, const probe_ctx *direct,
                               weft__compact *kept, weft__column *col) {
  if (!direct) return weft__join_gather(src, all->left, (int64_t)all->n, 0, col);
  if (direct->kind == WEFT_JOIN_LEFT || kept->kept == kept->rows) {
    *col = *src;
    weft__column_retain(col);
    return WEFT_OK;
  }
  return weft__compact_column(kept, src, col);
}

/* With a direct table, the right rows of an inner join: the matches of the kept left rows
 * (compacted as an int64 column over `match`). */
static weft_status direct_right_rows(const probe_ctx *direct, weft__compact *kept, int64_t rows,
                                     weft__column *list) {
  weft__column m;
  memset(&m, 0, sizeof m);
  m.view = (weft_column_view){WEFT_TYPE_INT64, rows, 0, 0, NULL, direct->match, NULL};
  return weft__compact_column(kept, &m, list);
}

static weft_status assemble(const weft_table *left, const weft_table *right, const size_t *ridx,
                            size_t nkeys, weft_join_kind kind, const char *suffix,
                            pair_list *all, const probe_ctx *direct, weft_table **out) {
  int pairs = kind == WEFT_JOIN_INNER || kind == WEFT_JOIN_LEFT;
  char **names = NULL;
  size_t ncols = 0;
  weft__compact kept = {0};
  weft__column list;
  memset(&list, 0, sizeof list);
  const int64_t *right_rows = all->right;
  weft_status st = output_names(left, right, ridx, nkeys, pairs, suffix, &names, &ncols);
  if (st == WEFT_OK && direct && kind == WEFT_JOIN_LEFT) {
    all->n = (size_t)left->rows;
    right_rows = direct->match;
  } else if (st == WEFT_OK && direct) {
    st = weft__compact_init(direct->mask, left->rows, &kept);
    all->n = (size_t)kept.kept;
    if (st == WEFT_OK && kind == WEFT_JOIN_INNER) st = direct_right_rows(direct, &kept, left->rows, &list);
    right_rows = list.view.values;
  }
  weft_table *t = NULL;
  if (st == WEFT_OK) st = weft__table_new(ncols, (int64_t)all->n, &t);
  size_t at = 0;
  for (size_t c = 0; st == WEFT_OK && c < left->ncols; c++, at++) {
    weft__column col;
    st = left_column(&left->cols[c], all, direct, &kept, &col);
    if (st == WEFT_OK) st = weft__table_set_column(t, at, names[at], col);
  }
  for (size_t c = 0; st == WEFT_OK && pairs && c < right->ncols; c++) {
    if (is_key(ridx, nkeys, c)) continue;
    weft__column col;
    st = weft__join_gather(&right->cols[c], right_rows, (int64_t)all->n, kind == WEFT_JOIN_LEFT, &col);
    if (st == WEFT_OK) st = weft__table_set_column(t, at, names[at], col);
    at++;
  }
  free_names(names, ncols);
  weft__compact_free(&kept);
  if (list.view.values) weft__column_release(&list);
  if (st != WEFT_OK) {
    weft_table_free(t);
    return st;
  }
  *out = t;
  return WEFT_OK;
}

weft_status weft__join_find_keys(const weft_table *left, const weft_table *right, size_t nkeys,
                                 const char *const *left_on, const char *const *right_on,
                                 const weft__column **lcols, const weft__column **rcols,
                                 size_t *lidx, size_t *ridx) {
  WEFT_RETURN_NOT_OK(find_keys(left, "left", nkeys, left_on, lcols, lidx));
  WEFT_RETURN_NOT_OK(find_keys(right, "right", nkeys, right_on, rcols, ridx));
  for (size_t k = 0; k < nkeys; k++) {
    weft_type a = lcols[k]->view.type, b = rcols[k]->view.type;
    if (!types_match(a, b))
      return weft__error(WEFT_ERR_INVALID_ARGUMENT, "weft_table_join: key \"%s\" of the left "
                         "table is %s but key \"%s\" of the right table is %s; cast one of them "
                         "first", left_on[k], weft_type_name(a), right_on[k], weft_type_name(b));
    for (size_t j = 0; j < k; j++)
      if (ridx[j] == ridx[k])
        return weft__error(WEFT_ERR_INVALID_ARGUMENT, "weft_table_join: right key \"%s\" is "
                           "given twice", right_on[k]);
  }
  return WEFT_OK;
}

weft_status weft_table_join(weft_exec *exec, const weft_table *left, const weft_table *right,
                            size_t nkeys, const char *const *left_on, const char *const *right_on,
                            weft_join_kind kind, const char *suffix, weft_table **out) {
  WEFT_CHECK_ARG(out, "weft_table_join: out is NULL");
  *out = NULL;
  WEFT_CHECK_ARG(left && right, "weft_table_join: left and right must not be NULL");
  WEFT_CHECK_ARG(nkeys > 0 && left_on && right_on,
                 "weft_table_join: needs at least one key (nkeys = %zu)", nkeys);
  WEFT_CHECK_ARG(kind >= WEFT_JOIN_INNER && kind <= WEFT_JOIN_ANTI,
                 "weft_table_join: kind %d is not INNER, LEFT, SEMI or ANTI", (int)kind);
  if (!suffix) suffix = "_right";
  const weft__column **lcols = calloc(nkeys, sizeof *lcols), **rcols = calloc(nkeys, sizeof *rcols);
  size_t *lidx = calloc(nkeys, sizeof *lidx), *ridx = calloc(nkeys, sizeof *ridx);
  size_t nparts = (size_t)left->rows / PROBE_ROWS + 1;
  pair_list *parts = calloc(nparts, sizeof *parts);
  pair_list all = {0};
  weft__join_table table = {0};
  weft_status st = WEFT_OK;
  if (!lcols || !rcols || !lidx || !ridx || !parts)
    st = weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_table_join: no host memory");
  if (st == WEFT_OK)
    st = weft__join_find_keys(left, right, nkeys, left_on, right_on, lcols, rcols, lidx, ridx);
  /* decimal keys join on their (high, low) words: two keys each */
  weft__split_keys lsplit = {0}, rsplit = {0};
  size_t nkeys_in = nkeys;
  if (st == WEFT_OK && weft__keys_have_decimal(lcols, nkeys)) {
    st = weft__split_decimal_keys(lcols, NULL, nkeys, &lsplit);
    if (st == WEFT_OK) st = weft__split_decimal_keys(rcols, NULL, nkeys, &rsplit);
    if (st == WEFT_OK) {
      free(lcols), free(rcols);
      lcols = lsplit.cols, rcols = rsplit.cols, lsplit.cols = rsplit.cols = NULL;
      nkeys = lsplit.n;
    }
  }
  struct weft_exec local;
  weft_exec *ex = exec;
  if (!exec) weft__exec_defaults(&local), ex = &local;
  if (st == WEFT_OK) {
    for (size_t k = 0; k < nkeys; k++) {
      weft__column_null_count((weft__column *)lcols[k]);
      weft__column_null_count((weft__column *)rcols[k]);
    }
    int single = nkeys == 1 && lcols[0]->view.type != WEFT_TYPE_UTF8;
    weft__join_keys lk = {nkeys, lcols, single}, rk = {nkeys, rcols, single};
    weft__report_clear(ex);
    weft__report(ex, "%s: %lld left rows, %lld right rows", join_name(kind), (long long)left->rows,
                 (long long)right->rows);
    weft__device *dev = NULL;
    int on_device = 0;
    st = weft__join_device_choose(ex, join_name(kind), &lk, left->rows, &rk, right->rows, &dev);
    if (st == WEFT_OK && dev) {
      size_t slices = 0;
      st = weft__join_device_pairs(dev, &lk, left->rows, &rk, right->rows, kind, &all.left,
                                   &all.right, &all.n, &slices);
      if (st == WEFT_OK) {
        on_device = 1;
        ex->last_device = weft__device_index(dev);
        weft__report(ex, "  %s (%s): hash table built on %lld right rows and probed by %lld "
                     "left rows; %zu output rows", dev->id, dev->desc.name,
                     (long long)right->rows, (long long)left->rows, all.n);
        if (slices > 1)
          weft__report(ex, "  the output did not fit %s's memory at once: written in %zu slices "
                       "of left rows", dev->id, slices);
      } else if (ex->strict) {
        st = weft__error_context(st, "%s on %s (strict mode, no fallback)", join_name(kind), dev->id);
      } else {
        weft__report(ex, "  fell back to cpu:0: %s", weft_last_error());
        weft__error_clear();
        st = WEFT_OK;
      }
    }
    if (st == WEFT_OK && !on_device) st = weft__join_build(&rk, right->rows, &table);
    probe_ctx c = {kind, &lk, &rk, &table, parts, NULL, NULL};
    int direct = !on_device && st == WEFT_OK && table.direct;
    if (direct) {
      c.match = weft__scratch_alloc((size_t)(left->rows ? left->rows : 1) * sizeof *c.match);
      c.mask = calloc((size_t)left->rows / 8 + 1, 1);
      if (!c.match || !c.mask)
        st = weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_table_join: no host memory for %lld left "
                         "rows", (long long)left->rows);
    }
    if (st == WEFT_OK && !on_device) st = probe(ex, left, &c);
    weft__join_table_free(&table);
    int pairs = kind == WEFT_JOIN_INNER || kind == WEFT_JOIN_LEFT;
    if (st == WEFT_OK && !direct && !on_device) st = concat_pairs(parts, nparts, pairs, &all);
    for (size_t p = 0; p < nparts; p++) free(parts[p].left), free(parts[p].right);
    free(parts);
    parts = NULL;
    if (st == WEFT_OK)
      st = assemble(left, right, ridx, nkeys_in, kind, suffix, &all, direct ? &c : NULL, out);
    weft__scratch_free(c.match), free(c.mask);
    if (st == WEFT_OK && !on_device)
      weft__report(ex, "  hash table on %lld right rows; %zu output rows", (long long)right->rows,
                   all.n);
  }
  if (!exec) weft__exec_release(&local);
  free(parts);
  weft__scratch_free(all.left), weft__scratch_free(all.right);
  free(lcols), free(rcols), free(lidx), free(ridx);
  weft__split_keys_free(&lsplit), weft__split_keys_free(&rsplit);
  return st;
}
