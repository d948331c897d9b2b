/* bf16 inner products for the k-NN candidate pass.
 * VDPBF16PS is reached through a target attribute and a runtime check, so the library needs
 * no AVX-512 flag and runs on any x86-64 (the pass is then never chosen).
 *
 * Register tile: 8 queries x 32 rows (two panels), one VDPBF16PS a query, panel and pair.
 * Each lane sums its own row over every coordinate pair, so the chain of additions is at
 * most dim long (what docs/knn_bound.md's accumulation term assumes). The re-rank's fp32
 * products are cpu_dot_rows.c's. */
#include "vector/cpu_dot_bf16.h"
#include "vector/knn_rate.h"
#include "core/alloc.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define WEFT_X86 1
#define BF16_TARGET __attribute__((target("avx512bf16,avx512f,avx512bw,avx512vl")))
#endif

#define PANEL WEFT_BF16_PANEL

int weft__bf16_cpu_has(void) {
  const char *off = getenv("WEFT_TEST_KNN_NO_BF16");
  if (off && *off && *off != '0') return 0;
#ifdef WEFT_X86
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bf16");
#else
  return 0;
#endif
}

void weft__bf16_pack_row(const float *x, size_t dim, size_t row, uint32_t *panels) {
  size_t pairs = weft__bf16_pairs(dim);
  uint32_t *dst = panels + (row / PANEL) * pairs * PANEL + row % PANEL;
  for (size_t p = 0; p < pairs; p++) {
    uint32_t lo = weft__bf16_of(x[2 * p]);
    uint32_t hi = 2 * p + 1 < dim ? weft__bf16_of(x[2 * p + 1]) : 0;
    dst[p * PANEL] = lo | hi << 16;
  }
}

#ifdef WEFT_X86
BF16_TARGET static void tile_bf16(const uint32_t *const *qrow, const uint32_t *p0,
                                  const uint32_t *p1, size_t pairs, float *acc_out) {
  __m512 a[8][2];
  for (int r = 0; r < 8; r++) a[r][0] = a[r][1] = _mm512_setzero_ps();
  for (size_t p = 0; p < pairs; p++) {
    __m512bh x0 = (__m512bh)_mm512_loadu_si512(p0 + p * PANEL);
    __m512bh x1 = (__m512bh)_mm512_loadu_si512(p1 + p * PANEL);
    for (int r = 0; r < 8; r++) {
      __m512bh q = (__m512bh)_mm512_set1_epi32((int)qrow[r][p]);
      a[r][0] = _mm512_dpbf16_ps(a[r][0], q, x0);
      a[r][1] = _mm512_dpbf16_ps(a[r][1], q, x1);
    }
  }
  for (int r = 0; r < 8; r++) {
    _mm512_storeu_ps(acc_out + r * 32, a[r][0]);
    _mm512_storeu_ps(acc_out + r * 32 + 16, a[r][1]);
  }
}
#endif

void weft__dot_bf16_block(const uint32_t *qpairs, size_t mq, const uint32_t *panels,
                          size_t first_row, size_t nb, size_t pairs, float *out, size_t ldo) {
#ifdef WEFT_X86
  float acc[8 * 32];
  const uint32_t *qrow[8];
  for (size_t j0 = 0; j0 < nb; j0 += 32) {
    const uint32_t *p0 = panels + (first_row + j0) / PANEL * pairs * PANEL;
    const uint32_t *p1 = p0 + pairs * PANEL;
    size_t nc = nb - j0 < 32 ? nb - j0 : 32;
    for (size_t i0 = 0; i0 < mq; i0 += 8) {
      /* rows past the block's last query repeat it; their results are dropped */
      for (size_t r = 0; r < 8; r++) qrow[r] = qpairs + (i0 + r < mq ? i0 + r : mq - 1) * pairs;
      tile_bf16(qrow, p0, p1, pairs, acc);
      size_t mr = mq - i0 < 8 ? mq - i0 : 8;
      for (size_t r = 0; r < mr; r++)
        memcpy(out + (i0 + r) * ldo + j0, acc + r * 32, nc * sizeof(float));
    }
  }
#else
  (void)qpairs, (void)mq, (void)panels, (void)first_row, (void)nb, (void)pairs, (void)out,
      (void)ldo;
#endif
}

/* ---------------------------------------------------------------- the rate check */

#ifdef WEFT_X86
BF16_TARGET static float rate_bf16(void) {
  __m512 a[WEFT_RATE_CHAINS];
  for (int i = 0; i < WEFT_RATE_CHAINS; i++) a[i] = _mm512_setzero_ps();
  __m512bh x = (__m512bh)_mm512_set1_epi32(0x3f803f80), y = (__m512bh)_mm512_set1_epi32(0x00010001);
  for (int s = 0; s < WEFT_RATE_STEPS; s++)
    for (int i = 0; i < WEFT_RATE_CHAINS; i++) a[i] = _mm512_dpbf16_ps(a[i], x, y);
  float t = 0;
  for (int i = 0; i < WEFT_RATE_CHAINS; i++) t += _mm512_reduce_add_ps(a[i]);
  return t;
}
#endif

/* Measured once (pthread_once): the first bf16 searches of several threads used to measure
 * at once, slowing each other's timings and racing on the result (ThreadSanitizer). */
static pthread_once_t ratio_once = PTHREAD_ONCE_INIT;
static double ratio;

static void measure_ratio(void) {
#ifdef WEFT_X86
  /* 32 multiply-adds a VDPBF16PS */
  if (weft__bf16_cpu_has()) ratio = weft__rate_ratio(rate_bf16, 32.0);
#endif
}

double weft__bf16_rate_ratio(void) {
  pthread_once(&ratio_once, measure_ratio);
  return ratio;
}
