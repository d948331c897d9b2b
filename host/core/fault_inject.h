/* Test-only: make one allocation of libweft fail (host allocations through core/alloc.h and
 * device buffers both count). Not in include/weft.h: these are exported for the fault
 * tests (tests/faults/) and may change. The environment variable WEFT_FAULT_ALLOC=N, read
 * once when the library loads, arms the same switch as weft__fault_alloc_after(N). */
#ifndef WEFT_HOST_FAULT_INJECT_H
#define WEFT_HOST_FAULT_INJECT_H

#include "weft.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Starts counting allocations from zero; the nth one from now (n >= 1) fails, once, and
 * later ones succeed. n = 0 counts without failing; n < 0 stops counting. */
WEFT_API void weft__fault_alloc_after(long long n);
/* Allocations counted since the last weft__fault_alloc_after. */
WEFT_API long long weft__fault_alloc_count(void);
/* 1 when the armed allocation has failed since the last weft__fault_alloc_after. */
WEFT_API int weft__fault_alloc_fired(void);

#ifdef __cplusplus
}
#endif

#endif
