/* String operations with arguments, and str.contains with a regex: ends_with, slice (in
 * characters), replace / replace_all (regex or plain text, Rust regex's replacement syntax),
 * strip_chars, len_bytes. Results that are pieces of the input point into it; new strings go
 * to the node's buffer. */
#define _GNU_SOURCE /* memmem */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "frame/expr/expr.h"
#include "frame/expr/expr_regex.h"

static int char_len(unsigned char c) { return c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4; }

static uint32_t decode(const char *s, int32_t len, int32_t *i) {
  unsigned char c = (unsigned char)s[*i];
  int k = char_len(c);
  if (*i + k > len) k = 1;
  uint32_t cp = k == 1 ? c : k == 2 ? c & 0x1F : k == 3 ? c & 0x0F : c & 0x07;
  for (int j = 1; j < k; j++) cp = cp << 6 | ((unsigned char)s[*i + j] & 0x3F);
  *i += k;
  return cp;
}

/* Rust's char::is_whitespace (Unicode White_Space), which Polars' strip_chars() uses. */
static int is_space(uint32_t c) {
  return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F ||
         c == 0x205F || c == 0x3000;
}

static int in_set(uint32_t c, const char *chars) {
  if (!chars) return is_space(c);
  int32_t len = (int32_t)strlen(chars);
  for (int32_t i = 0; i < len;)
    if (decode(chars, len, &i) == c) return 1;
  return 0;
}

static void strip(const char *s, int32_t len, const char *chars, const char **os, int32_t *ol) {
  int32_t b = 0, e = len;
  while (b < e) {
    int32_t i = b;
    if (!in_set(decode(s, len, &i), chars)) break;
    b = i;
  }
  while (e > b) {
    int32_t j = e - 1;
    while (j > b && ((unsigned char)s[j] & 0xC0) == 0x80) j--;
    int32_t i = j;
    if (!in_set(decode(s, len, &i), chars)) break;
    e = j;
  }
  *os = s + b;
  *ol = e - b;
}

/* Byte offset of character `k` (clipped to the end). */
static int32_t byte_at(const char *s, int32_t len, int64_t k) {
  int32_t i = 0;
  for (; i < len && k > 0; k--) i += char_len((unsigned char)s[i]);
  return i < len ? i : len;
}

static void slice(const char *s, int32_t len, int64_t off, int64_t n, const char **os, int32_t *ol) {
  int64_t chars = 0;
  for (int32_t i = 0; i < len; i++) chars += ((unsigned char)s[i] & 0xC0) != 0x80;
  int64_t start = off < 0 ? chars + off : off, cnt = n < 0 ? INT64_MAX : n;
  if (start < 0) { /* Polars: the length counts from the offset before it is clipped */
    if (n >= 0) cnt = cnt + start < 0 ? 0 : cnt + start;
    start = 0;
  }
  if (start > chars) start = chars;
  int64_t end = cnt > chars - start ? chars : start + cnt;
  int32_t b = byte_at(s, len, start), e = byte_at(s, len, end);
  *os = s + b;
  *ol = e - b;
}

typedef struct sink {
  weft__vec *v;
  size_t used;
} sink;

static weft_status put(sink *k, const char *p, size_t n) {
  WEFT_RETURN_NOT_OK(weft__vec_reserve(k->v, k->used + n + 1));
  memcpy(k->v->buf + k->used, p, n);
  k->used += n;
  return WEFT_OK;
}

/* Rust regex's replacement: $N or $name (the longest run of [0-9A-Za-z_]), ${...}, $$. */
static weft_status expand(sink *k, const weft_expr *e, const char *s, const size_t *ov, int pairs) {
  const char *r = e->s2;
  if (e->literal) return put(k, r, strlen(r)); /* a plain-text pattern still expands $0 */
  while (*r) {
    const char *dollar = strchr(r, '$');
    if (!dollar) return put(k, r, strlen(r));
    WEFT_RETURN_NOT_OK(put(k, r, (size_t)(dollar - r)));
    const char *p = dollar + 1, *name = p;
    size_t nlen = 0;
    if (*p == '$') {
      WEFT_RETURN_NOT_OK(put(k, "$", 1));
      r = p + 1;
      continue;
    }
    if (*p == '{' && strchr(p, '}')) {
      name = p + 1;
      nlen = (size_t)(strchr(p, '}') - name);
      r = name + nlen + 1;
    } else {
      while ((p[nlen] >= '0' && p[nlen] <= '9') || (p[nlen] >= 'a' && p[nlen] <= 'z') ||
             (p[nlen] >= 'A' && p[nlen] <= 'Z') || p[nlen] == '_')
        nlen++;
      r = p + nlen;
    }
    if (nlen == 0) { /* a lone $ is itself */
      WEFT_RETURN_NOT_OK(put(k, "$", 1));
      r = dollar + 1;
      continue;
    }
    char buf[128];
    size_t m = nlen < sizeof buf - 1 ? nlen : sizeof buf - 1;
    memcpy(buf, name, m);
    buf[m] = 0;
    int digits = strspn(buf, "0123456789") == m, g = -1;
    if (digits) g = m < 9 ? (int)strtol(buf, NULL, 10) : -1;
    else g = e->re ? weft__regex_group(e->re, buf) : -1;
    if (g >= 0 && g < pairs && ov[2 * g] != SIZE_MAX)
      WEFT_RETURN_NOT_OK(put(k, s + ov[2 * g], ov[2 * g + 1] - ov[2 * g]));
  }
  return WEFT_OK;
}

