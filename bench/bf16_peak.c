/* Multiply-add peak of this CPU, for bench/knn.py --precision: VDPBF16PS (bf16 pairs into
 * fp32, 32 multiply-adds an instruction), fp32 FMA (16) and VPDPBUSD (u8 x s8 quads into
 * int32, 64), each on N threads, best of several runs. Independent chains cover the latency,
 * so this is the issue rate alone. Prints "bf16 <GFLOP/s> fp32 <GFLOP/s> int8 <GOP/s>" (2
 * operations a multiply-add); 0 for an instruction the CPU lacks. Build with -O3 (GCC 12 at -O2 keeps the FMA chains in memory, a third of
 * the rate):  cc -O3 -pthread bench/bf16_peak.c -o bf16_peak && ./bf16_peak 2 */
#include <immintrin.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define CHAINS 16
#define STEPS 100000L

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}

__attribute__((target("avx512bf16,avx512f,avx512bw,avx512vl"))) static void *bf16(void *out) {
  __m512 a[CHAINS];
  for (int i = 0; i < CHAINS; i++) a[i] = _mm512_setzero_ps();
  __m512bh x = (__m512bh)_mm512_set1_epi32(0x3f803f80), y = (__m512bh)_mm512_set1_epi32(0x00010001);
  for (long s = 0; s < STEPS; s++)
    for (int i = 0; i < CHAINS; i++) a[i] = _mm512_dpbf16_ps(a[i], x, y);
  float t = 0;
  for (int i = 0; i < CHAINS; i++) t += _mm512_reduce_add_ps(a[i]);
  *(float *)out = t;
  return NULL;
}

__attribute__((target("avx512f"))) static void *fp32(void *out) {
  __m512 a[CHAINS];
  for (int i = 0; i < CHAINS; i++) a[i] = _mm512_setzero_ps();
  __m512 x = _mm512_set1_ps(1.0f), y = _mm512_set1_ps(1e-30f);
  for (long s = 0; s < STEPS; s++)
    for (int i = 0; i < CHAINS; i++) a[i] = _mm512_fmadd_ps(x, y, a[i]);
  float t = 0;
  for (int i = 0; i < CHAINS; i++) t += _mm512_reduce_add_ps(a[i]);
  *(float *)out = t;
  return NULL;
}

__attribute__((target("avx512vnni,avx512f,avx512bw"))) static void *int8(void *out) {
  __m512i a[CHAINS];
  for (int i = 0; i < CHAINS; i++) a[i] = _mm512_setzero_si512();
  __m512i x = _mm512_set1_epi32(0x01010101), y = _mm512_set1_epi32(0x01020304);
  for (long s = 0; s < STEPS; s++)
    for (int i = 0; i < CHAINS; i++) a[i] = _mm512_dpbusd_epi32(a[i], x, y);
  int t = 0;
  for (int i = 0; i < CHAINS; i++) t += _mm512_reduce_add_epi32(a[i]);
  *(float *)out = (float)t;
  return NULL;
}

static double rate(void *(*f)(void *), int threads, double flops_per_instr) {
  double best = 0;
  for (int rep = 0; rep < 40; rep++) {
    pthread_t th[64];
    float sink[64];
    double t = now();
    for (int i = 0; i < threads; i++) pthread_create(&th[i], NULL, f, &sink[i]);
    for (int i = 0; i < threads; i++) pthread_join(th[i], NULL);
    t = now() - t;
    double g = threads * (double)STEPS * CHAINS * flops_per_instr / t / 1e9;
    if (g > best) best = g;
  }
  return best;
}

int main(int argc, char **argv) {
  int threads = argc > 1 ? atoi(argv[1]) : 1;
  if (threads < 1 || threads > 64) threads = 1;
  __builtin_cpu_init();
  double b = __builtin_cpu_supports("avx512bf16") ? rate(bf16, threads, 64) : 0;
  double f = __builtin_cpu_supports("avx512f") ? rate(fp32, threads, 32) : 0;
  double i8 = __builtin_cpu_supports("avx512vnni") ? rate(int8, threads, 128) : 0;
  printf("bf16 %.1f fp32 %.1f int8 %.1f\n", b, f, i8);
  return 0;
}
