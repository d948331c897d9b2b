/* The device list parsed once (device_spec.h). */
#include "core/device_spec.h"

#include <stdio.h>
#include <string.h>

#include "core/error.h"

/* Splits `text` into `out`: 0 when it is not a list (too many or too long ids, or none),
 * with the reason in `why`. Sets no error: WEFT_DEVICE is read while other errors travel. */
int weft__device_spec_split(const char *text, weft__device_spec *out, char *why, size_t cap) {
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
  if (weft__device_spec_split(text, out, why, sizeof why)) return WEFT_OK;
  return weft__error(WEFT_ERR_INVALID_ARGUMENT, "devices '%s' %s", text, why);
}

int weft__device_spec_equal(const weft__device_spec *a, const weft__device_spec *b) {
  if (a->is_auto != b->is_auto || a->count != b->count) return 0;
  for (int i = 0; i < a->count; i++)
    if (strcmp(a->ids[i], b->ids[i])) return 0;
  return 1;
}
