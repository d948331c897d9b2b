/* weft_table_join: a hash join, built on the smaller side. With the right side the smaller,
 * its keys go into a hash table (join_keys.c) and the left rows probe it in partitions on the
 * CPU pool (join_probe.c), each partition listing its (left row, right row) pairs, joined in
 * partition order: left order, each left row's matches in right order. With the left side
 * the smaller, the table is over the left keys and the right rows probe it: semi and anti
 * joins only mark the left rows that match, inner and left joins list pairs in right order
 * that a counting sort on the left row puts in left order (join_order.c). A right join is a
 * left join with the sides swapped; a full join is a left join followed by the right rows
 * that matched nothing. The columns are then gathered by the row lists (join_gather.c) in
 * Polars' layout (join_layout.c).
 *
 * When the right keys are one unique integer-like word of a small range, the table is a
 * direct array (join_keys.c): each left row then has at most one match, so the probe writes
 * every left row's match and an output bitmap in place, and the left columns are shared
 * (left join) or compacted by the bitmap (filter_compact.c) instead of gathered. Such a right
 * side is built even when it is the larger one (up to DIRECT_OVER_LEFT times the left rows),
 * for an inner or left join.
 *
 * When the exec chooses an OpenCL or CUDA device (join_device.c), the build (over the right
 * side, the left one for a right join) and the probe run there instead and hand back the
 * same pair lists. A device that fails falls back to the CPU with the reason in the report,
 * or fails in strict mode. A cross join has no keys and runs on the CPU. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/progress.h"
#include "core/device_choice.h"
#include "core/alloc.h"
#include "core/error.h"
#include "core/placement.h"
#include "core/scratch.h"
#include "frame/families.h"
#include "frame/select/filter_compact.h"
#include "frame/join/join.h"
#include "frame/join/join_categorical.h"
#include "frame/join/join_device.h"
#include "frame/table/decimal_keys.h"

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
    WEFT_RETURN_NOT_OK(weft__check_key_type("weft_table_join", names[k], &table->cols[idx[k]]));
    cols[k] = &table->cols[idx[k]];
  }
  return WEFT_OK;
}

static const char *join_name(weft_join_kind kind) {
  static const char *names[] = {"join inner", "join left", "join semi", "join anti",
                                "join right", "join full", "join cross"};
  return names[kind];
}

/* The output's rows: per side a row list (-1: none), or for the left side every row in order
 * (`left_all`) or the rows whose bit of `left_mask` is set (compacted). */
typedef struct join_rows {
  int64_t *left, *right; /* scratch */
  size_t n;
  int left_all;
  uint8_t *left_mask; /* malloc'ed */
  int64_t *match;     /* scratch: a direct table's match per left row */
} join_rows;

static void join_rows_free(join_rows *r) {
  weft__scratch_free(r->left), weft__scratch_free(r->right), weft__scratch_free(r->match);
  free(r->left_mask);
  memset(r, 0, sizeof *r);
}

/* The bitmap of the left rows a semi (matched) or anti (not matched) join keeps. */
static uint8_t *mask_of(const uint8_t *matched, int64_t rows, int anti) {
  uint8_t *mask = weft__calloc((size_t)rows / 8 + 1, 1);
  if (!mask) return NULL;
  for (int64_t l = 0; l < rows; l++)
    if ((matched[l] != 0) != anti) mask[l >> 3] |= (uint8_t)(1u << (l & 7));
  return mask;
}

/* How many times the left side's rows a right side with a direct table may have and still be
 * the one built (a direct build is one store a row, its probe one load). */
#define DIRECT_OVER_LEFT 8

static weft_status no_memory(const char *what, int64_t rows) {
  return weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_table_join: no host memory for %s of %lld "
                     "rows", what, (long long)rows);
}

/* The CPU join of (L, R) for kind inner, left, semi or anti (a right or full join asks for a
 * left join without `direct_ok`): the table on the smaller side. */
