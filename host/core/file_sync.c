/* Durable, atomic file writes (file_sync.h). */
#define _GNU_SOURCE
#include "core/file_sync.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/error.h"

void weft__sync_directory_of(const char *path) {
  size_t len = strlen(path);
  char *dir = weft__malloc(len + 2);
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
    weft_status st = err == ENOMEM && step[0] == 'w'
        ? weft__error(WEFT_ERR_OUT_OF_MEMORY, "%s: no host memory while writing '%s'", fn, path)
        : weft__error(WEFT_ERR_IO, "%s: %s the temporary file '%s' for '%s' failed: "
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
