/* Regular expressions for str.contains and str.replace: PCRE2 with its JIT when weft was built
 * with it (WEFT_HAVE_PCRE2), restricted to what means the same in Polars' Rust regex. A
 * pattern is compiled once, when its expression is made; each evaluating thread matches with
 * its own match data (kept in the node's weft__vec). */
#ifndef WEFT_HOST_FRAME_EXPR_REGEX_H
#define WEFT_HOST_FRAME_EXPR_REGEX_H

#include <stddef.h>

#include "weft.h"

/* Whether `pattern` has a regex metacharacter (else it means itself, as plain text). */
int weft__regex_is_plain(const char *pattern);
/* Compiles `pattern` for `call` (the error names it, e.g. `str.contains("a(")`): *re stays
 * NULL when literal or when the pattern is plain text. */
weft_status weft__regex_compile(const char *call, const char *pattern, int literal, void **re);
void weft__regex_free(void *re);
/* The first match in s[from, len): returns the number of (start, end) pairs in *ov (group 0
 * first; an unset group is (SIZE_MAX, SIZE_MAX)), 0 when there is none, or -1 after setting
 * an error. *md is the caller's match data, made on first use (free with _md_free). */
int weft__regex_find(const void *re, void **md, const char *s, size_t len, size_t from,
                     const size_t **ov);
void weft__regex_md_free(void *md);
/* The index of a named group, or -1. */
int weft__regex_group(const void *re, const char *name);

#endif
