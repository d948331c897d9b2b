#include "vector/knn_rate.h"

#include <time.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define WEFT_X86 1
#endif

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

#ifdef WEFT_X86
__attribute__((target("avx512f"))) static float rate_fp32(void) {
  __m512 a[WEFT_RATE_CHAINS];
  for (int i = 0; i < WEFT_RATE_CHAINS; i++) a[i] = _mm512_setzero_ps();
  __m512 x = _mm512_set1_ps(1.0f), y = _mm512_set1_ps(1e-30f);
  for (int s = 0; s < WEFT_RATE_STEPS; s++)
    for (int i = 0; i < WEFT_RATE_CHAINS; i++) a[i] = _mm512_fmadd_ps(x, y, a[i]);
  float t = 0;
  for (int i = 0; i < WEFT_RATE_CHAINS; i++) t += _mm512_reduce_add_ps(a[i]);
  return t;
}
#endif

double weft__rate_ratio(weft__rate_loop loop, double macs_per_instr) {
#ifdef WEFT_X86
  if (!__builtin_cpu_supports("avx512f")) return 0;
  /* best of several short runs each: a loaded machine slows both alike, at worst */
  double best_k = 1e30, best_f = 1e30;
  volatile float sink = 0;
  for (int rep = 0; rep < 15; rep++) {
    double t0 = now_s();
    sink += loop();
    double t1 = now_s();
    sink += rate_fp32();
    double t2 = now_s();
    if (t1 - t0 < best_k) best_k = t1 - t0;
    if (t2 - t1 < best_f) best_f = t2 - t1;
  }
  (void)sink;
  /* 16 lanes, one multiply-add each, an fp32 FMA */
  return best_k > 0 ? (macs_per_instr / best_k) / (16.0 / best_f) : 0;
#else
  (void)loop, (void)macs_per_instr;
  return 0;
#endif
}
