/* fp32 inner products of one query with gathered rows, bit for bit those of the exact scan
 * (cpu_dot_block.c: an fma chain from zero over the coordinates in order): the re-ranks of
 * the certified passes and of IVF refine compute their survivors' keys with them. */
#include "vector/cpu_dot_rows.h"

#include <math.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define WEFT_X86 1
#endif

#define PANEL 16

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

/* 16 rows at a time, transposed in registers 16 coordinates at a time so that a lane holds
 * one row: each lane is the fma chain of cpu_dot_block.c's kernels (coordinates in order,
 * none added past dim), so the bits are theirs. The next rows are prefetched: gathered rows
 * lie anywhere. */
__attribute__((target("avx512f"))) static void ptrs_avx512(const float *q, const float *const *rows,
                                                           size_t dim, size_t n, float *out) {
  for (size_t j0 = 0; j0 < n; j0 += PANEL) {
    size_t m = n - j0 < PANEL ? n - j0 : PANEL;
    const float *x[PANEL];
    for (size_t l = 0; l < PANEL; l++) x[l] = rows[j0 + (l < m ? l : m - 1)];
    for (size_t l = 0; j0 + PANEL + l < n && l < PANEL; l++) {
      const char *nx = (const char *)rows[j0 + PANEL + l];
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

void weft__dot_ptrs_fp32(const float *q, const float *const *rows, size_t dim, size_t n,
                         float *out) {
#ifdef WEFT_X86
  if (__builtin_cpu_supports("avx512f")) {
    ptrs_avx512(q, rows, dim, n, out);
    return;
  }
#endif
  for (size_t j = 0; j < n; j++) {
    const float *x = rows[j];
    float acc = 0.0f;
    for (size_t c = 0; c < dim; c++) acc = fmaf(q[c], x[c], acc);
    out[j] = acc;
  }
}

void weft__dot_rows_fp32(const float *q, const float *base, size_t dim, const uint32_t *rows,
                         size_t n, float *out) {
  enum { CHUNK = 256 }; /* pointers on the stack, a chunk at a time */
  const float *ptrs[CHUNK];
  for (size_t j0 = 0; j0 < n; j0 += CHUNK) {
    size_t m = n - j0 < CHUNK ? n - j0 : CHUNK;
    for (size_t j = 0; j < m; j++) ptrs[j] = base + (size_t)rows[j0 + j] * dim;
    weft__dot_ptrs_fp32(q, ptrs, dim, m, out + j0);
  }
}
