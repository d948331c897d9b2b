/* Radix sort of (key, row) pairs on the CPU pool, 8 bits a pass. A parallel pass counts the
 * digits of every chunk, turns the counts into each chunk's output positions, and scatters
 * the chunks; chunks scattered in chunk order keep it stable. Digits that are the same for
 * every key of a range are skipped.
 *
 * Large inputs are split most significant digit first (MSD), in parallel, while a bucket is
 * larger than a share of the work (a skewed digit, as float keys crowding a few exponents,
 * leaves one bucket with nearly every key, so one split is not enough). The buckets left
 * are then sorted one per thread in cache: split again by their highest varying digit while
 * large or while three or more digits vary, by LSD passes when one or two vary, and by
 * insertion when a handful of pairs is left. Every step is stable, so the whole is. */
#include "frame/sort/sort_radix.h"
#include "core/alloc.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/thread_pool.h"
#include "core/progress.h"
#include "core/scratch.h"

#define MAX_CHUNKS 64
/* Buckets up to this many pairs (1 MB of them) fit the cache: sorted by LSD passes there
 * when few digits vary. */
#define CACHED_PAIRS ((int64_t)1 << 16)
/* Ranges up to this many pairs are insertion sorted (fewer moves than a 256-way pass). */
#define INSERTION_PAIRS 16
/* Below this many pairs the LSD passes over the whole array are cheap enough. */
#define MSD_MIN_ROWS ((int64_t)1 << 18)

static uint64_t below(int top) { return top >= 64 ? ~(uint64_t)0 : ((uint64_t)1 << top) - 1; }

/* The highest digit (a shift) of `varies` below `top`, -1 if none; *count: how many vary. */
static int highest_digit(uint64_t varies, int top, int *count) {
  int hi = -1, n = 0;
  varies &= below(top);
  for (int s = 0; s < top && s < 64; s += 8)
    if ((varies >> s) & 255) hi = s, n++;
  if (count) *count = n;
  return hi;
}

/* ---- one thread, in cache */

/* Insertion sorts (sk, si)[0, n) into (dk, di) (which may be the same arrays). */
static void insertion_sort(const uint64_t *sk, const int64_t *si, uint64_t *dk, int64_t *di,
                           int64_t n, uint64_t mask) {
  for (int64_t i = 0; i < n; i++) {
    uint64_t x = sk[i], xm = x & mask;
    int64_t y = si[i], j = i;
    for (; j > 0 && (dk[j - 1] & mask) > xm; j--) dk[j] = dk[j - 1], di[j] = di[j - 1];
    dk[j] = x, di[j] = y;
  }
}

/* Counts the digit at `shift` of k[0, n) into h and turns the counts into positions. */
static void digit_positions(const uint64_t *k, int64_t n, int shift, size_t h[256]) {
  memset(h, 0, 256 * sizeof *h);
  for (int64_t i = 0; i < n; i++) h[(k[i] >> shift) & 255]++;
  size_t at = 0;
  for (int d = 0; d < 256; d++) {
    size_t c = h[d];
    h[d] = at;
    at += c;
  }
}

static void scatter(const uint64_t *k, const int64_t *r, uint64_t *dk, int64_t *dr, int64_t n,
                    int shift, size_t h[256]) {
  for (int64_t i = 0; i < n; i++) {
    size_t to = h[(k[i] >> shift) & 255]++;
    dk[to] = k[i];
    dr[to] = r[i];
  }
}

static void copy_pairs(const uint64_t *k, const int64_t *r, uint64_t *dk, int64_t *dr, int64_t n) {
  if (n <= 0 || k == dk) return;
  memcpy(dk, k, (size_t)n * sizeof *k);
  memcpy(dr, r, (size_t)n * sizeof *r);
}

/* Sorts the pairs (sk, si)[0, n) by their bits below `top`, stably, with (bk, bi)[0, n) as
 * the other array; the result ends in b when `into_b`, else in s. */
