/* The spec in effect, the small-input rule, a resolved placement (placement.h). */
#include "core/placement.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/exec.h"

void weft__exec_spec(const struct weft_exec *exec, weft__device_spec *out, const char **source) {
  *source = "requested";
  if (exec && !exec->spec.is_auto) {
    *out = exec->spec;
    return;
  }
  const char *env = getenv("WEFT_DEVICE");
  char why[128];
  if (env && *env && strcmp(env, "auto") && weft__device_spec_split(env, out, why, sizeof why)) {
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
