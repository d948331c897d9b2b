/* The progress hooks for the internal units weft_tests compiles in (thread_pool.c,
 * sort_radix.c): their copies report nothing. libweft.so's own progress.c stays the one
 * weft_set_progress reaches (a second copy here would interpose its public symbol). */
#include "core/progress.h"

weft__progress *weft__progress_current(void) { return 0; }
weft__progress *weft__progress_enter(weft__progress *p) { (void)p; return 0; }
int weft__progress_tick(uint64_t n) { (void)n; return 0; }
