#define _GNU_SOURCE
#include "vector/index_io.h"
#include "core/alloc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"
#include "core/file_sync.h"

void weft__checksum_add(weft__checksum *c, const void *data, size_t n) {
  const unsigned char *p = data;
  size_t words = n / 8;
  for (size_t i = 0; i < words; i++) {
    uint64_t w;
    memcpy(&w, p + 8 * i, 8);
    c->h = (c->h ^ w) * 0x100000001b3ULL;
  }
  for (size_t i = words * 8; i < n; i++) c->h = (c->h ^ p[i]) * 0x100000001b3ULL;
}

int weft__write_all(int fd, const void *data, size_t n, weft__checksum *c) {
  if (c) weft__checksum_add(c, data, n);
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

weft_status weft__save_atomic(const char *fn, const char *path, int (*write_fn)(int fd, void *ctx),
                              void *ctx) {
  /* Beside the target, so the rename stays in one file system; unique, so saves from
   * several threads or processes to one path never write into each other's file. */
  static const char suffix[] = ".tmp.XXXXXX";
  size_t len = strlen(path);
  char *tmp = weft__malloc(len + sizeof suffix);
  if (!tmp) return weft__error(WEFT_ERR_OUT_OF_MEMORY, "%s: no host memory", fn);
  memcpy(tmp, path, len);
  memcpy(tmp + len, suffix, sizeof suffix);
  int fd = mkostemp(tmp, O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    free(tmp);
    return weft__error(WEFT_ERR_IO, "%s: cannot create a temporary file beside '%s': %s", fn,
                       path, strerror(err));
  }
  /* mkstemp makes it 0600; a replaced file keeps its permissions, a new one gets the umask's */
  struct stat old;
  mode_t mode = stat(path, &old) == 0 && S_ISREG(old.st_mode) ? old.st_mode & 07777
                                                                : new_file_mode();
  const char *step = "setting the permissions of";
  int bad = fchmod(fd, mode) != 0;
  if (!bad) step = "writing", bad = write_fn(fd, ctx) != 0;
  if (!bad) step = "syncing", bad = fsync(fd) != 0;
  int err = errno;
  if (close(fd) != 0 && !bad) step = "closing", bad = 1, err = errno;
  if (bad) {
    unlink(tmp);
    weft_status st = weft__error(WEFT_ERR_IO, "%s: %s the temporary file '%s' for '%s' failed: "
                                 "%s", fn, step, tmp, path, strerror(err));
    free(tmp);
    return st;
  }
  if (rename(tmp, path) != 0) {
    err = errno;
    unlink(tmp);
    weft_status st = weft__error(WEFT_ERR_IO, "%s: cannot rename '%s' to '%s': %s", fn, tmp,
                                 path, strerror(err));
    free(tmp);
    return st;
  }
  free(tmp);
  weft__sync_directory_of(path);
  return WEFT_OK;
}

weft_status weft__open_for_load(const char *fn, const char *path, FILE **out, off_t *size) {
  *out = NULL;
  /* O_NONBLOCK: opening a FIFO must not wait for a writer before it is refused below */
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return weft__error(WEFT_ERR_IO, "%s: cannot open '%s': %s", fn, path, strerror(errno));
  struct stat sb;
  if (fstat(fd, &sb) != 0) {
    int err = errno;
    close(fd);
    return weft__error(WEFT_ERR_IO, "%s: cannot stat '%s': %s", fn, path, strerror(err));
  }
  if (!S_ISREG(sb.st_mode)) {
    close(fd);
    return weft__error(WEFT_ERR_IO, "%s: '%s' is %s, not an index file", fn, path,
                       S_ISDIR(sb.st_mode) ? "a directory" : "not a regular file");
  }
  FILE *f = NULL;
  int flags = fcntl(fd, F_GETFL);
  if (flags >= 0 && fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) == 0) f = fdopen(fd, "rb");
  if (!f) {
    int err = errno;
    close(fd);
    return weft__error(WEFT_ERR_IO, "%s: cannot read '%s': %s", fn, path, strerror(err));
  }
  *out = f;
  *size = sb.st_size;
  return WEFT_OK;
}

weft_status weft__read_exact(const char *fn, FILE *f, void *dst, size_t n, const char *path,
                             weft__checksum *c) {
  if (n && fread(dst, 1, n, f) != n) {
    if (ferror(f))
      return weft__error(WEFT_ERR_IO, "%s: reading '%s' failed: %s", fn, path, strerror(errno));
    return weft__error(WEFT_ERR_CORRUPT, "%s: '%s' is truncated", fn, path);
  }
  if (c) weft__checksum_add(c, dst, n);
  return WEFT_OK;
}
