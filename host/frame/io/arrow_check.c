/* The checks of an imported Arrow column (see arrow_check.h): one pass over its offsets or
 * views and its validity bitmap, before any operation trusts them. */
#include "frame/io/arrow_check.h"

#include "core/error.h"

static int bit_at(const uint8_t *bits, int64_t i) { return (bits[i >> 3] >> (i & 7)) & 1; }

/* Set bits in [off, off + n): bit by bit to a byte boundary, then whole bytes. */
int64_t weft__arrow_count_set(const uint8_t *bits, int64_t off, int64_t n) {
  int64_t set = 0, i = off, end = off + n;
  for (; i < end && (i & 7); i++) set += bit_at(bits, i);
  for (; i + 8 <= end; i += 8) set += __builtin_popcount(bits[i >> 3]);
  for (; i < end; i++) set += bit_at(bits, i);
  return set;
}

#define BAD(...) weft__error(WEFT_ERR_INVALID_ARGUMENT, __VA_ARGS__)

/* Offsets (int32 or int64) of rows [off, off + n): ascending from >= 0 up to at most the
 * array's last offset (offsets[a->offset + a->length]), which is the data buffer's size. */
#define CHECK_OFFSETS(T)                                                                      \
  do {                                                                                        \
    const T *o = a->buffers[1];                                                               \
    const T last = o[a->offset + a->length];                                                  \
    if (o[off] < 0 || last < 0)                                                               \
      return BAD("Arrow column \"%s\": negative string offset (first %lld, last %lld)", name,   \
                 (long long)o[off], (long long)last);                                         \
    for (int64_t r = 0; r < n; r++)                                                           \
      if (o[off + r + 1] < o[off + r])                                                        \
        return BAD("Arrow column \"%s\": string offsets descend at row %lld (%lld, then %lld)", \
                   name, (long long)r, (long long)o[off + r], (long long)o[off + r + 1]);     \
    if (o[off + n] > last)                                                                    \
      return BAD("Arrow column \"%s\": string offset %lld is past the data's end (%lld bytes)", \
                 name, (long long)o[off + n], (long long)last);                               \
    if (last > 0 && !a->buffers[2])                                                           \
      return BAD("Arrow column \"%s\" has %lld bytes of text but no data buffer", name,       \
                 (long long)last);                                                            \
  } while (0)

static weft_status check_views(const struct ArrowArray *a, int64_t off, int64_t n,
                               const char *name) {
  const int64_t nvariadic = a->n_buffers - 3;
  const int64_t *sizes = a->buffers[a->n_buffers - 1];
  if (nvariadic > 0 && !sizes)
    return BAD("Arrow column \"%s\": a string_view array of %lld data buffers has no buffer of "
               "their sizes", name, (long long)nvariadic);
  const uint8_t *valid = a->buffers[0];
  const int32_t *views = a->buffers[1];
  for (int64_t r = 0; r < n; r++) {
    const int32_t *v = views + 4 * (off + r);
    if (valid && !bit_at(valid, off + r)) continue;
    if (v[0] < 0)
      return BAD("Arrow column \"%s\": string_view row %lld has length %d", name, (long long)r, v[0]);
    if (v[0] <= 12) continue; /* inline */
    if (v[2] < 0 || v[2] >= nvariadic || !a->buffers[2 + v[2]])
      return BAD("Arrow column \"%s\": string_view row %lld points at data buffer %d of %lld",
                 name, (long long)r, v[2], (long long)nvariadic);
    if (v[3] < 0 || (int64_t)v[3] + v[0] > sizes[v[2]])
      return BAD("Arrow column \"%s\": string_view row %lld reads bytes %d..%lld of data buffer "
                 "%d, which holds %lld", name, (long long)r, v[3], (long long)v[3] + v[0], v[2],
                 (long long)sizes[v[2]]);
  }
  return WEFT_OK;
}

weft_status weft__arrow_check_child(const struct ArrowArray *a, weft_type type,
                                    weft__arrow_layout how, int64_t parent_offset, int64_t n,
                                    const char *name, int64_t *nulls) {
  *nulls = 0;
  if (a->offset < 0 || a->length < 0 || a->length > INT64_MAX - a->offset)
    return BAD("Arrow column \"%s\" has length %lld at offset %lld", name, (long long)a->length,
               (long long)a->offset);
  /* parent_offset + n cannot overflow: the batch's own offset and length were checked */
  if (a->length < parent_offset + n)
    return BAD("Arrow column \"%s\" has %lld rows (offset %lld) but the batch needs %lld from "
               "row %lld", name, (long long)a->length, (long long)a->offset, (long long)n,
               (long long)parent_offset);
  int64_t want = type == WEFT_TYPE_UTF8 ? 3 : 2; /* a string_view's last: the data sizes */
  if (a->n_buffers < want || !a->buffers)
    return BAD("Arrow column \"%s\" has %lld buffers, expected %lld%s", name,
               (long long)a->n_buffers, (long long)want,
               how == WEFT__ARROW_UTF8_VIEW ? " or more" : "");
  const int64_t off = a->offset + parent_offset;
  if (n > 0 && !a->buffers[1])
    return BAD("Arrow column \"%s\" has %lld rows but no values buffer", name, (long long)n);
  if (a->null_count < -1 || a->null_count > a->length)
    return BAD("Arrow column \"%s\" has null_count %lld for %lld rows", name,
               (long long)a->null_count, (long long)a->length);
  if (n > 0 && type == WEFT_TYPE_UTF8) {
    if (how == WEFT__ARROW_NATIVE) CHECK_OFFSETS(int32_t);
    else if (how == WEFT__ARROW_LARGE_UTF8) CHECK_OFFSETS(int64_t);
    else WEFT_RETURN_NOT_OK(check_views(a, off, n, name));
  }
  /* Counted, not taken from null_count: a wrong count would make weft drop real nulls or
   * size a compaction wrongly. A bitmap over a few rows is cheap next to any operation. */
  const uint8_t *valid = a->buffers[0];
  if (valid) *nulls = n - weft__arrow_count_set(valid, off, n);
  return WEFT_OK;
}
