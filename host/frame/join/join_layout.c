/* The output columns of a join, as Polars lays them out: which side and column each comes
 * from, its name (the suffix added on a clash with a name already taken) and, for a full
 * join's coalesced key, the keys' common type. The eager join assembles its output by it, and
 * the planner reads it to push filters and projections into the side a column comes from. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/alloc.h"
#include "frame/join/join.h"

typedef struct layout {
  weft__join_out *cols;
  size_t n;
  int oom;
} layout;

static int is_key(const size_t *idx, size_t nkeys, size_t c) {
  for (size_t k = 0; k < nkeys; k++)
    if (idx[k] == c) return 1;
  return 0;
}

static void add(layout *l, const char *name, const char *suffix, int side, size_t col, size_t col2,
                weft_type type) {
  int clash = 0;
  for (size_t j = 0; j < l->n && !clash; j++) clash = !strcmp(l->cols[j].name, name);
  size_t len = strlen(name) + (clash && suffix ? strlen(suffix) : 0) + 1;
  char *s = weft__malloc(len);
  if (!s) {
    l->oom = 1;
    return;
  }
  snprintf(s, len, "%s%s", name, clash && suffix ? suffix : "");
  l->cols[l->n++] = (weft__join_out){s, side, col, col2, type};
}

static int is_signed(weft_type t) { return t >= WEFT_TYPE_INT8 && t <= WEFT_TYPE_INT64; }

/* Polars' supertype of two integer key types (a coalesced full join key). */
static weft_status key_supertype(weft_type a, weft_type b, const char *an, const char *bn,
                                 weft_type *out) {
  if (a == b) {
    *out = a;
    return WEFT_OK;
  }
  size_t wa = weft__type_width(a), wb = weft__type_width(b);
  if (is_signed(a) == is_signed(b)) {
    *out = wa >= wb ? a : b;
    return WEFT_OK;
  }
  weft_type s = is_signed(a) ? a : b, u = is_signed(a) ? b : a;
  size_t ws = weft__type_width(s), wu = weft__type_width(u);
  if (ws > wu) *out = s;
  else if (wu == 1) *out = WEFT_TYPE_INT16;
  else if (wu == 2) *out = WEFT_TYPE_INT32;
  else if (wu == 4) *out = WEFT_TYPE_INT64;
  else
    return weft__error(WEFT_ERR_INVALID_ARGUMENT, "weft_table_join: coalescing key \"%s\" (%s) "
                       "with key \"%s\" (%s) needs int128, which weft lacks; cast one key first "
                       "or keep both keys (no coalesce)", an, weft_type_name(a), bn,
                       weft_type_name(b));
  return WEFT_OK;
}

weft_status weft__join_layout(const weft_table *left, const weft_table *right, size_t nkeys,
                              const char *const *left_on, const char *const *right_on,
                              const size_t *lidx, const size_t *ridx, weft_join_kind kind,
                              int coalesce, const char *suffix, weft__join_out **out,
                              size_t *nout) {
  *out = NULL;
  *nout = 0;
  layout l = {weft__calloc(left->ncols + right->ncols + 1, sizeof(weft__join_out)), 0, 0};
  if (!l.cols) return weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_table_join: no host memory");
  weft_status st = WEFT_OK;
  int with_right = kind != WEFT_JOIN_SEMI && kind != WEFT_JOIN_ANTI;
  int keep_left_keys = !(kind == WEFT_JOIN_RIGHT && coalesce);
  int keep_right_keys = !coalesce || kind == WEFT_JOIN_RIGHT || kind == WEFT_JOIN_CROSS;
  for (size_t c = 0; c < left->ncols; c++) {
    if (!keep_left_keys && is_key(lidx, nkeys, c)) continue;
    size_t k = 0;
    while (k < nkeys && lidx[k] != c) k++;
    if (kind == WEFT_JOIN_FULL && coalesce && k < nkeys) {
      weft_type t = WEFT_TYPE_INT64;
      st = key_supertype(left->cols[c].view.type, right->cols[ridx[k]].view.type, left_on[k],
                         right_on[k], &t);
      if (st != WEFT_OK) break;
      add(&l, left->names[c], NULL, 2, c, ridx[k], t);
    } else {
      add(&l, left->names[c], NULL, 0, c, 0, left->cols[c].view.type);
    }
  }
  for (size_t c = 0; st == WEFT_OK && with_right && c < right->ncols; c++) {
    if (!keep_right_keys && is_key(ridx, nkeys, c)) continue;
    add(&l, right->names[c], suffix, 1, c, 0, right->cols[c].view.type);
  }
  if (st == WEFT_OK && l.oom) st = weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_table_join: no host memory");
  for (size_t i = 0; st == WEFT_OK && i < l.n; i++)
    for (size_t j = 0; j < i; j++)
      if (!strcmp(l.cols[i].name, l.cols[j].name)) {
        st = weft__error(WEFT_ERR_INVALID_ARGUMENT, "weft_table_join: output column \"%s\" "
                         "appears twice (even with the suffix \"%s\"); rename a column first",
                         l.cols[i].name, suffix);
        break;
      }
  if (st != WEFT_OK) {
    weft__join_layout_free(l.cols, l.n);
    return st;
  }
  *out = l.cols;
  *nout = l.n;
  return WEFT_OK;
}

void weft__join_layout_free(weft__join_out *cols, size_t n) {
  for (size_t i = 0; cols && i < n; i++) free(cols[i].name);
  free(cols);
}

int weft__join_coalesces(weft_join_kind kind, int flags) {
  if (flags & WEFT_JOIN_COALESCE) return 1;
  if (flags & WEFT_JOIN_NO_COALESCE) return 0;
  return kind != WEFT_JOIN_FULL;
}

weft_status weft__join_layout_of(const weft_table *left, const weft_table *right, size_t nkeys,
                                 const char *const *left_on, const char *const *right_on,
                                 weft_join_kind kind_flags, const char *suffix,
                                 weft__join_out **out, size_t *nout) {
  *out = NULL;
  *nout = 0;
  size_t nk = nkeys ? nkeys : 1;
  const weft__column **lcols = weft__calloc(nk, sizeof *lcols), **rcols = weft__calloc(nk, sizeof *rcols);
  size_t *lidx = weft__calloc(nk, sizeof *lidx), *ridx = weft__calloc(nk, sizeof *ridx);
  weft_status st = lcols && rcols && lidx && ridx
                       ? WEFT_OK
                       : weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_table_join: no host memory");
  if (st == WEFT_OK && nkeys)
    st = weft__join_find_keys(left, right, nkeys, left_on, right_on, lcols, rcols, lidx, ridx);
  weft_join_kind kind = WEFT__JOIN_KIND(kind_flags);
  if (st == WEFT_OK)
    st = weft__join_layout(left, right, nkeys, left_on, right_on, lidx, ridx, kind,
                           weft__join_coalesces(kind, WEFT__JOIN_FLAGS(kind_flags)),
                           suffix ? suffix : "_right", out, nout);
  free(lcols), free(rcols), free(lidx), free(ridx);
  return st;
}
