/* WEFT_VECTOR_CLONES: a loop compiled twice and chosen at run time (AVX2 or the x86-64
 * baseline). GCC vectorizes a double compare into a mask, or an int64 min/max, only with
 * AVX2 (SSE2 has no pattern for them), and the binary must run on any x86-64. */
#ifndef WEFT_HOST_CORE_VECTOR_CLONES_H
#define WEFT_HOST_CORE_VECTOR_CLONES_H

/* Not under ThreadSanitizer: the clones' resolver (an IFUNC) runs while the library is being
 * relocated, before TSan's runtime is up, and GCC instruments it, so the program crashed at load. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__SANITIZE_THREAD__)
#define WEFT_VECTOR_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define WEFT_VECTOR_CLONES
#endif

#endif
