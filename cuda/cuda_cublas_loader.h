/* cuBLAS opened with dlopen, never linked: mapping libcublas + libcublasLt costs about
 * 150 MiB of resident memory, which a process whose CUDA backend finds no device (any
 * machine without a GPU) must not pay. The backend reaches cuBLAS only through this table,
 * loaded on first need by cuda_cublas.cu. Plain host code with no dependence on the rest
 * of the backend, so a test can load the toolkit's library with it on a machine without a
 * GPU. */
#ifndef WEFT_CUDA_CUBLAS_LOADER_H
#define WEFT_CUDA_CUBLAS_LOADER_H

#include <cublas_v2.h> /* types and prototypes: decltype below; no symbol is linked */
#include <stddef.h>

#include "weft.h"

#define WC_CUBLAS_STR_(x) #x
#define WC_CUBLAS_STR(x) WC_CUBLAS_STR_(x)
/* The soname of the cuBLAS the backend was compiled against, e.g. "libcublas.so.13". */
#define WC_CUBLAS_SONAME "libcublas.so." WC_CUBLAS_STR(CUBLAS_VER_MAJOR)

/* The functions the backend uses, by the names cuBLAS exports (cublas_v2.h maps
 * cublasCreate to cublasCreate_v2 and so on). */
typedef struct wc_cublas_api {
  decltype(&cublasCreate_v2) create;
  decltype(&cublasDestroy_v2) destroy;
  decltype(&cublasSetStream_v2) set_stream;
  decltype(&cublasSgemm_v2) sgemm;
  decltype(&cublasSetMathMode) set_math_mode;
  decltype(&cublasGetStatusString) status_string;
} wc_cublas_api;

/* The names tried by default, in order: WC_CUBLAS_SONAME, then "libcublas.so"; NULL-ended. */
extern const char *const wc_cublas_default_names[];

/* Opens the first of `names` (NULL-ended, each as dlopen takes it) that loads and exports
 * every function of the table, and fills *api. The library stays loaded for the process's
 * life (CUDA libraries do not like being unloaded). Otherwise returns
 * WEFT_ERR_BACKEND_UNAVAILABLE and writes to `why` (cap bytes) each name with its reason,
 * e.g. "libcublas.so.13: cannot open shared object file: No such file or directory" or
 * "libcublas.so.13 has no symbol cublasSgemm_v2". */
weft_status wc_cublas_open(const char *const *names, wc_cublas_api *api, char *why, size_t cap);

#endif /* WEFT_CUDA_CUBLAS_LOADER_H */
