/* Exact int8 inner products for the k-NN candidate pass. VPDPBUSD is reached through a target
 * attribute and a runtime check, so the library needs no AVX-512 flag and runs on any x86-64
 * (the pass is then not chosen, or runs the portable twin under a test switch).
 *
 * Register tile: 8 queries x 32 rows (two panels), one VPDPBUSD a query, panel and group of
 * four coordinates: 64 multiply-adds an instruction, summed in int32 exactly (modulo 2^32;
 * see WEFT_KNN_INT8_MAX_DIM). */
#include "vector/cpu_dot_int8.h"
#include "vector/knn_rate.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define WEFT_X86 1
#define VNNI_TARGET __attribute__((target("avx512vnni,avx512f,avx512bw")))
#endif

#define PANEL WEFT_INT8_PANEL
_Static_assert(WEFT_INT8_QUERY_ZERO == 1 << 7, "the VNNI tile corrects with a shift by 7");

static int env_on(const char *name) {
  const char *s = getenv(name);
  return s && *s && *s != '0';
}

int weft__int8_cpu_has(void) {
  if (env_on("WEFT_TEST_KNN_NO_INT8")) return 0;
#ifdef WEFT_X86
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512vnni");
#else
  return 0;
#endif
}

int weft__int8_force_scalar(void) { return env_on("WEFT_TEST_KNN_INT8_SCALAR"); }

void weft__int8_pack_row(const int8_t *codes, size_t dim, size_t row, uint32_t *panels) {
  const size_t groups = weft__int8_groups(dim);
  uint32_t *dst = panels + (row / PANEL) * groups * PANEL + row % PANEL;
  for (size_t g = 0; g < groups; g++) {
    uint32_t w = 0;
    for (size_t b = 0; b < 4; b++)
      if (4 * g + b < dim) w |= (uint32_t)(uint8_t)codes[4 * g + b] << (8 * b);
    dst[g * PANEL] = w;
  }
}

void weft__int8_pack_query(const int8_t *codes, size_t dim, uint32_t *groups) {
  for (size_t g = 0; g < weft__int8_groups(dim); g++) {
    uint32_t w = 0;
    for (size_t b = 0; b < 4; b++) {
      int c = 4 * g + b < dim ? codes[4 * g + b] : 0;
      w |= (uint32_t)(c + WEFT_INT8_QUERY_ZERO) << (8 * b);
    }
    groups[g] = w;
  }
}

/* The portable twin: one row's lane at a time, in int64 (never wraps). */
static void tile_scalar(const uint32_t *q, const uint32_t *panel, size_t lane, size_t groups,
                        int32_t code_sum, int32_t *out) {
  int64_t acc = 0;
  for (size_t g = 0; g < groups; g++) {
    uint32_t qw = q[g], xw = panel[g * PANEL + lane];
    for (int b = 0; b < 4; b++)
      acc += (int64_t)(uint8_t)(qw >> (8 * b)) * (int64_t)(int8_t)(uint8_t)(xw >> (8 * b));
  }
  *out = (int32_t)(acc - (int64_t)WEFT_INT8_QUERY_ZERO * code_sum);
}

#ifdef WEFT_X86
/* One tile: QT queries x 32 rows; the offset's correction (128 times each row's code sum) is
 * subtracted in the vector lanes (modulo 2^32, as the sums wrap) before the store. */
#define QT 8
VNNI_TARGET static void tile_vnni(const uint32_t *const *qrow, const uint32_t *p0,
                                  const uint32_t *p1, size_t groups, const int32_t *sums,
                                  int32_t *acc_out, size_t ld) {
  __m512i a[QT][2];
  for (int r = 0; r < QT; r++) a[r][0] = a[r][1] = _mm512_setzero_si512();
  for (size_t g = 0; g < groups; g++) {
    __m512i x0 = _mm512_loadu_si512(p0 + g * PANEL);
    __m512i x1 = _mm512_loadu_si512(p1 + g * PANEL);
    for (int r = 0; r < QT; r++) {
      __m512i q = _mm512_set1_epi32((int)qrow[r][g]);
      a[r][0] = _mm512_dpbusd_epi32(a[r][0], q, x0);
      a[r][1] = _mm512_dpbusd_epi32(a[r][1], q, x1);
    }
  }
  __m512i c0 = _mm512_slli_epi32(_mm512_loadu_si512(sums), 7);
  __m512i c1 = _mm512_slli_epi32(_mm512_loadu_si512(sums + 16), 7);
  for (int r = 0; r < QT; r++) {
    _mm512_storeu_si512(acc_out + r * ld, _mm512_sub_epi32(a[r][0], c0));
    _mm512_storeu_si512(acc_out + r * ld + 16, _mm512_sub_epi32(a[r][1], c1));
  }
}
#endif

