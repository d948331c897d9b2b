/* backend_launch_fake.c: weft__backend_launch over a fake device, for a C++ test. */
#ifndef WEFT_TEST_BACKEND_LAUNCH_FAKE_H
#define WEFT_TEST_BACKEND_LAUNCH_FAKE_H

#include "weft.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct backend_launch_fake_seen {
  const char *message; /* weft__error's message, "" if none */
  int dev;             /* the backend device the launch entry got, -1 if not called */
  unsigned kernel;
  const void *args;
} backend_launch_fake_seen;

/* weft__backend_launch(kernel, args) on device 3 of a backend with (with_entry) or without
 * a launch entry. */
weft_status backend_launch_fake(int with_entry, unsigned kernel, const void *args,
                                backend_launch_fake_seen *out);

#ifdef __cplusplus
}
#endif
#endif
