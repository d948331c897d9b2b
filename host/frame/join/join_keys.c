/* Join keys: the key words and hashes of hash_keys.c, null rows marked (a null never
 * matches in a join), and the right side's hash table. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/alloc.h"
#include "frame/table/hash_keys.h"
#include "frame/join/join.h"

static int valid_at(const weft_column_view *v, int64_t row) {
  if (!v->validity) return 1;
  int64_t i = v->offset + row;
  return (v->validity[i >> 3] >> (i & 7)) & 1;
}

void weft__join_block_keys(const weft__join_keys *keys, int64_t row0, size_t n, uint8_t *valid,
                           uint64_t *key) {
  memset(valid, 1, n);
  for (size_t k = 0; k < keys->n; k++) {
    const weft_column_view *v = &keys->cols[k]->view;
    if (v->validity && v->null_count != 0)
      for (size_t i = 0; i < n; i++) valid[i] &= (uint8_t)valid_at(v, row0 + (int64_t)i);
  }
  for (size_t k = 0; keys->sign_guard && k < keys->n && k < 64; k++) {
    if (!((keys->sign_guard >> k) & 1)) continue;
    const weft_column_view *v = &keys->cols[k]->view;
    for (size_t i = 0; i < n; i++)
      if (weft__key_word(v, row0 + (int64_t)i) >> 63) valid[i] = 0;
  }
  if (keys->single_word) weft__key_words(&keys->cols[0]->view, row0, n, key);
  else weft__hash_rows(keys->cols, keys->n, row0, n, key); /* rows with a null are skipped */
}

static int is_signed(weft_type t) { return t >= WEFT_TYPE_INT8 && t <= WEFT_TYPE_INT64; }

weft_status weft__join_sign_guards(weft__join_keys *left, weft__join_keys *right) {
  left->sign_guard = right->sign_guard = 0;
  for (size_t k = 0; k < left->n; k++) {
    weft_type a = left->cols[k]->view.type, b = right->cols[k]->view.type;
    if (!((a == WEFT_TYPE_UINT64 && is_signed(b)) || (b == WEFT_TYPE_UINT64 && is_signed(a))))
      continue;
    if (k >= 64)
      return weft__error(WEFT_ERR_UNSUPPORTED, "weft_table_join: key %zu pairs uint64 with a "
                         "signed integer; past the 64th key, cast one of them first", k);
    left->sign_guard |= 1ull << k;
    right->sign_guard |= 1ull << k;
  }
  return WEFT_OK;
}

int weft__join_rows_equal(const weft__join_keys *left, int64_t l, const weft__join_keys *right,
                          int64_t r) {
  return weft__key_rows_equal(left->cols, l, right->cols, r, left->n);
}

static weft_status no_memory(int64_t rows) {
  return weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_table_join: no host memory for a hash table "
                     "of %lld rows", (long long)rows);
}

/* The direct table (join.h) when the valid keys are unique and their range is small; 0 when
 * they are not (or memory is short: the buckets work then too). Words compare by equality
 * only, so the range is taken over the words as signed integers, whatever the key type. */
static int build_direct(const uint64_t *keys, const uint8_t *valid, int64_t rows,
                        weft__join_table *out) {
  int64_t lo = INT64_MAX, hi = INT64_MIN;
  for (int64_t r = 0; r < rows; r++) {
    if (!valid[r]) continue;
    int64_t k = (int64_t)keys[r];
    lo = k < lo ? k : lo;
    hi = k > hi ? k : hi;
  }
  if (lo > hi) lo = hi = 0; /* no valid key: an empty table of one slot */
  uint64_t span = (uint64_t)hi - (uint64_t)lo + 1;
  if (span == 0 || span > (uint64_t)rows * 4 + 1024) return 0;
  uint32_t *direct = weft__calloc(span, sizeof *direct);
  if (!direct) return 0;
  for (int64_t r = 0; r < rows; r++) {
    if (!valid[r]) continue;
    uint32_t *slot = &direct[keys[r] - (uint64_t)lo];
    if (*slot) { /* a repeated key: the buckets keep every match */
      free(direct);
      return 0;
    }
    *slot = (uint32_t)r + 1;
  }
  out->direct = direct;
  out->base = (uint64_t)lo;
  out->span = span;
  return 1;
}

