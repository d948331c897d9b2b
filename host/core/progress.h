/* Progress of long work and its cancellation (weft_set_progress). An operation opens a scope
 * on its calling thread; its loops, on any thread, count what they finish into it, and the
 * user's callback is called from the calling thread only, at a bounded rate. A scope opened
 * inside another (a collect's sort, sort_nulls' sort) joins the outer one: one bar a call.
 * The thread pool hands the caller's scope to its workers for the length of a job, so code
 * inside a pool job or a scheduled partition counts with weft__progress_tick() without
 * carrying a pointer. */
#ifndef WEFT_HOST_PROGRESS_H
#define WEFT_HOST_PROGRESS_H

#include <stdint.h>

#include "weft.h"

typedef struct weft__progress weft__progress;

/* Opens a scope named `what` (a static string) of `total` units on the calling thread and
 * returns it (NULL when the thread has no callback and no scope is open: every function
 * below takes NULL as "nothing to report, never cancelled"). */
weft__progress *weft__progress_begin(const char *what, uint64_t total);
/* As begin, where the caller knows the whole work's size up front: scopes opened inside it
 * (k-means under an IVF training) count into it without adding their totals, so the bar's
 * total stays put. Inside another scope it is a plain begin. */
weft__progress *weft__progress_begin_sized(const char *what, uint64_t total);
/* Closes the scope opened by the matching begin; the last callback (done == total) when any
 * was made. Returns `st`, or WEFT_ERR_CANCELLED with its message when the work was
 * cancelled and `st` is WEFT_OK is kept (finished work is not thrown away). */
weft_status weft__progress_end(weft__progress *p, weft_status st);
/* The scope in effect on this thread (its own, or the one a pool job runs under). */
weft__progress *weft__progress_current(void);
/* Makes `p` the scope in effect on this thread; returns the one it replaces (pool workers). */
weft__progress *weft__progress_enter(weft__progress *p);
/* More work found: total += n. */
void weft__progress_grow(weft__progress *p, uint64_t n);
/* n more units done; calls the callback when due (on the calling thread of the scope).
 * Returns nonzero once the work is cancelled. */
int weft__progress_add(weft__progress *p, uint64_t n);
/* weft__progress_add on the scope in effect on this thread. */
int weft__progress_tick(uint64_t n);
/* Whether the scope in effect (or `p`) was cancelled. */
int weft__progress_cancelled(const weft__progress *p);
/* WEFT_OK, or WEFT_ERR_CANCELLED with "<where>: cancelled by the progress callback" when the
 * scope in effect on this thread was cancelled: a check at a pass or phase boundary. */
weft_status weft__progress_check(const char *where);

#endif
