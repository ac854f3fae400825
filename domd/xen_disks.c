#include "xen_disks.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
#include <linux/loop.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "atomicfile.h"
#include "store.h"

#define MKE2FS "/sbin/mke2fs"
/* Room for a template's own updates on top of the tree it was made from
 * (sparse: only what is written takes space). */
#define ROOT_SLACK_MIB 512L

static uint64_t tree_bytes;

static int
add_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	tree_bytes += ((uint64_t)st->st_size + 4095) / 4096 * 4096 + 4096;
	return 0;
}

/* MKE2FS -d TREE into a new file of mib MiB, renamed to img when whole. */
static int
make_ext4(const char *img, const char *tree, long mib, bool journal, char *err, size_t errlen)
{
	char tmp[4200], dir[4200];
	int fd, status;
	pid_t pid;

	snprintf(tmp, sizeof(tmp), "%s.new.%d", img, (int)getpid());
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0 ||
	    ftruncate(fd, (off_t)mib << 20) < 0) {
		snprintf(err, errlen, "cannot create %s: %s", tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		unlink(tmp);
		return -1;
	}
	close(fd);
	if ((pid = fork()) == 0) {
		char *argv[16];
		int n = 0;

		argv[n++] = MKE2FS;
		argv[n++] = "-q";
		argv[n++] = "-F";
		argv[n++] = "-t";
		argv[n++] = "ext4";
		argv[n++] = "-m";
		argv[n++] = "0";
		argv[n++] = "-E";
		argv[n++] = "lazy_itable_init=1,lazy_journal_init=1";
		if (!journal) {
			argv[n++] = "-O";
			argv[n++] = "^has_journal";
		}
		if (tree != NULL) {
			argv[n++] = "-d";
			argv[n++] = (char *)tree;
		}
		argv[n++] = tmp;
		argv[n] = NULL;
		execv(MKE2FS, argv);
		fprintf(stderr, "bulkhead-monitor: cannot run %s: %s\n", MKE2FS, strerror(errno));
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0) {
		snprintf(err, errlen, "%s failed to make %s (see the qube's log)", MKE2FS, img);
		unlink(tmp);
		return -1;
	}
	if (rename(tmp, img) < 0) {
		snprintf(err, errlen, "cannot rename %s: %s", tmp, strerror(errno));
		unlink(tmp);
		return -1;
	}
	snprintf(dir, sizeof(dir), "%s", img);
	fsync_dir(dirname(dir));
	return 0;
}

/* Several AppVMs may start at once from a template that has no image yet:
 * one makes it, under a lock on the template's folder. */
static int
make_root(const struct xen_disks *d, char *err, size_t errlen)
{
	char dir[4200], init[4200];
	int fd, r = 0;
	long mib;

	snprintf(dir, sizeof(dir), "%s", d->root_img);
	if ((fd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    flock(fd, LOCK_EX) < 0) {
		snprintf(err, errlen, "cannot lock %s: %s", dir, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (access(d->root_img, F_OK) == 0)
		goto out;
	snprintf(init, sizeof(init), "%s/sbin/init", d->root_tree);
	if (access(init, X_OK) < 0) {
		snprintf(err, errlen, "no root image %s, and its tree %s has no executable "
		    "sbin/init to make one from", d->root_img, d->root_tree);
		r = -1;
		goto out;
	}
	tree_bytes = 0;
	if (nftw(d->root_tree, add_entry, 32, FTW_PHYS) < 0) {
		snprintf(err, errlen, "cannot read %s: %s", d->root_tree, strerror(errno));
		r = -1;
		goto out;
	}
	mib = (long)(tree_bytes * 5 / 4 >> 20) + ROOT_SLACK_MIB;
	fprintf(stderr, "bulkhead-monitor: making the root image %s (%ld MiB) from %s\n",
	    d->root_img, mib, d->root_tree);
	r = make_ext4(d->root_img, d->root_tree, mib, true, err, errlen);
out:
	close(fd);
	return r;
}

int
xen_disks_check_tools(char *err, size_t errlen)
{
	if (access(MKE2FS, X_OK) < 0) {
		snprintf(err, errlen, "%s not found: the xen backend makes the qubes' disk images "
		    "with it (install e2fsprogs)", MKE2FS);
		return -1;
	}
	return 0;
}

int
xen_disks_prepare(const struct xen_disks *d, char *err, size_t errlen)
{
	if (make_root(d, err, errlen) < 0)
		return -1;
	if (access(d->private_img, F_OK) < 0) {
		if (!d->private_writable) {
			snprintf(err, errlen, "no private image %s to start from", d->private_img);
			return -1;
		}
		fprintf(stderr, "bulkhead-monitor: making the private image %s (%ld MiB)\n",
		    d->private_img, d->private_mib);
		if (make_ext4(d->private_img, d->private_tree, d->private_mib, true, err,
		    errlen) < 0)
			return -1;
	}
	/* No journal: nothing on it outlives a crash. */
	unlink(d->volatile_img);
	return make_ext4(d->volatile_img, NULL, XEN_VOLATILE_MIB, false, err, errlen);
}

/* /sys/block/loopN/loop/backing_file names path (possibly deleted). */
static bool
loop_backs(const char *loop, const char *a, const char *b)
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
	return !strcmp(file, a) || !strcmp(file, b);
}

void
xen_disks_clean(const char *qube_dir)
{
	char priv[4200], vol[4200], dev[512];
	struct dirent *e;
	DIR *dir;
	int fd;

	snprintf(priv, sizeof(priv), "%s/" PRIVATE_IMAGE, qube_dir);
	snprintf(vol, sizeof(vol), "%s/" VOLATILE_IMAGE, qube_dir);
	if ((dir = opendir("/sys/block")) != NULL) {
		while ((e = readdir(dir)) != NULL) {
			if (strncmp(e->d_name, "loop", 4) != 0 || !loop_backs(e->d_name, priv, vol))
				continue;
			snprintf(dev, sizeof(dev), "/dev/%s", e->d_name);
			if ((fd = open(dev, O_RDONLY | O_CLOEXEC)) >= 0) {
				if (ioctl(fd, LOOP_CLR_FD, 0) < 0)
					fprintf(stderr, "bulkhead: cannot detach %s from %s: %s\n", dev,
					    qube_dir, strerror(errno));
				close(fd);
			}
		}
		closedir(dir);
	}
	unlink(vol);
}
