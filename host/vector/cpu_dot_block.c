/* Inner products of a block of queries with a block of base rows, each one computed as
 * acc = fma(q[k], x[k], acc) for k = 0, 1, ..., dim-1 starting from zero: one rounding order,
 * whatever the instruction set, the block shape or the row's place in it. So identical base
 * rows get identical distances (ties then go to the smaller id), a query gets the same answer
 * alone or in a batch, and the figures equal those of the portable device kernel
 * (kernels/knn_gemm.kern), which sums in the same order with the same fused operation.
 * A BLAS could not promise this: its kernels change with the shape and the edges.
 *
 * Base rows are packed k-major in panels of 16 rows, so one vector load gives 16 rows' k-th
 * coordinates; queries are broadcast from their rows. Register tiles: 8 queries x 32 rows on
 * AVX-512, 6 x 16 on AVX2, 1 x 16 in plain C (fmaf) elsewhere. */
#include <math.h>
#include <stdatomic.h>
#include <string.h>

#include "vector/cpu_dot_block.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define WEFT_X86 1
#endif

#define PANEL WEFT_DOT_PANEL

size_t weft__dot_pack_floats(size_t nb, size_t dim) {
  return (nb + 2 * PANEL - 1) / (2 * PANEL) * (2 * PANEL) * dim;
}

/* pack[p][k][l] = x[p*16 + l][k], zero past nb; panels come in pairs for the 32-wide tile */
void weft__dot_pack(const float *x, size_t nb, size_t dim, float *pack) {
  size_t panels = weft__dot_pack_floats(nb, dim) / (PANEL * dim);
  for (size_t p = 0; p < panels; p++) {
    float *dst = pack + p * PANEL * dim;
    for (size_t l = 0; l < PANEL; l++) {
      size_t j = p * PANEL + l;
      if (j < nb) {
        const float *row = x + j * dim;
        for (size_t k = 0; k < dim; k++) dst[k * PANEL + l] = row[k];
      } else {
        for (size_t k = 0; k < dim; k++) dst[k * PANEL + l] = 0.0f;
      }
    }
  }
}

/* Stores the rows < mr and the columns < nc of a tile held in `acc` (row-major, width w). */
static void store_tile(const float *acc, size_t w, size_t mr, size_t nc, float *out, size_t ldo) {
  for (size_t r = 0; r < mr; r++) memcpy(out + r * ldo, acc + r * w, nc * sizeof(float));
}

#ifdef WEFT_X86
/* A full tile (8 rows, 32 columns) goes straight to out; a partial one to acc_out, whose
 * rows and columns the caller copies (store_tile). */
__attribute__((target("avx512f"))) static void tile_avx512(const float *const *qrow,
                                                           const float *p0, const float *p1,
                                                           size_t dim, float *out, size_t ldo,
                                                           float *acc_out) {
  __m512 a[8][2];
  for (int r = 0; r < 8; r++) a[r][0] = a[r][1] = _mm512_setzero_ps();
  for (size_t k = 0; k < dim; k++) {
    __m512 x0 = _mm512_loadu_ps(p0 + k * PANEL), x1 = _mm512_loadu_ps(p1 + k * PANEL);
    for (int r = 0; r < 8; r++) {
      __m512 q = _mm512_set1_ps(qrow[r][k]);
      a[r][0] = _mm512_fmadd_ps(q, x0, a[r][0]);
      a[r][1] = _mm512_fmadd_ps(q, x1, a[r][1]);
    }
  }
  float *dst = out ? out : acc_out;
  size_t ld = out ? ldo : 32;
  for (int r = 0; r < 8; r++) {
    _mm512_storeu_ps(dst + r * ld, a[r][0]);
    _mm512_storeu_ps(dst + r * ld + 16, a[r][1]);
  }
}

__attribute__((target("avx2,fma"))) static void tile_avx2(const float *const *qrow,
                                                          const float *p0, size_t dim,
                                                          float *acc_out) {
  __m256 a[6][2];
  for (int r = 0; r < 6; r++) a[r][0] = a[r][1] = _mm256_setzero_ps();
  for (size_t k = 0; k < dim; k++) {
    __m256 x0 = _mm256_loadu_ps(p0 + k * PANEL), x1 = _mm256_loadu_ps(p0 + k * PANEL + 8);
    for (int r = 0; r < 6; r++) {
      __m256 q = _mm256_broadcast_ss(qrow[r] + k);
      a[r][0] = _mm256_fmadd_ps(q, x0, a[r][0]);
      a[r][1] = _mm256_fmadd_ps(q, x1, a[r][1]);
    }
  }
  for (int r = 0; r < 6; r++) {
    _mm256_storeu_ps(acc_out + r * 16, a[r][0]);
    _mm256_storeu_ps(acc_out + r * 16 + 8, a[r][1]);
  }
}
#endif

