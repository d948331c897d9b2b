/* cuBLAS in the backend: the library, opened once per process the first time a device needs
 * it (cuda_cublas_loader.h), and each device's handle. When it cannot be opened, every call
 * that needs it fails with WEFT_ERR_BACKEND_UNAVAILABLE and the loader's reason, so the host
 * runs k-NN on the CPU and says why; nothing else in the backend uses cuBLAS. */
#include "cuda_internal.h"

#include <mutex>
#include <stdlib.h>

namespace {

struct cublas_library {
  std::once_flag once;
  weft_status status = WEFT_ERR_BACKEND_UNAVAILABLE;
  wc_cublas_api api = {};
  char why[WEFT_REASON_MAX] = "";
};

cublas_library g_cublas;

/* WEFT_CUBLAS_LIBRARY names the library to open instead of the toolkit's sonames (a test
 * points it at a missing file to prove k-NN's fallback when cuBLAS cannot be opened). */
void open_cublas(void) {
  const char *env = getenv("WEFT_CUBLAS_LIBRARY");
  const char *const forced[] = {env, nullptr};
  g_cublas.status = wc_cublas_open(env && *env ? forced : wc_cublas_default_names, &g_cublas.api,
                                   g_cublas.why, sizeof g_cublas.why);
}

}  // namespace

bool wc_cublas_loadable(void) {
  std::call_once(g_cublas.once, open_cublas);
  return g_cublas.status == WEFT_OK;
}

weft_status wc_cublas_library(int dev, const wc_cublas_api **api) {
  std::call_once(g_cublas.once, open_cublas);
  if (g_cublas.status != WEFT_OK) {
    if (api) *api = nullptr;
    return wc_error(g_cublas.status, "cuda: cuBLAS is not available for device %d (%s): %s", dev,
                    wc_device_name(dev), g_cublas.why);
  }
  if (api) *api = &g_cublas.api;
  return WEFT_OK;
}

weft_status wc_fail(int dev, const char *expr, cublasStatus_t err) {
  (void)cudaGetLastError();
  weft_status st = err == CUBLAS_STATUS_ALLOC_FAILED ? WEFT_ERR_DEVICE_MEMORY : WEFT_ERR_DEVICE;
  /* a status comes from a cuBLAS call, so the library is loaded; the guard costs nothing */
  const char *text = g_cublas.status == WEFT_OK ? g_cublas.api.status_string(err) : "cuBLAS error";
  return wc_error(st, "cuda: %.*s failed on device %d (%s): %s (%d)", wc_call_name_len(expr),
                  expr, dev, wc_device_name(dev), text, (int)err);
}

weft_status wc_cublas(int dev, const wc_cublas_api **api, cublasHandle_t *out) {
  const wc_cublas_api *lib = nullptr;
  WC_TRY(wc_cublas_library(dev, &lib));
  WC_ENTER(dev);
  wc_device *d = &wc_g.devs[dev];
  std::lock_guard<std::mutex> guard(d->lock);
  if (!d->cublas) {
    cublasHandle_t h = nullptr;
    cublasStatus_t s = lib->create(&h);
    if (s != CUBLAS_STATUS_SUCCESS) return wc_fail(dev, "cublasCreate", s);
    s = lib->set_stream(h, d->stream);
    if (s != CUBLAS_STATUS_SUCCESS) {
      lib->destroy(h);
      return wc_fail(dev, "cublasSetStream", s);
    }
    d->cublas = h;
  }
  *api = lib;
  *out = d->cublas;
  return WEFT_OK;
}

void wc_cublas_release(wc_device *d) {
  if (d->cublas && g_cublas.status == WEFT_OK) g_cublas.api.destroy(d->cublas);
  d->cublas = nullptr;
}
