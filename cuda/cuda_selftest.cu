/* The smoke check run by init on every device: one small allocation, a copy in, one launch of
 * the portable axpy kernel and a copy back, compared exactly. It proves the device runs this
 * library's code (the right architecture in the fat binary, a working driver and stream)
 * before the host lists the device, and costs one launch: it opens no cuBLAS (about 150 MiB,
 * mapped only once k-NN needs it). The full check of every kernel, cuBLAS included, is the
 * test program tests/test_backend_kernels.cc (tools/gpu-check.sh runs it on a GPU).
 * A failure names the device, e.g.
 * "cuda: smoke check failed on device 0 (NVIDIA H100): out[17] = 3 (expected 4)". */
#include "cuda_internal.h"

#include <stdio.h>
#include <string.h>

weft_status wc_selftest(int dev) {
  enum { n = 1000 }; /* not a multiple of a block */
  float x[n], y[n], out[n];
  for (int i = 0; i < n; ++i) x[i] = (float)(i % 101 - 50), y[i] = (float)(i % 7), out[i] = -1.0f;
  void *dx = nullptr, *dy = nullptr, *dout = nullptr;
  weft_status s = wc_buffer_alloc(dev, sizeof x, &dx);
  if (s == WEFT_OK) s = wc_buffer_alloc(dev, sizeof y, &dy);
  if (s == WEFT_OK) s = wc_buffer_alloc(dev, sizeof out, &dout);
  if (s == WEFT_OK) s = wc_buffer_write(dev, dx, 0, x, sizeof x, 0);
  if (s == WEFT_OK) s = wc_buffer_write(dev, dy, 0, y, sizeof y, 0);
  if (s == WEFT_OK) s = wc_axpy(dev, WEFT_FLOAT32, n, 2.0, dx, dy, dout);
  if (s == WEFT_OK) s = wc_buffer_read(dev, dout, 0, out, sizeof out, 1);
  for (void *p : {dx, dy, dout})
    if (p) wc_buffer_free(dev, p);
  if (s != WEFT_OK) {
    char inner[WEFT_REASON_MAX];
    const char *m = wc_last_message();
    snprintf(inner, sizeof inner, "%s", strncmp(m, "cuda: ", 6) == 0 ? m + 6 : m);
    return wc_error(s, "cuda: smoke check failed on device %d (%s): %s", dev, wc_device_name(dev),
                    inner);
  }
  for (int i = 0; i < n; ++i)
    if (out[i] != 2.0f * x[i] + y[i])
      return wc_error(WEFT_ERR_DEVICE, "cuda: smoke check failed on device %d (%s): out[%d] = %g "
                      "(expected %g)", dev, wc_device_name(dev), i, (double)out[i],
                      (double)(2.0f * x[i] + y[i]));
  return WEFT_OK;
}
