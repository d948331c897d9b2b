/* The int8 candidate pass's kernel (host/vector/cpu_dot_int8.c, weft__dot_int8_block) against
 * the VPDPBUSD peak on one core, measured in turn in one process (best of N short runs each,
 * so a loaded machine slows both alike). The block is the pass's: 256 queries x 512 rows,
 * dim 128 by default. Prints the peak, the kernel's rate and its share of the peak, in GOP/s
 * (2 operations a multiply-add).
 *   cc -O3 -Ihost -Iinclude bench/int8_kernel_rate.c host/vector/cpu_dot_int8.c -o r && ./r */
#include <immintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "vector/cpu_dot_int8.h"

#define CHAINS 16
#define STEPS 20000L

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}

__attribute__((target("avx512vnni,avx512f,avx512bw"))) static int peak_run(void) {
  __m512i a[CHAINS];
  for (int i = 0; i < CHAINS; i++) a[i] = _mm512_setzero_si512();
  __m512i x = _mm512_set1_epi32(0x01010101), y = _mm512_set1_epi32(0x01020304);
  for (long s = 0; s < STEPS; s++)
    for (int i = 0; i < CHAINS; i++) a[i] = _mm512_dpbusd_epi32(a[i], x, y);
  int t = 0;
  for (int i = 0; i < CHAINS; i++) t += _mm512_reduce_add_epi32(a[i]);
  return t;
}

int main(int argc, char **argv) {
  size_t dim = argc > 1 ? (size_t)atol(argv[1]) : 128, mq = 256, nb = 512;
  if (!weft__int8_cpu_has()) {
    printf("no AVX512_VNNI\n");
    return 0;
  }
  size_t groups = weft__int8_groups(dim);
  uint32_t *q = malloc(mq * groups * 4), *panels = malloc(nb * groups * 4);
  int32_t *sums = calloc(nb, 4), *out = malloc(mq * nb * 4);
  for (size_t i = 0; i < mq * groups; i++) q[i] = (uint32_t)rand() * 2654435761u;
  for (size_t i = 0; i < nb * groups; i++) panels[i] = (uint32_t)rand() * 2246822519u;
  double best_peak = 1e30, best_kernel = 1e30;
  volatile int sink = 0;
  for (int rep = 0; rep < 30; rep++) {
    double t0 = now();
    sink += peak_run();
    double t1 = now();
    for (int r = 0; r < 4; r++) weft__dot_int8_block(q, mq, panels, sums, 0, nb, groups, out, nb, 0);
    double t2 = now();
    if (t1 - t0 < best_peak) best_peak = t1 - t0;
    if (t2 - t1 < best_kernel) best_kernel = t2 - t1;
  }
  double peak = (double)STEPS * CHAINS * 128 / best_peak / 1e9;
  double kernel = 4.0 * 2 * mq * nb * (double)(groups * 4) / best_kernel / 1e9;
  printf("one core: VPDPBUSD peak %.1f GOP/s; weft__dot_int8_block (%zu queries x %zu rows x "
         "dim %zu) %.1f GOP/s = %.0f%% of the peak\n", peak, mq, nb, dim, kernel,
         100 * kernel / peak);
  return sink == 12345;
}
