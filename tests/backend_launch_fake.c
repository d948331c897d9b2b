/* For tests/test_backend_launch.cc: host/core/backend_launch.c (compiled into weft_tests, as
 * libweft.so hides it) over a device whose backend has, or lacks, a launch entry. Its
 * weft__error is this file's, which keeps the message for the test. */
#include "backend_launch_fake.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/backend_launch.h"
#include "core/error.h"

static char message[512];
static weft__launch seen;
static int seen_dev = -1;

weft_status weft__error(weft_status status, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(message, sizeof message, fmt, ap);
  va_end(ap);
  return status;
}

static weft_status fake_launch(int dev, const weft__launch *l) {
  seen_dev = dev;
  seen = *l;
  return WEFT_OK;
}

weft_status backend_launch_fake(int with_entry, unsigned kernel, const void *args,
                                backend_launch_fake_seen *out) {
  weft__backend be = {.abi_version = WEFT_BACKEND_ABI_VERSION, .name = "fakegpu"};
  if (with_entry) be.launch = fake_launch;
  weft__device dev = {.backend = &be, .backend_device = 3};
  snprintf(dev.id, sizeof dev.id, "fakegpu:3");
  message[0] = '\0';
  seen_dev = -1;
  memset(&seen, 0, sizeof seen);
  weft_status st = weft__backend_launch(&dev, (weft__kernel)kernel, args);
  out->message = message;
  out->dev = seen_dev;
  out->kernel = (unsigned)seen.kernel;
  out->args = seen.args;
  return st;
}
