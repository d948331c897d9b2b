/* IVF index files, little-endian: header | centroids | sq8 min, step | pq codebooks | list
 * sizes | per list: codes, ids, kept rows (refine) | checksum of everything before it. Saved
 * atomically (index_io.c). Version 2 added pq and refine (the header's reserved words: m and
 * nbits, the refine factor and whether rows are kept); version 1 files (flat, sq8, those
 * words 0) read as before.
 * A load checks the sizes against the file's length before it allocates, then the checksum,
 * then what a checksum cannot vouch for (a file written on purpose): finite centroids and
 * rows, ids ascending in each list and distinct over all of them. */
#include <errno.h>
#include <math.h>
#include <sys/mman.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/alloc.h"
#include "vector/index_flat.h"
#include "vector/index_io.h"
#include "vector/ivf_index.h"

#define MAGIC "WEFTIVF1"
#define FORMAT_VERSION 2u
#define OLDEST_VERSION 1u
#define FN_LOAD "weft_ivf_load"

typedef struct ivf_header {
  char magic[8];
  uint32_t format_version, metric, codec, trained;
  uint64_t dim, nlist, count, next_id;
  uint64_t pq;     /* v2: m | nbits << 32 (pq), else 0 */
  uint64_t refine; /* v2: refine factor | keep_rows << 32 */
} ivf_header;

static size_t pq_floats(const ivf_header *h) {
  return h->codec == WEFT_IVF_PQ ? ((size_t)1 << (h->pq >> 32)) * h->dim : 0;
}

static size_t code_bytes(const ivf_header *h) {
  return h->codec == WEFT_IVF_FLAT ? h->dim * 4 : h->codec == WEFT_IVF_PQ ? (uint32_t)h->pq : h->dim;
}

static int write_ivf(int fd, void *ctx) {
  weft_ivf *ivf = ctx;
  pthread_rwlock_rdlock(&ivf->lock);
  ivf_header h;
  memset(&h, 0, sizeof h);
  memcpy(h.magic, MAGIC, 8);
  h.format_version = FORMAT_VERSION;
  h.metric = (uint32_t)ivf->metric;
  h.codec = (uint32_t)ivf->codec;
  h.trained = (uint32_t)ivf->trained;
  h.dim = ivf->dim;
  h.nlist = ivf->nlist;
  h.count = ivf->count;
  h.next_id = (uint64_t)ivf->next_id;
  h.pq = ivf->pq_m | (uint64_t)ivf->pq_nbits << 32;
  h.refine = ivf->refine | (uint64_t)ivf->keep_rows << 32;
  weft__checksum c = WEFT__CHECKSUM_INIT;
  int bad = weft__write_all(fd, &h, sizeof h, &c);
  if (ivf->trained) {
    bad = bad || weft__write_all(fd, ivf->centroids, ivf->nlist * ivf->dim * sizeof(float), &c);
    if (ivf->codec == WEFT_IVF_SQ8)
      bad = bad || weft__write_all(fd, ivf->sq_min, ivf->dim * sizeof(float), &c) ||
            weft__write_all(fd, ivf->sq_step, ivf->dim * sizeof(float), &c);
    if (ivf->codec == WEFT_IVF_PQ)
      bad = bad || weft__write_all(fd, ivf->pq_centroids, ivf->pq_ksub * ivf->dim * sizeof(float), &c);
    for (size_t l = 0; l < ivf->nlist && !bad; l++) {
      uint64_t n = ivf->lists[l].count;
      bad = weft__write_all(fd, &n, sizeof n, &c);
    }
    for (size_t l = 0; l < ivf->nlist && !bad; l++) {
      const weft__ivf_list *li = &ivf->lists[l];
      bad = weft__write_all(fd, li->codes, li->count * ivf->code_size, &c) ||
            weft__write_all(fd, li->ids, li->count * sizeof(int64_t), &c) ||
            (ivf->keep_rows && weft__write_all(fd, li->rows, li->count * ivf->dim * sizeof(float), &c));
    }
  }
  pthread_rwlock_unlock(&ivf->lock);
  uint64_t sum = c.h;
  return bad || weft__write_all(fd, &sum, sizeof sum, NULL) ? -1 : 0;
}