static void sort_range(uint64_t *sk, int64_t *si, uint64_t *bk, int64_t *bi, int64_t n, int top,
                       int into_b) {
  if (n <= INSERTION_PAIRS || top <= 0) {
    if (top > 0 && into_b) insertion_sort(sk, si, bk, bi, n, below(top));
    else if (top > 0) insertion_sort(sk, si, sk, si, n, below(top));
    else if (into_b) copy_pairs(sk, si, bk, bi, n);
    return;
  }
  uint64_t all_or = 0, all_and = ~(uint64_t)0;
  for (int64_t i = 0; i < n; i++) all_or |= sk[i], all_and &= sk[i];
  int digits, hi = highest_digit(all_or ^ all_and, top, &digits);
  if (hi < 0) { /* every key alike below top: already in order */
    if (into_b) copy_pairs(sk, si, bk, bi, n);
    return;
  }
  size_t h[256];
  if (n > CACHED_PAIRS || digits >= 3) { /* split by it, then each part below it */
    digit_positions(sk, n, hi, h);
    size_t start[257];
    memcpy(start, h, sizeof start[0] * 256);
    start[256] = (size_t)n;
    scatter(sk, si, bk, bi, n, hi, h);
    for (int d = 0; d < 256; d++) {
      size_t lo = start[d], m = start[d + 1] - lo;
      sort_range(bk + lo, bi + lo, sk + lo, si + lo, (int64_t)m, hi, !into_b);
    }
    return;
  }
  uint64_t varies = (all_or ^ all_and) & below(top);
  uint64_t *k = sk, *dk = bk;
  int64_t *r = si, *dr = bi;
  for (int s = 0; s < top; s += 8) {
    if (!((varies >> s) & 255)) continue;
    digit_positions(k, n, s, h);
    scatter(k, r, dk, dr, n, s, h);
    uint64_t *t = k; k = dk; dk = t;
    int64_t *u = r; r = dr; dr = u;
  }
  if (into_b) copy_pairs(k, r, bk, bi, n);
  else copy_pairs(k, r, sk, si, n);
}

/* ---- parallel passes over a range */

enum { PASS_BITS, PASS_COUNT, PASS_SCATTER, PASS_CARRY };

/* A split may take a 16-bit digit: when few of its 65536 values occur (float keys crowd a
 * few exponents), one pass does the work of two. */
#define WIDE_DIGITS 65536
#define WIDE_ACTIVE_MAX 1024 /* more buckets than this scatter to too many places at once */
#define WIDE_MAX_CHUNKS 16   /* the wide counts: 512 KiB a chunk */

typedef struct pass_ctx {
  int64_t n, chunk;
  int nchunks, shift, mode;
  uint64_t mask;  /* of the digit: 255, or WIDE_DIGITS - 1 */
  size_t *counts; /* per chunk, mask + 1 of them: counts, then output positions */
  const uint64_t *src_k;
  const int64_t *src_i;
  uint64_t *dst_k;
  int64_t *dst_i;
  size_t *narrow, *wide; /* the counts for 8-bit digits; for 16-bit ones (NULL: none) */
  uint64_t *ors, *ands;  /* per chunk (PASS_BITS) */
  const void *carry_src; /* PASS_CARRY: a column scattered to where its keys go */
  void *carry_dst;
  int carry_width;
  _Atomic int next;
} pass_ctx;

/* Scatters rows [r0, r1) of c's carried column to the positions h of their keys' digits. */
#define CARRY_LOOP(T, value)                                \
  for (int64_t i = r0; i < r1; i++) {                       \
    size_t at = h[(k[i] >> s) & m]++;                       \
    ((T *)c->carry_dst)[at] = (value);                      \
  }

static void carry_chunk(const pass_ctx *c, size_t *h, int64_t r0, int64_t r1) {
  const uint64_t *k = c->src_k;
  int s = c->shift;
  uint64_t m = c->mask;
  const void *src = c->carry_src;
  if (!src) CARRY_LOOP(int64_t, i)
  else if (c->carry_width == 8) CARRY_LOOP(uint64_t, ((const uint64_t *)src)[i])
  else if (c->carry_width == 4) CARRY_LOOP(uint32_t, ((const uint32_t *)src)[i])
  else if (c->carry_width == 2) CARRY_LOOP(uint16_t, ((const uint16_t *)src)[i])
  else CARRY_LOOP(uint8_t, ((const uint8_t *)src)[i])
}