static weft_status cpu_rows(weft_exec *ex, weft_join_kind core, const weft__join_keys *lk,
                            int64_t lrows, const weft__join_keys *rk, int64_t rrows, int direct_ok,
                            join_rows *out) {
  int build_left = lrows < rrows;
  int pairs = core == WEFT_JOIN_INNER || core == WEFT_JOIN_LEFT;
  weft__join_table table = {0};
  weft_status st = WEFT_OK;
  /* Right keys that are unique and dense make a direct table (one load a left row, no pairs
   * to put in left order), cheaper than a hash table on a left side up to DIRECT_OVER_LEFT
   * times smaller that every right row probes: TPC-H Q14's 76k lineitems against the 200k
   * part keys. */
  if (build_left && pairs && direct_ok && rk->single_word && rrows <= lrows * DIRECT_OVER_LEFT) {
    st = weft__join_build_direct(rk, rrows, &table);
    if (st == WEFT_OK && table.direct) build_left = 0;
  }
  int64_t prows = build_left ? rrows : lrows;
  size_t nparts = (size_t)prows / WEFT__JOIN_PROBE_ROWS + 1;
  weft__join_pairs *parts = st == WEFT_OK ? weft__calloc(nparts, sizeof *parts) : NULL;
  uint8_t *matched = NULL, *mask = NULL;
  if (st == WEFT_OK && !parts) st = no_memory("the probe's partitions", prows);
  if (st == WEFT_OK && build_left && !pairs && lk->single_word) {
    /* existence only, one word a key: a set of the left keys (join_exists.c) */
    if (!(matched = weft__calloc((size_t)lrows + 1, 1))) st = no_memory("the matched flags", lrows);
    if (st == WEFT_OK) st = weft__join_exists(ex, lk, lrows, rk, rrows, matched);
    if (st == WEFT_OK) {
      weft__report(ex, "  key set on %lld left rows, probed by %lld right rows", (long long)lrows,
                   (long long)rrows);
      if (!(out->left_mask = mask_of(matched, lrows, core == WEFT_JOIN_ANTI)))
        st = no_memory("the output mask", lrows);
    }
    free(parts), free(matched);
    return st;
  }
  if (st == WEFT_OK && !table.direct)
    st = weft__join_build(build_left ? lk : rk, build_left ? lrows : rrows, &table);
  int direct = st == WEFT_OK && !build_left && table.direct && direct_ok;
  if (st == WEFT_OK && direct) {
    out->match = weft__scratch_alloc((size_t)(lrows ? lrows : 1) * sizeof *out->match);
    mask = weft__calloc((size_t)lrows / 8 + 1, 1);
    if (!out->match || !mask) st = no_memory("the matches", lrows);
  }
  if (st == WEFT_OK && build_left && !pairs && !(matched = weft__calloc((size_t)lrows + 1, 1)))
    st = no_memory("the matched flags", lrows);
  if (st == WEFT_OK)
    st = build_left ? weft__join_probe_cpu(ex, core, 1, rk, rrows, lk, &table, parts, NULL, NULL, matched)
                    : weft__join_probe_cpu(ex, core, 0, lk, lrows, rk, &table, parts,
                                       direct ? out->match : NULL, mask, NULL);
  if (st == WEFT_OK) {
    weft__report(ex, "  %s table on %lld %s rows, probed by %lld %s rows",
                 table.direct ? "direct" : "hash", (long long)(build_left ? lrows : rrows),
                 build_left ? "left" : "right", (long long)prows, build_left ? "right" : "left");
  }
  weft__join_table_free(&table);
  if (st == WEFT_OK && direct && core == WEFT_JOIN_LEFT) {
    out->left_all = 1;
    out->right = out->match; /* every left row once, with its match */
    out->match = NULL;
    out->n = (size_t)lrows;
  } else if (st == WEFT_OK && direct) {
    out->left_mask = mask; /* inner: the right rows are the kept rows' matches (assemble) */
    mask = NULL;
  } else if (st == WEFT_OK && build_left && !pairs) {
    if (!(out->left_mask = mask_of(matched, lrows, core == WEFT_JOIN_ANTI)))
      st = no_memory("the output mask", lrows);
  } else if (st == WEFT_OK && build_left) {
    st = weft__join_order_by_left(parts, nparts, lrows, core == WEFT_JOIN_LEFT, &out->left,
                                  &out->right, &out->n);
  } else if (st == WEFT_OK) {
    st = weft__join_concat(parts, nparts, pairs, &out->left, &out->right, &out->n);
  }
  for (size_t p = 0; parts && p < nparts; p++) free(parts[p].left), free(parts[p].right);
  free(parts), free(matched), free(mask);
  return st;
}

