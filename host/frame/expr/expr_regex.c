/* PCRE2 behind the few calls the string operations need (expr_regex.h). Polars' dialect is
 * Rust's regex crate: it has no backreferences, lookaround, possessive quantifiers or atomic
 * groups, so such patterns are refused here rather than given a meaning Polars lacks. Both
 * are Unicode-aware: patterns compile with PCRE2_UTF | PCRE2_UCP. */
#include "frame/expr/expr_regex.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"

#ifdef WEFT_HAVE_PCRE2
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#endif

int weft__regex_is_plain(const char *p) { return strpbrk(p, "\\.+*?()|[]{}^$") == NULL; }

/* The first construct Rust's regex rejects (NULL: none). Escapes and classes are skipped. */
static const char *unsupported(const char *p, size_t *at) {
  int in_class = 0;
  for (size_t i = 0; p[i]; i++) {
    char c = p[i];
    *at = i;
    if (c == '\\') {
      char d = p[i + 1];
      if (!in_class && ((d >= '1' && d <= '9') || d == 'k' || d == 'g'))
        return "backreferences";
      if (d) i++;
      continue;
    }
    if (in_class) {
      if (c == ']') in_class = 0;
      continue;
    }
    if (c == '[') {
      in_class = 1;
      if (p[i + 1] == '^') i++;
      if (p[i + 1] == ']') i++; /* a leading ] is a member */
      continue;
    }
    if (c == '(' && p[i + 1] == '?') {
      const char *q = p + i + 2;
      if (*q == '=' || *q == '!' || (*q == '<' && (q[1] == '=' || q[1] == '!'))) return "lookaround";
      if (*q == '>') return "atomic groups";
    }
    if ((c == '*' || c == '+' || c == '?' || c == '}') && p[i + 1] == '+' && i > 0)
      return "possessive quantifiers";
  }
  return NULL;
}

weft_status weft__regex_compile(const char *call, const char *pattern, int literal, void **re) {
  *re = NULL;
  if (literal || weft__regex_is_plain(pattern)) return WEFT_OK;
  size_t at = 0;
  const char *what = unsupported(pattern, &at);
  if (what)
    return weft__error(WEFT_ERR_INVALID_ARGUMENT,
                       "%s: the pattern \"%s\" uses %s (at offset %zu), which Polars' regex "
                       "dialect (Rust regex) does not support",
                       call, pattern, what, at);
#ifdef WEFT_HAVE_PCRE2
  int err = 0;
  PCRE2_SIZE off = 0;
  uint32_t opts = PCRE2_UTF | PCRE2_UCP | PCRE2_DOLLAR_ENDONLY; /* Rust: $ is the end only */
#ifdef PCRE2_MATCH_INVALID_UTF
  opts |= PCRE2_MATCH_INVALID_UTF;
#endif
  pcre2_code *code = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, opts, &err, &off, NULL);
  if (!code) {
    PCRE2_UCHAR msg[256];
    pcre2_get_error_message(err, msg, sizeof msg);
    return weft__error(WEFT_ERR_INVALID_ARGUMENT, "%s: invalid regular expression \"%s\": %s at offset %zu",
                       call, pattern, (const char *)msg, (size_t)off);
  }
  (void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE); /* without the JIT it is interpreted */
  *re = code;
  return WEFT_OK;
#else
  return weft__error(WEFT_ERR_UNSUPPORTED,
                     "weft was built without PCRE2: %s: the pattern \"%s\" is a regular "
                     "expression; pass literal=True to match it as plain text, or build weft "
                     "with libpcre2-dev (pkg-config libpcre2-8)",
                     call, pattern);
#endif
}

void weft__regex_free(void *re) {
#ifdef WEFT_HAVE_PCRE2
  pcre2_code_free(re);
#else
  (void)re;
#endif
}

void weft__regex_md_free(void *md) {
#ifdef WEFT_HAVE_PCRE2
  pcre2_match_data_free(md);
#else
  (void)md;
#endif
}

int weft__regex_find(const void *re, void **md, const char *s, size_t len, size_t from,
                     const size_t **ov) {
#ifdef WEFT_HAVE_PCRE2
  if (!*md && !(*md = pcre2_match_data_create_from_pattern(re, NULL))) {
    weft__error(WEFT_ERR_OUT_OF_MEMORY, "no host memory for regex match data");
    return -1;
  }
  int rc = pcre2_match(re, (PCRE2_SPTR)(s ? s : ""), len, from, 0, *md, NULL);
  if (rc == PCRE2_ERROR_JIT_STACKLIMIT) /* the interpreter's heap grows where the JIT's stack cannot */
    rc = pcre2_match(re, (PCRE2_SPTR)(s ? s : ""), len, from, PCRE2_NO_JIT, *md, NULL);
  if (rc == PCRE2_ERROR_NOMATCH) return 0;
  if (rc < 0) {
    PCRE2_UCHAR msg[256];
    pcre2_get_error_message(rc, msg, sizeof msg);
    weft__error(WEFT_ERR_INVALID_ARGUMENT, "regular expression match failed: %s", (const char *)msg);
    return -1;
  }
  *ov = pcre2_get_ovector_pointer(*md);
  return (int)pcre2_get_ovector_count(*md);
#else
  (void)re, (void)md, (void)s, (void)len, (void)from, (void)ov;
  weft__error(WEFT_ERR_INTERNAL, "weft was built without PCRE2");
  return -1;
#endif
}

int weft__regex_group(const void *re, const char *name) {
#ifdef WEFT_HAVE_PCRE2
  int n = pcre2_substring_number_from_name(re, (PCRE2_SPTR)name);
  return n < 0 ? -1 : n;
#else
  (void)re, (void)name;
  return -1;
#endif
}