void weft__dot_int8_block(const uint32_t *qgroups, size_t mq, const uint32_t *panels,
                          const int32_t *code_sums, size_t first_row, size_t nb, size_t groups,
                          int32_t *out, size_t ldo, int scalar) {
#ifdef WEFT_X86
  if (!scalar) {
    int32_t acc[QT * 32];
    const uint32_t *qrow[QT];
    for (size_t j0 = 0; j0 < nb; j0 += 32) {
      const uint32_t *p0 = panels + (first_row + j0) / PANEL * groups * PANEL;
      const uint32_t *p1 = p0 + groups * PANEL;
      const int32_t *sums = code_sums + first_row + j0; /* 32 of them: the copy pads */
      size_t nc = nb - j0 < 32 ? nb - j0 : 32;
      for (size_t i0 = 0; i0 < mq; i0 += QT) {
        /* rows past the block's last query repeat it; their results are dropped */
        for (size_t r = 0; r < QT; r++) qrow[r] = qgroups + (i0 + r < mq ? i0 + r : mq - 1) * groups;
        size_t mr = mq - i0 < QT ? mq - i0 : QT;
        if (mr == QT && nc == 32) { /* a whole tile: straight into `out` */
          tile_vnni(qrow, p0, p1, groups, sums, out + i0 * ldo + j0, ldo);
          continue;
        }
        tile_vnni(qrow, p0, p1, groups, sums, acc, 32);
        for (size_t r = 0; r < mr; r++)
          memcpy(out + (i0 + r) * ldo + j0, acc + r * 32, nc * sizeof *out);
      }
    }
    return;
  }
#endif
  for (size_t j = 0; j < nb; j++) {
    size_t row = first_row + j;
    const uint32_t *panel = panels + row / PANEL * groups * PANEL;
    for (size_t i = 0; i < mq; i++)
      tile_scalar(qgroups + i * groups, panel, row % PANEL, groups, code_sums[row],
                  out + i * ldo + j);
  }
}

/* ---------------------------------------------------------------- the rate check */

#ifdef WEFT_X86
VNNI_TARGET static float rate_int8(void) {
  __m512i a[WEFT_RATE_CHAINS];
  for (int i = 0; i < WEFT_RATE_CHAINS; i++) a[i] = _mm512_setzero_si512();
  __m512i x = _mm512_set1_epi32(0x01010101), y = _mm512_set1_epi32(0x01020304);
  for (int s = 0; s < WEFT_RATE_STEPS; s++)
    for (int i = 0; i < WEFT_RATE_CHAINS; i++) a[i] = _mm512_dpbusd_epi32(a[i], x, y);
  int t = 0;
  for (int i = 0; i < WEFT_RATE_CHAINS; i++) t += _mm512_reduce_add_epi32(a[i]);
  return (float)t;
}
#endif

/* Measured once (pthread_once), as cpu_dot_bf16.c's ratio: several threads' first searches
 * measuring at once slowed each other's timings and raced on the result. */
static pthread_once_t ratio_once = PTHREAD_ONCE_INIT;
static double ratio;

static void measure_ratio(void) {
#ifdef WEFT_X86
  /* 64 multiply-adds a VPDPBUSD */
  if (weft__int8_cpu_has()) ratio = weft__rate_ratio(rate_int8, 64.0);
#endif
}

double weft__int8_rate_ratio(void) {
  pthread_once(&ratio_once, measure_ratio);
  return ratio;
}
