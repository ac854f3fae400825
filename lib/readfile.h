/* Small text files (records, /proc and cgroup files) read in one go. */
#ifndef BULKHEAD_READFILE_H
#define BULKHEAD_READFILE_H

#include <stddef.h>

/* Reads up to len-1 bytes of path into buf, NUL-terminated; 0 or -1. */
int read_text_file(const char *path, char *buf, size_t len);

/* Reads a whole regular file of at most max bytes (+1 to tell it is larger)
 * into a NUL-terminated buffer the caller frees. NULL with why filled. */
char *read_file_alloc(const char *path, size_t max, size_t *lenp, char *why, size_t whylen);

#endif