weft_status weft_ivf_save(weft_ivf *ivf, const char *path) {
  WEFT_CHECK_ARG(ivf, "weft_ivf_save: ivf is NULL");
  WEFT_CHECK_ARG(path && *path, "weft_ivf_save: path is NULL or empty");
  return weft__save_atomic("weft_ivf_save", path, write_ivf, ivf);
}

static weft_status corrupt(const char *path, const char *what) {
  return weft__error(WEFT_ERR_CORRUPT, FN_LOAD ": '%s' %s", path, what);
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

static int all_finite(const float *v, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!isfinite(v[i])) return 0;
  return 1;
}

/* Finite, and each row's squared norm within the bound add() and train() hold vectors to:
 * past it |c|^2 - 2q.c is inf - inf, a NaN distance that ranks nothing. */
static int rows_bounded(const float *v, size_t rows, size_t dim) {
  for (size_t i = 0; i < rows; i++) {
    double sq = 0;
    for (size_t j = 0; j < dim; j++) {
      if (!isfinite(v[i * dim + j])) return 0;
      sq += (double)v[i * dim + j] * v[i * dim + j];
    }
    if (sq > WEFT_INDEX_MAX_SQUARED_NORM) return 0;
  }
  return 1;
}

/* The header read and checked; *fixed: the bytes before the lists' codes. */
static weft_status read_header(FILE *f, const char *path, off_t size, ivf_header *h,
                               weft__checksum *c, uint64_t *fixed) {
  memset(h, 0, sizeof *h);
  size_t got = fread(h, 1, sizeof *h, f);
  if (got < sizeof *h && ferror(f))
    return weft__error(WEFT_ERR_IO, FN_LOAD ": reading '%s' failed", path);
  if (got == 0) return corrupt(path, "is empty, not a weft IVF index file");
  if (got < 8 || memcmp(h->magic, MAGIC, 8) != 0)
    return corrupt(path, "is not a weft IVF index file (bad magic: it does not start with " MAGIC ")");
  if (got < sizeof *h) return corrupt(path, "is truncated");
  weft__checksum_add(c, h, sizeof *h);
  if (h->format_version < OLDEST_VERSION || h->format_version > FORMAT_VERSION)
    return weft__error(WEFT_ERR_CORRUPT, FN_LOAD ": '%s' has format version %u; this build reads "
                       "versions %u..%u", path, h->format_version, OLDEST_VERSION, FORMAT_VERSION);
  const uint64_t m = (uint32_t)h->pq, nbits = h->pq >> 32, keep = h->refine >> 32;
  int pq_ok = h->codec == WEFT_IVF_PQ
                  ? m >= 1 && m <= h->dim && h->dim % m == 0 && nbits >= WEFT_IVF_PQ_MIN_NBITS &&
                        nbits <= WEFT_IVF_PQ_MAX_NBITS
                  : h->pq == 0;
  if (!pq_ok || keep > 1 || (uint32_t)h->refine > WEFT_IVF_MAX_REFINE || (h->refine && !keep) ||
      (h->format_version == 1 && (h->codec > WEFT_IVF_SQ8 || h->refine)))
    return corrupt(path, "has an invalid header (pq m, nbits or refine)");
  if (h->metric > WEFT_METRIC_COSINE || h->codec > WEFT_IVF_PQ || h->trained > 1 || h->dim == 0 ||
      h->dim > (1u << 20) || h->nlist == 0 || h->nlist > (1u << 24) ||
      h->count > WEFT_INDEX_MAX_ROWS || h->next_id > (uint64_t)INT64_MAX ||
      (!h->trained && h->count != 0))
    return corrupt(path, "has an invalid header (metric, codec, dim, nlist, count or next id)");
  *fixed = sizeof *h;
  if (!h->trained && (uint64_t)size != sizeof *h + 8) /* before weft_ivf_create allocates */
    return corrupt(path, "has bytes after the header of an untrained index");
  if (h->trained)
    *fixed += h->nlist * h->dim * 4 + (h->codec == WEFT_IVF_SQ8 ? 2 * h->dim * 4 : 0) +
              pq_floats(h) * 4 + h->nlist * 8;
  if ((uint64_t)size < *fixed + 8)
    return weft__error(WEFT_ERR_CORRUPT, FN_LOAD ": '%s' is %lld bytes, its header says at least "
                       "%llu (truncated or corrupted)", path, (long long)size,
                       (unsigned long long)(*fixed + 8));
  return WEFT_OK;
}

