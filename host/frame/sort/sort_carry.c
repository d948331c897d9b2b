/* Sorting a table by one key without reading its other columns at random. The usual sort
 * makes a permutation and gathers every column by it: a random read a row and a column,
 * which on a large table is a cache miss each. Here the key's words are radix sorted with
 * the fixed-width columns carried along (sort_radix.c's weft__radix_sort_carry: the columns
 * move in the one parallel split, then each bucket is sorted and gathered in cache). The key
 * column is decoded from its sorted words when they decode exactly, else carried too;
 * columns that cannot be carried (utf8, bool, with nulls) are gathered by the row numbers,
 * carried as one more column. */
#include "frame/sort/sort_carry.h"
#include "core/alloc.h"

#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/scratch.h"
#include "frame/table/gather.h"
#include "frame/sort/sort_perm.h"
#include "frame/sort/sort_radix.h"

static int carriable(const weft__column *c) {
  weft_type t = c->view.type;
  if (t == WEFT_TYPE_UTF8 || t == WEFT_TYPE_BOOL) return 0;
  size_t w = weft__type_width(t);
  if (w != 1 && w != 2 && w != 4 && w != 8) return 0;
  return !c->view.validity || weft__column_null_count((weft__column *)c) == 0;
}

weft_status weft__sort_carried(const weft_table *table, const weft__column *key, int desc,
                               weft__column *cols, int *done) {
  *done = 0;
  int64_t rows = table->rows;
  if (rows < WEFT_RADIX_CARRY_MIN_ROWS || key->view.type == WEFT_TYPE_UTF8 ||
      (key->view.validity && weft__column_null_count((weft__column *)key) > 0))
    return WEFT_OK;
  size_t ncols = table->ncols;
  uint64_t *words = weft__scratch_alloc((size_t)rows * sizeof *words);
  weft__radix_carry *carry = weft__calloc(ncols + 1, sizeof *carry);
  int64_t *perm = NULL;
  weft_status st = words && carry ? WEFT_OK
                 : weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_table_sort: no host memory for "
                               "%lld rows", (long long)rows);
  weft__sort_run run = {0};
  if (st == WEFT_OK) st = weft__sort_encode_key(key, desc, rows, words, &run);
  size_t ncarry = 0, gathered = 0;
  for (size_t c = 0; st == WEFT_OK && c < ncols; c++) {
    const weft__column *src = &table->cols[c];
    if (src == key && run.want_primary) continue; /* decoded from the sorted words */
    if (!carriable(src)) {
      gathered++;
      continue;
    }
    size_t w = weft__type_width(src->view.type);
    st = weft__column_alloc_like(src, rows, 0, &cols[c]);
    if (st == WEFT_OK)
      carry[ncarry++] = (weft__radix_carry){(const char *)src->view.values + (size_t)src->view.offset * w,
                                            (void *)cols[c].view.values, (int)w};
  }
  if (st == WEFT_OK && gathered) {
    perm = weft__scratch_alloc((size_t)rows * sizeof *perm);
    if (!perm) st = weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_table_sort: no host memory");
    else carry[ncarry++] = (weft__radix_carry){NULL, perm, 8};
  }
  int sorted = -1;
  if (st == WEFT_OK) {
    sorted = weft__radix_sort_carry(words, rows, run.primary_bytes, ncarry, carry);
    if (sorted == 0)
      st = weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_table_sort: no host memory to sort %lld "
                       "rows", (long long)rows);
  }
  for (size_t c = 0; st == WEFT_OK && sorted == 1 && c < ncols; c++) {
    const weft__column *src = &table->cols[c];
    if (src == key && run.want_primary) {
      run.primary = words;
      st = weft__sort_decode_primary(key, &run, rows, &cols[c]);
    } else if (!carriable(src)) {
      st = weft__column_gather(src, perm, rows, &cols[c]);
    }
  }
  if (st != WEFT_OK || sorted != 1)
    for (size_t c = 0; c < ncols; c++) weft__column_release(&cols[c]);
  if (st != WEFT_OK || sorted != 1) memset(cols, 0, ncols * sizeof *cols);
  *done = st == WEFT_OK && sorted == 1;
  weft__scratch_free(words), weft__scratch_free(perm), free(carry);
  return st;
}
