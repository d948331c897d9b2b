/* weft__column_gather: the join's parallel gather (join_gather.c) under the shared name, so
 * group_by, sort and unique use one implementation. */
#include "frame/table/gather.h"

#include "frame/join/join.h"

weft_status weft__column_gather(const weft__column *src, const int64_t *rows, int64_t n,
                                weft__column *out) {
  int minus_one = 0;
  for (int64_t i = 0; i < n && !minus_one; i++) minus_one = rows[i] < 0;
  return weft__join_gather(src, rows, n, minus_one, out);
}
