#include "core/exec.h"
#include "core/alloc.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/device_spec.h"
#include "core/runtime.h"

void weft__exec_defaults(struct weft_exec *exec) {
  memset(exec, 0, sizeof *exec);
  snprintf(exec->devices, sizeof exec->devices, "auto");
  exec->spec.is_auto = 1;
}

void weft__exec_inherit(struct weft_exec *exec, const struct weft_exec *from) {
  weft__exec_defaults(exec);
  if (!from) return;
  memcpy(exec->devices, from->devices, sizeof exec->devices);
  exec->spec = from->spec;
  exec->placed = from->placed;
  exec->strict = from->strict;
  exec->precision = from->precision;
}

void weft__exec_release(struct weft_exec *exec) {
  free(exec->report);
  exec->report = NULL;
  exec->report_len = exec->report_cap = 0;
}

void weft__report_clear(struct weft_exec *exec) {
  exec->report_len = 0;
  if (exec->report) exec->report[0] = '\0';
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

void weft__report(struct weft_exec *exec, const char *fmt, ...) {
  char line[1024];
  va_list ap;
  va_start(ap, fmt);
  int len = vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  if (len < 0) return;
  if ((size_t)len >= sizeof line) len = (int)sizeof line - 1;
  weft__text_singulars(line); /* "1 partition", whatever the format string said */
  len = (int)strlen(line);
  size_t need = exec->report_len + (size_t)len + 2;
  if (need > exec->report_cap) {
    size_t cap = need * 2;
    char *grown = weft__realloc(exec->report, cap);
    if (!grown) return;
    exec->report = grown;
    exec->report_cap = cap;
  }
  memcpy(exec->report + exec->report_len, line, (size_t)len);
  exec->report_len += (size_t)len;
  exec->report[exec->report_len++] = '\n';
  exec->report[exec->report_len] = '\0';
}

void weft__report_text(struct weft_exec *exec, const char *text) {
  size_t len = text ? strlen(text) : 0;
  if (!len) return;
  size_t need = exec->report_len + len + 1;
  if (need > exec->report_cap) {
    char *grown = weft__realloc(exec->report, need * 2);
    if (!grown) return; /* as weft__report: the report is best effort */
    exec->report = grown;
    exec->report_cap = need * 2;
  }
  memcpy(exec->report + exec->report_len, text, len + 1);
  exec->report_len += len;
}

weft_status weft_exec_create(weft_exec **out) {
  WEFT_CHECK_ARG(out, "weft_exec_create: out is NULL");
  weft__runtime_init();
  weft_exec *e = weft__malloc(sizeof *e);
  if (!e) return weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_exec_create: host allocation failed");
  weft__exec_defaults(e);
  *out = e;
  return WEFT_OK;
}

weft_status weft_exec_free(weft_exec *exec) {
  if (!exec) return WEFT_OK;
  weft__exec_release(exec);
  free(exec);
  return WEFT_OK;
}

weft_status weft_exec_set_device(weft_exec *exec, const char *devices) {
  WEFT_CHECK_ARG(exec, "weft_exec_set_device: exec is NULL");
  WEFT_CHECK_ARG(devices && *devices, "weft_exec_set_device: devices is NULL or empty");
  WEFT_CHECK_ARG(strlen(devices) < sizeof exec->devices,
                 "weft_exec_set_device: devices '%.40s...' is longer than %zu characters",
                 devices, sizeof exec->devices - 1);
  weft__device_spec spec;
  weft_status st = weft__device_spec_parse(devices, &spec);
  if (st != WEFT_OK) return weft__error_context(st, "weft_exec_set_device");
  /* Validate now so a typo fails here, not at the first operation. */
  for (int i = 0; i < spec.count; i++) {
    size_t idx;
    st = weft__device_parse(spec.ids[i], &idx);
    if (st == WEFT_ERR_NOT_FOUND || st == WEFT_ERR_INVALID_ARGUMENT)
      return weft__error_context(st, "weft_exec_set_device: devices '%s'", devices);
    weft__error_clear(); /* a missing backend is reported when an operation runs */
  }
  exec->spec = spec;
  memset(&exec->placed, 0, sizeof exec->placed);
  snprintf(exec->devices, sizeof exec->devices, "%s", devices);
  return WEFT_OK;
}

weft_status weft_exec_set_strict(weft_exec *exec, int strict) {
  WEFT_CHECK_ARG(exec, "weft_exec_set_strict: exec is NULL");
  exec->strict = strict != 0;
  return WEFT_OK;
}

weft_status weft_exec_set_precision(weft_exec *exec, weft_precision precision) {
  WEFT_CHECK_ARG(exec, "weft_exec_set_precision: exec is NULL");
  WEFT_CHECK_ARG(precision == WEFT_PRECISION_AUTO || precision == WEFT_PRECISION_FP32 ||
                 precision == WEFT_PRECISION_BF16 || precision == WEFT_PRECISION_INT8,
                 "weft_exec_set_precision: precision %d is not AUTO (0), FP32 (1), BF16 (2) or "
                 "INT8 (3)", (int)precision);
  exec->precision = (int)precision;
  return WEFT_OK;
}

weft_status weft_exec_report(const weft_exec *exec, const char **text) {
  WEFT_CHECK_ARG(exec && text, "weft_exec_report: exec and text must not be NULL");
  *text = exec->report ? exec->report : "";
  return WEFT_OK;
}

weft_status weft_exec_last_device(const weft_exec *exec, size_t *device) {
  WEFT_CHECK_ARG(exec && device, "weft_exec_last_device: exec and device must not be NULL");
  *device = exec->last_device;
  return WEFT_OK;
}
