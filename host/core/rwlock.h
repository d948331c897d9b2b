/* The indexes' readers-writer locks. glibc's default lets new readers in while a writer
 * waits, so a steady stream of searches from many threads starved add and remove for
 * minutes (tests/concurrency/test_index_threads.cc); a waiting writer goes first here.
 * Such a lock must not be read-locked twice by one thread (the second would wait behind the
 * writer): no search takes its index's lock again. */
#ifndef WEFT_HOST_RWLOCK_H
#define WEFT_HOST_RWLOCK_H

#include <pthread.h>

/* pthread_rwlock_init with writers first where the C library offers it (glibc). */
void weft__rwlock_init_writer_first(pthread_rwlock_t *lock);

#endif
