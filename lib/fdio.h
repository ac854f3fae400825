/* Whole writes on descriptors that may be interrupted or short. */
#ifndef BULKHEAD_FDIO_H
#define BULKHEAD_FDIO_H

#include <stddef.h>

/* Writes all len bytes, retrying on EINTR and short writes; 0 or -1/errno. */
int fd_write_all(int fd, const void *buf, size_t len);

#endif
