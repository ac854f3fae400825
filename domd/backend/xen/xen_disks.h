/* A qube's disks on the xen backend: files in domd's store, attached by
 * blkback through loop devices (bulkhead-xen-block, libxl's hotplug
 * script). xvda is the root image, read-only when it is a template's;
 * xvdb the private volume; xvdc a volatile disk made at each start and
 * deleted at the end, on which the guest keeps its changes to a read-only
 * root (an overlay, see appliance-image/guest-init). dom0 never mounts
 * these file systems: it only makes them (mke2fs) and hands them over. */
#ifndef BULKHEAD_DOMD_XEN_DISKS_H
#define BULKHEAD_DOMD_XEN_DISKS_H

#include <stdbool.h>
#include <stddef.h>

#define XEN_VOLATILE_MIB 1024L

struct xen_disks {
	const char *root_img;     /* xvda */
	const char *root_tree;    /* made into root_img when it is missing */
	bool root_writable;       /* a template's or standalone's own */
	const char *private_img;  /* xvdb */
	const char *private_tree; /* the first contents of a new private image */
	long private_mib;
	bool private_writable;    /* false: a DispVM's base's, under a volatile layer */
	const char *volatile_img; /* xvdc */
	const char *qube_dir;     /* whose leftovers xen_disks_clean removes */
};

/* The tools the images are made with are there: 0, or -1 with err set. */
int xen_disks_check_tools(char *err, size_t errlen);
/* Makes what is missing: the root image (once, shared, under a lock), the
 * private image, and a fresh volatile disk. 0, or -1 with err set. */
int xen_disks_prepare(const struct xen_disks *d, char *err, size_t errlen);
/* Leftovers of a qube that no longer runs: loop devices still holding its
 * private or volatile image, the volatile image itself. */
void xen_disks_clean(const char *qube_dir);

#endif
