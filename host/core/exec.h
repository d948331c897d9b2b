/* weft_exec internals: where an operation may run, and the report of where it ran. */
#ifndef WEFT_HOST_EXEC_H
#define WEFT_HOST_EXEC_H

#include <stddef.h>

#include "core/error.h"
#include "core/device_spec.h"
#include "weft.h"

struct weft_exec {
  char devices[256];       /* as the user gave it, for messages */
  weft__device_spec spec;  /* the same, parsed once (placement.h) */
  weft__placement placed;  /* resolved above the operation (the planner), or not set */
  int strict;
  int precision;            /* weft_precision of k-NN searches */
  char *report;
  size_t report_len, report_cap;
  size_t last_device;
};

/* For a NULL exec: a default one on the stack, released with weft__exec_release. */
void weft__exec_defaults(struct weft_exec *exec);
void weft__exec_release(struct weft_exec *exec);
/* A fresh exec with the caller's device choice and strict flag (its report is its own). */
void weft__exec_inherit(struct weft_exec *exec, const struct weft_exec *from);
void weft__report_clear(struct weft_exec *exec);
/* Appends a line to the report (silently truncates on host allocation failure: the report
 * is a diagnostic and must never fail the operation). */
void weft__report(struct weft_exec *exec, const char *fmt, ...) WEFT_PRINTF(2, 3);
/* Appends text already made of report lines (each ending in a newline), as it is. */
void weft__report_text(struct weft_exec *exec, const char *text);
/* "1 rows" -> "1 row" for the counted nouns of reports and explain, in place: every report line
 * goes through it (weft__report), so format strings may say "%zu rows" whatever the count. */
void weft__text_singulars(char *s);

#endif