static void pass_worker(void *ctx, int worker, int workers) {
  (void)worker, (void)workers;
  pass_ctx *c = ctx;
  for (;;) {
    int ch = atomic_fetch_add(&c->next, 1);
    if (ch >= c->nchunks) return;
    int64_t r0 = (int64_t)ch * c->chunk, r1 = r0 + c->chunk < c->n ? r0 + c->chunk : c->n;
    const uint64_t *k = c->src_k;
    size_t *h = c->counts + (size_t)ch * (c->mask + 1);
    int s = c->shift;
    uint64_t m = c->mask;
    if (c->mode == PASS_BITS) {
      uint64_t o = 0, a = ~(uint64_t)0;
      for (int64_t i = r0; i < r1; i++) o |= k[i], a &= k[i];
      c->ors[ch] = o, c->ands[ch] = a;
    } else if (c->mode == PASS_COUNT) {
      memset(h, 0, (m + 1) * sizeof *h);
      for (int64_t i = r0; i < r1; i++) h[(k[i] >> s) & m]++;
    } else if (c->mode == PASS_CARRY) {
      carry_chunk(c, h, r0, r1);
      weft__progress_tick((uint64_t)(r1 - r0));
    } else {
      weft__progress_tick((uint64_t)(r1 - r0));
      for (int64_t i = r0; i < r1; i++) {
        uint64_t key = k[i];
        size_t at = h[(key >> s) & m]++;
        c->dst_k[at] = key;
        c->dst_i[at] = c->src_i[i];
      }
    }
  }
}

static void run_pass(pass_ctx *c, int mode) {
  c->mode = mode;
  atomic_store(&c->next, 0);
  if (c->nchunks == 1) pass_worker(c, 0, 1);
  else weft__pool_run(pass_worker, c);
}

/* The bits that differ between the keys of c's range. */
static uint64_t varying_bits(pass_ctx *c) {
  run_pass(c, PASS_BITS);
  uint64_t o = 0, a = ~(uint64_t)0;
  for (int ch = 0; ch < c->nchunks; ch++) o |= c->ors[ch], a &= c->ands[ch];
  return o ^ a;
}

/* Turns the chunks' counts into output positions (digit-major, then chunk order); start:
 * each digit's first position, and n after the last. */
static void chunk_positions(pass_ctx *c, size_t *start) {
  size_t at = 0, digits = c->mask + 1;
  for (size_t d = 0; d < digits; d++) {
    start[d] = at;
    for (int ch = 0; ch < c->nchunks; ch++) {
      size_t *h = c->counts + (size_t)ch * digits + d, cnt = *h;
      *h = at;
      at += cnt;
    }
  }
  start[digits] = at;
}

/* How many of the 16-bit digits counted in c->wide occur. */
static size_t wide_active(const pass_ctx *c) {
  size_t active = 0;
  for (size_t d = 0; d < WIDE_DIGITS; d++) {
    size_t any = 0;
    for (int ch = 0; ch < c->nchunks && !any; ch++) any = c->wide[(size_t)ch * WIDE_DIGITS + d];
    active += any != 0;
  }
  return active;
}

/* The 8-bit counts of the digit above the low byte of the 16-bit ones, per chunk. */
static void fold_wide(pass_ctx *c) {
  for (int ch = 0; ch < c->nchunks; ch++)
    for (size_t d = 0; d < 256; d++) {
      const size_t *w = c->wide + (size_t)ch * WIDE_DIGITS + d * 256;
      size_t sum = 0;
      for (int lo = 0; lo < 256; lo++) sum += w[lo];
      c->narrow[(size_t)ch * 256 + d] = sum;
    }
}

/* ---- the buckets left for one thread each */

typedef struct range_task {
  uint64_t *sk, *bk;
  int64_t *si, *bi;
  int64_t n;
  int top, into_b;
} range_task;

typedef struct task_list {
  range_task *t;
  size_t len, cap;
  _Atomic size_t next;
} task_list;

/* Queues a range; with no memory to queue it, sorts it now on this thread instead. */
static void queue_range(task_list *tl, range_task r) {
  if (r.n <= 0) return;
  if (tl->len == tl->cap) {
    size_t cap = tl->cap ? 2 * tl->cap : 1024;
    range_task *t = weft__realloc(tl->t, cap * sizeof *t);
    if (!t) {
      sort_range(r.sk, r.si, r.bk, r.bi, r.n, r.top, r.into_b);
      return;
    }
    tl->t = t, tl->cap = cap;
  }
  tl->t[tl->len++] = r;
}

static int larger_first(const void *a, const void *b) {
  int64_t x = ((const range_task *)a)->n, y = ((const range_task *)b)->n;
  return (x < y) - (x > y);
}

static void task_worker(void *ctx, int worker, int workers) {
  (void)worker, (void)workers;
  task_list *tl = ctx;
  for (;;) {
    size_t i = atomic_fetch_add(&tl->next, 1);
    if (i >= tl->len) return;
    range_task *r = &tl->t[i];
    sort_range(r->sk, r->si, r->bk, r->bi, r->n, r->top, r->into_b);
    weft__progress_tick((uint64_t)r->n);
  }
}

