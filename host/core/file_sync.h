/* Durable renames: what the atomic writers (index and IVF files, write_csv) share. */
#ifndef WEFT_HOST_FILE_SYNC_H
#define WEFT_HOST_FILE_SYNC_H

/* Syncs the directory holding `path`, so a rename into it survives a power loss. Best
 * effort: the file is in place whatever happens here. */
void weft__sync_directory_of(const char *path);

#endif
