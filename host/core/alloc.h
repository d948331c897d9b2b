/* Every host allocation of libweft goes through these (the C library's functions, so the
 * memory is released with free()). They exist so a test can make the Nth allocation fail
 * (core/fault_inject.h, WEFT_FAULT_ALLOC=N) and walk every error path of an operation. */
#ifndef WEFT_HOST_ALLOC_H
#define WEFT_HOST_ALLOC_H

#include <stddef.h>

void *weft__malloc(size_t bytes);
void *weft__calloc(size_t n, size_t size);
void *weft__realloc(void *p, size_t bytes);
void *weft__aligned_alloc(size_t alignment, size_t bytes);
int weft__posix_memalign(void **out, size_t alignment, size_t bytes);
char *weft__strdup(const char *s);
/* 1 when an injected fault says this allocation fails: for allocations that do not go
 * through malloc (device buffers), which count towards the same N. */
int weft__alloc_fault_hit(void);

#endif
