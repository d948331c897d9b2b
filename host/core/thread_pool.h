/* One persistent pool of threads that owns the cores for every CPU partition. BLAS runs
 * single-threaded inside a partition, so cores are never oversubscribed. */
#ifndef WEFT_HOST_THREAD_POOL_H
#define WEFT_HOST_THREAD_POOL_H

typedef void (*weft__pool_fn)(void *ctx, int worker, int workers);

/* Threads the pool runs a job on, the caller included (WEFT_NUM_THREADS, else the CPUs
 * this process may use: weft__cpu_count). */
int weft__pool_size(void);
/* Runs fn(ctx, w, workers) once on each of `workers` threads, the caller being worker 0, and
 * returns when all have returned. Each fn claims its own work (an atomic counter). A call
 * from inside a pool job, or while another thread's job holds the pool, runs fn on the
 * caller alone (workers = 1) rather than waiting. */
void weft__pool_run(weft__pool_fn fn, void *ctx);

#endif
