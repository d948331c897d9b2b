#include "frame/table/cpu_only.h"

#include "core/device_choice.h"
#include "core/exec.h"

static int host_only(const weft__device *dev) { return dev->backend->host_memory; }

weft_status weft__cpu_only_begin(weft_exec *exec, const char *name, size_t rows) {
  if (!exec) return WEFT_OK;
  weft__op op = {.name = name, .rows = rows, .flops_per_row = 1, .supports = host_only};
  weft__report_clear(exec);
  weft__report(exec, "%s: %zu rows", name, rows);
  weft__choice choice;
  WEFT_RETURN_NOT_OK(weft__choose_devices(exec, &op, &choice));
  exec->last_device = 0;
  return WEFT_OK;
}