/* Splits (sk, si)[0, n) by its highest varying digit below `top` in parallel passes, into
 * (bk, bi), and each bucket again while larger than `big`; queues the buckets left. The
 * result is to end in b when `into_b`. `varies`: the range's varying bits, or 0 to find.
 * The digit is 16 bits wide when few of its values occur (counted once: the 8-bit counts
 * are folded from the 16-bit ones otherwise). */
static void split_parallel(pass_ctx *proto, uint64_t *sk, int64_t *si, uint64_t *bk, int64_t *bi,
                           int64_t n, int top, int into_b, uint64_t varies, int64_t big,
                           task_list *tl) {
  range_task self = {sk, bk, si, bi, n, top, into_b};
  if (n <= big) {
    queue_range(tl, self);
    return;
  }
  pass_ctx c = *proto;
  c.n = n, c.chunk = (n + c.nchunks - 1) / c.nchunks;
  c.src_k = sk, c.src_i = si, c.dst_k = bk, c.dst_i = bi;
  if (!varies) varies = varying_bits(&c);
  int hi = highest_digit(varies, top, NULL);
  if (hi < 0) { /* all alike below top: in order already (the task only copies) */
    queue_range(tl, self);
    return;
  }
  int wide = 0;
  if (hi >= 8 && c.wide) {
    c.shift = hi - 8, c.mask = WIDE_DIGITS - 1, c.counts = c.wide;
    run_pass(&c, PASS_COUNT);
    wide = wide_active(&c) <= WIDE_ACTIVE_MAX;
    if (!wide) fold_wide(&c);
  } else {
    c.shift = hi, c.mask = 255, c.counts = c.narrow;
    run_pass(&c, PASS_COUNT);
  }
  if (!wide) c.shift = hi, c.mask = 255, c.counts = c.narrow;
  size_t digits = c.mask + 1, *start = weft__malloc((digits + 1) * sizeof *start);
  if (!start) { /* sorted whole by one thread instead */
    queue_range(tl, self);
    return;
  }
  chunk_positions(&c, start);
  run_pass(&c, PASS_SCATTER);
  for (size_t d = 0; d < digits; d++) {
    size_t lo = start[d], m = start[d + 1] - lo;
    if (m)
      split_parallel(proto, bk + lo, bi + lo, sk + lo, si + lo, (int64_t)m, c.shift, !into_b, 0,
                     big, tl);
  }
  free(start);
}

int weft__radix_sort(uint64_t *keys, int64_t *rows, int64_t n, int bytes) {
  if (n < 2) return 1;
  uint64_t *tk = weft__scratch_alloc((size_t)n * sizeof *tk);
  int64_t *ti = weft__scratch_alloc((size_t)n * sizeof *ti);
  int workers = weft__pool_size();
  int nchunks = workers * 2 > MAX_CHUNKS ? MAX_CHUNKS : workers * 2;
  if (n < ((int64_t)1 << 16)) nchunks = 1;
  size_t *hist = weft__malloc((size_t)nchunks * 256 * sizeof *hist);
  uint64_t *bits = weft__malloc((size_t)nchunks * 2 * sizeof *bits);
  if (!tk || !ti || !hist || !bits) {
    weft__scratch_free(tk), weft__scratch_free(ti), free(hist), free(bits);
    return 0;
  }
  pass_ctx c = {.n = n, .chunk = (n + nchunks - 1) / nchunks, .nchunks = nchunks, .mask = 255,
                .counts = hist, .narrow = hist, .ors = bits, .ands = bits + nchunks,
                .src_k = keys, .src_i = rows};
  int top = bytes * 8, varying;
  uint64_t varies = varying_bits(&c) & below(top);
  highest_digit(varies, top, &varying);
  if (n >= MSD_MIN_ROWS && varying > 1) {
    /* Each thread's share split into several buckets, so that uneven ones even out. */
    int64_t big = n / (8 * (int64_t)workers);
    if (big < MSD_MIN_ROWS) big = MSD_MIN_ROWS;
    task_list tl = {0};
    if (nchunks <= WIDE_MAX_CHUNKS) /* without it, splits take 8-bit digits */
      c.wide = weft__scratch_alloc((size_t)nchunks * WIDE_DIGITS * sizeof *c.wide);
    split_parallel(&c, keys, rows, tk, ti, n, top, 0, varies, big, &tl);
    if (tl.len > 1) qsort(tl.t, tl.len, sizeof *tl.t, larger_first);
    atomic_init(&tl.next, 0);
    weft__pool_run(task_worker, &tl);
    free(tl.t), weft__scratch_free(c.wide);
  } else {
    uint64_t *k = keys, *ok = tk;
    int64_t *r = rows, *orr = ti;
    for (int s = 0; s < top; s += 8) {
      if (!((varies >> s) & 255)) continue;
      c.shift = s, c.src_k = k, c.src_i = r, c.dst_k = ok, c.dst_i = orr;
      run_pass(&c, PASS_COUNT);
      size_t start[257];
      chunk_positions(&c, start);
      run_pass(&c, PASS_SCATTER);
      uint64_t *tkk = k; k = ok; ok = tkk;
      int64_t *tii = r; r = orr; orr = tii;
    }
    copy_pairs(k, r, keys, rows, n);
  }
  weft__scratch_free(tk), weft__scratch_free(ti), free(hist), free(bits);
  return 1;
}

