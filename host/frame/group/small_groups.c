/* Few-group key tables (see small_groups.h). */
#include "frame/group/small_groups.h"

#include <string.h>

#include "frame/table/hash_keys.h"

int weft__small_key_type_ok(weft_type t) {
  return t == WEFT_TYPE_UTF8 || t == WEFT_TYPE_BOOL || weft__type_is_numeric(t) ||
         t == WEFT_TYPE_DATE32 || t == WEFT_TYPE_TIMESTAMP_US;
}

void weft__small_groups_init(weft__small_groups *g, size_t nkeys) {
  g->W = nkeys + 1;
  g->n = 0;
  memset(g->slot, 0xff, sizeof g->slot);
}

/* L when every string of rows [0, n) (offsets off[0..n]) is L bytes long, else -1. */
static int32_t uniform_length(const int32_t *off, int64_t n) {
  int32_t len = off[1] - off[0], differ = 0;
  if ((int64_t)off[n] - off[0] != (int64_t)len * n) return -1;
  for (int64_t i = 0; i < n; i++) differ |= (off[i + 1] - off[i]) ^ len;
  return differ ? -1 : len;
}

/* The words of n strings of `len` (<= 7) bytes each, back to back from p: fixed-size loads,
 * no offsets (flags and codes, as TPC-H's, are such columns). */
static void fixed_length_words(const char *p, int32_t len, int64_t n, uint64_t *words, size_t W) {
  uint64_t tag = (uint64_t)len << 56;
  if (len == 1) {
    for (int64_t i = 0; i < n; i++) words[(size_t)i * W] = (uint8_t)p[i] | tag;
  } else if (len == 2) {
    for (int64_t i = 0; i < n; i++) {
      uint16_t x;
      memcpy(&x, p + 2 * i, 2);
      words[(size_t)i * W] = x | tag;
    }
  } else {
    for (int64_t i = 0; i < n; i++) words[(size_t)i * W] = weft__prefix8(p + i * len, (size_t)len) | tag;
  }
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
      int32_t len = n > 0 ? uniform_length(off, n) : -1;
      if (len >= 0 && len <= 7) {
        fixed_length_words(v->data + off[0], len, n, words + k, W);
        goto nulls;
      }
      for (int64_t i = 0; i < n; i++) {
        int32_t len = off[i + 1] - off[i];
        if (len > 7) return 0;
        words[(size_t)i * W + k] =
            weft__prefix8(v->data + off[i], (size_t)len) | (uint64_t)len << 56;
      }
    } else {
      for (int64_t i = 0; i < n; i++) words[(size_t)i * W + k] = weft__key_word(v, at + i);
    }
  nulls:
    if (v->validity && v->null_count != 0)
      for (int64_t i = 0; i < n; i++)
        if (!((v->validity[(o + i) >> 3] >> ((o + i) & 7)) & 1)) {
          words[(size_t)i * W + k] = 0; /* a null's value bits are not part of the key */
          words[(size_t)i * W + nkeys] |= (uint64_t)1 << k;
        }
  }
  return 1;
}
