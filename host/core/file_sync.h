/* Durable renames: what the atomic writers (index and IVF files, write_csv) share. */
#ifndef WEFT_HOST_FILE_SYNC_H
#define WEFT_HOST_FILE_SYNC_H

#include "weft.h"

/* Syncs the directory holding `path`, so a rename into it survives a power loss. Best
 * effort: the file is in place whatever happens here. */
void weft__sync_directory_of(const char *path);

/* Saves through write(fd, ctx) (0, or -1 with errno set) into a uniquely named temporary
 * file beside `path`, synced, then renamed over `path`: a failure or a crash leaves the old
 * file as it was. A replaced file keeps its permissions; a new one gets the umask's, as
 * open(O_CREAT, 0666) would. `fn` names the public call in messages. */
weft_status weft__save_atomic(const char *fn, const char *path, int (*write)(int fd, void *ctx),
                              void *ctx);

#endif
