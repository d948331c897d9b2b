/* weft__sync_directory_of (file_sync.h). */
#include "core/file_sync.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/alloc.h"

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
