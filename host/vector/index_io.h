/* What the index files (index_file.c, ivf_file.c) share: the checksum and the checked open
 * and reads of a load (their atomic save is core/file_sync.h's). `fn` names the public call
 * in messages. */
#ifndef WEFT_HOST_INDEX_IO_H
#define WEFT_HOST_INDEX_IO_H

#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "core/file_sync.h"
#include "weft.h"

/* FNV-1a over 64-bit words (bytes for the tail): cheap enough for GB files. */
typedef struct weft__checksum { uint64_t h; } weft__checksum;
#define WEFT__CHECKSUM_INIT {0xcbf29ce484222325ULL}
void weft__checksum_add(weft__checksum *c, const void *data, size_t n);

/* Writes n bytes (adding them to c, if not NULL); -1 with errno on failure. */
int weft__write_all(int fd, const void *data, size_t n, weft__checksum *c);

/* Opens a regular file for reading (a FIFO is refused without waiting); *size its bytes. */
weft_status weft__open_for_load(const char *fn, const char *path, FILE **f, off_t *size);

/* Reads exactly n bytes (adding them to c, if not NULL): "is truncated" (WEFT_ERR_CORRUPT)
 * when the file ends first. */
weft_status weft__read_exact(const char *fn, FILE *f, void *dst, size_t n, const char *path,
                             weft__checksum *c);

#endif
