/* The join key prefilter (join_key_filter.h). The other side's key words go into a bitmap of
 * their range when it is small (one bit load a probe, as join_exists.c's set), else into an
 * open-addressing set of the words. The kept rows are tested in blocks of 64k rows on the CPU
 * pool, each block's mask bytes its own; a block first computes the words of its rows that
 * are kept (a run of 1024 rows with no kept row is skipped). */
#include "frame/join/join_key_filter.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/exec.h"
#include "core/thread_pool.h"
#include "frame/join/join.h"

/* Rows of a block of the pool's work: a whole number of mask bytes and of key blocks. */
#define NARROW_BLOCK ((int64_t)1 << 16)
/* The other side's rows may be at most this share of the kept rows: a larger set misses
 * the caches and saves less than its probes cost. */
#define MAX_OTHER_SHARE 4
/* Once this many kept rows were tested and more than 3 in 4 matched, the rest are left
 * alone: the join drops too few of them to pay for the probes. */
#define SAMPLE_ROWS ((int64_t)1 << 16)
/* Bits a key of the other side may take in the bitmap form (as join_exists.c's set). */
#define BITS_PER_KEY 128

struct weft__key_filter {
  weft_table *other; /* a new reference */
  size_t nkeys;
  char **other_on, **own_on;
  /* the set, built by the first narrow */
  int built;
  uint64_t *bits, base, span;     /* bitmap form */
  uint64_t *slots, slot_mask;     /* else: words, 0 for free */
  int has_zero;                   /* the word 0 is in the set */
};

static int types_match(weft_type a, weft_type b) {
  return a == b || (weft__type_is_integer(a) && weft__type_is_integer(b));
}

static int testable(weft_type t) {
  return !weft__type_is_decimal(t) && t != WEFT_TYPE_CATEGORICAL && !weft__type_is_vector(t);
}

static char **copy_names(size_t n, const char *const *names) {
  char **out = weft__calloc(n, sizeof *out);
  for (size_t k = 0; out && k < n; k++)
    if (!(out[k] = weft__strdup(names[k]))) {
      for (size_t j = 0; j < k; j++) free(out[j]);
      free(out);
      return NULL;
    }
  return out;
}

void weft__key_filter_free(weft__key_filter *f) {
  if (!f) return;
  weft_table_free(f->other);
  for (size_t k = 0; k < f->nkeys; k++) {
    if (f->other_on) free(f->other_on[k]);
    if (f->own_on) free(f->own_on[k]);
  }
  free(f->other_on), free(f->own_on), free(f->bits), free(f->slots);
  free(f);
}

weft_status weft__key_filter_make(const weft_table *other, size_t nkeys,
                                  const char *const *other_on, const char *const *own_on,
                                  weft__key_filter **out) {
  *out = NULL;
  for (size_t k = 0; k < nkeys; k++) {
    size_t i;
    if (weft__table_find(other, other_on[k], &i) != WEFT_OK) {
      weft__error_clear(); /* the join names it */
      return WEFT_OK;
    }
    if (!testable(other->cols[i].view.type)) return WEFT_OK;
  }
  weft__key_filter *f = weft__calloc(1, sizeof *f);
  if (!f) return weft__error(WEFT_ERR_OUT_OF_MEMORY, "join key prefilter: no host memory");
  f->nkeys = nkeys;
  f->other_on = copy_names(nkeys, other_on);
  f->own_on = copy_names(nkeys, own_on);
  weft_status st = f->other_on && f->own_on ? weft_table_slice(other, 0, other->rows, &f->other)
                 : weft__error(WEFT_ERR_OUT_OF_MEMORY, "join key prefilter: no host memory");
  if (st != WEFT_OK) {
    weft__key_filter_free(f);
    return st;
  }
  *out = f;
  return WEFT_OK;
}

/* Both sides' keys as the join reads them; 0 when a type pair cannot be tested. */
static int side_keys(const weft__key_filter *f, const weft_table *own, const weft__column **ocols,
                     const weft__column **mcols, weft__join_keys *ok, weft__join_keys *mk) {
  for (size_t k = 0; k < f->nkeys; k++) {
    size_t i, j;
    if (weft__table_find(f->other, f->other_on[k], &i) != WEFT_OK ||
        weft__table_find(own, f->own_on[k], &j) != WEFT_OK) {
      weft__error_clear();
      return 0;
    }
    ocols[k] = &f->other->cols[i], mcols[k] = &own->cols[j];
    if (!testable(mcols[k]->view.type) || !types_match(ocols[k]->view.type, mcols[k]->view.type))
      return 0;
    weft__column_null_count((weft__column *)ocols[k]);
    weft__column_null_count((weft__column *)mcols[k]);
  }
  int single = f->nkeys == 1 && ocols[0]->view.type != WEFT_TYPE_UTF8;
  *ok = (weft__join_keys){f->nkeys, ocols, single, 0};
  *mk = (weft__join_keys){f->nkeys, mcols, single, 0};
  if (weft__join_sign_guards(ok, mk) != WEFT_OK) {
    weft__error_clear();
    return 0;
  }
  return 1;
}

