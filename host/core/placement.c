/* The device list parsed once, the spec in effect, the small-input rule (placement.h). */
#include "core/placement.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/exec.h"

/* Splits `text` into `out`: 0 when it is not a list (too many or too long ids, or none),
 * with the reason in `why`. Sets no error: WEFT_DEVICE is read while other errors travel. */
static int split(const char *text, weft__device_spec *out, char *why, size_t cap) {
  memset(out, 0, sizeof *out);
  if (!strcmp(text, "auto")) {
    out->is_auto = 1;
    return 1;
  }
  for (const char *s = text; *s;) {
    const char *end = strchr(s, ',');
    size_t len = end ? (size_t)(end - s) : strlen(s);
    if (len > 0) {
      if (out->count == WEFT__SPEC_MAX_IDS) {
        snprintf(why, cap, "names more than %d devices", WEFT__SPEC_MAX_IDS);
        return 0;
      }
      if (len >= WEFT__SPEC_ID_CHARS) {
        snprintf(why, cap, "the id '%.*s' is longer than %d characters", (int)len, s,
                 WEFT__SPEC_ID_CHARS - 1);
        return 0;
      }
      memcpy(out->ids[out->count], s, len);
      out->ids[out->count++][len] = '\0';
    }
    s += len + (end != NULL);
  }
  if (out->count == 0) snprintf(why, cap, "names no device");
  return out->count > 0;
}

weft_status weft__device_spec_parse(const char *text, weft__device_spec *out) {
  char why[128];
  if (split(text, out, why, sizeof why)) return WEFT_OK;
  return weft__error(WEFT_ERR_INVALID_ARGUMENT, "devices '%s' %s", text, why);
}

void weft__exec_spec(const struct weft_exec *exec, weft__device_spec *out, const char **source) {
  *source = "requested";
  if (exec && !exec->spec.is_auto) {
    *out = exec->spec;
    return;
  }
  const char *env = getenv("WEFT_DEVICE");
  char why[128];
  if (env && *env && strcmp(env, "auto") && split(env, out, why, sizeof why)) {
    *source = "forced by WEFT_DEVICE";
    return;
  }
  memset(out, 0, sizeof *out);
  out->is_auto = 1;
}

int weft__exec_is_auto(const struct weft_exec *exec) {
  if (exec && exec->placed.set) return 0;
  weft__device_spec spec;
  const char *source;
  weft__exec_spec(exec, &spec, &source);
  return spec.is_auto;
}

int weft__family_small_input(const struct weft_exec *exec, const weft__family *family,
                             size_t rows, char *why, size_t cap) {
  if (!family || rows >= family->min_rows_auto || !weft__exec_is_auto(exec)) return 0;
  snprintf(why, cap, "auto, small input (%zu rows, devices %s from %zu)", rows, family->verb,
           family->min_rows_auto);
  return 1;
}

void weft__exec_place(struct weft_exec *exec, size_t device, const char *why) {
  exec->placed.set = 1;
  exec->placed.device = device;
  snprintf(exec->placed.why, sizeof exec->placed.why, "%s", why);
}
