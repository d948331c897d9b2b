/* Unicode case mapping for str.to_uppercase / to_lowercase. ASCII text (most keys and codes)
 * never leaves the byte loop; a string with any byte >= 0x80 goes through ICU's UTF-8 case
 * mapper in the root locale, which applies SpecialCasing.txt's unconditional mappings and
 * the final-sigma context, as Rust's std (Polars) does. */
#include <stdint.h>
#include <string.h>

#include "core/error.h"
#include "frame/expr/str_case.h"

#ifdef WEFT_HAVE_ICU
#include <unicode/ucasemap.h>
#include <unicode/utf8.h>
#endif

static int is_ascii(const char *s, int32_t len) {
  unsigned char any = 0;
  for (int32_t k = 0; k < len; k++) any |= (unsigned char)s[k];
  return any < 0x80;
}

static void ascii_case(int upper, const char *s, int32_t len, char *w) {
  for (int32_t k = 0; k < len; k++) {
    char c = s[k];
    if (upper && c >= 'a' && c <= 'z') c = (char)(c - 32);
    if (!upper && c >= 'A' && c <= 'Z') c = (char)(c + 32);
    w[k] = c;
  }
}

#ifdef WEFT_HAVE_ICU
/* Mapped length of s into w (room bytes), or -1 with the error set. */
static int32_t icu_case(UCaseMap *map, int upper, const char *s, int32_t len, char *w,
                        int32_t room) {
  UErrorCode err = U_ZERO_ERROR;
  int32_t got = upper ? ucasemap_utf8ToUpper(map, w, room, s, len, &err)
                      : ucasemap_utf8ToLower(map, w, room, s, len, &err);
  if (U_FAILURE(err)) { /* ICU maps ill-formed bytes to U+FFFD without failing: not this */
    weft__error(WEFT_ERR_INTERNAL, "str.to_%s: ICU's case mapping failed (%s) on a string of "
                "%d bytes", upper ? "uppercase" : "lowercase", u_errorName(err), (int)len);
    return -1;
  }
  return got;
}
#endif

weft_status weft__str_case_map(int upper, const weft__vec *in, weft__vec *out, int64_t n) {
  char *w = out->buf;
#ifdef WEFT_HAVE_ICU
  UCaseMap *map = NULL;
#endif
  weft_status st = WEFT_OK;
  for (int64_t i = 0; i < n && st == WEFT_OK; i++) {
    const char *s = in->sp[i];
    int32_t len = in->sl[i];
    out->sp[i] = w;
    if (!(in->all_valid || in->valid[i]) || is_ascii(s, len)) {
      ascii_case(upper, s, len, w);
      out->sl[i] = len;
      w += len;
      continue;
    }
#ifdef WEFT_HAVE_ICU
    UErrorCode err = U_ZERO_ERROR;
    if (!map && !(map = ucasemap_open("", 0, &err))) {
      st = weft__error(WEFT_ERR_OUT_OF_MEMORY, "str.to_%s: ICU could not open its case map "
                       "(%s)", upper ? "uppercase" : "lowercase", u_errorName(err));
      break;
    }
    if ((int64_t)len * WEFT__STR_CASE_GROWTH > INT32_MAX) {
      st = weft__error(WEFT_ERR_INVALID_ARGUMENT, "str.to_%s: row %lld holds %d bytes, past "
                       "the %d bytes a string's case mapping can take", upper ? "uppercase" :
                       "lowercase", (long long)i, (int)len, INT32_MAX / WEFT__STR_CASE_GROWTH);
      break;
    }
    int32_t got = icu_case(map, upper, s, len, w, len * WEFT__STR_CASE_GROWTH);
    if (got < 0) st = WEFT_ERR_INTERNAL;
    else out->sl[i] = got, w += got;
#else
    st = weft__error(WEFT_ERR_UNSUPPORTED, "str.to_%s: row %lld holds non-ASCII text, and weft "
                     "was built without ICU (libicu-dev) for Unicode case mapping",
                     upper ? "uppercase" : "lowercase", (long long)i);
#endif
  }
#ifdef WEFT_HAVE_ICU
  ucasemap_close(map);
#endif
  return st;
}
