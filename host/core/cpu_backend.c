/* The CPU backend, built into libweft.so. Its buffers are host memory, so the scheduler
 * hands it the caller's arrays directly; its kernels are plain loops the compiler
 * vectorizes, run on one partition by one thread of the pool. */
#define _GNU_SOURCE
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/backend_impl.h"
#include "core/alloc.h"
#include "core/cpu_backend_impl.h"
#include "core/cpu_count.h"
#include "core/error.h"
#include "core/runtime.h"

static char cpu_name[WEFT_NAME_MAX] = "cpu";

static void read_cpu_name(void) {
  FILE *f = fopen("/proc/cpuinfo", "r");
  if (!f) return;
  char line[512];
  while (fgets(line, sizeof line, f)) {
    if (strncmp(line, "model name", 10) == 0) {
      const char *colon = strchr(line, ':');
      if (colon) {
        colon++;
        while (*colon == ' ') colon++;
        snprintf(cpu_name, sizeof cpu_name, "%s", colon);
        cpu_name[strcspn(cpu_name, "\n")] = '\0';
      }
      break;
    }
  }
  fclose(f);
}

static weft_status cpu_init(const weft__host_api *host) {
  (void)host;
  read_cpu_name();
  return WEFT_OK;
}

static void cpu_shutdown(void) {}
static int cpu_device_count(void) { return 1; }

static weft_status cpu_device_desc(int dev, weft__device_desc *out) {
  (void)dev;
  memset(out, 0, sizeof *out);
  snprintf(out->name, sizeof out->name, "%s", cpu_name);
  long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  out->memory_bytes = pages > 0 && page > 0 ? (uint64_t)pages * (uint64_t)page : 0;
  out->max_alloc_bytes = out->memory_bytes;
  out->compute_units = weft__cpu_count();
  out->has_fp64 = 1;
  return WEFT_OK;
}

static weft_status cpu_buffer_alloc(int dev, size_t bytes, void **handle) {
  (void)dev;
  /* 64-byte alignment: whole cache lines, aligned AVX-512 loads. */
  size_t rounded = (bytes + 63) & ~(size_t)63;
  void *p = weft__aligned_alloc(64, rounded ? rounded : 64);
  if (!p) return weft__error(WEFT_ERR_DEVICE_MEMORY, "cpu: cannot allocate %zu bytes", bytes);
  *handle = p;
  return WEFT_OK;
}

static void cpu_buffer_free(int dev, void *handle) {
  (void)dev;
  free(handle);
}

static weft_status cpu_buffer_write(int dev, void *dst, size_t off, const void *src, size_t bytes,
                                    int blocking) {
  (void)dev, (void)blocking;
  memcpy((char *)dst + off, src, bytes);
  return WEFT_OK;
}

static weft_status cpu_buffer_read(int dev, const void *src, size_t off, void *dst, size_t bytes,
                                   int blocking) {
  (void)dev, (void)blocking;
  memcpy(dst, (const char *)src + off, bytes);
  return WEFT_OK;
}

static weft_status cpu_buffer_copy(int dev, void *dst, size_t doff, const void *src, size_t soff,
                                   size_t bytes) {
  (void)dev;
  memmove((char *)dst + doff, (const char *)src + soff, bytes);
  return WEFT_OK;
}

static weft_status cpu_synchronize(int dev) {
  (void)dev;
  return WEFT_OK;
}

static weft_status cpu_axpy(int dev, weft_dtype dtype, size_t n, double a, const void *x,
                            const void *y, void *out) {
  (void)dev;
  if (dtype == WEFT_FLOAT32) {
    const float *restrict xs = x, *restrict ys = y;
    float *restrict o = out;
    float af = (float)a;
    for (size_t i = 0; i < n; i++) o[i] = af * xs[i] + ys[i];
  } else {
    const double *restrict xs = x, *restrict ys = y;
    double *restrict o = out;
    for (size_t i = 0; i < n; i++) o[i] = a * xs[i] + ys[i];
  }
  return WEFT_OK;
}

static weft_status cpu_bitmap_and(int dev, size_t nbytes, const void *a, const void *b,
                                  void *out) {
  (void)dev;
  const uint8_t *restrict pa = a, *restrict pb = b;
  uint8_t *restrict po = out;
  for (size_t i = 0; i < nbytes; i++) po[i] = pa[i] & pb[i];
  return WEFT_OK;
}

static weft_status cpu_zero_nulls(int dev, weft_dtype dtype, size_t n, const void *valid,
                                  void *out) {
  (void)dev;
  const uint8_t *v = valid;
  for (size_t i = 0; i < n; i++) {
    if ((v[i >> 3] >> (i & 7)) & 1) continue;
    if (dtype == WEFT_FLOAT32) ((float *)out)[i] = 0.0f;
    else ((double *)out)[i] = 0.0;
  }
  return WEFT_OK;
}