static void set_add(weft__key_filter *f, uint64_t w) {
  if (w == 0) {
    f->has_zero = 1;
    return;
  }
  uint64_t h = weft__hash_mix(w) & f->slot_mask;
  while (f->slots[h] && f->slots[h] != w) h = (h + 1) & f->slot_mask;
  f->slots[h] = w;
}

/* Whether `w` is in the set; `h`: its first slot (the set form). */
static inline int set_has(const weft__key_filter *f, uint64_t w, uint64_t h) {
  if (f->bits) {
    uint64_t b = w - f->base;
    return b < f->span && ((f->bits[b >> 6] >> (b & 63)) & 1);
  }
  if (w == 0) return f->has_zero;
  for (; f->slots[h]; h = (h + 1) & f->slot_mask)
    if (f->slots[h] == w) return 1;
  return 0;
}

static weft_status build(weft__key_filter *f, const weft__join_keys *ok) {
  int64_t rows = f->other->rows;
  uint64_t *words = weft__malloc(((size_t)rows + 1) * sizeof *words);
  uint8_t *valid = weft__malloc((size_t)rows + 1);
  weft_status st = words && valid ? WEFT_OK
                 : weft__error(WEFT_ERR_OUT_OF_MEMORY, "join key prefilter: no host memory for "
                               "%lld keys", (long long)rows);
  for (int64_t r0 = 0; st == WEFT_OK && r0 < rows; r0 += WEFT_JOIN_BLOCK) {
    size_t n = (size_t)(rows - r0 < WEFT_JOIN_BLOCK ? rows - r0 : WEFT_JOIN_BLOCK);
    weft__join_block_keys(ok, r0, n, valid + r0, words + r0);
  }
  int64_t lo = INT64_MAX, hi = INT64_MIN;
  for (int64_t r = 0; st == WEFT_OK && ok->single_word && r < rows; r++)
    if (valid[r]) {
      int64_t k = (int64_t)words[r]; /* signed, as join_exists.c's bitmap */
      lo = k < lo ? k : lo, hi = k > hi ? k : hi;
    }
  if (lo > hi) lo = hi = 0;
  uint64_t span = (uint64_t)hi - (uint64_t)lo + 1;
  if (st == WEFT_OK && ok->single_word && span != 0 &&
      span <= (uint64_t)rows * BITS_PER_KEY + 65536 &&
      (f->bits = weft__calloc((size_t)(span + 63) / 64, sizeof *f->bits))) {
    f->base = (uint64_t)lo, f->span = span;
    for (int64_t r = 0; r < rows; r++)
      if (valid[r]) {
        uint64_t b = words[r] - f->base;
        f->bits[b >> 6] |= 1ULL << (b & 63);
      }
  } else if (st == WEFT_OK) {
    uint64_t slots = 16;
    while (slots < (uint64_t)rows * 2) slots *= 2;
    if (!(f->slots = weft__calloc(slots, sizeof *f->slots)))
      st = weft__error(WEFT_ERR_OUT_OF_MEMORY, "join key prefilter: no host memory for %lld "
                       "keys", (long long)rows);
    f->slot_mask = slots - 1;
    for (int64_t r = 0; st == WEFT_OK && r < rows; r++)
      if (valid[r]) set_add(f, words[r]);
  }
  free(words), free(valid);
  if (st == WEFT_OK) f->built = 1;
  return st;
}

typedef struct narrow_job {
  const weft__key_filter *f;
  const weft__join_keys *keys;
  uint8_t *mask;
  int64_t rows, nblocks;
  _Atomic int64_t next, tested, kept;
  _Atomic int stop; /* the sample mostly matched */
} narrow_job;

/* Mask word `w` of a run of `nbytes` mask bytes (the last one may be short). */
static uint64_t mask_word(const uint8_t *m, size_t w, size_t nbytes) {
  uint64_t word = 0;
  size_t take = nbytes - w * 8 < 8 ? nbytes - w * 8 : 8;
  memcpy(&word, m + w * 8, take); /* little-endian: row 64w + b is bit b */
  return word;
}

/* Clears the bits of block `blk`'s rows whose keys the set lacks; counts the tested rows.
 * The kept rows of each run of 1024 are listed first (a word at a time), so the test loop
 * has no branch on the mask and can fetch a later row's slot of the set ahead. */
