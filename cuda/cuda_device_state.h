/* The CUDA backend's per-device bookkeeping, as plain C++ with no CUDA call, so its logic is
 * unit-tested on machines without a GPU (tests/test_cuda_device_state.cc):
 *   - wc_gate: a device is initialised and self-tested on its first use, once, by the first
 *     thread that uses it (others wait); a device never used is never touched. A device that
 *     fails stays off with its reason; the others are unaffected.
 *   - wc_memory_cap: the bytes the backend lets the host allocate on a device.
 *   - the test-only environment switches that inject failures (WEFT_CUDA_FAIL_DEVICE,
 *     WEFT_CUDA_FAIL_CUBLAS) and the tracing / k-NN switches (WEFT_CUDA_SYNC_CHECK,
 *     WEFT_CUDA_KNN_GEMM). */
#ifndef WEFT_CUDA_DEVICE_STATE_H
#define WEFT_CUDA_DEVICE_STATE_H

#include <atomic>
#include <mutex>
#include <stddef.h>
#include <stdint.h>

#include "weft.h"

enum wc_gate_state { WC_GATE_UNTOUCHED = 0, WC_GATE_READY = 1, WC_GATE_FAILED = 2 };

/* One device's lazy initialisation. */
struct wc_gate {
  std::atomic<int> state{WC_GATE_UNTOUCHED};
  std::mutex lock;
  weft_status failure = WEFT_OK;   /* FAILED: the status the init returned */
  char why[WEFT_REASON_MAX] = "";  /* FAILED: its message */
};

/* Initialises a device: returns WEFT_OK, or a status with its message in `why` (cap bytes). */
typedef weft_status (*wc_gate_init_fn)(int dev, void *ctx, char *why, size_t cap);

/* Makes sure `dev`'s gate is open: the first caller runs init(dev, ctx, ...) with the gate's
 * lock held (concurrent callers wait for it), later callers only read the state. Returns
 * WEFT_OK when the device is ready, else the init's status, with its message in *why. A call
 * made from inside the init on the same thread (the self-test uses the backend's entry
 * points) sees the device as ready instead of deadlocking. */
weft_status wc_gate_open(wc_gate *g, int dev, wc_gate_init_fn init, void *ctx, const char **why);
/* Closes the gate for good with `status` and `why` (a device found broken before its use). */
void wc_gate_fail(wc_gate *g, weft_status status, const char *why);
/* Whether the gate was ever opened (successfully or not): shutdown releases only those. */
bool wc_gate_touched(const wc_gate *g);

/* Headroom left free on a device: max(256 MiB, 5% of its memory), for the CUDA context's
 * own allocations, cuBLAS's workspace, other processes' growth and fragmentation. */
uint64_t wc_memory_headroom(uint64_t total_bytes);
/* The most the host may allocate on a device with `free_bytes` free (cudaMemGetInfo at the
 * device's first use) of `total_bytes`: free less the headroom, 0 when less than that is free. */
uint64_t wc_memory_cap(uint64_t free_bytes, uint64_t total_bytes);

/* Whether `list` (a WEFT_CUDA_FAIL_DEVICE value: device numbers separated by commas, or
 * "all"; NULL or "" lists none) names device `dev`. */
bool wc_env_lists_device(const char *list, int dev);
/* Whether a switch's value is on: "1", "true", "yes", "on" (any case). NULL is off. */
bool wc_env_on(const char *value);

/* Which GEMM computes k-NN's inner products on a device. */
enum wc_gemm_kind { WC_GEMM_CUBLAS = 0, WC_GEMM_PORTABLE = 1 };
/* WEFT_CUDA_KNN_GEMM (`env`): "portable" (weft_knn_gemm: the CPU's and OpenCL's rounding
 * order, so every device returns the same ids and distances), "cublas", or NULL/"" (cuBLAS
 * when it works on the device). `cublas_ok`: cuBLAS loaded and the device's handle made.
 * An unknown value counts as unset. */
wc_gemm_kind wc_gemm_choice(const char *env, bool cublas_ok);
/* "cuBLAS SGEMM" or "weft_knn_gemm (portable)". */
const char *wc_gemm_name(wc_gemm_kind kind);
/* The exec report's line for a device's k-NN (backend knn_note) into out (cap bytes): which
 * GEMM wc_gemm_choice(env, cublas_ok) picks and why, `cublas_why` being the reason cuBLAS
 * is off on the device. Returns out. */
const char *wc_knn_note_text(char *out, size_t cap, const char *env, bool cublas_ok,
                             const char *cublas_why);

#endif /* WEFT_CUDA_DEVICE_STATE_H */
