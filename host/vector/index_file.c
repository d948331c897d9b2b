/* Index files: header | vectors | ids | checksum, little-endian.
 * Written to a uniquely named temporary file in the same directory, synced, then renamed
 * over the target, so a reader sees the old file or the new one, never half of one, and a
 * failed save leaves the old file as it was. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"
#include "vector/index_flat.h"

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

/* FNV-1a over 64-bit words (bytes for the tail): cheap enough for GB files. */
typedef struct checksum { uint64_t h; } checksum;
static void checksum_add(checksum *c, const void *data, size_t n) {
  const unsigned char *p = data;
  size_t words = n / 8;
  for (size_t i = 0; i < words; i++) {
    uint64_t w;
    memcpy(&w, p + 8 * i, 8);
    c->h = (c->h ^ w) * 0x100000001b3ULL;
  }
  for (size_t i = words * 8; i < n; i++) c->h = (c->h ^ p[i]) * 0x100000001b3ULL;
}

static int write_all(int fd, const void *data, size_t n, checksum *c) {
  if (c) checksum_add(c, data, n);
  const char *p = data;
  while (n > 0) {
    ssize_t w = write(fd, p, n > (1u << 30) ? (1u << 30) : n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

/* The permissions open(path, O_CREAT, 0666) would give: the umask applied. It is read from
 * /proc because umask() can only be read by changing it, for every thread at once. */
static mode_t new_file_mode(void) {
  mode_t mask = 022;
  FILE *f = fopen("/proc/self/status", "re");
  if (f) {
    char line[256];
    unsigned m;
    while (fgets(line, sizeof line, f))
      if (sscanf(line, "Umask: %o", &m) == 1) {
        mask = (mode_t)m;
        break;
      }
    fclose(f);
  }
  return 0666 & ~mask;
}

/* Makes a rename in the directory of `path` durable; best effort, the file is in place. */
static void sync_directory_of(const char *path) {
  size_t len = strlen(path);
  char *dir = malloc(len + 2);
  if (!dir) return;
  memcpy(dir, path, len + 1);
  char *slash = strrchr(dir, '/');
  if (slash) *(slash == dir ? slash + 1 : slash) = '\0';
  else memcpy(dir, ".", 2);
  int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    fsync(dfd);
    close(dfd);
  }
  free(dir);
}

weft_status weft_index_save(weft_index *index, const char *path) {
  WEFT_CHECK_ARG(index, "weft_index_save: index is NULL");
  WEFT_CHECK_ARG(path && *path, "weft_index_save: path is NULL or empty");
  /* Beside the target, so the rename stays in one file system; unique, so saves from
   * several threads or processes to one path never write into each other's file. */
  static const char suffix[] = ".tmp.XXXXXX";
  size_t len = strlen(path);
  char *tmp = malloc(len + sizeof suffix);
  if (!tmp) return weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_index_save: no host memory");
  memcpy(tmp, path, len);
  memcpy(tmp + len, suffix, sizeof suffix);
  int fd = mkostemp(tmp, O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    free(tmp);
    return weft__error(WEFT_ERR_IO, "weft_index_save: cannot create a temporary file beside '%s': "
                       "%s", path, strerror(err));
  }
  /* mkstemp makes it 0600; a replaced file keeps its permissions, a new one gets the umask's */
  struct stat old;
  mode_t mode = stat(path, &old) == 0 && S_ISREG(old.st_mode) ? old.st_mode & 07777
                                                                : new_file_mode();
  const char *step = "setting the permissions of";
  int bad = fchmod(fd, mode) != 0;
  if (!bad) {
    step = "writing";
    pthread_rwlock_rdlock(&index->lock);
    file_header h;
    memset(&h, 0, sizeof h);
    memcpy(h.magic, MAGIC, 8);
    h.format_version = FORMAT_VERSION;
    h.metric = (uint32_t)index->metric;
    h.dim = index->dim;
    h.count = index->count;
    h.next_id = (uint64_t)index->next_id;
    checksum c = {0xcbf29ce484222325ULL};
    bad = write_all(fd, &h, sizeof h, &c) ||
          write_all(fd, index->vectors, index->count * index->dim * sizeof(float), &c) ||
          write_all(fd, index->ids, index->count * sizeof(int64_t), &c);
    pthread_rwlock_unlock(&index->lock);
    uint64_t sum = c.h;
    bad = bad || write_all(fd, &sum, sizeof sum, NULL);
  }
  if (!bad) step = "syncing", bad = fsync(fd) != 0;
  int err = errno;
  if (close(fd) != 0 && !bad) step = "closing", bad = 1, err = errno;
  if (bad) {
    unlink(tmp);
    weft_status st = weft__error(WEFT_ERR_IO, "weft_index_save: %s the temporary file '%s' for "
                                 "'%s' failed: %s", step, tmp, path, strerror(err));
    free(tmp);
    return st;
  }
  if (rename(tmp, path) != 0) {
    err = errno;
    unlink(tmp);
    weft_status st = weft__error(WEFT_ERR_IO, "weft_index_save: cannot rename '%s' to '%s': %s",
                                 tmp, path, strerror(err));
    free(tmp);
    return st;
  }
  free(tmp);
  sync_directory_of(path);
  return WEFT_OK;
}

static weft_status corrupt(const char *path, const char *what) {
  return weft__error(WEFT_ERR_CORRUPT, "weft_index_load: '%s' %s", path, what);
}

static weft_status read_exact(FILE *f, void *dst, size_t n, const char *path, checksum *c) {
  if (n && fread(dst, 1, n, f) != n) {
    if (ferror(f))
      return weft__error(WEFT_ERR_IO, "weft_index_load: reading '%s' failed: %s", path,
                         strerror(errno));
    return corrupt(path, "is truncated");
  }
  if (c) checksum_add(c, dst, n);
  return WEFT_OK;
}

weft_status weft_index_load(const char *path, weft_index **out) {
  WEFT_CHECK_ARG(out, "weft_index_load: out is NULL");
  *out = NULL;
  WEFT_CHECK_ARG(path && *path, "weft_index_load: path is NULL or empty");
  /* O_NONBLOCK: opening a FIFO must not wait for a writer before it is refused below */
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0)
    return weft__error(WEFT_ERR_IO, "weft_index_load: cannot open '%s': %s", path, strerror(errno));
  struct stat sb;
  if (fstat(fd, &sb) != 0) {
    int err = errno;
    close(fd);
    return weft__error(WEFT_ERR_IO, "weft_index_load: cannot stat '%s': %s", path, strerror(err));
  }
  if (!S_ISREG(sb.st_mode)) {
    close(fd);
    return weft__error(WEFT_ERR_IO, "weft_index_load: '%s' is %s, not an index file", path,
                       S_ISDIR(sb.st_mode) ? "a directory" : "not a regular file");
  }
  FILE *f = NULL;
  int flags = fcntl(fd, F_GETFL);
  if (flags >= 0 && fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) == 0) f = fdopen(fd, "rb");
  if (!f) {
    int err = errno;
    close(fd);
    return weft__error(WEFT_ERR_IO, "weft_index_load: cannot read '%s': %s", path, strerror(err));
  }
  file_header h;
  checksum c = {0xcbf29ce484222325ULL};
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
    checksum_add(&c, &h, sizeof h);
  if (st == WEFT_OK && h.format_version != FORMAT_VERSION)
    st = weft__error(WEFT_ERR_CORRUPT, "weft_index_load: '%s' has format version %u; this build "
                     "reads version %u", path, h.format_version, FORMAT_VERSION);
  if (st == WEFT_OK && (h.metric > WEFT_METRIC_COSINE || h.dim == 0 || h.dim > (1u << 20) ||
                        h.count > WEFT_INDEX_MAX_ROWS || h.next_id > (uint64_t)INT64_MAX))
    st = corrupt(path, "has an invalid header (metric, dim, count or next id)");
  uint64_t payload = h.count * h.dim * sizeof(float) + h.count * sizeof(int64_t);
  if (st == WEFT_OK && (uint64_t)sb.st_size != sizeof h + payload + sizeof(uint64_t))
    st = weft__error(WEFT_ERR_CORRUPT, "weft_index_load: '%s' is %lld bytes, its header says %llu "
                     "(truncated or corrupted)", path, (long long)sb.st_size,
                     (unsigned long long)(sizeof h + payload + sizeof(uint64_t)));
  if (st == WEFT_OK) {
    vectors = malloc(h.count ? h.count * h.dim * sizeof(float) : 1);
    ids = malloc(h.count ? h.count * sizeof(int64_t) : 1);
    if (!vectors || !ids)
      st = weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_index_load: no host memory for %llu rows",
                       (unsigned long long)h.count);
  }
  if (st == WEFT_OK) st = read_exact(f, vectors, h.count * h.dim * sizeof(float), path, &c);
  if (st == WEFT_OK) st = read_exact(f, ids, h.count * sizeof(int64_t), path, &c);
  uint64_t stored = 0;
  if (st == WEFT_OK) st = read_exact(f, &stored, sizeof stored, path, NULL);
  if (st == WEFT_OK && stored != c.h) st = corrupt(path, "fails its checksum (corrupted)");
  for (size_t i = 0; st == WEFT_OK && i < h.count; i++)
    if (ids[i] < 0 || ids[i] > WEFT_INDEX_MAX_ID || (i > 0 && ids[i] <= ids[i - 1]))
      st = corrupt(path, "has ids out of order or out of range");
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
