/* The allocator wrappers (alloc.h) and the test-only fault switch (fault_inject.h).
 *
 * Compiled into every build, not only test builds: the check an allocation makes while no
 * test has armed the switch is one relaxed load of a flag nobody writes, which costs nothing
 * next to malloc itself, and keeping it everywhere lets the same library serve the sanitizer
 * ctest, the release ctest and Python (WEFT_FAULT_ALLOC) without a second configuration. The
 * counter is only touched while armed, so production threads never share its cache line. */
#include "core/alloc.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/fault_inject.h"

static atomic_int armed;          /* 1 while counting */
static atomic_llong counted;      /* allocations since the last arm */
static atomic_llong fail_at;      /* the one that fails (1-based), 0 = none */
static atomic_int fired;

int weft__alloc_fault_hit(void) {
  if (!atomic_load_explicit(&armed, memory_order_relaxed)) return 0;
  long long n = atomic_fetch_add_explicit(&counted, 1, memory_order_relaxed) + 1;
  if (n != atomic_load_explicit(&fail_at, memory_order_relaxed)) return 0;
  atomic_store_explicit(&fired, 1, memory_order_relaxed);
  return 1;
}

void weft__fault_alloc_after(long long n) {
  atomic_store(&armed, 0);
  atomic_store(&counted, 0);
  atomic_store(&fired, 0);
  atomic_store(&fail_at, n > 0 ? n : 0);
  if (n >= 0) atomic_store(&armed, 1);
}

long long weft__fault_alloc_count(void) { return atomic_load(&counted); }

int weft__fault_alloc_fired(void) { return atomic_load(&fired); }

/* WEFT_FAULT_ALLOC=N arms the switch before any call (read once, at load). */
__attribute__((constructor)) static void read_env(void) {
  const char *env = getenv("WEFT_FAULT_ALLOC");
  if (!env || !*env) return;
  char *end;
  long long n = strtoll(env, &end, 10);
  if (*end == '\0' && n > 0) weft__fault_alloc_after(n);
}

void *weft__malloc(size_t bytes) { return weft__alloc_fault_hit() ? NULL : malloc(bytes); }

void *weft__calloc(size_t n, size_t size) {
  return weft__alloc_fault_hit() ? NULL : calloc(n, size);
}

void *weft__realloc(void *p, size_t bytes) {
  return weft__alloc_fault_hit() ? NULL : realloc(p, bytes);
}

void *weft__aligned_alloc(size_t alignment, size_t bytes) {
  return weft__alloc_fault_hit() ? NULL : aligned_alloc(alignment, bytes);
}

int weft__posix_memalign(void **out, size_t alignment, size_t bytes) {
  if (weft__alloc_fault_hit()) return ENOMEM;
  return posix_memalign(out, alignment, bytes);
}

char *weft__strdup(const char *s) {
  size_t n = strlen(s) + 1;
  char *d = weft__malloc(n);
  return d ? memcpy(d, s, n) : NULL;
}