/* Eight independent lanes keep the adds pipelined and let the compiler use SIMD; the lane
 * order is fixed, so a partition always sums to the same bits. min/max skip NaN: a NaN
 * never compares less, and `nonnan` tells "no value" from +inf. */
#define WEFT_LANES 8
#define WEFT_DEFINE_CPU_REDUCE(T, SUFFIX)                                                     \
  static void cpu_reduce_##SUFFIX(size_t n, const T *x, const uint8_t *valid,               \
                                  weft__reduce_partial *out) {                              \
    double s[WEFT_LANES] = {0}, mn[WEFT_LANES], mx[WEFT_LANES];                             \
    uint64_t c = 0, nonnan = 0;                                                             \
    for (int l = 0; l < WEFT_LANES; l++) mn[l] = INFINITY, mx[l] = -INFINITY;               \
    size_t i = 0;                                                                           \
    for (; i + WEFT_LANES <= n; i += WEFT_LANES) {                                          \
      uint8_t bits = valid ? valid[i >> 3] : 0xFF; /* i is a multiple of 8 here */          \
      for (int l = 0; l < WEFT_LANES; l++) {                                                \
        double v = (double)x[i + l];                                                        \
        int ok = (bits >> l) & 1;                                                           \
        s[l] += ok ? v : 0.0;                                                               \
        mn[l] = ok && v < mn[l] ? v : mn[l];                                                \
        mx[l] = ok && v > mx[l] ? v : mx[l];                                                \
        c += (uint64_t)ok;                                                                  \
        nonnan += (uint64_t)(ok && v == v);                                                 \
      }                                                                                     \
    }                                                                                       \
    for (; i < n; i++) {                                                                    \
      if (valid && !((valid[i >> 3] >> (i & 7)) & 1)) continue;                             \
      double v = (double)x[i];                                                              \
      s[0] += v;                                                                            \
      mn[0] = v < mn[0] ? v : mn[0];                                                        \
      mx[0] = v > mx[0] ? v : mx[0];                                                        \
      c++;                                                                                  \
      nonnan += v == v;                                                                     \
    }                                                                                       \
    double sum = 0, lo = INFINITY, hi = -INFINITY;                                          \
    for (int l = 0; l < WEFT_LANES; l++) {                                                  \
      sum += s[l];                                                                          \
      lo = mn[l] < lo ? mn[l] : lo;                                                         \
      hi = mx[l] > hi ? mx[l] : hi;                                                         \
    }                                                                                       \
    out->sum = sum;                                                                         \
    out->min = nonnan ? lo : NAN;                                                           \
    out->max = nonnan ? hi : NAN;                                                           \
    out->count = c;                                                                         \
  }

WEFT_DEFINE_CPU_REDUCE(float, f32)
WEFT_DEFINE_CPU_REDUCE(double, f64)

static weft_status cpu_reduce(int dev, weft_dtype dtype, size_t n, const void *x,
                              const void *valid, weft__reduce_partial *out) {
  (void)dev;
  if (dtype == WEFT_FLOAT32) cpu_reduce_f32(n, x, valid, out);
  else cpu_reduce_f64(n, x, valid, out);
  return WEFT_OK;
}

static const weft__backend cpu_backend = {
    .abi_version = WEFT_BACKEND_ABI_VERSION,
    .name = "cpu",
    .host_memory = 1,
    .init = cpu_init,
    .shutdown = cpu_shutdown,
    .device_count = cpu_device_count,
    .device_desc = cpu_device_desc,
    .buffer_alloc = cpu_buffer_alloc,
    .buffer_free = cpu_buffer_free,
    .buffer_write = cpu_buffer_write,
    .buffer_read = cpu_buffer_read,
    .buffer_copy = cpu_buffer_copy,
    .synchronize = cpu_synchronize,
    .axpy = cpu_axpy,
    .bitmap_and = cpu_bitmap_and,
    .zero_nulls = cpu_zero_nulls,
    .reduce = cpu_reduce,
    .knn_tile = weft__cpu_knn_tile,
    .knn_sort = weft__cpu_knn_sort,
    .expr_eval = NULL, /* select / filter run host/frame/expr/expr_eval.c directly */
    .group_kernel = NULL, /* group_by / unique group with host hash tables (group_rows.c) */
    .launch = NULL, /* the join runs on the host (op_join.c): no kernel ids */
};

const weft__backend *weft__cpu_backend(void) { return &cpu_backend; }
