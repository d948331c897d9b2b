/* weft__join_group_count: an inner or left join grouped by the left side's join keys, when
 * those are unique and never null on the left, counting right values or rows (TPC-H Q13:
 * customers by how many orders they placed). Each group is then one left row, and group_by
 * over the join's output lists them in left order (the join lists the left rows in order,
 * each with its matches; inner: only the matched ones). So the table is built on the left
 * keys and each right row adds to its left row's counts: the join's pairs are never listed,
 * put in left order, gathered nor grouped again. A left join's left row without a match is
 * one row of nulls: its len is 1, its counts of right values 0. Other shapes (repeated or
 * null left keys, other aggregations) return *out NULL: the caller goes on as before. */
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/exec.h"
#include "frame/expr/expr.h"
#include "frame/join/join.h"
#include "frame/table/gather.h"

/* The right column each aggregation counts (NULL: len, every row), when every one is a len
 * or a count of a right column giving uint32 in `proto`; 0 otherwise. */
static int counted_columns(const weft_table *left, const weft_table *join_proto,
                           const weft__column *const *rcols, size_t nright, size_t nkeys,
                           size_t naggs, const weft_agg *aggs, const weft_table *proto,
                           const weft__column **counted) {
  for (size_t a = 0; a < naggs; a++) {
    if (proto->cols[nkeys + a].view.type != WEFT_TYPE_UINT32) return 0;
    counted[a] = NULL;
    if (aggs[a].kind == WEFT_AGG_LEN) continue;
    const weft_expr *in = aggs[a].input;
    if (aggs[a].kind != WEFT_AGG_COUNT || !in || in->kind != WEFT__E_COLUMN) return 0;
    for (size_t c = left->ncols; !counted[a] && c < left->ncols + nright; c++)
      if (!strcmp(join_proto->names[c], in->s)) counted[a] = rcols[c - left->ncols];
    if (!counted[a]) return 0; /* a left column, or none of the join's */
  }
  return 1;
}

/* The left row whose keys equal right row `r`'s (key: its word or hash), or -1. */
static int64_t left_match(const weft__join_table *t, const weft__join_keys *lk,
                          const weft__join_keys *rk, int64_t r, uint64_t key) {
  if (t->direct) {
    uint64_t slot = key - t->base;
    return slot < t->span ? (int64_t)t->direct[slot] - 1 : -1;
  }
  uint64_t b = weft__join_bucket(lk, key, t->mask);
  for (uint32_t e = t->start[b], end = t->start[b + 1]; e < end; e++) {
    const weft__join_entry *x = &t->entries[e];
    if (x->key == key && (lk->single_word || weft__join_rows_equal(lk, x->row, rk, r)))
      return x->row;
  }
  return -1;
}

/* counts[0]: rows matching each left row; counts[1 + a]: of them, those where aggregation
 * a's column (when it has one) is not null. */
static void count_matches(const weft__join_table *t, const weft__join_keys *lk,
                          const weft__join_keys *rk, int64_t rrows, size_t naggs,
                          const weft__column *const *counted, uint32_t **counts) {
  uint64_t key[WEFT_JOIN_BLOCK];
  uint8_t valid[WEFT_JOIN_BLOCK];
  for (int64_t r0 = 0; r0 < rrows; r0 += WEFT_JOIN_BLOCK) {
    size_t n = (size_t)(rrows - r0 < WEFT_JOIN_BLOCK ? rrows - r0 : WEFT_JOIN_BLOCK);
    weft__join_block_keys(rk, r0, n, valid, key);
    for (size_t i = 0; i < n; i++) {
      int64_t l = valid[i] ? left_match(t, lk, rk, r0 + (int64_t)i, key[i]) : -1;
      if (l < 0) continue;
      counts[0][l]++;
      for (size_t a = 0; a < naggs; a++)
        if (counted[a]) counts[1 + a][l] += (uint32_t)weft__column_valid(counted[a], r0 + (int64_t)i);
    }
  }
}

/* The output: the key columns of the groups' left rows, then one uint32 count column per
 * aggregation. */
