/* A growable string for explain texts and run reports. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan/plan.h"

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
    char *s = realloc(t->s, cap);
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

/* "1 keys" -> "1 key" for the counted nouns of explain texts and run reports (their
 * format strings print "%zu keys" whatever the count). */
void weft__text_singulars(char *s) {
  static const char *const nouns[] = {"aggregations", "bytes",  "chunks", "columns",
                                      "groups",       "keys",   "partitions", "percentiles",
                                      "ranges",       "rows",   "slices", "words"};
  if (!s) return;
  char *w = s, prev = '\0';
  for (const char *r = s; *r;) {
    if (r[0] == '1' && r[1] == ' ' && !isdigit((unsigned char)prev) && prev != '.') {
      size_t k = 0, n = 0;
      for (; k < sizeof nouns / sizeof *nouns; k++) {
        n = strlen(nouns[k]);
        if (!strncmp(r + 2, nouns[k], n) && !isalnum((unsigned char)r[2 + n]) && r[2 + n] != '_')
          break;
      }
      if (k < sizeof nouns / sizeof *nouns) {
        memmove(w, r, n + 1); /* "1 " and the noun without its final s */
        w += n + 1;
        r += n + 2;
        prev = 'x';
        continue;
      }
    }
    prev = *r;
    *w++ = *r++;
  }
  *w = '\0';
}
