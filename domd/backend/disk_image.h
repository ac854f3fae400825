/* A qube's volumes as disk images: ext4 file systems in sparse files of
 * domd's store, made with mke2fs. Both backends keep a qube's private
 * volume this way (private.img, private_size MiB): the xen backend hands
 * it to blkback, the ns backend mounts it through a loop device in the
 * qube's own mount namespace (ns_mounts.c). */
#ifndef BULKHEAD_DOMD_DISK_IMAGE_H
#define BULKHEAD_DOMD_DISK_IMAGE_H

#include <stdbool.h>
#include <stddef.h>

#define MKE2FS "/sbin/mke2fs"
#define E2FSCK "/sbin/e2fsck"
#define RESIZE2FS "/sbin/resize2fs"

/* mke2fs is there, and with grow the tools of disk_image_grow: 0, or -1
 * with err set. */
int disk_image_check_tools(bool grow, char *err, size_t errlen);
/* MKE2FS -d TREE (NULL: empty) into a new sparse file of mib MiB, renamed
 * to img when whole. 0, or -1 with err set and nothing left behind. */
int disk_image_make(const char *img, const char *tree, long mib, bool journal, char *err,
    size_t errlen);
/* Runs make(arg) under an exclusive lock on the folder of img unless img
 * exists: several qubes may start at once wanting one image (the AppVMs
 * of a template, the DispVMs of a base). 0, or -1 with err set. */
int disk_image_once(const char *img, int (*make)(void *arg, char *err, size_t errlen),
    void *arg, char *err, size_t errlen);
/* The private image img, made from tree (its first contents) with mib MiB
 * when missing. 0, or -1 with err set. */
int disk_image_private(const char *img, const char *tree, long mib, char *err, size_t errlen);
/* Grows img and its file system to mib MiB when it is smaller (e2fsck,
 * then resize2fs): for the ns backend only, whose images only the host's
 * kernel wrote; a Xen guest writes its image's blocks itself, and no tool
 * in dom0 may parse them. 1 if it grew, 0 if not, -1 with err set (the
 * image is then as it was, or grown with its file system not yet). */
int disk_image_grow(const char *img, long mib, char *err, size_t errlen);
/* Its size in MiB, or -1 when it does not exist. */
long disk_image_mib(const char *img);

#endif
