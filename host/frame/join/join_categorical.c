/* Categorical join keys: equal strings must have equal codes on both sides, so a pair of
 * keys over different dictionaries is unified once (the right side's codes remapped into
 * the left dictionary grown by the right's new strings), then the join runs on the codes
 * and gathers the unified columns, which keep the shared dictionary. */
#include "frame/join/join_categorical.h"

#include <string.h>

#include "core/error.h"
#include "frame/table/categorical.h"

static const weft__column *key_col(const weft_table *t, const char *name, size_t *idx) {
  for (size_t i = 0; name && i < t->ncols; i++)
    if (!strcmp(t->names[i], name)) return *idx = i, &t->cols[i];
  return NULL;
}

weft_status weft__join_unify_categorical(const weft_table *left, const weft_table *right,
                                         size_t nkeys, const char *const *left_on,
                                         const char *const *right_on, weft_table **left2,
                                         weft_table **right2) {
  *left2 = *right2 = NULL;
  weft_status st = weft_table_slice(left, 0, left->rows, left2);
  if (st == WEFT_OK) st = weft_table_slice(right, 0, right->rows, right2);
  for (size_t k = 0; st == WEFT_OK && left_on && right_on && k < nkeys; k++) {
    size_t li = 0, ri = 0;
    const weft__column *l = key_col(*left2, left_on[k], &li), *r = key_col(*right2, right_on[k], &ri);
    if (!l || !r || l->view.type != WEFT_TYPE_CATEGORICAL || r->view.type != WEFT_TYPE_CATEGORICAL ||
        l->dict == r->dict)
      continue;
    const weft__column *pair[2] = {l, r};
    weft__column outs[2];
    st = weft__columns_unify(pair, 2, outs);
    if (st != WEFT_OK) break;
    st = weft__table_set_column(*left2, li, left_on[k], outs[0]); /* takes outs[0] either way */
    if (st == WEFT_OK) st = weft__table_set_column(*right2, ri, right_on[k], outs[1]);
    else weft__column_release(&outs[1]);
  }
  if (st != WEFT_OK) {
    weft_table_free(*left2), weft_table_free(*right2);
    *left2 = *right2 = NULL;
  }
  return st;
}

void weft__join_key_codes(const weft__column **lcols, const weft__column **rcols, size_t nkeys,
                          weft__column *codes) {
  for (size_t k = 0; k < nkeys; k++) {
    if (lcols[k]->view.type == WEFT_TYPE_CATEGORICAL) {
      codes[2 * k] = weft__column_codes(lcols[k]);
      lcols[k] = &codes[2 * k];
    }
    if (rcols[k]->view.type == WEFT_TYPE_CATEGORICAL) {
      codes[2 * k + 1] = weft__column_codes(rcols[k]);
      rcols[k] = &codes[2 * k + 1];
    }
  }
}