/* ---- sorting with the columns carried */

typedef struct carry_ctx {
  uint64_t *keys, *tk;           /* the keys, split into tk, sorted back into keys */
  int64_t *ti, *pi;              /* positions in the split, and their sorted order */
  const range_task *buckets;     /* the split's buckets (only n and the offset into sk used) */
  size_t nbuckets;
  int top;                       /* bits of the keys below the split's digit */
  size_t ncarry;
  const weft__radix_carry *carry; /* each column's dst holds its values in split order */
  char **bucket_copy;            /* per worker: room for the largest bucket of one column */
  _Atomic size_t next;
} carry_ctx;

#define GATHER_LOOP(T)                                                            \
  for (int64_t j = lo; j < hi; j++) ((T *)dst)[j] = ((const T *)copy)[c->pi[j] - lo];

/* Sorts one bucket of the split in cache, then puts each carried column's bucket in that
 * order: the column was split into its own dst, so the bucket is copied aside (in cache)
 * and gathered back, and no column-sized copy is needed. */
static void carry_bucket(const carry_ctx *c, int worker, size_t lo_, size_t m) {
  int64_t lo = (int64_t)lo_, hi = lo + (int64_t)m;
  for (int64_t j = lo; j < hi; j++) c->ti[j] = j;
  sort_range(c->tk + lo, c->ti + lo, c->keys + lo, c->pi + lo, (int64_t)m, c->top, 1);
  char *copy = c->bucket_copy[worker];
  for (size_t x = 0; x < c->ncarry; x++) {
    char *dst = c->carry[x].dst;
    int w = c->carry[x].src ? c->carry[x].width : 8;
    memcpy(copy, dst + (size_t)lo * (size_t)w, m * (size_t)w);
    if (w == 8) GATHER_LOOP(uint64_t)
    else if (w == 4) GATHER_LOOP(uint32_t)
    else if (w == 2) GATHER_LOOP(uint16_t)
    else GATHER_LOOP(uint8_t)
  }
}

static void carry_worker(void *ctx, int worker, int workers) {
  (void)workers;
  carry_ctx *c = ctx;
  for (;;) {
    size_t i = atomic_fetch_add(&c->next, 1);
    if (i >= c->nbuckets) return;
    const range_task *b = &c->buckets[i];
    carry_bucket(c, worker, (size_t)(b->sk - c->tk), (size_t)b->n);
    weft__progress_tick((uint64_t)b->n);
  }
}

