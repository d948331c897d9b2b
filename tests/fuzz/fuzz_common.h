/* What the fuzz targets share: a byte reader over the input, and a memfd whose
 * /proc/self/fd path stands in for a file (read_csv and the index loaders take a path). */
#ifndef WEFT_FUZZ_COMMON_H
#define WEFT_FUZZ_COMMON_H

#define _GNU_SOURCE
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* Consumes the input front to back; past its end every read gives 0. */
typedef struct fuzz_bytes {
  const uint8_t *p;
  size_t n;
} fuzz_bytes;

static inline uint8_t fuzz_u8(fuzz_bytes *b) {
  if (!b->n) return 0;
  b->n--;
  return *b->p++;
}

static inline uint64_t fuzz_u64(fuzz_bytes *b, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; i++) v |= (uint64_t)fuzz_u8(b) << (8 * i);
  return v;
}

/* A file in memory: the input is written to it and read back through its path. */
typedef struct fuzz_file {
  int fd;
  char path[64];
} fuzz_file;

static inline void fuzz_file_write(fuzz_file *f, const uint8_t *data, size_t size) {
  if (!f->fd) {
    f->fd = memfd_create("weft_fuzz", 0);
    if (f->fd < 0) perror("memfd_create"), abort();
    snprintf(f->path, sizeof f->path, "/proc/self/fd/%d", f->fd);
  }
  if (ftruncate(f->fd, 0) != 0) perror("ftruncate"), abort();
  size_t done = 0;
  while (done < size) {
    ssize_t w = pwrite(f->fd, data + done, size - done, (off_t)done);
    if (w <= 0) perror("pwrite"), abort();
    done += (size_t)w;
  }
}

/* How a failed check stops: abort() (libFuzzer writes the input out); a target may define it
 * before including this file. */
#ifndef FUZZ_ABORT
#define FUZZ_ABORT() abort()
#endif

/* A broken invariant of something weft returned as valid: a bug, stop here. */
#define FUZZ_CHECK(cond, ...)                                                     \
  do {                                                                            \
    if (!(cond)) {                                                                \
      fprintf(stderr, "fuzz check failed at %s:%d: %s: ", __FILE__, __LINE__, #cond); \
      fprintf(stderr, __VA_ARGS__);                                               \
      fprintf(stderr, "\n");                                                      \
      FUZZ_ABORT();                                                               \
    }                                                                             \
  } while (0)

#endif