/* The tables, the list sizes (checked against the file's length), then each list's rows
 * and the checksum; with c NULL (a mapped load) the tables and sizes only. */
static weft_status read_lists(FILE *f, const char *path, off_t size, const ivf_header *h,
                              uint64_t fixed, weft_ivf *ivf, weft__checksum *c) {
  const size_t dim = ivf->dim, cs = ivf->code_size;
  weft_status st = WEFT_OK;
  st = weft__read_exact(FN_LOAD, f, ivf->centroids, ivf->nlist * dim * sizeof(float), path, c);
  if (st == WEFT_OK && ivf->codec == WEFT_IVF_SQ8) {
    st = weft__read_exact(FN_LOAD, f, ivf->sq_min, dim * sizeof(float), path, c);
    if (st == WEFT_OK) st = weft__read_exact(FN_LOAD, f, ivf->sq_step, dim * sizeof(float), path, c);
  }
  if (st == WEFT_OK && ivf->codec == WEFT_IVF_PQ)
    st = weft__read_exact(FN_LOAD, f, ivf->pq_centroids, pq_floats(h) * sizeof(float), path, c);
  uint64_t total = 0;
  for (size_t l = 0; st == WEFT_OK && l < ivf->nlist; l++) {
    uint64_t n;
    st = weft__read_exact(FN_LOAD, f, &n, sizeof n, path, c);
    if (st == WEFT_OK && n > h->count - total) st = corrupt(path, "has list sizes past its count");
    if (st == WEFT_OK) ivf->lists[l].count = n, total += n;
  }
  if (st == WEFT_OK && total != h->count) st = corrupt(path, "has list sizes that do not add up to its count");
  uint64_t want = fixed + h->count * (code_bytes(h) + 8 + (ivf->keep_rows ? dim * 4 : 0)) + 8;
  if (st == WEFT_OK && (uint64_t)size != want)
    st = weft__error(WEFT_ERR_CORRUPT, FN_LOAD ": '%s' is %lld bytes, its header says %llu "
                     "(truncated or corrupted)", path, (long long)size, (unsigned long long)want);
  if (!c) return st; /* mapped: the lists stay in the file (map_lists), unchecksummed */
  for (size_t l = 0; st == WEFT_OK && l < ivf->nlist; l++) {
    weft__ivf_list *li = &ivf->lists[l];
    size_t n = li->count;
    li->count = 0;
    if (n && (st = weft__ivf_reserve(ivf, li, n)) != WEFT_OK) break;
    li->count = n;
    st = weft__read_exact(FN_LOAD, f, li->codes, n * cs, path, c);
    if (st == WEFT_OK) st = weft__read_exact(FN_LOAD, f, li->ids, n * sizeof(int64_t), path, c);
    if (st == WEFT_OK && ivf->keep_rows)
      st = weft__read_exact(FN_LOAD, f, li->rows, n * dim * sizeof(float), path, c);
  }
  uint64_t stored = 0;
  if (st == WEFT_OK) st = weft__read_exact(FN_LOAD, f, &stored, sizeof stored, path, NULL);
  if (st == WEFT_OK && stored != c->h) st = corrupt(path, "fails its checksum (corrupted)");
  return st;
}

