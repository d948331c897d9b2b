/* The scratch cache (scratch.h): a few freed large blocks kept for reuse. Blocks under
 * SMALL bytes go straight to malloc: glibc already reuses its heap for them. */
#include "core/scratch.h"
#include "core/alloc.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/mman.h>
#endif

#define SMALL ((size_t)1 << 20)
#define HEADER ((size_t)64) /* keeps the block 64-byte aligned */
#define GRAIN ((size_t)1 << 20)
#define HUGE_FROM ((size_t)4 << 20)
#define IDLE_SECONDS 2.0
/* AddressSanitizer cannot see a use after free of a block the cache keeps, so its builds
 * keep none unless asked to. */
#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#else
#define SANITIZED 0
#endif

/* A sixteenth of the machine's memory, at most 1 GiB: a 10M-row sort's temporaries and
 * columns (about 700 MB) are then all reused. */
static long default_mb(void) {
  if (SANITIZED) return 0;
  long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  long mb = pages > 0 && page > 0 ? (long)((double)pages * (double)page / 16 / (1 << 20)) : 256;
  return mb < 1024 ? mb : 1024;
}

typedef struct kept {
  void *base;  /* what malloc gave */
  size_t size; /* usable bytes after the header */
  double since;
} kept;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static kept cache[WEFT__SCRATCH_KEEP];
static int ncache;
static size_t cached_bytes;
static long cap_mb = -1; /* read from the environment once */

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static size_t cap_bytes(void) {
  if (cap_mb < 0) {
    const char *env = getenv("WEFT_SCRATCH_CACHE_MB");
    char *end = NULL;
    long v = env && *env ? strtol(env, &end, 10) : default_mb();
    cap_mb = env && *env && (*end || v < 0) ? default_mb() : v;
  }
  return (size_t)cap_mb << 20;
}

static void drop(int i, void **out) { /* removes entry i, its base to *out to free unlocked */
  *out = cache[i].base;
  cached_bytes -= cache[i].size;
  cache[i] = cache[--ncache];
}

/* Entries idle too long, taken out under the lock (freed by the caller). */
static int take_idle(double t, void **victims) {
  int n = 0;
  for (int i = ncache - 1; i >= 0; i--)
    if (t - cache[i].since > IDLE_SECONDS) drop(i, &victims[n++]);
  return n;
}

static void *with_header(void *base, size_t size) {
  memcpy(base, &size, sizeof size);
  return (char *)base + HEADER;
}

/* Big blocks ask for 2 MiB pages (Linux's transparent huge pages in "madvise" mode, as numpy
 * does from 4 MiB): a random gather over a large column (a shuffle, a join's probe) misses
 * the TLB on nearly every 4 KiB page, and huge pages took a 2M-row x 16-column shuffled
 * gather from 10.5 to 7 ns a value. Before the block is first written, so faults map huge
 * pages; only the whole pages inside the block are advised. */
static void advise_huge_pages(void *base, size_t bytes) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  if (bytes < HUGE_FROM) return;
  uintptr_t page = 4096, from = ((uintptr_t)base + page - 1) / page * page;
  uintptr_t to = ((uintptr_t)base + bytes) / page * page;
  if (to > from) (void)madvise((void *)from, to - from, MADV_HUGEPAGE);  /* advice: may fail */
#else
  (void)base, (void)bytes;
#endif
}

void *weft__scratch_alloc(size_t bytes) {
  if (bytes < SMALL) {
    void *base = NULL;
    if (weft__posix_memalign(&base, HEADER, bytes + HEADER)) return NULL;
    return with_header(base, bytes);
  }
  /* whole MiBs: arrays of one row count (a column's block is a few bytes over its values,
   * a temporary exactly its values) then fit each other's blocks. Pages never written are
   * never made resident, so the rounding costs no memory. */
  bytes = (bytes + GRAIN - 1) / GRAIN * GRAIN;
  void *victims[WEFT__SCRATCH_KEEP], *hit = NULL;
  size_t hit_size = 0;
  pthread_mutex_lock(&lock);
  int nv = take_idle(now(), victims);
  int best = -1;
  /* the smallest block that fits and wastes at most half of itself */
  for (int i = 0; i < ncache; i++)
    if (cache[i].size >= bytes && cache[i].size / 2 <= bytes &&
        (best < 0 || cache[i].size < cache[best].size))
      best = i;
  if (best >= 0) {
    hit_size = cache[best].size;
    drop(best, &hit);
  }
  pthread_mutex_unlock(&lock);
  for (int i = 0; i < nv; i++) free(victims[i]);
  if (hit) return with_header(hit, hit_size);
  void *base = NULL;
  if (weft__posix_memalign(&base, HEADER, bytes + HEADER)) return NULL;
  advise_huge_pages(base, bytes + HEADER);
  return with_header(base, bytes);
}

void weft__scratch_free(void *block) {
  if (!block) return;
  void *base = (char *)block - HEADER;
  size_t size;
  memcpy(&size, base, sizeof size);
  if (size < SMALL) {
    free(base);
    return;
  }
  void *victims[WEFT__SCRATCH_KEEP + 1];
  double t = now();
  pthread_mutex_lock(&lock);
  size_t cap = cap_bytes();
  if (size > cap) {
    pthread_mutex_unlock(&lock);
    free(base);
    return;
  }
  int nv = take_idle(t, victims);
  /* the oldest blocks make room: a new one is the likeliest to be asked for again */
  while (ncache && (ncache == WEFT__SCRATCH_KEEP || cached_bytes + size > cap)) {
    int oldest = 0;
    for (int i = 1; i < ncache; i++)
      if (cache[i].since < cache[oldest].since) oldest = i;
    drop(oldest, &victims[nv++]);
  }
  cache[ncache++] = (kept){base, size, t};
  cached_bytes += size;
  pthread_mutex_unlock(&lock);
  for (int i = 0; i < nv; i++) free(victims[i]);
}

size_t weft__scratch_trim(void) {
  void *victims[WEFT__SCRATCH_KEEP];
  int nv = 0;
  pthread_mutex_lock(&lock);
  size_t bytes = cached_bytes;
  while (ncache) drop(ncache - 1, &victims[nv++]);
  pthread_mutex_unlock(&lock);
  for (int i = 0; i < nv; i++) free(victims[i]);
  return bytes;
}
