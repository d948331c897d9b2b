/* Few-group key tables (see small_groups.h). */
#include "small_groups.h"

#include <string.h>

#include "hash_keys.h"

int weft__small_key_type_ok(weft_type t) {
  return t == WEFT_TYPE_UTF8 || t == WEFT_TYPE_BOOL || weft__type_is_numeric(t) ||
         t == WEFT_TYPE_DATE32 || t == WEFT_TYPE_TIMESTAMP_US;
}

void weft__small_groups_init(weft__small_groups *g, size_t nkeys) {
  g->W = nkeys + 1;
  g->n = 0;
  memset(g->slot, 0xff, sizeof g->slot);
}

int weft__small_keys_encode(const weft__column *const *keys, size_t nkeys, int64_t at, int64_t n,
                            uint64_t *words) {
  size_t W = nkeys + 1;
  for (int64_t i = 0; i < n; i++) words[(size_t)i * W + nkeys] = 0;
  for (size_t k = 0; k < nkeys; k++) {
    const weft_column_view *v = &keys[k]->view;
    int64_t o = v->offset + at;
    if (v->type == WEFT_TYPE_UTF8) {
      const int32_t *off = (const int32_t *)v->values + o;
      for (int64_t i = 0; i < n; i++) {
        int32_t len = off[i + 1] - off[i];
        if (len > 7) return 0;
        words[(size_t)i * W + k] =
            weft__prefix8(v->data + off[i], (size_t)len) | (uint64_t)len << 56;
      }
    } else {
      for (int64_t i = 0; i < n; i++) words[(size_t)i * W + k] = weft__key_word(v, at + i);
    }
    if (v->validity && v->null_count != 0)
      for (int64_t i = 0; i < n; i++)
        if (!((v->validity[(o + i) >> 3] >> ((o + i) & 7)) & 1)) {
          words[(size_t)i * W + k] = 0; /* a null's value bits are not part of the key */
          words[(size_t)i * W + nkeys] |= (uint64_t)1 << k;
        }
  }
  return 1;
}
