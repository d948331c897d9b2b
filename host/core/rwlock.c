#define _GNU_SOURCE /* pthread_rwlockattr_setkind_np */
#include "core/rwlock.h"

void weft__rwlock_init_writer_first(pthread_rwlock_t *lock) {
#if defined(__GLIBC__)
  pthread_rwlockattr_t attr;
  if (pthread_rwlockattr_init(&attr) == 0) {
    pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    int rc = pthread_rwlock_init(lock, &attr);
    pthread_rwlockattr_destroy(&attr);
    if (rc == 0) return;
  }
#endif
  pthread_rwlock_init(lock, NULL);
}
