/* Large temporary arrays (group ids, join matches, sort keys) that live for one operation.
 *
 * A fresh block of tens of megabytes comes from mmap as untouched pages: the first write of
 * each 4 KiB page faults and the kernel zeroes it, which measured a quarter of a 10M-row
 * group_by. So freed blocks are kept (at most WEFT__SCRATCH_KEEP of them, their total at most
 * WEFT_SCRATCH_CACHE_MB, by default a sixteenth of the memory and at most 1024; 0 turns the
 * cache off, as it is in AddressSanitizer builds) and handed to the next request
 * they fit, as jemalloc or mimalloc keep pages for Polars. A block idle for over two seconds
 * is returned to the system at the next call, so a notebook that stops querying does not
 * hold them long. Thread-safe. Blocks are not zeroed. */
#ifndef WEFT_HOST_SCRATCH_H
#define WEFT_HOST_SCRATCH_H

#include <stddef.h>

#define WEFT__SCRATCH_KEEP 16

/* A block of at least `bytes` (64-byte aligned), or NULL when out of memory. */
void *weft__scratch_alloc(size_t bytes);
/* Gives back a block from weft__scratch_alloc (NULL: nothing). */
void weft__scratch_free(void *block);
/* Returns every kept block to the system (weft_release_cached_memory); the bytes returned. */
size_t weft__scratch_trim(void);

#endif
