/* The CUDA backend's per-device bookkeeping without CUDA calls (cuda_device_state.h). */
#include "cuda_device_state.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

namespace {
/* The gate whose init runs on this thread (nullptr: none). */
thread_local const wc_gate *g_initialising = nullptr;
}  // namespace

weft_status wc_gate_open(wc_gate *g, int dev, wc_gate_init_fn init, void *ctx, const char **why) {
  int s = g->state.load(std::memory_order_acquire);
  if (s == WC_GATE_UNTOUCHED && g_initialising == g) s = WC_GATE_READY; /* from its own init */
  if (s == WC_GATE_UNTOUCHED) {
    std::lock_guard<std::mutex> hold(g->lock);
    s = g->state.load(std::memory_order_acquire);
    if (s == WC_GATE_UNTOUCHED) {
      const wc_gate *outer = g_initialising;
      g_initialising = g;
      char msg[WEFT_REASON_MAX] = "";
      weft_status st = init(dev, ctx, msg, sizeof msg);
      g_initialising = outer;
      if (st == WEFT_OK) {
        s = WC_GATE_READY;
      } else {
        g->failure = st;
        snprintf(g->why, sizeof g->why, "%s", msg[0] ? msg : "device initialisation failed");
        s = WC_GATE_FAILED;
      }
      g->state.store(s, std::memory_order_release);
    }
  }
  if (s == WC_GATE_READY) return WEFT_OK;
  if (why) *why = g->why;
  return g->failure;
}

void wc_gate_fail(wc_gate *g, weft_status status, const char *why) {
  std::lock_guard<std::mutex> hold(g->lock);
  g->failure = status == WEFT_OK ? WEFT_ERR_DEVICE : status;
  snprintf(g->why, sizeof g->why, "%s", why && *why ? why : "device initialisation failed");
  g->state.store(WC_GATE_FAILED, std::memory_order_release);
}

bool wc_gate_touched(const wc_gate *g) {
  return g->state.load(std::memory_order_acquire) != WC_GATE_UNTOUCHED;
}

uint64_t wc_memory_headroom(uint64_t total_bytes) {
  const uint64_t floor = (uint64_t)256 << 20;
  const uint64_t share = total_bytes / 20;
  return share > floor ? share : floor;
}

uint64_t wc_memory_cap(uint64_t free_bytes, uint64_t total_bytes) {
  if (free_bytes > total_bytes) free_bytes = total_bytes;
  const uint64_t headroom = wc_memory_headroom(total_bytes);
  return free_bytes > headroom ? free_bytes - headroom : 0;
}

bool wc_env_lists_device(const char *list, int dev) {
  if (!list || !*list || dev < 0) return false;
  if (strcasecmp(list, "all") == 0) return true;
  const char *p = list;
  while (*p) {
    while (*p == ' ' || *p == ',') ++p;
    if (!*p) break;
    char *end = nullptr;
    long v = strtol(p, &end, 10);
    if (end == p) { /* not a number: skip the entry */
      while (*p && *p != ',') ++p;
      continue;
    }
    while (*end == ' ') ++end;
    if ((*end == ',' || *end == '\0') && v == dev) return true;
    p = end;
    while (*p && *p != ',') ++p;
  }
  return false;
}

bool wc_env_on(const char *value) {
  if (!value) return false;
  return strcmp(value, "1") == 0 || strcasecmp(value, "true") == 0 ||
         strcasecmp(value, "yes") == 0 || strcasecmp(value, "on") == 0;
}

wc_gemm_kind wc_gemm_choice(const char *env, bool cublas_ok) {
  if (env && strcasecmp(env, "portable") == 0) return WC_GEMM_PORTABLE;
  return cublas_ok ? WC_GEMM_CUBLAS : WC_GEMM_PORTABLE;
}

const char *wc_gemm_name(wc_gemm_kind kind) {
  return kind == WC_GEMM_CUBLAS ? "cuBLAS SGEMM" : "weft_knn_gemm (portable)";
}

const char *wc_knn_note_text(char *out, size_t cap, const char *env, bool cublas_ok,
                             const char *cublas_why) {
  if (!cap) return out;
  wc_gemm_kind kind = wc_gemm_choice(env, cublas_ok);
  if (wc_gemm_choice(env, true) == WC_GEMM_PORTABLE)
    snprintf(out, cap, "k-NN inner products: %s, asked for by WEFT_CUDA_KNN_GEMM=%s (the CPU's "
             "and OpenCL's rounding order)", wc_gemm_name(kind), env);
  else if (kind == WC_GEMM_CUBLAS)
    snprintf(out, cap, "k-NN inner products: %s (CUBLAS_DEFAULT_MATH, no TF32)",
             wc_gemm_name(kind));
  else
    snprintf(out, cap, "k-NN inner products: %s, cuBLAS is off on this device: %s",
             wc_gemm_name(kind), cublas_why && *cublas_why ? cublas_why : "unknown reason");
  return out;
}
