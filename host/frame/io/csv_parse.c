/* CSV records and values: fields split by RFC 4180 quoting (a quote opens a quoted field
 * only at the start of a field; "" inside is a quote), values of each inferable type. */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "frame/io/csv.h"
#include "core/alloc.h"

static int push_field(weft__csv_fields *f, const char *p, size_t len, int quoted, int escaped) {
  if (f->count == f->cap) {
    size_t cap = f->cap ? f->cap * 2 : 16;
    weft__csv_field *grown = weft__realloc(f->items, cap * sizeof *grown);
    if (!grown) return 0;
    f->items = grown;
    f->cap = cap;
  }
  f->items[f->count++] = (weft__csv_field){p, len, quoted, escaped};
  return 1;
}

const char *weft__csv_record(const char *p, const char *end, char delim, weft__csv_fields *fields,
                             int *error, const char **error_at) {
  fields->count = 0;
  *error = WEFT_CSV_OK;
  for (;;) {
    if (p < end && *p == '"') {
      const char *open = p++, *start = p;
      int escaped = 0;
      for (;;) {
        const char *q = memchr(p, '"', (size_t)(end - p));
        if (!q) {
          *error = WEFT_CSV_UNCLOSED_QUOTE, *error_at = open;
          return end;
        }
        if (q + 1 < end && q[1] == '"') {
          escaped = 1;
          p = q + 2;
          continue;
        }
        if (!push_field(fields, start, (size_t)(q - start), 1, escaped)) goto oom;
        p = q + 1;
        break;
      }
      if (p < end && *p == '\r' && p + 1 < end && p[1] == '\n') p++;
      if (p >= end) return end;
      if (*p == '\n') return p + 1;
      if (*p != delim) {
        *error = WEFT_CSV_AFTER_QUOTE, *error_at = p;
        return end;
      }
      p++;
      if (p >= end || *p == '\n' || (*p == '\r' && p + 1 < end && p[1] == '\n')) {
        /* a delimiter just before the end of the record: one last, empty field */
        if (!push_field(fields, p, 0, 0, 0)) goto oom;
        return p >= end ? end : (*p == '\n' ? p + 1 : p + 2);
      }
      continue;
    }
    const char *start = p;
    while (p < end && *p != delim && *p != '\n') p++;
    size_t len = (size_t)(p - start);
    if ((p >= end || *p == '\n') && len && start[len - 1] == '\r') len--;
    if (!push_field(fields, start, len, 0, 0)) goto oom;
    if (p >= end) return end;
    if (*p == '\n') return p + 1;
    p++; /* the delimiter: another field follows, maybe empty */
    if (p >= end || *p == '\n') {
      if (!push_field(fields, p, 0, 0, 0)) goto oom;
      return p >= end ? end : p + 1;
    }
  }
oom:
  *error = WEFT_CSV_NO_MEMORY, *error_at = p;
  return end;
}

const char *weft__csv_skip_record(const char *p, const char *end, char delim) {
  /* Most lines hold no quote at all: then the record is the line (two SIMD scans). */
  const char *nl = memchr(p, '\n', (size_t)(end - p));
  if (!memchr(p, '"', (size_t)((nl ? nl : end) - p))) return nl ? nl + 1 : end;
  int field_start = 1;
  while (p < end) {
    char c = *p;
    if (c == '"' && field_start) {
      for (p++;;) {
        const char *q = memchr(p, '"', (size_t)(end - p));
        if (!q) return end;
        if (q + 1 < end && q[1] == '"') {
          p = q + 2;
          continue;
        }
        p = q + 1;
        break;
      }
      field_start = 0;
      continue;
    }
    if (c == '\n') return p + 1;
    field_start = c == delim;
    p++;
  }
  return end;
}

int64_t weft__csv_line_of(const char *buf, const char *at) {
  int64_t line = 1;
  for (const char *p = buf; p < at; p++) line += *p == '\n';
  return line;
}

int weft__csv_is_null(const weft__csv_nulls *nulls, const weft__csv_field *f) {
  if (f->len == 0) return !f->quoted;
  for (size_t i = 0; i < nulls->count; i++)
    if (strlen(nulls->items[i]) == f->len && !memcmp(nulls->items[i], f->p, f->len)) return 1;
  return 0;
}

static int equals_nocase(const char *p, size_t n, const char *word) {
  size_t w = strlen(word);
  if (n != w) return 0;
  for (size_t i = 0; i < n; i++)
    if (tolower((unsigned char)p[i]) != word[i]) return 0;
  return 1;
}

int weft__csv_parse_bool(const char *p, size_t n, int *out) {
  if (equals_nocase(p, n, "true")) return *out = 1, 1;
  if (equals_nocase(p, n, "false")) return *out = 0, 1;
  return 0;
}

int weft__csv_parse_uint64(const char *p, size_t n, uint64_t *out) {
  size_t i = 0;
  if (n && p[0] == '+') i++;
  if (i == n) return 0;
  uint64_t v = 0;
  for (; i < n; i++) {
    unsigned d = (unsigned)(p[i] - '0');
    if (d > 9 || v > (UINT64_MAX - d) / 10) return 0;
    v = v * 10 + d;
  }
  *out = v;
  return 1;
}

