/* Column-name sets for the optimizer: what an expression reads, what a node passes on. */
#include "plan/plan_names.h"
#include "core/alloc.h"

#include <stdlib.h>
#include <string.h>

#include "frame/expr/expr.h"

int weft__names_has(const weft__names *s, const char *name) {
  for (size_t i = 0; i < s->n; i++)
    if (!strcmp(s->v[i], name)) return 1;
  return 0;
}

void weft__names_add(weft__names *s, const char *name) {
  if (!name || weft__names_has(s, name)) return;
  if (s->n == s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 8;
    const char **v = weft__realloc(s->v, cap * sizeof *v);
    if (!v) {
      s->oom = 1;
      return;
    }
    s->v = v, s->cap = cap;
  }
  s->v[s->n++] = name;
}

void weft__names_add_expr(weft__names *s, const weft_expr *e) {
  for (; e; e = e->b) { /* recursion on `a`, a loop on `b` */
    if (e->kind == WEFT__E_COLUMN) weft__names_add(s, e->s);
    weft__names_add_expr(s, e->a);
  }
}

int weft__names_covers_expr(const weft__names *s, const weft_expr *e) {
  for (; e; e = e->b) {
    if (e->kind == WEFT__E_COLUMN && !weft__names_has(s, e->s)) return 0;
    if (!weft__names_covers_expr(s, e->a)) return 0;
  }
  return 1;
}

int weft__names_touches_expr(const weft__names *s, const weft_expr *e) {
  for (; e; e = e->b) {
    if (e->kind == WEFT__E_COLUMN && weft__names_has(s, e->s)) return 1;
    if (weft__names_touches_expr(s, e->a)) return 1;
  }
  return 0;
}

void weft__names_free(weft__names *s) {
  free(s->v);
  s->v = NULL;
  s->n = s->cap = 0;
}