int weft__radix_sort_carry(uint64_t *keys, int64_t n, int bytes, size_t ncarry,
                           const weft__radix_carry *carry) {
  if (n < WEFT_RADIX_CARRY_MIN_ROWS) return -1;
  int workers = weft__pool_size();
  int nchunks = workers * 2 > WIDE_MAX_CHUNKS ? WIDE_MAX_CHUNKS : workers * 2;
  size_t *narrow = weft__malloc((size_t)nchunks * 256 * sizeof *narrow);
  size_t *wide = weft__scratch_alloc((size_t)nchunks * WIDE_DIGITS * sizeof *wide);
  uint64_t *bits = weft__malloc((size_t)nchunks * 2 * sizeof *bits);
  int result = 0;
  size_t *start = NULL, *positions = NULL;
  range_task *buckets = NULL;
  uint64_t *tk = NULL;
  int64_t *ti = NULL, *pi = NULL;
  char **bucket_copy = weft__calloc((size_t)workers, sizeof *bucket_copy);
  if (!narrow || !wide || !bits || !bucket_copy) goto done;
  pass_ctx c = {.n = n, .chunk = (n + nchunks - 1) / nchunks, .nchunks = nchunks, .mask = 255,
                .counts = narrow, .narrow = narrow, .wide = wide, .ors = bits,
                .ands = bits + nchunks, .src_k = keys};
  int top = bytes * 8, varying;
  uint64_t varies = varying_bits(&c) & below(top);
  int hi = highest_digit(varies, top, &varying);
  result = -1;
  if (varying < 2) goto done;
  int wide_split = 0;
  if (hi >= 8) {
    c.shift = hi - 8, c.mask = WIDE_DIGITS - 1, c.counts = wide;
    run_pass(&c, PASS_COUNT);
    wide_split = wide_active(&c) <= WIDE_ACTIVE_MAX;
    if (!wide_split) fold_wide(&c);
  } else {
    c.shift = hi, c.mask = 255, c.counts = narrow;
    run_pass(&c, PASS_COUNT);
  }
  if (!wide_split) c.shift = hi, c.mask = 255, c.counts = narrow;
  size_t digits = c.mask + 1, per_chunk = digits * (size_t)nchunks;
  start = weft__malloc((digits + 1) * sizeof *start);
  positions = weft__malloc(per_chunk * sizeof *positions);
  result = 0;
  if (!start || !positions) goto done;
  chunk_positions(&c, start);
  /* One thread sorts a bucket: one larger than a thread's share of the work would leave
   * the others idle, so such keys take the sort that splits again. */
  int64_t most = n / workers > MSD_MIN_ROWS ? n / workers : MSD_MIN_ROWS, largest = 0;
  size_t nbuckets = 0;
  for (size_t d = 0; d < digits; d++) {
    int64_t m = (int64_t)(start[d + 1] - start[d]);
    if (m > most) {
      result = -1;
      goto done;
    }
    nbuckets += m > 0;
    largest = m > largest ? m : largest;
  }
  tk = weft__scratch_alloc((size_t)n * sizeof *tk);
  ti = weft__scratch_alloc((size_t)n * sizeof *ti);
  pi = weft__scratch_alloc((size_t)n * sizeof *pi);
  for (int w = 0; ncarry && w < workers; w++)
    bucket_copy[w] = weft__scratch_alloc((size_t)largest * sizeof(uint64_t));
  int have = tk && ti && pi;
  for (int w = 0; ncarry && w < workers; w++) have &= bucket_copy[w] != NULL;
  result = -1; /* no memory for the copies: the sort by a permutation needs less */
  if (!have) goto done;
  result = 0;
  buckets = weft__malloc(nbuckets * sizeof *buckets);
  if (!buckets) goto done;
  nbuckets = 0;
  for (size_t d = 0; d < digits; d++)
    if (start[d + 1] > start[d])
      buckets[nbuckets++] = (range_task){.sk = tk + start[d], .n = (int64_t)(start[d + 1] - start[d])};
  qsort(buckets, nbuckets, sizeof *buckets, larger_first);
  memcpy(positions, c.counts, per_chunk * sizeof *positions);
  /* the keys, then each carried column, scattered to the same positions */
  {
    pass_ctx keys_only = c;
    keys_only.carry_src = keys, keys_only.carry_dst = tk, keys_only.carry_width = 8;
    run_pass(&keys_only, PASS_CARRY);
  }
  for (size_t x = 0; x < ncarry; x++) {
    memcpy(c.counts, positions, per_chunk * sizeof *positions);
    c.carry_src = carry[x].src, c.carry_dst = carry[x].dst, c.carry_width = carry[x].width;
    run_pass(&c, PASS_CARRY);
  }
  carry_ctx cc = {.keys = keys, .tk = tk, .ti = ti, .pi = pi, .buckets = buckets,
                  .nbuckets = nbuckets, .top = c.shift, .ncarry = ncarry, .carry = carry,
                  .bucket_copy = bucket_copy};
  atomic_init(&cc.next, 0);
  weft__pool_run(carry_worker, &cc);
  result = 1;
done:
  for (int w = 0; bucket_copy && w < workers; w++) weft__scratch_free(bucket_copy[w]);
  free(bucket_copy), free(narrow), free(bits), free(start), free(positions), free(buckets);
  weft__scratch_free(wide), weft__scratch_free(tk), weft__scratch_free(ti), weft__scratch_free(pi);
  return result;
}
