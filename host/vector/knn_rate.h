/* How many times fp32 FMA's multiply-add rate a candidate kernel's instruction reaches on
 * this core: "auto" precision picks a reduced-precision pass only where it is fast enough
 * to pay for its bound check and re-rank. One timing harness, one fp32 reference, for every
 * such kernel (bf16's VDPBF16PS, int8's VPDPBUSD). */
#ifndef WEFT_HOST_KNN_RATE_H
#define WEFT_HOST_KNN_RATE_H

/* Independent chains, enough to cover any of these instructions' latency: throughput alone. */
#define WEFT_RATE_CHAINS 16
#define WEFT_RATE_STEPS 4096

/* A fixed loop of WEFT_RATE_CHAINS x WEFT_RATE_STEPS instructions; returns a value the
 * caller sinks, so the loop is not optimized away. */
typedef float (*weft__rate_loop)(void);

/* Best of several short runs of `loop` and of the fp32 FMA loop, then (macs_per_instr /
 * loop's time) / (16 / fp32's time). 0 where the CPU lacks AVX-512F. Call it once (under
 * pthread_once): several threads timing at once slow each other. */
double weft__rate_ratio(weft__rate_loop loop, double macs_per_instr);

#endif
