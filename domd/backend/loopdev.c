#include "loopdev.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <linux/loop.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* Another process may take the device found free before it is configured. */
#define ATTACH_TRIES 16

bool
loopdev_backs(const char *loop, const char *path)
{
	char p[512], file[4200];
	size_t n;
	FILE *f;

	snprintf(p, sizeof(p), "/sys/block/%s/loop/backing_file", loop);
	if ((f = fopen(p, "re")) == NULL)
		return false;
	n = fread(file, 1, sizeof(file) - 1, f);
	fclose(f);
	file[n] = '\0';
	file[strcspn(file, "\n")] = '\0';
	n = strlen(file);
	if (n > 10 && !strcmp(file + n - 10, " (deleted)"))
		file[n - 10] = '\0';
	return !strcmp(file, path);
}

static bool
loopdev_writable(const char *loop)
{
	char p[512], ro[4] = "1";
	FILE *f;

	snprintf(p, sizeof(p), "/sys/block/%s/ro", loop);
	if ((f = fopen(p, "re")) != NULL) {
		if (fgets(ro, sizeof(ro), f) == NULL)
			ro[0] = '1';
		fclose(f);
	}
	return ro[0] == '0';
}

int
loopdev_find(const char *img, bool rw_only, char *loop, size_t looplen)
{
	char path[PATH_MAX];
	struct dirent *e;
	DIR *dir;
	int found = 0;

	/* The kernel names the backing file by its canonical path. */
	if (realpath(img, path) == NULL || (dir = opendir("/sys/block")) == NULL)
		return 0;
	while (!found && (e = readdir(dir)) != NULL) {
		if (strncmp(e->d_name, "loop", 4) != 0 || !loopdev_backs(e->d_name, path) ||
		    (rw_only && !loopdev_writable(e->d_name)))
			continue;
		snprintf(loop, looplen, "%s", e->d_name);
		found = 1;
	}
	closedir(dir);
	return found;
}

int
loopdev_attach(const char *img, bool ro, char *dev, size_t devlen, char *err, size_t errlen)
{
	struct loop_config cfg;
	int ctl, ffd, lfd = -1, n, saved = 0;

	if ((ffd = open(img, (ro ? O_RDONLY : O_RDWR) | O_CLOEXEC | O_NOFOLLOW)) < 0) {
		snprintf(err, errlen, "open %s: %s", img, strerror(errno));
		return -1;
	}
	if ((ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC)) < 0) {
		snprintf(err, errlen, "open /dev/loop-control: %s", strerror(errno));
		close(ffd);
		return -1;
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.fd = (unsigned)ffd;
	cfg.info.lo_flags = LO_FLAGS_AUTOCLEAR | (ro ? LO_FLAGS_READ_ONLY : 0);
	snprintf((char *)cfg.info.lo_file_name, sizeof(cfg.info.lo_file_name), "%s", img);
	for (int i = 0; i < ATTACH_TRIES; i++) {
		if ((n = ioctl(ctl, LOOP_CTL_GET_FREE)) < 0) {
			saved = errno;
			break;
		}
		snprintf(dev, devlen, "/dev/loop%d", n);
		if ((lfd = open(dev, (ro ? O_RDONLY : O_RDWR) | O_CLOEXEC)) < 0) {
			saved = errno;
			break;
		}
		if (ioctl(lfd, LOOP_CONFIGURE, &cfg) == 0)
			break;
		saved = errno;
		close(lfd);
		lfd = -1;
		if (saved != EBUSY)
			break;
	}
	close(ctl);
	close(ffd);
	if (lfd < 0)
		snprintf(err, errlen, "no loop device for %s: %s", img, strerror(saved));
	return lfd;
}
