/* Loop devices for a qube's disk images on the ns backend. */
#ifndef BULKHEAD_DOMD_LOOPDEV_H
#define BULKHEAD_DOMD_LOOPDEV_H

#include <stdbool.h>
#include <stddef.h>

/* A free loop device backed by img (read-only if ro), its path in dev.
 * It detaches itself when its last user is gone (autoclear): keep the
 * returned descriptor open until the file system on it is mounted, then
 * close it. The descriptor, or -1 with err set. */
int loopdev_attach(const char *img, bool ro, char *dev, size_t devlen, char *err,
    size_t errlen);

/* /sys/block/LOOP is backed by the file path (possibly deleted since). */
bool loopdev_backs(const char *loop, const char *path);
/* A loop device backed by img (only a writable one if rw_only): 1 with its
 * name in loop, or 0 when there is none. */
int loopdev_find(const char *img, bool rw_only, char *loop, size_t looplen);

#endif