/* The join's rows for a keyed kind: on the device the exec chooses, else on the CPU. */
static weft_status keyed_rows(weft_exec *ex, weft_join_kind kind, const weft__join_keys *lkeys,
                              const weft_table *left, const weft__join_keys *rkeys,
                              const weft_table *right, join_rows *out) {
  int swap = kind == WEFT_JOIN_RIGHT;
  weft_join_kind core = kind == WEFT_JOIN_RIGHT || kind == WEFT_JOIN_FULL ? WEFT_JOIN_LEFT : kind;
  const weft__join_keys *lk = swap ? rkeys : lkeys, *rk = swap ? lkeys : rkeys;
  int64_t lrows = swap ? right->rows : left->rows, rrows = swap ? left->rows : right->rows;
  weft__device *dev = NULL;
  int on_device = 0;
  weft_status st = weft__join_device_choose(ex, join_name(kind), lk, lrows, rk, rrows, &dev);
  if (st == WEFT_OK && dev) {
    size_t slices = 0;
    st = weft__join_device_pairs(dev, lk, lrows, rk, rrows, core, &out->left, &out->right,
                                 &out->n, &slices);
    if (st == WEFT_OK) {
      on_device = 1;
      ex->last_device = weft__device_index(dev);
      weft__report(ex, "  %s (%s): hash table built on %lld %s rows and probed by %lld %s rows",
                   dev->id, dev->desc.name, (long long)rrows, swap ? "left" : "right",
                   (long long)lrows, swap ? "right" : "left");
      if (slices > 1)
        weft__report(ex, "  the output did not fit %s's memory at once: written in %zu slices "
                     "of left rows", dev->id, slices);
    } else if (ex->strict) {
      return weft__error_context(st, "%s on %s (strict mode, no fallback)", join_name(kind), dev->id);
    } else {
      weft__report(ex, "  fell back to cpu:0: %s", weft_last_error());
      weft__error_clear();
      join_rows_free(out);
      st = WEFT_OK;
    }
  }
  if (st == WEFT_OK && !on_device)
    st = cpu_rows(ex, core, lk, lrows, rk, rrows, kind == core, out);
  if (st == WEFT_OK && kind == WEFT_JOIN_FULL)
    st = weft__join_append_unmatched(rrows, &out->left, &out->right, &out->n);
  if (st == WEFT_OK && swap) {
    int64_t *t = out->left;
    out->left = out->right, out->right = t;
  }
  return st;
}

/* A side's column of the output. */
static weft_status side_column(const weft__column *src, const join_rows *r, int right_side,
                               int may_miss, weft__compact *kept, weft__column *col) {
  if (!right_side && r->left_all) {
    *col = *src;
    weft__column_retain(col);
    return WEFT_OK;
  }
  if (!right_side && r->left_mask) {
    if (kept->kept == kept->rows) {
      *col = *src;
      weft__column_retain(col);
      return WEFT_OK;
    }
    return weft__compact_column(kept, src, col);
  }
  return weft__join_gather(src, right_side ? r->right : r->left, (int64_t)r->n, may_miss, col);
}

