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
