#include "core/progress.h"

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "core/error.h"

struct weft__progress {
  weft_progress_fn fn;
  void *user;
  uint64_t interval_ns;
  const char *what;
  _Atomic uint64_t done, total;
  atomic_int cancelled;
  pthread_t owner;
  /* the owner thread's alone: */
  int depth;           /* scopes opened inside this one */
  int sized;           /* its total was known at begin: inner scopes do not add theirs */
  int called;          /* the callback ran: the end owes it a last call */
  uint64_t next_ns;    /* when the callback may run again */
};

/* Each thread's setting (weft_set_progress) and the scope in effect. The outermost scope of
 * a thread lives here, so opening one never allocates (a fault-injection sweep counts the
 * allocations of an operation, and a callback must not change them). */
static _Thread_local weft_progress_fn tl_fn;
static _Thread_local void *tl_user;
static _Thread_local uint64_t tl_interval_ns;
static _Thread_local weft__progress tl_root;
static _Thread_local weft__progress *tl_current;

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

weft_status weft_set_progress(weft_progress_fn fn, void *user, double min_interval_s) {
  WEFT_CHECK_ARG(min_interval_s >= 0 && min_interval_s <= 86400.0,
                 "weft_set_progress: min_interval_s %g is not in 0..86400 seconds", min_interval_s);
  tl_fn = fn;
  tl_user = user;
  tl_interval_ns = (uint64_t)(min_interval_s * 1e9);
  return WEFT_OK;
}

weft__progress *weft__progress_begin(const char *what, uint64_t total) {
  weft__progress *p = tl_current;
  if (p) { /* inside other work: part of it */
    if (pthread_equal(p->owner, pthread_self())) p->depth++;
    if (!p->sized) weft__progress_grow(p, total);
    return p;
  }
  if (!tl_fn) return NULL;
  p = &tl_root;
  p->fn = tl_fn;
  p->user = tl_user;
  p->interval_ns = tl_interval_ns;
  p->what = what;
  atomic_store(&p->done, 0);
  atomic_store(&p->total, total);
  atomic_store(&p->cancelled, 0);
  p->owner = pthread_self();
  p->depth = 0;
  p->sized = 0;
  p->called = 0;
  p->next_ns = now_ns() + p->interval_ns;
  tl_current = p;
  return p;
}

weft__progress *weft__progress_begin_sized(const char *what, uint64_t total) {
  const int inner = tl_current != NULL;
  weft__progress *p = weft__progress_begin(what, total);
  if (p && !inner) p->sized = 1;
  return p;
}

weft_status weft__progress_end(weft__progress *p, weft_status st) {
  if (!p || !pthread_equal(p->owner, pthread_self())) return st;
  if (p->depth > 0) {
    p->depth--;
    return st;
  }
  if (p->called) {
    uint64_t total = atomic_load(&p->total);
    (void)p->fn(p->user, p->what, total, total); /* the end: too late to cancel */
  }
  tl_current = NULL;
  return st;
}

weft__progress *weft__progress_current(void) { return tl_current; }

weft__progress *weft__progress_enter(weft__progress *p) {
  weft__progress *old = tl_current;
  tl_current = p;
  return old;
}

void weft__progress_grow(weft__progress *p, uint64_t n) {
  if (p) atomic_fetch_add(&p->total, n);
}

/* On the owner thread: the callback, when its interval has passed. done stays below total
 * until the end, whose call alone says done == total. */
static void maybe_call(weft__progress *p) {
  uint64_t now = now_ns();
  if (now < p->next_ns) return;
  p->next_ns = now + p->interval_ns;
  uint64_t total = atomic_load(&p->total), done = atomic_load(&p->done);
  if (total == 0) return;
  if (done >= total) done = total - 1;
  p->called = 1;
  if (p->fn(p->user, p->what, done, total)) atomic_store(&p->cancelled, 1);
}

int weft__progress_add(weft__progress *p, uint64_t n) {
  if (!p) return 0;
  atomic_fetch_add_explicit(&p->done, n, memory_order_relaxed);
  if (pthread_equal(p->owner, pthread_self()) && !atomic_load(&p->cancelled)) maybe_call(p);
  return atomic_load_explicit(&p->cancelled, memory_order_relaxed);
}

int weft__progress_tick(uint64_t n) { return weft__progress_add(tl_current, n); }

int weft__progress_cancelled(const weft__progress *p) {
  if (!p) p = tl_current;
  return p && atomic_load_explicit(&((weft__progress *)p)->cancelled, memory_order_relaxed);
}

weft_status weft__progress_check(const char *where) {
  if (!weft__progress_cancelled(NULL)) return WEFT_OK;
  return weft__error(WEFT_ERR_CANCELLED, "%s: cancelled by the progress callback", where);
}
