/* Index files: header | vectors | ids | checksum, little-endian.
 * Written to a uniquely named temporary file in the same directory, synced, then renamed
 * over the target, so a reader sees the old file or the new one, never half of one, and a
 * failed save leaves the old file as it was. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/alloc.h"
#include "vector/index_flat.h"
#include "vector/index_io.h"

#define MAGIC "WEFTIDX1"
#define FORMAT_VERSION 1u

typedef struct file_header {
  char magic[8];
  uint32_t format_version;
  uint32_t metric;
  uint64_t dim;
  uint64_t count;
  uint64_t next_id;
  uint64_t reserved[3];
} file_header;

static int write_index(int fd, void *ctx) {
  weft_index *index = ctx;
  pthread_rwlock_rdlock(&index->lock);
  file_header h;
  memset(&h, 0, sizeof h);
  memcpy(h.magic, MAGIC, 8);
  h.format_version = FORMAT_VERSION;
  h.metric = (uint32_t)index->metric;
  h.dim = index->dim;
  h.count = index->count;
  h.next_id = (uint64_t)index->next_id;
  weft__checksum c = WEFT__CHECKSUM_INIT;
  int bad = weft__write_all(fd, &h, sizeof h, &c) ||
            weft__write_all(fd, index->vectors, index->count * index->dim * sizeof(float), &c) ||
            weft__write_all(fd, index->ids, index->count * sizeof(int64_t), &c);
  pthread_rwlock_unlock(&index->lock);
  uint64_t sum = c.h;
  return bad || weft__write_all(fd, &sum, sizeof sum, NULL) ? -1 : 0;
}

weft_status weft_index_save(weft_index *index, const char *path) {
  WEFT_CHECK_ARG(index, "weft_index_save: index is NULL");
  WEFT_CHECK_ARG(path && *path, "weft_index_save: path is NULL or empty");
  return weft__save_atomic("weft_index_save", path, write_index, index);
}

static weft_status corrupt(const char *path, const char *what) {
  return weft__error(WEFT_ERR_CORRUPT, "weft_index_load: '%s' %s", path, what);
}

weft_status weft_index_load(const char *path, weft_index **out) {
  WEFT_CHECK_ARG(out, "weft_index_load: out is NULL");
  *out = NULL;
  WEFT_CHECK_ARG(path && *path, "weft_index_load: path is NULL or empty");
  FILE *f;
  off_t file_size;
  WEFT_RETURN_NOT_OK(weft__open_for_load("weft_index_load", path, &f, &file_size));
  file_header h;
  weft__checksum c = WEFT__CHECKSUM_INIT;
  float *vectors = NULL;
  int64_t *ids = NULL;
  /* The magic first: a file of another kind (a CSV, a short text) is "not a weft index
   * file", whatever its length; only a file that starts like one can be "truncated". */
  memset(&h, 0, sizeof h);
  size_t got = fread(&h, 1, sizeof h, f);
  weft_status st = WEFT_OK;
  if (got < sizeof h && ferror(f))
    st = weft__error(WEFT_ERR_IO, "weft_index_load: reading '%s' failed: %s", path,
                     strerror(errno));
  else if (got == 0)
    st = corrupt(path, "is empty, not a weft index file");
  else if (got < 8 || memcmp(h.magic, MAGIC, 8) != 0)
    st = corrupt(path, "is not a weft index file (bad magic: it does not start with " MAGIC ")");
  else if (got < sizeof h)
    st = corrupt(path, "is truncated");
  else
    weft__checksum_add(&c, &h, sizeof h);
  if (st == WEFT_OK && h.format_version != FORMAT_VERSION)
    st = weft__error(WEFT_ERR_CORRUPT, "weft_index_load: '%s' has format version %u; this build "
                     "reads version %u", path, h.format_version, FORMAT_VERSION);
  if (st == WEFT_OK && (h.metric > WEFT_METRIC_COSINE || h.dim == 0 || h.dim > (1u << 20) ||
                        h.count > WEFT_INDEX_MAX_ROWS || h.next_id > (uint64_t)INT64_MAX))
    st = corrupt(path, "has an invalid header (metric, dim, count or next id)");
  uint64_t payload = h.count * h.dim * sizeof(float) + h.count * sizeof(int64_t);
  if (st == WEFT_OK && (uint64_t)file_size != sizeof h + payload + sizeof(uint64_t))
    st = weft__error(WEFT_ERR_CORRUPT, "weft_index_load: '%s' is %lld bytes, its header says %llu "
                     "(truncated or corrupted)", path, (long long)file_size,
                     (unsigned long long)(sizeof h + payload + sizeof(uint64_t)));
  if (st == WEFT_OK) {
    vectors = weft__malloc(h.count ? h.count * h.dim * sizeof(float) : 1);
    ids = weft__malloc(h.count ? h.count * sizeof(int64_t) : 1);
    if (!vectors || !ids)
      st = weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_index_load: no host memory for %llu rows",
                       (unsigned long long)h.count);
  }
  if (st == WEFT_OK) st = weft__read_exact("weft_index_load", f, vectors,
                                                 h.count * h.dim * sizeof(float), path, &c);
  if (st == WEFT_OK) st = weft__read_exact("weft_index_load", f, ids,
                                                 h.count * sizeof(int64_t), path, &c);
  uint64_t stored = 0;
  if (st == WEFT_OK) st = weft__read_exact("weft_index_load", f, &stored, sizeof stored,
                                                 path, NULL);
  if (st == WEFT_OK && stored != c.h) st = corrupt(path, "fails its checksum (corrupted)");
  for (size_t i = 0; st == WEFT_OK && i < h.count; i++)
    if (ids[i] < 0 || ids[i] > WEFT_INDEX_MAX_ID || (i > 0 && ids[i] <= ids[i - 1]))
      st = corrupt(path, "has ids out of order or out of range");
  /* what the checksum cannot vouch for (a file written on purpose): add()'s own checks */
  if (st == WEFT_OK && weft__check_vectors("a stored vector", h.count, h.dim, vectors,
                                           (weft_metric)h.metric) != WEFT_OK)
    st = weft__error_context(WEFT_ERR_CORRUPT, "weft_index_load: '%s' holds a vector add() "
                             "refuses", path);
  fclose(f);
  if (st == WEFT_OK)
    st = weft__index_adopt(h.dim, (weft_metric)h.metric, h.count, vectors, ids, out);
  if (st != WEFT_OK) {
    free(vectors);
    free(ids);
    return st;
  }
  if ((int64_t)h.next_id > (*out)->next_id) (*out)->next_id = (int64_t)h.next_id;
  return WEFT_OK;
}