static void tile_plain(const float *qrow, const float *p0, size_t dim, float *acc_out) {
  float a[PANEL] = {0};
  for (size_t k = 0; k < dim; k++)
    for (int l = 0; l < PANEL; l++) a[l] = fmaf(qrow[k], p0[k * PANEL + l], a[l]);
  memcpy(acc_out, a, sizeof a);
}

static weft__dot_isa detect_isa(void) {
#ifdef WEFT_X86
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) return WEFT_DOT_AVX512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return WEFT_DOT_AVX2;
#endif
  return WEFT_DOT_PLAIN;
}

weft__dot_isa weft__dot_best_isa(void) {
  /* atomic: the first searches of several threads detect at once (every one finds the same) */
  static _Atomic int isa = WEFT_DOT_UNKNOWN;
  int got = atomic_load_explicit(&isa, memory_order_relaxed);
  if (got == WEFT_DOT_UNKNOWN) atomic_store_explicit(&isa, got = detect_isa(), memory_order_relaxed);
  return (weft__dot_isa)got;
}

/* Rows of a tile past the block's last query repeat that query; their results are dropped. */
static void tile_rows(const float *q, size_t mq, size_t i0, size_t mr, size_t dim,
                      const float **qrow) {
  for (size_t r = 0; r < mr; r++) qrow[r] = q + (i0 + r < mq ? i0 + r : mq - 1) * dim;
}

void weft__dot_block_isa(weft__dot_isa isa, const float *q, size_t mq, const float *x, size_t nb,
                         size_t dim, float *pack, float *out, size_t ldo) {
  if (mq == 0 || nb == 0) return;
  weft__dot_pack(x, nb, dim, pack);
  weft__dot_packed_isa(isa, q, mq, pack, nb, dim, out, ldo);
}

void weft__dot_packed_isa(weft__dot_isa isa, const float *q, size_t mq, const float *pack,
                          size_t nb, size_t dim, float *out, size_t ldo) {
  if (mq == 0 || nb == 0) return;
  float acc[8 * 32];
  const float *qrow[8];
  size_t npanels = (nb + PANEL - 1) / PANEL;
#ifdef WEFT_X86
  if (isa == WEFT_DOT_AVX512) {
    for (size_t p = 0; p < npanels; p += 2) {
      const float *p0 = pack + p * PANEL * dim, *p1 = p0 + PANEL * dim;
      size_t j0 = p * PANEL, nc = nb - j0 < 32 ? nb - j0 : 32;
      for (size_t i0 = 0; i0 < mq; i0 += 8) {
        tile_rows(q, mq, i0, 8, dim, qrow);
        size_t mr = mq - i0 < 8 ? mq - i0 : 8;
        float *o = out + i0 * ldo + j0;
        tile_avx512(qrow, p0, p1, dim, mr == 8 && nc == 32 ? o : NULL, ldo, acc);
        if (mr < 8 || nc < 32) store_tile(acc, 32, mr, nc, o, ldo);
      }
    }
    return;
  }
  if (isa == WEFT_DOT_AVX2) {
    for (size_t p = 0; p < npanels; p++) {
      const float *p0 = pack + p * PANEL * dim;
      size_t j0 = p * PANEL, nc = nb - j0 < PANEL ? nb - j0 : PANEL;
      for (size_t i0 = 0; i0 < mq; i0 += 6) {
        tile_rows(q, mq, i0, 6, dim, qrow);
        tile_avx2(qrow, p0, dim, acc);
        store_tile(acc, PANEL, mq - i0 < 6 ? mq - i0 : 6, nc, out + i0 * ldo + j0, ldo);
      }
    }
    return;
  }
#endif
  (void)isa;
  for (size_t p = 0; p < npanels; p++) {
    const float *p0 = pack + p * PANEL * dim;
    size_t j0 = p * PANEL, nc = nb - j0 < PANEL ? nb - j0 : PANEL;
    for (size_t i = 0; i < mq; i++) {
      tile_plain(q + i * dim, p0, dim, acc);
      store_tile(acc, PANEL, 1, nc, out + i * ldo + j0, ldo);
    }
  }
}

void weft__dot_block(const float *q, size_t mq, const float *x, size_t nb, size_t dim,
                     float *pack, float *out, size_t ldo) {
  weft__dot_block_isa(weft__dot_best_isa(), q, mq, x, nb, dim, pack, out, ldo);
}

void weft__dot_packed(const float *q, size_t mq, const float *pack, size_t nb, size_t dim,
                      float *out, size_t ldo) {
  weft__dot_packed_isa(weft__dot_best_isa(), q, mq, pack, nb, dim, out, ldo);
}
