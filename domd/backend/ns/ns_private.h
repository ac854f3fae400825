/* The private volume of a qube on the ns backend: its image (disk_image.h)
 * through a loop device, the ext4 on it mounted by the monitor before the
 * qube's processes exist (so outside the qube's device cgroup, which
 * denies the loop device) as a detached mount. The launcher attaches it
 * at /rw in the qube's mount namespace (ns_mounts.c); the mount and its
 * loop device are gone when the qube is. */
#ifndef BULKHEAD_DOMD_NS_PRIVATE_H
#define BULKHEAD_DOMD_NS_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>

/* The detached mount of img's file system, read-only and without journal
 * replay if ro (a DispVM reads its halted base's image). The mount's
 * descriptor (close-on-exec), or -1 with err set. */
int ns_private_mount(const char *img, bool ro, char *err, size_t errlen);

#endif
