#include "ns_private.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "loopdev.h"

#define BUSY_WAITS 60      /* of BUSY_WAIT_US: 3 s */
#define BUSY_WAIT_US 50000

int
ns_private_mount(const char *img, bool ro, char *err, size_t errlen)
{
	char dev[64];
	int lfd, fs = -1, mnt = -1;

	/* Two file systems on one image would corrupt it: the qube's last run
	 * may still hold one for a moment after its end (its mount is let go
	 * in the background), or for as long as an outside process keeps a
	 * file or its namespaces open. A DispVM's read-only one shares. */
	for (int i = 0; loopdev_find(img, ro, dev, sizeof(dev)); i++) {
		if (i == BUSY_WAITS) {
			snprintf(err, errlen, "the private image %s is still mounted from /dev/%s: a "
			    "process outside the qube holds a file of its last run, or its "
			    "namespaces", img, dev);
			return -1;
		}
		usleep(BUSY_WAIT_US);
	}
	if ((lfd = loopdev_attach(img, ro, dev, sizeof(dev), err, errlen)) < 0)
		return -1;
	if ((fs = fsopen("ext4", FSOPEN_CLOEXEC)) < 0 ||
	    fsconfig(fs, FSCONFIG_SET_STRING, "source", dev, 0) < 0 ||
	    fsconfig(fs, FSCONFIG_SET_STRING, "errors", "remount-ro", 0) < 0 ||
	    (ro ? fsconfig(fs, FSCONFIG_SET_FLAG, "ro", NULL, 0) < 0 ||
	    fsconfig(fs, FSCONFIG_SET_FLAG, "noload", NULL, 0) < 0 :
	    fsconfig(fs, FSCONFIG_SET_FLAG, "discard", NULL, 0) < 0) ||
	    fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0 ||
	    (mnt = fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NODEV |
	    (ro ? MOUNT_ATTR_RDONLY : 0))) < 0)
		snprintf(err, errlen, "mount the private image %s (%s): %s", img, dev,
		    strerror(errno));
	if (fs >= 0)
		close(fs);
	/* The mount holds the device now: its autoclear waits for the mount. */
	close(lfd);
	return mnt;
}
