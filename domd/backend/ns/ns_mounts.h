/* The mounts of a qube on the ns backend, made by its first process in its
 * new mount namespace before pivot_root; any failure is a launch_fail. */
#ifndef BULKHEAD_DOMD_NS_MOUNTS_H
#define BULKHEAD_DOMD_NS_MOUNTS_H

#include <stdbool.h>
#include <stddef.h>

struct ns_mounts {
	int efd;                   /* launch pipe: failures go there */
	int userns_fd;             /* the qube's user namespace (idmaps) */
	long uid_base;             /* host id of the qube's root */
	long memory_mib;           /* bounds the volatile tmpfs */
	const char *stage_dir;     /* empty dir for the volatile tmpfs */
	const char *root_dir;      /* template's root (overlay lower), or own root */
	bool root_writable;        /* own root: bound directly */
	int private_mnt;           /* /rw: the private volume's detached mount */
	bool private_volatile;     /* a DispVM's: read-only, a volatile layer over it */
	const char *ctl_dir;       /* bound at /dev/bulkhead */
	bool usb;                  /* gets the host's /dev/bus/usb */
};

/* Builds the tree under STAGE/root and writes that path to newroot. */
void ns_mounts_build(const struct ns_mounts *m, char *newroot, size_t len);

#endif
