/* weft__backend_launch (backend_launch.h). */
#include "core/backend_launch.h"

#include "core/error.h"

weft_status weft__backend_launch(const weft__device *dev, weft__kernel kernel, const void *args) {
  const weft__backend *be = dev->backend;
  if (!be->launch) {
    const char *name = weft__kernel_name(kernel);
    return weft__error(WEFT_ERR_UNSUPPORTED,
                       "kernel %s (0x%x) on %s: the %s backend has no launch entry",
                       name ? name : "unknown", (unsigned)kernel, dev->id, be->name);
  }
  weft__launch launch = {.kernel = kernel, .args = args};
  return be->launch(dev->backend_device, &launch);
}
