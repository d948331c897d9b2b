#include "core/thread_pool.h"

#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/cpu_count.h"
#include "core/progress.h"

#define WEFT_POOL_MAX 256

static pthread_once_t pool_once = PTHREAD_ONCE_INIT;
static int pool_threads = 1; /* including the caller */
static pthread_mutex_t pool_busy = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pool_wake = PTHREAD_COND_INITIALIZER;
static pthread_cond_t pool_done = PTHREAD_COND_INITIALIZER;
static unsigned long pool_generation;
static int pool_pending;
static weft__pool_fn pool_fn;
static void *pool_ctx;
static weft__progress *pool_progress; /* the caller's scope: workers count into it */
static _Thread_local int in_pool_job;

static void *pool_worker(void *arg) {
  int worker = (int)(long)arg;
  unsigned long seen = 0;
  in_pool_job = 1;
  for (;;) {
    pthread_mutex_lock(&pool_lock);
    while (pool_generation == seen) pthread_cond_wait(&pool_wake, &pool_lock);
    seen = pool_generation;
    weft__pool_fn fn = pool_fn;
    void *ctx = pool_ctx;
    weft__progress *progress = pool_progress;
    pthread_mutex_unlock(&pool_lock);

    weft__progress_enter(progress);
    fn(ctx, worker, pool_threads);
    weft__progress_enter(NULL);

    pthread_mutex_lock(&pool_lock);
    if (--pool_pending == 0) pthread_cond_signal(&pool_done);
    pthread_mutex_unlock(&pool_lock);
  }
  return NULL;
}

/* A forked child (a PyTorch DataLoader worker, multiprocessing) has only the forking thread:
 * the workers are gone, so the child runs every job on its calling thread, and the locks and
 * conditions, which another parent thread may have held at the fork, start afresh. */
static void pool_after_fork(void) {
  pool_threads = 1;
  pool_pending = 0;
  pthread_mutex_init(&pool_busy, NULL);
  pthread_mutex_init(&pool_lock, NULL);
  pthread_cond_init(&pool_wake, NULL);
  pthread_cond_init(&pool_done, NULL);
}

static void pool_start(void) {
  pthread_atfork(NULL, NULL, pool_after_fork);
  long cores = weft__cpu_count();
  const char *env = getenv("WEFT_NUM_THREADS");
  long want = env && atol(env) > 0 ? atol(env) : cores;
  if (want < 1) want = 1;
  if (want > WEFT_POOL_MAX) want = WEFT_POOL_MAX;
  pool_threads = 1;
  for (long i = 1; i < want; i++) {
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    /* A thread that cannot start only makes the pool smaller. */
    if (pthread_create(&t, &attr, pool_worker, (void *)i) == 0) pool_threads++;
    pthread_attr_destroy(&attr);
  }
}

int weft__pool_size(void) {
  pthread_once(&pool_once, pool_start);
  return pool_threads;
}

void weft__pool_run(weft__pool_fn fn, void *ctx) {
  pthread_once(&pool_once, pool_start);
  if (in_pool_job || pool_threads == 1 || pthread_mutex_trylock(&pool_busy) != 0) {
    fn(ctx, 0, 1);
    return;
  }
  pthread_mutex_lock(&pool_lock);
  pool_fn = fn;
  pool_ctx = ctx;
  pool_progress = weft__progress_current();
  pool_pending = pool_threads - 1;
  pool_generation++;
  pthread_cond_broadcast(&pool_wake);
  pthread_mutex_unlock(&pool_lock);

  in_pool_job = 1;
  fn(ctx, 0, pool_threads);
  in_pool_job = 0;

  pthread_mutex_lock(&pool_lock);
  while (pool_pending > 0) pthread_cond_wait(&pool_done, &pool_lock);
  pthread_mutex_unlock(&pool_lock);
  pthread_mutex_unlock(&pool_busy);
}