static weft_status assemble(const weft_table *left, const weft_table *right, weft_join_kind kind,
                            const weft__join_out *cols, size_t ncols, join_rows *r,
                            weft_table **out) {
  weft__compact kept = {0};
  weft__column list;
  memset(&list, 0, sizeof list);
  weft_status st = WEFT_OK;
  if (r->left_mask) {
    st = weft__compact_init(r->left_mask, left->rows, &kept);
    r->n = (size_t)kept.kept;
    if (st == WEFT_OK && r->match) { /* a direct inner join: the kept rows' matches */
      weft__column m;
      memset(&m, 0, sizeof m);
      m.view = (weft_column_view){WEFT_TYPE_INT64, left->rows, 0, 0, NULL, r->match, NULL};
      st = weft__compact_column(&kept, &m, &list);
      r->right = (int64_t *)list.view.values; /* not scratch: released below, not freed */
    }
  }
  int left_miss = kind == WEFT_JOIN_RIGHT || kind == WEFT_JOIN_FULL;
  int right_miss = kind == WEFT_JOIN_LEFT || kind == WEFT_JOIN_FULL;
  weft_table *t = NULL;
  if (st == WEFT_OK) st = weft__table_new(ncols, (int64_t)r->n, &t);
  for (size_t c = 0; st == WEFT_OK && c < ncols; c++) {
    weft__column col;
    const weft__join_out *o = &cols[c];
    if (o->side == 2)
      st = weft__join_coalesce_keys(&left->cols[o->col], &right->cols[o->col2], r->left, r->right,
                                    (int64_t)r->n, o->type, &col);
    else if (o->side == 0)
      st = side_column(&left->cols[o->col], r, 0, left_miss, &kept, &col);
    else
      st = side_column(&right->cols[o->col], r, 1, right_miss, &kept, &col);
    if (st == WEFT_OK) st = weft__table_set_column(t, c, o->name, col);
    else if (st == WEFT_ERR_INVALID_ARGUMENT) /* a utf8 output past its 32-bit offsets */
      st = weft__error_context(st, "weft_table_join: column \"%s\"", o->name);
  }
  if (list.view.values) {
    r->right = NULL;
    weft__column_release(&list);
  }
  weft__compact_free(&kept);
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

/* A cross join asks the exec's choice like any join, so a device list hears why it runs on
 * the CPU (strict mode: fails). */
static weft_status cross_rows(weft_exec *ex, int64_t lrows, int64_t rrows, join_rows *out) {
  weft__op op = {.name = "join cross",
                 .rows = (size_t)(lrows + rrows),
                 .flops_per_row = 1,
                 .family = &weft__family_join,
                 .device_unsupported = "a cross join has no device kernels (no keys to hash: "
                                       "every pair is listed on the CPU)"};
  weft__choice choice;
  WEFT_RETURN_NOT_OK(weft__choose_devices(ex, &op, &choice));
  ex->last_device = 0;
  WEFT_RETURN_NOT_OK(weft__join_cross_rows(lrows, rrows, &out->left, &out->right, &out->n));
  weft__report(ex, "  cpu:0: every pair of rows (no keys, no hash table)");
  return WEFT_OK;
}

static weft_status weft_table_join_run(weft_exec *exec, const weft_table *left, const weft_table *right,
                                       size_t nkeys, const char *const *left_on, const char *const *right_on,
                                       weft_join_kind kind_flags, const char *suffix, weft_table **out);

/* Progress: the probe's partitions count their rows; cancelled: checked after. */
weft_status weft_table_join(weft_exec *exec, const weft_table *left, const weft_table *right,
                            size_t nkeys, const char *const *left_on, const char *const *right_on,
                            weft_join_kind kind_flags, const char *suffix, weft_table **out) {
  weft__progress *progress = weft__progress_begin("join", 0);
  /* categorical keys over different dictionaries: onto one first (join_categorical.c) */
  weft_table *l2 = NULL, *r2 = NULL;
  weft_status st = WEFT_OK;
  if (left && right && out)
    st = weft__join_unify_categorical(left, right, nkeys, left_on, right_on, &l2, &r2);
  if (st == WEFT_OK)
    st = weft_table_join_run(exec, l2 ? l2 : left, r2 ? r2 : right, nkeys, left_on, right_on,
                             kind_flags, suffix, out);
  weft_table_free(l2), weft_table_free(r2);
  if (st == WEFT_OK && weft__progress_check("weft_table_join") != WEFT_OK) {
    weft_table_free(*out);
    *out = NULL;
    st = WEFT_ERR_CANCELLED;
  }
  return weft__progress_end(progress, st);
}

static weft_status weft_table_join_run(weft_exec *exec, const weft_table *left, const weft_table *right,
                                       size_t nkeys, const char *const *left_on, const char *const *right_on,
                                       weft_join_kind kind_flags, const char *suffix, weft_table **out) {
  WEFT_CHECK_ARG(out, "weft_table_join: out is NULL");
  *out = NULL;
  WEFT_CHECK_ARG(left && right, "weft_table_join: left and right must not be NULL");
  weft_join_kind kind = WEFT__JOIN_KIND(kind_flags);
  int flags = WEFT__JOIN_FLAGS(kind_flags);
  WEFT_CHECK_ARG(kind >= WEFT_JOIN_INNER && kind <= WEFT_JOIN_CROSS &&
                 !(flags & ~(WEFT_JOIN_COALESCE | WEFT_JOIN_NO_COALESCE)) &&
                 flags != (WEFT_JOIN_COALESCE | WEFT_JOIN_NO_COALESCE),
                 "weft_table_join: kind %d is not INNER, LEFT, SEMI, ANTI, RIGHT, FULL or CROSS "
                 "(with at most one of the COALESCE / NO_COALESCE flags)", (int)kind_flags);
  if (kind == WEFT_JOIN_CROSS)
    WEFT_CHECK_ARG(nkeys == 0, "weft_table_join: a cross join takes no keys (nkeys = %zu)", nkeys);
  else
    WEFT_CHECK_ARG(nkeys > 0 && left_on && right_on,
                   "weft_table_join: needs at least one key (nkeys = %zu)", nkeys);
  if (!suffix) suffix = "_right";
  size_t nk = nkeys ? nkeys : 1;
  const weft__column **lcols = weft__calloc(nk, sizeof *lcols), **rcols = weft__calloc(nk, sizeof *rcols);
  size_t *lidx = weft__calloc(nk, sizeof *lidx), *ridx = weft__calloc(nk, sizeof *ridx);
  weft__join_out *cols = NULL;
  size_t ncols = 0;
  join_rows rows = {0};
  weft_status st = WEFT_OK;
  if (!lcols || !rcols || !lidx || !ridx)
    st = weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_table_join: no host memory");
  if (st == WEFT_OK && nkeys)
    st = weft__join_find_keys(left, right, nkeys, left_on, right_on, lcols, rcols, lidx, ridx);
  if (st == WEFT_OK)
    st = weft__join_layout(left, right, nkeys, left_on, right_on, lidx, ridx, kind,
                           weft__join_coalesces(kind, flags), suffix, &cols, &ncols);
  /* decimal keys join on their (high, low) words: two keys each */
  weft__split_keys lsplit = {0}, rsplit = {0};
  weft__column *key_codes = st == WEFT_OK ? weft__calloc(2 * nk, sizeof *key_codes) : NULL;
  if (st == WEFT_OK && !key_codes) st = weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_table_join: no host memory");
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
    weft__report_clear(ex);
    weft__report(ex, "%s: %lld left rows, %lld right rows", join_name(kind), (long long)left->rows,
                 (long long)right->rows);
  }
  if (st == WEFT_OK && kind == WEFT_JOIN_CROSS) {
    st = cross_rows(ex, left->rows, right->rows, &rows);
  } else if (st == WEFT_OK) {
    for (size_t k = 0; k < nkeys; k++) {
      weft__column_null_count((weft__column *)lcols[k]);
      weft__column_null_count((weft__column *)rcols[k]);
    }
    weft__join_key_codes(lcols, rcols, nkeys, key_codes);
    int single = nkeys == 1 && lcols[0]->view.type != WEFT_TYPE_UTF8;
    weft__join_keys lk = {nkeys, lcols, single, 0}, rk = {nkeys, rcols, single, 0};
    st = weft__join_sign_guards(&lk, &rk);
    if (st == WEFT_OK) st = keyed_rows(ex, kind, &lk, left, &rk, right, &rows);
  }
  if (st == WEFT_OK) st = assemble(left, right, kind, cols, ncols, &rows, out);
  if (st == WEFT_OK) weft__report(ex, "  %lld output rows", (long long)(*out)->rows);
  if (!exec) weft__exec_release(&local);
  join_rows_free(&rows);
  weft__join_layout_free(cols, ncols);
  free(lcols), free(rcols), free(lidx), free(ridx), free(key_codes);
  weft__split_keys_free(&lsplit), weft__split_keys_free(&rsplit);
  return st;
}
