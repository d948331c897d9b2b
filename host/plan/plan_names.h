/* A small set of column names for the optimizer (borrowed pointers: the names belong to the
 * expressions and tables of the plan being optimized, which outlive the set). */
#ifndef WEFT_HOST_PLAN_PLAN_NAMES_H
#define WEFT_HOST_PLAN_PLAN_NAMES_H

#include <stddef.h>

#include "weft.h"

typedef struct weft__names {
  const char **v;
  size_t n, cap;
  int oom; /* an add failed: the set is incomplete */
} weft__names;

void weft__names_add(weft__names *s, const char *name); /* once per name */
int weft__names_has(const weft__names *s, const char *name);
/* Adds every column `e` reads. */
void weft__names_add_expr(weft__names *s, const weft_expr *e);
/* 1 when every column `e` reads is in `s` (vacuously for a literal). */
int weft__names_covers_expr(const weft__names *s, const weft_expr *e);
/* 1 when `e` reads some column of `s`. */
int weft__names_touches_expr(const weft__names *s, const weft_expr *e);
void weft__names_free(weft__names *s);

#endif