/* Every row's key word (or hash) and whether it has no null: malloc'ed. */
static weft_status all_keys(const weft__join_keys *right, int64_t rows, uint64_t **keys,
                            uint8_t **valid) {
  if (rows >= (int64_t)UINT32_MAX)
    return weft__error(WEFT_ERR_INVALID_ARGUMENT, "weft_table_join: the right table has %lld rows; "
                       "at most %u are supported", (long long)rows, UINT32_MAX - 1);
  *keys = weft__malloc(((size_t)rows + 1) * sizeof **keys);
  *valid = weft__malloc((size_t)rows + 1);
  if (!*keys || !*valid) {
    free(*keys), free(*valid);
    *keys = NULL, *valid = NULL;
    return no_memory(rows);
  }
  for (int64_t r0 = 0; r0 < rows; r0 += WEFT_JOIN_BLOCK) {
    size_t n = (size_t)(rows - r0 < WEFT_JOIN_BLOCK ? rows - r0 : WEFT_JOIN_BLOCK);
    weft__join_block_keys(right, r0, n, *valid + r0, *keys + r0);
  }
  return WEFT_OK;
}

weft_status weft__join_build_direct(const weft__join_keys *right, int64_t rows,
                                    weft__join_table *out) {
  memset(out, 0, sizeof *out);
  if (!right->single_word) return WEFT_OK;
  uint64_t *keys;
  uint8_t *valid;
  WEFT_RETURN_NOT_OK(all_keys(right, rows, &keys, &valid));
  build_direct(keys, valid, rows, out);
  free(keys), free(valid);
  return WEFT_OK;
}

weft_status weft__join_build(const weft__join_keys *right, int64_t rows, weft__join_table *out) {
  memset(out, 0, sizeof *out);
  uint64_t buckets = 16;
  while (buckets < (uint64_t)rows * 2) buckets *= 2;
  uint64_t *keys;
  uint8_t *valid;
  WEFT_RETURN_NOT_OK(all_keys(right, rows, &keys, &valid));
  if (right->single_word && build_direct(keys, valid, rows, out)) {
    free(keys), free(valid);
    return WEFT_OK;
  }
  uint32_t *start = weft__calloc(buckets + 1, sizeof *start);
  weft__join_entry *entries = weft__malloc(((size_t)rows + 1) * sizeof *entries);
  if (!start || !entries) {
    free(keys), free(valid), free(start), free(entries);
    return no_memory(rows);
  }
  uint64_t mask = buckets - 1;
  for (int64_t r = 0; r < rows; r++)
    if (valid[r]) start[weft__join_bucket(right, keys[r], mask) + 1]++;
  for (uint64_t b = 0; b < buckets; b++) start[b + 1] += start[b];
  /* Filled in row order, so each bucket lists its rows ascending: matches come out in
   * right order. `start[b]` advances while filling and is shifted back afterwards. */
  for (int64_t r = 0; r < rows; r++) {
    if (!valid[r]) continue;
    uint64_t b = weft__join_bucket(right, keys[r], mask);
    entries[start[b]++] = (weft__join_entry){keys[r], r};
  }
  memmove(start + 1, start, buckets * sizeof *start);
  start[0] = 0;
  free(keys);
  free(valid);
  out->mask = mask;
  out->start = start;
  out->entries = entries;
  return WEFT_OK;
}

int weft__join_keys_unique(const weft__join_table *t, const weft__join_keys *keys) {
  for (uint64_t b = 0; t->start && b <= t->mask; b++)
    for (uint32_t e = t->start[b]; e < t->start[b + 1]; e++)
      for (uint32_t f = e + 1; f < t->start[b + 1]; f++) {
        const weft__join_entry *x = &t->entries[e], *y = &t->entries[f];
        if (x->key == y->key && (keys->single_word || weft__join_rows_equal(keys, x->row, keys, y->row)))
          return 0;
      }
  return 1;
}

void weft__join_table_free(weft__join_table *t) {
  free(t->direct);
  free(t->start);
  free(t->entries);
  memset(t, 0, sizeof *t);
}
