/* bf16 inner products for the k-NN candidate pass, and the fp32 products of its re-rank.
 * VDPBF16PS is reached through a target attribute and a runtime check, so the library needs
 * no AVX-512 flag and runs on any x86-64 (the pass is then never chosen).
 *
 * Register tile: 8 queries x 32 rows (two panels), one VDPBF16PS a query, panel and pair.
 * Each lane sums its own row over every coordinate pair, so the chain of additions is at
 * most dim long (what docs/knn_bound.md's accumulation term assumes). */
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

#ifdef WEFT_X86
/* Rows r[0..15] (16 floats each) become columns: r[c] holds coordinate c of the 16 rows.
 * Unpack pairs, then quads (lane L of u holds columns 4L + j), then 128-bit lanes. */
__attribute__((target("avx512f"))) static inline void transpose16(__m512 r[16]) {
  __m512 t[16], u[16];
  for (int i = 0; i < 16; i += 2) {
    t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
  }
  for (int g = 0; g < 4; g++) { /* rows 4g .. 4g+3: u[4g + j] = column j of each lane */
    __m512 *tt = t + 4 * g;
    u[4 * g + 0] = _mm512_shuffle_ps(tt[0], tt[2], 0x44);
    u[4 * g + 1] = _mm512_shuffle_ps(tt[0], tt[2], 0xEE);
    u[4 * g + 2] = _mm512_shuffle_ps(tt[1], tt[3], 0x44);
    u[4 * g + 3] = _mm512_shuffle_ps(tt[1], tt[3], 0xEE);
  }
  for (int j = 0; j < 4; j++) {
    __m512 v0 = _mm512_shuffle_f32x4(u[j], u[4 + j], 0x44);
    __m512 v1 = _mm512_shuffle_f32x4(u[j], u[4 + j], 0xEE);
    __m512 v2 = _mm512_shuffle_f32x4(u[8 + j], u[12 + j], 0x44);
    __m512 v3 = _mm512_shuffle_f32x4(u[8 + j], u[12 + j], 0xEE);
    r[0 + j] = _mm512_shuffle_f32x4(v0, v2, 0x88);
    r[4 + j] = _mm512_shuffle_f32x4(v0, v2, 0xDD);
    r[8 + j] = _mm512_shuffle_f32x4(v1, v3, 0x88);
    r[12 + j] = _mm512_shuffle_f32x4(v1, v3, 0xDD);
  }
}

/* 16 gathered rows at a time, transposed in registers 16 coordinates at a time so that a
 * lane holds one row: each lane is the fma chain of cpu_dot_block.c's kernels (coordinates
 * in order, none added past dim), so the bits are theirs. The next rows are prefetched:
 * the survivors are scattered over the base. */
__attribute__((target("avx512f"))) static void rows_avx512(const float *q, const float *base,
                                                           size_t dim, const uint32_t *rows,
                                                           size_t n, float *out) {
  for (size_t j0 = 0; j0 < n; j0 += PANEL) {
    size_t m = n - j0 < PANEL ? n - j0 : PANEL;
    const float *x[PANEL];
    for (size_t l = 0; l < PANEL; l++) x[l] = base + (size_t)rows[j0 + (l < m ? l : m - 1)] * dim;
    for (size_t l = 0; j0 + PANEL + l < n && l < PANEL; l++) {
      const char *nx = (const char *)(base + (size_t)rows[j0 + PANEL + l] * dim);
      for (size_t b = 0; b < dim * sizeof(float); b += 64) _mm_prefetch(nx + b, _MM_HINT_T0);
    }
    __m512 a = _mm512_setzero_ps();
    for (size_t c0 = 0; c0 < dim; c0 += 16) {
      size_t w = dim - c0 < 16 ? dim - c0 : 16;
      __mmask16 cm = (__mmask16)((1u << w) - 1);
      __m512 r[16];
      for (int l = 0; l < 16; l++) r[l] = _mm512_maskz_loadu_ps(cm, x[l] + c0);
      transpose16(r);
      for (size_t c = 0; c < w; c++) a = _mm512_fmadd_ps(_mm512_set1_ps(q[c0 + c]), r[c], a);
    }
    float lanes[PANEL];
    _mm512_storeu_ps(lanes, a);
    memcpy(out + j0, lanes, m * sizeof(float));
  }
}
#endif

void weft__dot_rows_fp32(const float *q, const float *base, size_t dim, const uint32_t *rows,
                         size_t n, float *out) {
#ifdef WEFT_X86
  if (__builtin_cpu_supports("avx512f")) {
    rows_avx512(q, base, dim, rows, n, out);
    return;
  }
#endif
  for (size_t j = 0; j < n; j++) {
    const float *x = base + (size_t)rows[j] * dim;
    float acc = 0.0f;
    for (size_t c = 0; c < dim; c++) acc = fmaf(q[c], x[c], acc);
    out[j] = acc;
  }
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
