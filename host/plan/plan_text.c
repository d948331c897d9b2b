/* A growable string for explain texts and run reports. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan/plan.h"
#include "core/alloc.h"

void weft__text_add(weft__text *t, const char *fmt, ...) {
  if (!t->ok) return;
  va_list ap;
  va_start(ap, fmt);
  int len = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (len < 0) return;
  size_t need = t->len + (size_t)len + 1;
  if (need > t->cap) {
    size_t cap = need * 2;
    char *s = weft__realloc(t->s, cap);
    if (!s) {
      t->ok = 0;
      return;
    }
    t->s = s, t->cap = cap;
  }
  va_start(ap, fmt);
  vsnprintf(t->s + t->len, (size_t)len + 1, fmt, ap);
  va_end(ap);
  t->len += (size_t)len;
}