/* What the checksum cannot vouch for: the tables. */
static weft_status check_tables(const char *path, weft_ivf *ivf) {
  const size_t dim = ivf->dim;
  if (!rows_bounded(ivf->centroids, ivf->nlist, dim) ||
      (ivf->codec == WEFT_IVF_SQ8 &&
       (!all_finite(ivf->sq_min, dim) || !all_finite(ivf->sq_step, dim))))
    return corrupt(path, "has a centroid or quantizer value that is NaN or inf, or a centroid "
                   "past float32 max / 4 squared");
  if (ivf->codec == WEFT_IVF_PQ && !all_finite(ivf->pq_centroids, ivf->pq_ksub * dim))
    return corrupt(path, "has a pq codebook value that is NaN or inf");
  for (size_t d = 0; ivf->codec == WEFT_IVF_SQ8 && d < dim; d++)
    if (ivf->sq_step[d] < 0) return corrupt(path, "has a negative quantizer step");
  return WEFT_OK;
}

weft_status weft__ivf_check_lists(const char *fn, const char *path, weft_ivf *ivf) {
  const size_t dim = ivf->dim;
  int64_t *all = weft__malloc((ivf->count ? ivf->count : 1) * sizeof *all);
  if (!all) return weft__error(WEFT_ERR_OUT_OF_MEMORY, "%s: no host memory", fn);
  size_t n = 0;
  const char *bad = NULL;
  for (size_t l = 0; !bad && l < ivf->nlist; l++) {
    weft__ivf_list *li = &ivf->lists[l];
    for (size_t i = 0; !bad && i < li->count; i++) {
      if (li->ids[i] < 0 || li->ids[i] > WEFT_INDEX_MAX_ID || (i && li->ids[i] <= li->ids[i - 1]))
        bad = "has ids out of order or out of range";
      all[n++] = li->ids[i];
    }
    if (!bad && ivf->codec == WEFT_IVF_FLAT && li->count)
      for (size_t i = 0; !bad && i < li->count; i++)
        if (!rows_bounded((const float *)(const void *)(li->codes + i * ivf->code_size), 1, dim))
          bad = "has a vector holding NaN or inf, or past float32 max / 4 squared";
    if (!bad && ivf->keep_rows && !rows_bounded(li->rows, li->count, dim))
      bad = "has a kept row holding NaN or inf, or past float32 max / 4 squared";
    for (size_t i = 0; !bad && ivf->keep_rows && i < li->count; i++)
      li->row_norms[i] = weft__row_norm(li->rows + i * dim, dim);
    for (size_t i = 0; !bad && ivf->codec == WEFT_IVF_PQ && i < li->count * ivf->code_size; i++)
      if (li->codes[i] >= ivf->pq_ksub) bad = "has a pq code past 2^nbits";
    for (size_t i = 0; !bad && ivf->codec != WEFT_IVF_PQ && i < li->count; i++)
      li->norms[i] = weft__ivf_code_norm(ivf, li->codes + i * ivf->code_size);
  }
  if (!bad) {
    qsort(all, n, sizeof *all, cmp_i64);
    for (size_t i = 1; !bad && i < n; i++)
      if (all[i] == all[i - 1]) bad = "has an id in two lists";
    if (!bad && n && ivf->next_id <= all[n - 1]) ivf->next_id = all[n - 1] + 1;
  }
  free(all);
  return bad ? weft__error(WEFT_ERR_CORRUPT, "%s: '%s' %s", fn, path, bad) : WEFT_OK;
}

/* weft_ivf_load_mapped: each list's codes, ids and kept rows where they lie in the mapping
 * (a copy where one is misaligned for its type: flat codes and rows 4 bytes, ids 8), the
 * list marked unready (ivf_mapped.c prepares it at its first scan). */