static void narrow_block(narrow_job *j, int64_t blk) {
  uint64_t key[WEFT_JOIN_BLOCK];
  uint8_t valid[WEFT_JOIN_BLOCK];
  uint16_t at[WEFT_JOIN_BLOCK];
  const weft__key_filter *f = j->f;
  int64_t r1 = (blk + 1) * NARROW_BLOCK < j->rows ? (blk + 1) * NARROW_BLOCK : j->rows;
  int64_t tested = 0, kept = 0;
  for (int64_t r0 = blk * NARROW_BLOCK; r0 < r1; r0 += WEFT_JOIN_BLOCK) {
    size_t n = (size_t)(r1 - r0 < WEFT_JOIN_BLOCK ? r1 - r0 : WEFT_JOIN_BLOCK);
    uint8_t *m = j->mask + r0 / 8;
    size_t nbytes = (n + 7) / 8, nk = 0;
    for (size_t w = 0; w * 64 < n; w++) {
      uint64_t word = mask_word(m, w, nbytes);
      if (n - w * 64 < 64) word &= (1ULL << (n - w * 64)) - 1; /* bits past the rows */
      for (; word; word &= word - 1) at[nk++] = (uint16_t)(w * 64 + (size_t)__builtin_ctzll(word));
    }
    if (!nk) continue;
    tested += (int64_t)nk;
    /* key[k] / valid[k]: the k-th kept row's, read one by one where few rows are kept (the
     * key column's other rows are never read), else a run's at once */
    if (j->keys->single_word && nk * 8 < n) {
      const weft_column_view *v = &j->keys->cols[0]->view;
      for (size_t k = 0; k < nk; k++) {
        int64_t r = r0 + at[k], vi = v->offset + r;
        key[k] = weft__key_word(v, r);
        valid[k] = (uint8_t)((!v->validity || v->null_count == 0 ||
                              ((v->validity[vi >> 3] >> (vi & 7)) & 1)) &&
                             !((j->keys->sign_guard & 1) && (key[k] >> 63)));
      }
    } else {
      weft__join_block_keys(j->keys, r0, n, valid, key);
      for (size_t k = 0; k < nk; k++) key[k] = key[at[k]], valid[k] = valid[at[k]];
    }
    for (size_t k = 0; k < nk; k++) {
      size_t i = at[k];
      /* a set larger than the cache: fetch a later row's slot while this one waits */
      if (!f->bits && k + 16 < nk)
        __builtin_prefetch(&f->slots[weft__hash_mix(key[k + 16]) & f->slot_mask]);
      uint64_t first = f->bits ? 0 : weft__hash_mix(key[k]) & f->slot_mask;
      if (valid[k] && set_has(f, key[k], first)) kept++;
      else m[i >> 3] &= (uint8_t)~(1u << (i & 7));
    }
  }
  atomic_fetch_add(&j->tested, tested);
  atomic_fetch_add(&j->kept, kept);
}

static void narrow_worker(void *ctx, int w, int workers) {
  (void)w, (void)workers;
  narrow_job *j = ctx;
  for (;;) {
    if (atomic_load(&j->stop)) return;
    int64_t blk = atomic_fetch_add(&j->next, 1);
    if (blk >= j->nblocks) return;
    narrow_block(j, blk);
    int64_t tested = atomic_load(&j->tested);
    if (tested >= SAMPLE_ROWS && atomic_load(&j->kept) * 4 > tested * 3) atomic_store(&j->stop, 1);
  }
}

static int64_t kept_rows(const uint8_t *mask, int64_t rows) {
  int64_t n = 0, words = rows / 64;
  for (int64_t w = 0; w < words; w++)
    n += __builtin_popcountll(mask_word(mask, (size_t)w, (size_t)w * 8 + 8));
  for (int64_t r = words * 64; r < rows; r++) n += (mask[r >> 3] >> (r & 7)) & 1;
  return n;
}

weft_status weft__key_filter_narrow(void *ctx, weft_exec *exec, const weft_table *table,
                                    uint8_t *mask, int64_t rows) {
  weft__key_filter *f = ctx;
  int64_t before = kept_rows(mask, rows);
  if (f->other->rows * MAX_OTHER_SHARE > before) {
    weft__report(exec, "  join key prefilter: not tried (the other side's %lld rows are too "
                 "many next to %lld kept rows)", (long long)f->other->rows, (long long)before);
    return WEFT_OK;
  }
  const weft__column **ocols = weft__calloc(f->nkeys, sizeof *ocols);
  const weft__column **mcols = weft__calloc(f->nkeys, sizeof *mcols);
  weft__join_keys ok, mk;
  weft_status st = ocols && mcols ? WEFT_OK
                 : weft__error(WEFT_ERR_OUT_OF_MEMORY, "join key prefilter: no host memory");
  if (st == WEFT_OK && side_keys(f, table, ocols, mcols, &ok, &mk)) {
    if (!f->built) st = build(f, &ok);
    narrow_job j = {.f = f, .keys = &mk, .mask = mask, .rows = rows,
                    .nblocks = (rows + NARROW_BLOCK - 1) / NARROW_BLOCK};
    if (st == WEFT_OK) {
      weft__pool_run(narrow_worker, &j);
      int64_t after = kept_rows(mask, rows);
      weft__report(exec, "  join key prefilter: %lld of %lld rows kept, by the keys of the "
                   "other side's %lld rows%s", (long long)after, (long long)before,
                   (long long)f->other->rows,
                   atomic_load(&j.stop) ? " (stopped early: most rows matched)" : "");
    }
  }
  free(ocols), free(mcols);
  return st;
}
