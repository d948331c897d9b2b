/* cuBLAS in the backend: the library, opened once per process the first time a device needs
 * it (cuda_cublas_loader.h), and each device's handle. When the library cannot be opened or a
 * device's handle cannot be made, calls that need it fail with WEFT_ERR_BACKEND_UNAVAILABLE
 * and the reason, which the device keeps: k-NN, the only user, then runs the portable
 * weft_knn_gemm on that device (cuda_knn.cu). The rest of the device is unaffected. */
#include "cuda_internal.h"

#include <mutex>
#include <stdio.h>
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
  if (wc_env_on(getenv("WEFT_CUDA_FAIL_CUBLAS"))) { /* test switch: as if it did not load */
    g_cublas.status = WEFT_ERR_BACKEND_UNAVAILABLE;
    snprintf(g_cublas.why, sizeof g_cublas.why, "not loaded: WEFT_CUDA_FAIL_CUBLAS is set (a test "
             "switch)");
    return;
  }
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

/* A handle on `dev` bound to its stream, in cuBLAS's default math mode set explicitly: no
 * TF32 tensor-core rounding (CUBLAS_TF32_TENSOR_OP_MATH) even where a cuBLAS default or
 * NVIDIA_TF32_OVERRIDE would allow it, so SGEMM rounds in float32. With d->lock held. */
static weft_status make_handle(int dev, wc_device *d, const wc_cublas_api *lib) {
  cublasHandle_t h = nullptr;
  cublasStatus_t s = lib->create(&h);
  if (s != CUBLAS_STATUS_SUCCESS) return wc_fail(dev, "cublasCreate", s);
  const char *call = "cublasSetStream";
  s = lib->set_stream(h, d->stream);
  if (s == CUBLAS_STATUS_SUCCESS) {
    call = "cublasSetMathMode";
    s = lib->set_math_mode(h, CUBLAS_DEFAULT_MATH);
  }
  if (s != CUBLAS_STATUS_SUCCESS) {
    weft_status st = wc_fail(dev, call, s);
    lib->destroy(h);
    return st;
  }
  d->cublas = h;
  return WEFT_OK;
}

/* With d->lock held: the device's handle, made on the first call. A failure to load the
 * library or make the handle is kept for the device (cublas_state -1, cublas_why), so it
 * is tried once and the device goes on without cuBLAS. */
static weft_status device_cublas(int dev, wc_device *d, const wc_cublas_api **api) {
  if (d->cublas_state < 0)
    return wc_error(WEFT_ERR_BACKEND_UNAVAILABLE, "%s", d->cublas_why);
  const wc_cublas_api *lib = nullptr;
  weft_status st = wc_cublas_library(dev, &lib);
  if (st == WEFT_OK && !d->cublas) st = make_handle(dev, d, lib);
  if (st != WEFT_OK) {
    d->cublas_state = -1;
    snprintf(d->cublas_why, sizeof d->cublas_why, "%s", wc_last_message());
    return wc_error(WEFT_ERR_BACKEND_UNAVAILABLE, "%s", d->cublas_why);
  }
  d->cublas_state = 1;
  *api = lib;
  return WEFT_OK;
}

weft_status wc_cublas(int dev, const wc_cublas_api **api, cublasHandle_t *out) {
  WC_ENTER(dev);
  wc_device *d = &wc_g.devs[dev];
  std::lock_guard<std::mutex> guard(d->lock);
  WC_TRY(device_cublas(dev, d, api));
  *out = d->cublas;
  return WEFT_OK;
}

bool wc_cublas_usable(int dev) {
  if (dev < 0 || dev >= wc_g.count || !wc_g.devs) return false;
  wc_device *d = &wc_g.devs[dev];
  {
    std::lock_guard<std::mutex> guard(d->lock);
    if (d->cublas_state != 0) return d->cublas_state > 0;
  }
  const wc_cublas_api *api = nullptr;
  cublasHandle_t h = nullptr;
  return wc_cublas(dev, &api, &h) == WEFT_OK;
}

void wc_cublas_release(wc_device *d) {
  if (d->cublas && g_cublas.status == WEFT_OK) g_cublas.api.destroy(d->cublas);
  d->cublas = nullptr;
}
