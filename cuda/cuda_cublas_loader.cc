/* dlopen of cuBLAS and dlsym of the functions the backend uses (cuda_cublas_loader.h). */
#include "cuda_cublas_loader.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

const char *const wc_cublas_default_names[] = {WC_CUBLAS_SONAME, "libcublas.so", nullptr};

namespace {

/* Appends "; " (after the first) and the formatted text to why, truncating. */
void append(char *why, size_t cap, size_t *len, const char *fmt, const char *a, const char *b) {
  if (*len >= cap) return;
  int n = snprintf(why + *len, cap - *len, "%s", *len ? "; " : "");
  if (n > 0) *len += (size_t)n;
  if (*len >= cap) return;
  n = snprintf(why + *len, cap - *len, fmt, a, b);
  if (n > 0) *len += (size_t)n;
}

template <typename Fn>
bool resolve(void *dl, const char *symbol, Fn *out, const char **missing) {
  dlerror();
  void *p = dlsym(dl, symbol);
  if (!p) {
    *missing = symbol;
    return false;
  }
  *out = reinterpret_cast<Fn>(p);
  return true;
}

bool resolve_all(void *dl, wc_cublas_api *api, const char **missing) {
  return resolve(dl, "cublasCreate_v2", &api->create, missing) &&
         resolve(dl, "cublasDestroy_v2", &api->destroy, missing) &&
         resolve(dl, "cublasSetStream_v2", &api->set_stream, missing) &&
         resolve(dl, "cublasSgemm_v2", &api->sgemm, missing) &&
         resolve(dl, "cublasSetMathMode", &api->set_math_mode, missing) &&
         resolve(dl, "cublasGetStatusString", &api->status_string, missing);
}

}  // namespace

weft_status wc_cublas_open(const char *const *names, wc_cublas_api *api, char *why, size_t cap) {
  size_t len = 0;
  if (cap) why[0] = '\0';
  memset(api, 0, sizeof *api);
  for (; names && *names; ++names) {
    void *dl = dlopen(*names, RTLD_NOW | RTLD_LOCAL);
    if (!dl) {
      const char *err = dlerror();
      /* dlerror already starts with the name when the file is missing */
      if (err && strncmp(err, *names, strlen(*names)) == 0) append(why, cap, &len, "%s%s", err, "");
      else append(why, cap, &len, "%s: %s", *names, err ? err : "cannot be loaded");
      continue;
    }
    const char *missing = nullptr;
    if (resolve_all(dl, api, &missing)) return WEFT_OK;
    append(why, cap, &len, "%s has no symbol %s", *names, missing);
    memset(api, 0, sizeof *api);
    dlclose(dl);
  }
  if (len == 0) append(why, cap, &len, "%s%s", "no library name to try", "");
  return WEFT_ERR_BACKEND_UNAVAILABLE;
}
