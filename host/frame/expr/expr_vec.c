/* The CPU evaluator's value vectors (expr.h): room for string bytes, and values brought to
 * their type's width and rounding after an operation, shared by the evaluator (expr_eval.c)
 * and the casts (expr_cast.c). */
#include <stdlib.h>

#include "core/error.h"
#include "core/alloc.h"
#include "frame/expr/expr.h"

weft_status weft__vec_reserve(weft__vec *v, size_t bytes) {
  if (bytes <= v->cap) return WEFT_OK;
  size_t cap = v->cap ? v->cap : 4096;
  while (cap < bytes) cap *= 2;
  char *b = weft__realloc(v->buf, cap);
  if (!b) return weft__error(WEFT_ERR_OUT_OF_MEMORY, "no host memory for %zu bytes of strings", cap);
  v->buf = b;
  v->cap = cap;
  return WEFT_OK;
}

void weft__normalize(weft__vec *v, weft_type type, int64_t n) {
  weft__val *x = v->v;
  switch (type) {
    case WEFT_TYPE_INT8: for (int64_t i = 0; i < n; i++) x[i].i = (int8_t)x[i].i; break;
    case WEFT_TYPE_INT16: for (int64_t i = 0; i < n; i++) x[i].i = (int16_t)x[i].i; break;
    case WEFT_TYPE_INT32: case WEFT_TYPE_DATE32: for (int64_t i = 0; i < n; i++) x[i].i = (int32_t)x[i].i; break;
    case WEFT_TYPE_UINT8: for (int64_t i = 0; i < n; i++) x[i].i = (uint8_t)x[i].i; break;
    case WEFT_TYPE_UINT16: for (int64_t i = 0; i < n; i++) x[i].i = (uint16_t)x[i].i; break;
    case WEFT_TYPE_UINT32: for (int64_t i = 0; i < n; i++) x[i].i = (uint32_t)x[i].i; break;
    case WEFT_TYPE_FLOAT32: for (int64_t i = 0; i < n; i++) x[i].f = (double)(float)x[i].f; break;
    default: break;
  }
}