/* One row of replace: at most e->i2 matches (-1: all), Rust's iteration (an empty match right
 * after the previous match is skipped). Returns -1 on a match error. */
static weft_status replace_row(sink *k, const weft_expr *e, void **md, const char *s, size_t len) {
  const char *pat = e->s;
  size_t plen = strlen(pat), pos = 0, copied = 0, count = 0;
  int64_t last_end = -1;
  while (pos <= len && (e->i2 < 0 || (int64_t)count < e->i2)) {
    size_t ms, me;
    const size_t *ov = NULL;
    int pairs = 1;
    if (e->re) {
      pairs = weft__regex_find(e->re, md, s, len, pos, &ov);
      if (pairs < 0) return WEFT_ERR_INVALID_ARGUMENT;
      if (pairs == 0) break;
      ms = ov[0], me = ov[1];
    } else {
      const char *hit = plen == 0 ? s + pos : memmem(s + pos, len - pos, pat, plen);
      if (!hit) break;
      ms = (size_t)(hit - s), me = ms + plen;
    }
    if (ms == me && (int64_t)ms == last_end) {
      if (ms >= len) break;
      pos = ms + (size_t)char_len((unsigned char)s[ms]);
      continue;
    }
    WEFT_RETURN_NOT_OK(put(k, s + copied, ms - copied));
    size_t local[2] = {ms, me};
    WEFT_RETURN_NOT_OK(expand(k, e, s, ov ? ov : local, pairs));
    copied = me;
    last_end = (int64_t)me;
    count++;
    if (me > ms) pos = me;
    else if (me >= len) break;
    else pos = me + (size_t)char_len((unsigned char)s[me]);
  }
  return put(k, s + copied, len - copied);
}

static weft_status replace(weft__eval *ev, int me, int64_t n) {
  const weft__bnode *nd = &ev->bound->nodes[me];
  weft__vec *out = &ev->vecs[me], *a = &ev->vecs[nd->a];
  sink k = {out, 0};
  for (int64_t i = 0; i < n; i++) {
    size_t start = k.used;
    if (a->all_valid || a->valid[i])
      WEFT_RETURN_NOT_OK(replace_row(&k, nd->e, &out->md, a->sp[i], (size_t)a->sl[i]));
    if (k.used - start > INT32_MAX)
      return weft__error(WEFT_ERR_INVALID_ARGUMENT, "%s: a result passes 2 GiB", nd->e->text);
    out->sl[i] = (int32_t)(k.used - start);
  }
  /* the buffer may have moved while it grew: pointers are set at the end */
  size_t at = 0;
  for (int64_t i = 0; i < n; i++) out->sp[i] = out->buf ? out->buf + at : "", at += (size_t)out->sl[i];
  return WEFT_OK;
}

weft_status weft__eval_str(weft__eval *ev, int me, int64_t n) {
  const weft__bnode *nd = &ev->bound->nodes[me];
  const weft_expr *e = nd->e;
  weft__vec *out = &ev->vecs[me], *a = &ev->vecs[nd->a];
  weft__copy_valid(out, a, n);
  if (e->kind == WEFT__E_UNARY) { /* len_bytes */
    for (int64_t i = 0; i < n; i++) out->v[i].i = a->sl[i];
    return WEFT_OK;
  }
  if (e->kind == WEFT__E_CONTAINS) { /* a regex: plain text never comes here */
    for (int64_t i = 0; i < n; i++) {
      const size_t *ov;
      int r = a->all_valid || a->valid[i] ? weft__regex_find(e->re, &out->md, a->sp[i], (size_t)a->sl[i], 0, &ov) : 0;
      if (r < 0) return WEFT_ERR_INVALID_ARGUMENT;
      out->v[i].i = r > 0;
    }
    return WEFT_OK;
  }
  size_t plen = e->s ? strlen(e->s) : 0;
  switch ((weft__str_op)e->op) {
    case WEFT__S_ENDS_WITH:
      for (int64_t i = 0; i < n; i++)
        out->v[i].i = (size_t)a->sl[i] >= plen && !memcmp(a->sp[i] + a->sl[i] - plen, e->s, plen);
      return WEFT_OK;
    case WEFT__S_SLICE:
      for (int64_t i = 0; i < n; i++) slice(a->sp[i], a->sl[i], e->i, e->i2, &out->sp[i], &out->sl[i]);
      return WEFT_OK;
    case WEFT__S_STRIP:
      for (int64_t i = 0; i < n; i++) strip(a->sp[i], a->sl[i], e->s, &out->sp[i], &out->sl[i]);
      return WEFT_OK;
    case WEFT__S_REPLACE: return replace(ev, me, n);
  }
  return WEFT_OK;
}