static weft_status map_lists(FILE *f, const char *path, off_t size, weft_ivf *ivf) {
  const size_t dim = ivf->dim, cs = ivf->code_size;
  long at = ftell(f);
  void *base = at < 0 ? MAP_FAILED : mmap(NULL, (size_t)size, PROT_READ, MAP_PRIVATE, fileno(f), 0);
  if (base == MAP_FAILED)
    return weft__error(WEFT_ERR_IO, "weft_ivf_load_mapped: mapping '%s' failed: %s", path,
                       strerror(errno));
  ivf->map_base = base;
  ivf->map_size = (size_t)size;
  uint8_t *p = (uint8_t *)base + at;
  for (size_t l = 0; l < ivf->nlist; l++) {
    weft__ivf_list *li = &ivf->lists[l];
    const size_t n = li->count;
    li->capacity = n;
    if (n == 0) continue;
    uint8_t *arrays[3] = {p, p + n * cs, ivf->keep_rows ? p + n * (cs + 8) : NULL};
    const size_t bytes[3] = {n * cs, n * 8, n * dim * 4};
    const size_t align[3] = {ivf->codec == WEFT_IVF_FLAT ? 4 : 1, 8, 4};
    void **dst[3] = {(void **)&li->codes, (void **)&li->ids, (void **)&li->rows};
    const unsigned bit[3] = {1u << 0, 1u << 3, 1u << 2}; /* weft__ivf_row_arrays' order */
    for (int a = 0; a < 3; a++) {
      if (!arrays[a]) continue;
      if ((uintptr_t)arrays[a] % align[a] == 0) {
        *dst[a] = arrays[a];
        li->mapped |= bit[a];
      } else if (!(*dst[a] = weft__malloc(bytes[a]))) {
        return weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_ivf_load_mapped: no host memory for "
                           "a misaligned list of %zu rows", n);
      } else {
        memcpy(*dst[a], arrays[a], bytes[a]);
      }
    }
    p += n * (cs + 8 + (ivf->keep_rows ? dim * 4 : 0));
    atomic_store(&li->unready, 1);
  }
  return WEFT_OK;
}

static weft_status load(const char *path, int mapped, weft_ivf **out) {
  WEFT_CHECK_ARG(out, FN_LOAD ": out is NULL");
  *out = NULL;
  WEFT_CHECK_ARG(path && *path, FN_LOAD ": path is NULL or empty");
  FILE *f;
  off_t size;
  WEFT_RETURN_NOT_OK(weft__open_for_load(FN_LOAD, path, &f, &size));
  ivf_header h;
  weft__checksum c = WEFT__CHECKSUM_INIT;
  uint64_t fixed = 0;
  weft_ivf *ivf = NULL;
  weft_status st = read_header(f, path, size, &h, &c, &fixed);
  if (st == WEFT_OK)
    st = weft__ivf_create_as(h.dim, h.nlist, (weft_metric)h.metric, (weft_ivf_codec)h.codec,
                             (uint32_t)h.pq, h.pq >> 32, &ivf);
  if (st == WEFT_OK) {
    ivf->refine = (uint32_t)h.refine;
    ivf->keep_rows = (int)(h.refine >> 32);
    ivf->count = h.count;
    ivf->next_id = (int64_t)h.next_id;
    if (h.trained) {
      st = weft__ivf_alloc_tables(ivf, FN_LOAD); /* its size is checked against the file's */
      if (st == WEFT_OK) st = read_lists(f, path, size, &h, fixed, ivf, mapped ? NULL : &c);
      if (st == WEFT_OK && mapped) st = map_lists(f, path, size, ivf);
    } else {
      uint64_t stored = 0; /* the size was checked by read_header */
      st = weft__read_exact(FN_LOAD, f, &stored, sizeof stored, path, NULL);
      if (st == WEFT_OK && stored != c.h) st = corrupt(path, "fails its checksum (corrupted)");
    }
  }
  if (st == WEFT_OK && h.trained) st = check_tables(path, ivf);
  if (st == WEFT_OK && h.trained && !mapped) st = weft__ivf_check_lists(FN_LOAD, path, ivf);
  if (st == WEFT_OK && mapped && !(ivf->map_path = strdup(path)))
    st = weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_ivf_load_mapped: no host memory");
  if (st == WEFT_OK && h.trained) st = weft__ivf_finish_train(ivf);
  fclose(f);
  if (st != WEFT_OK) {
    weft_ivf_free(ivf);
    return st;
  }
  *out = ivf;
  return WEFT_OK;
}

weft_status weft_ivf_load(const char *path, weft_ivf **out) { return load(path, 0, out); }

weft_status weft_ivf_load_mapped(const char *path, weft_ivf **out) {
  return load(path, 1, out);
}
