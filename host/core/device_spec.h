/* What an exec holds of the user's device choice (placement.h says how it is used): the
 * device list parsed once, and a placement resolved above an operation. */
#ifndef WEFT_HOST_CORE_DEVICE_SPEC_H
#define WEFT_HOST_CORE_DEVICE_SPEC_H

#include <stddef.h>

#include "weft.h"

#define WEFT__SPEC_MAX_IDS 16
#define WEFT__SPEC_ID_CHARS 48

/* A device list, parsed: "auto", or up to WEFT__SPEC_MAX_IDS ids ("cpu", "opencl:0", ...).
 * Ids are kept as text: a backend that is missing now is reported when an operation runs. */
typedef struct weft__device_spec {
  int is_auto;
  int count;
  char ids[WEFT__SPEC_MAX_IDS][WEFT__SPEC_ID_CHARS];
} weft__device_spec;

/* A placement decided above the operation (the planner, or an internal CPU-only step): the
 * device it runs on and why, written to the report as is. */
typedef struct weft__placement {
  int set;
  size_t device;
  char why[200];
} weft__placement;

/* 1 when both name the same devices in the same order (both "auto" included). */
int weft__device_spec_equal(const weft__device_spec *a, const weft__device_spec *b);
/* Splits `text` ("auto" or a comma-separated list) into `out`; WEFT_ERR_INVALID_ARGUMENT
 * when it has too many or too long ids, or none. */
weft_status weft__device_spec_parse(const char *text, weft__device_spec *out);
/* The same without setting an error (WEFT_DEVICE is read while other errors travel): 0 when
 * `text` is not a list, with the reason in `why`. */
int weft__device_spec_split(const char *text, weft__device_spec *out, char *why, size_t cap);

#endif
