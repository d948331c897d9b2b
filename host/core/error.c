#include "core/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define WEFT_MESSAGE_MAX 2048

static _Thread_local char last_message[WEFT_MESSAGE_MAX];

weft_status weft__error(weft_status status, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(last_message, sizeof last_message, fmt, ap);
  va_end(ap);
  return status;
}

weft_status weft__error_context(weft_status status, const char *fmt, ...) {
  char prefix[512];
  char old[WEFT_MESSAGE_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(prefix, sizeof prefix, fmt, ap);
  va_end(ap);
  memcpy(old, last_message, sizeof old);
  snprintf(last_message, sizeof last_message, "%s: %s", prefix, old);
  return status;
}

void weft__error_clear(void) { last_message[0] = '\0'; }

const char *weft_last_error(void) { return last_message; }

const char *weft_status_name(weft_status status) {
  switch (status) {
    case WEFT_OK: return "WEFT_OK";
    case WEFT_ERR_INVALID_ARGUMENT: return "WEFT_ERR_INVALID_ARGUMENT";
    case WEFT_ERR_OUT_OF_MEMORY: return "WEFT_ERR_OUT_OF_MEMORY";
    case WEFT_ERR_DEVICE_MEMORY: return "WEFT_ERR_DEVICE_MEMORY";
    case WEFT_ERR_DEVICE: return "WEFT_ERR_DEVICE";
    case WEFT_ERR_UNSUPPORTED: return "WEFT_ERR_UNSUPPORTED";
    case WEFT_ERR_NOT_FOUND: return "WEFT_ERR_NOT_FOUND";
    case WEFT_ERR_BACKEND_UNAVAILABLE: return "WEFT_ERR_BACKEND_UNAVAILABLE";
    case WEFT_ERR_IO: return "WEFT_ERR_IO";
    case WEFT_ERR_CORRUPT: return "WEFT_ERR_CORRUPT";
    case WEFT_ERR_INTERNAL: return "WEFT_ERR_INTERNAL";
    case WEFT_ERR_CANCELLED: return "WEFT_ERR_CANCELLED";
  }
  return "WEFT_ERR_UNKNOWN";
}

#define WEFT_STR2(x) #x
#define WEFT_STR(x) WEFT_STR2(x)

const char *weft_version_string(void) {
  return WEFT_STR(WEFT_VERSION_MAJOR) "." WEFT_STR(WEFT_VERSION_MINOR) "." WEFT_STR(WEFT_VERSION_PATCH);
}

weft_status weft_version(int *major, int *minor, int *patch) {
  WEFT_CHECK_ARG(major && minor && patch, "weft_version: major, minor and patch must not be NULL");
  *major = WEFT_VERSION_MAJOR;
  *minor = WEFT_VERSION_MINOR;
  *patch = WEFT_VERSION_PATCH;
  return WEFT_OK;
}