int weft__csv_parse_int64(const char *p, size_t n, int64_t *out) {
  int neg = n && p[0] == '-';
  if (neg && n > 1 && p[1] == '+') return 0;
  uint64_t v;
  if (!weft__csv_parse_uint64(p + neg, n - (size_t)neg, &v)) return 0;
  if (neg ? v > (uint64_t)INT64_MAX + 1 : v > (uint64_t)INT64_MAX) return 0;
  *out = neg ? (int64_t)(0 - v) : (int64_t)v;
  return 1;
}

/* [+-]? (digits [. digits?] | . digits) ([eE] [+-]? digits)? | inf | infinity | nan. Short
 * decimals are computed exactly (Clinger's fast path); the rest go to strtod. */
int weft__csv_parse_double(const char *p, size_t n, double *out) {
  size_t i = 0;
  int neg = 0;
  if (i < n && (p[i] == '+' || p[i] == '-')) neg = p[i++] == '-';
  const char *w = p + i;
  size_t wn = n - i;
  if (equals_nocase(w, wn, "inf") || equals_nocase(w, wn, "infinity")) return *out = neg ? -INFINITY : INFINITY, 1;
  if (equals_nocase(w, wn, "nan")) return *out = NAN, 1;
  uint64_t mant = 0;
  int digits = 0, frac = 0, any = 0, exact = 1;
  for (; i < n && (unsigned)(p[i] - '0') <= 9; i++, any = 1)
    if (digits < 19) mant = mant * 10 + (uint64_t)(p[i] - '0'), digits += mant != 0;
    else exact = 0;
  if (i < n && p[i] == '.') {
    for (i++; i < n && (unsigned)(p[i] - '0') <= 9; i++, any = 1)
      if (digits < 19) mant = mant * 10 + (uint64_t)(p[i] - '0'), digits += mant != 0, frac++;
      else if (p[i] != '0') exact = 0;
  }
  if (!any) return 0;
  int64_t e = 0;
  if (i < n && (p[i] == 'e' || p[i] == 'E')) {
    i++;
    int eneg = 0;
    if (i < n && (p[i] == '+' || p[i] == '-')) eneg = p[i++] == '-';
    if (i == n) return 0;
    for (; i < n && (unsigned)(p[i] - '0') <= 9; i++)
      if (e < 100000) e = e * 10 + (p[i] - '0');
    e = eneg ? -e : e;
  }
  if (i != n) return 0;
  int64_t e10 = e - frac;
  static const double pow10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
                                 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
  if (exact && mant <= ((uint64_t)1 << 53) && e10 >= -22 && e10 <= 22) {
    double v = (double)mant;
    v = e10 < 0 ? v / pow10[-e10] : v * pow10[e10];
    *out = neg ? -v : v;
    return 1;
  }
  char small[128], *buf = n < sizeof small ? small : weft__malloc(n + 1);
  if (!buf) return 0;
  memcpy(buf, p, n);
  buf[n] = 0;
  *out = strtod(buf, NULL);
  if (buf != small) free(buf);
  return 1;
}

int64_t weft__days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  unsigned yoe = (unsigned)(y - era * 400);
  unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + (int64_t)doe - 719468;
}

void weft__civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d) {
  z += 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  unsigned doe = (unsigned)(z - era * 146097);
  unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static int digits_at(const char *p, int n, unsigned *out) {
  unsigned v = 0;
  for (int i = 0; i < n; i++) {
    unsigned d = (unsigned)(p[i] - '0');
    if (d > 9) return 0;
    v = v * 10 + d;
  }
  *out = v;
  return 1;
}

static int is_leap(unsigned y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

/* YYYY-MM-DD, a real calendar day. */
static int parse_ymd(const char *p, int64_t *days) {
  unsigned y, m, d;
  static const unsigned mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (!digits_at(p, 4, &y) || p[4] != '-' || !digits_at(p + 5, 2, &m) || p[7] != '-' ||
      !digits_at(p + 8, 2, &d))
    return 0;
  if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1] + (m == 2 && is_leap(y))) return 0;
  *days = weft__days_from_civil(y, m, d);
  return 1;
}

int weft__csv_parse_date(const char *p, size_t n, int32_t *days) {
  int64_t d;
  if (n != 10 || !parse_ymd(p, &d)) return 0;
  *days = (int32_t)d;
  return 1;
}

/* YYYY-MM-DD[T ]HH:MM:SS[.f...] (1 to 9 fraction digits, beyond microseconds dropped). */
int weft__csv_parse_timestamp(const char *p, size_t n, int64_t *micros) {
  int64_t days;
  unsigned hh, mm, ss, us = 0;
  if (n < 19 || !parse_ymd(p, &days) || (p[10] != 'T' && p[10] != ' ')) return 0;
  if (!digits_at(p + 11, 2, &hh) || p[13] != ':' || !digits_at(p + 14, 2, &mm) || p[16] != ':' ||
      !digits_at(p + 17, 2, &ss) || hh > 23 || mm > 59 || ss > 59)
    return 0;
  if (n > 19) {
    if (p[19] != '.' || n == 20 || n > 29) return 0;
    for (size_t i = 20; i < n; i++) {
      unsigned d = (unsigned)(p[i] - '0');
      if (d > 9) return 0;
      if (i < 26) us = us * 10 + d;
    }
    for (size_t i = n; i < 26; i++) us *= 10;
  }
  *micros = ((days * 24 + hh) * 60 + mm) * 60 * (int64_t)1000000 + (int64_t)ss * 1000000 + us;
  return 1;
}
