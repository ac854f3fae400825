/* Crash-safe file replacement: temp file, fsync, rename, fsync of the dir. */
#ifndef BULKHEAD_ATOMICFILE_H
#define BULKHEAD_ATOMICFILE_H

#include <stddef.h>

/* Writes data to dir/name atomically with the given mode. 0, or -1 with errno. */
int atomic_write_file(const char *dir, const char *name, const void *data, size_t len,
    unsigned mode);
/* fsync(2) of a directory, so a rename or unlink in it is durable. */
int fsync_dir(const char *dir);

#endif