static weft_status build_output(weft_join_kind kind, const weft__column *const *lcols,
                                 size_t nkeys, int64_t lrows, size_t naggs,
                                 const weft__column *const *counted, uint32_t *const *counts,
                                 const weft_table *proto, weft_table **out) {
  int64_t ngroups = 0, *rows = NULL;
  if (kind == WEFT_JOIN_INNER) { /* the matched left rows, in order */
    rows = weft__malloc(((size_t)lrows + 1) * sizeof *rows);
    if (!rows) return weft__error(WEFT_ERR_OUT_OF_MEMORY, "join + aggregate (fused): no host memory");
    for (int64_t l = 0; l < lrows; l++)
      if (counts[0][l]) rows[ngroups++] = l;
  } else {
    ngroups = lrows;
  }
  weft_table *t = NULL;
  weft_status st = weft__table_new(nkeys + naggs, ngroups, &t);
  for (size_t k = 0; st == WEFT_OK && k < nkeys; k++) {
    weft__column col;
    if (rows) {
      st = weft__column_gather(lcols[k], rows, ngroups, &col);
    } else {
      col = *lcols[k];
      weft__column_retain(&col);
    }
    if (st == WEFT_OK) st = weft__table_set_column(t, k, proto->names[k], col);
  }
  for (size_t a = 0; st == WEFT_OK && a < naggs; a++) {
    weft__column col;
    st = weft__column_alloc(WEFT_TYPE_UINT32, ngroups, 0, 0, &col);
    if (st != WEFT_OK) break;
    uint32_t *v = (uint32_t *)col.view.values;
    const uint32_t *c = counts[counted[a] ? 1 + a : 0];
    for (int64_t g = 0; g < ngroups; g++) {
      int64_t l = rows ? rows[g] : g;
      /* a left row without a match is one row, whose right values are null */
      v[g] = counted[a] || c[l] ? c[l] : 1;
    }
    col.view.null_count = 0;
    st = weft__table_set_column(t, nkeys + a, proto->names[nkeys + a], col);
  }
  free(rows);
  if (st != WEFT_OK) {
    weft_table_free(t);
    return st;
  }
  *out = t;
  return WEFT_OK;
}

weft_status weft__join_group_count(weft_exec *exec, const weft_table *left, const weft_table *right,
                                   size_t nkeys, const char *const *left_on,
                                   const weft__column *const *lcols,
                                   const weft__column *const *rkeys, weft_join_kind kind,
                                   const weft_table *join_proto, const weft__column *const *rcols,
                                   size_t nright, size_t ngroup_keys,
                                   const char *const *group_keys, size_t naggs,
                                   const weft_agg *aggs, const weft_table *proto, weft_table **out) {
  *out = NULL;
  if ((kind != WEFT_JOIN_INNER && kind != WEFT_JOIN_LEFT) || ngroup_keys != nkeys || nkeys == 0 ||
      proto->ncols != nkeys + naggs)
    return WEFT_OK;
  for (size_t k = 0; k < nkeys; k++)
    if (strcmp(group_keys[k], left_on[k]) || weft__column_null_count((weft__column *)lcols[k]) != 0)
      return WEFT_OK;
  const weft__column **counted = weft__calloc(naggs + 1, sizeof *counted);
  uint32_t **counts = weft__calloc(naggs + 1, sizeof *counts);
  weft_status st = counted && counts ? WEFT_OK
                 : weft__error(WEFT_ERR_OUT_OF_MEMORY, "join + aggregate (fused): no host memory");
  int fits = st == WEFT_OK && counted_columns(left, join_proto, rcols, nright, nkeys, naggs, aggs,
                                              proto, counted);
  int single = nkeys == 1 && lcols[0]->view.type != WEFT_TYPE_UTF8;
  weft__join_keys lk = {nkeys, lcols, single, 0}, rk = {nkeys, rkeys, single, 0};
  weft__join_table table = {0};
  if (fits) {
    for (size_t k = 0; k < nkeys; k++) weft__column_null_count((weft__column *)rkeys[k]);
    st = weft__join_sign_guards(&lk, &rk);
    if (st == WEFT_OK) st = weft__join_build(&lk, left->rows, &table);
    fits = st == WEFT_OK && (table.direct || weft__join_keys_unique(&table, &lk));
  }
  for (size_t a = 0; fits && st == WEFT_OK && a <= naggs; a++)
    if ((a == 0 || counted[a - 1]) &&
        !(counts[a] = weft__calloc((size_t)left->rows + 1, sizeof **counts)))
      st = weft__error(WEFT_ERR_OUT_OF_MEMORY, "join + aggregate (fused): no host memory for "
                       "the counts of %lld left rows", (long long)left->rows);
  if (fits && st == WEFT_OK) {
    count_matches(&table, &lk, &rk, right->rows, naggs, counted, counts);
    st = build_output(kind, lcols, nkeys, left->rows, naggs, counted, counts, proto, out);
    if (st == WEFT_OK && exec)
      weft__report(exec, "  grouped by the left keys, unique: %s table on %lld left rows, each of "
                   "%lld right rows counted into its left row (the join's rows were not built)",
                   table.direct ? "direct" : "hash", (long long)left->rows, (long long)right->rows);
  }
  weft__join_table_free(&table);
  for (size_t a = 0; counts && a <= naggs; a++) free(counts[a]);
  free(counts), free(counted);
  return st;
}
