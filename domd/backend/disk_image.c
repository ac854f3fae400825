#include "disk_image.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "atomicfile.h"

int
disk_image_check_tools(bool grow, char *err, size_t errlen)
{
	static const char *const tools[] = { MKE2FS, E2FSCK, RESIZE2FS };

	for (size_t i = 0; i < (grow ? sizeof(tools) / sizeof(tools[0]) : 1); i++) {
		if (access(tools[i], X_OK) < 0) {
			snprintf(err, errlen, "%s not found: the qubes' disk images are made and "
			    "grown with it (install e2fsprogs)", tools[i]);
			return -1;
		}
	}
	return 0;
}

/* Runs argv[0] (a full path) and waits: its exit status, or -1. Its
 * output goes to this process's, the qube's log in the monitor. */
static int
run_tool(char *const argv[])
{
	int status;
	pid_t pid;

	if ((pid = fork()) == 0) {
		execv(argv[0], argv);
		fprintf(stderr, "bulkhead-monitor: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static int
run_mke2fs(const char *file, const char *tree, bool journal)
{
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
	argv[n++] = (char *)file;
	argv[n] = NULL;
	return run_tool(argv) == 0 ? 0 : -1;
}

int
disk_image_make(const char *img, const char *tree, long mib, bool journal, char *err,
    size_t errlen)
{
	char tmp[4200], dir[4200];
	int fd;

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
	if (run_mke2fs(tmp, tree, journal) < 0) {
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

int
disk_image_once(const char *img, int (*make)(void *arg, char *err, size_t errlen), void *arg,
    char *err, size_t errlen)
{
	char dir[4200];
	int fd, r = 0;

	if (access(img, F_OK) == 0)
		return 0;
	snprintf(dir, sizeof(dir), "%s", img);
	if ((fd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    flock(fd, LOCK_EX) < 0) {
		snprintf(err, errlen, "cannot lock %s: %s", dir, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (access(img, F_OK) < 0)
		r = make(arg, err, errlen);
	close(fd);
	return r;
}

struct private_args {
	const char *img, *tree;
	long mib;
};

static int
make_private(void *arg, char *err, size_t errlen)
{
	const struct private_args *a = arg;
	struct stat st;

	fprintf(stderr, "bulkhead-monitor: making the private image %s (%ld MiB)\n", a->img,
	    a->mib);
	/* A qube made by an older domd kept its volume as a folder: it becomes
	 * the image's first contents (the folder stays, unread from then on). */
	return disk_image_make(a->img, stat(a->tree, &st) == 0 && S_ISDIR(st.st_mode) ?
	    a->tree : NULL, a->mib, true, err, errlen);
}

int
disk_image_private(const char *img, const char *tree, long mib, char *err, size_t errlen)
{
	struct private_args a = { img, tree, mib };

	return disk_image_once(img, make_private, &a, err, errlen);
}

int
disk_image_grow(const char *img, long mib, char *err, size_t errlen)
{
	char *fsck[] = { E2FSCK, "-f", "-p", (char *)img, NULL };
	char *resize[] = { RESIZE2FS, "-p", (char *)img, NULL };
	struct stat st;
	int r;

	if (stat(img, &st) < 0) {
		snprintf(err, errlen, "cannot grow %s: %s", img, strerror(errno));
		return -1;
	}
	if (st.st_size >= (off_t)mib << 20)
		return 0;
	fprintf(stderr, "bulkhead-monitor: growing the private image %s to %ld MiB\n", img, mib);
	/* resize2fs wants a file system checked since its last mount; 1 is
	 * "errors corrected". */
	if ((r = run_tool(fsck)) < 0 || r > 1) {
		snprintf(err, errlen, "%s found errors it could not correct in %s (see the "
		    "qube's log)", E2FSCK, img);
		return -1;
	}
	if (truncate(img, (off_t)mib << 20) < 0) {
		snprintf(err, errlen, "cannot grow %s to %ld MiB: %s", img, mib, strerror(errno));
		return -1;
	}
	if (run_tool(resize) != 0) {
		/* Its file system is as it was: so is the file, and the next
		 * start tries again. */
		(void)!truncate(img, st.st_size);
		snprintf(err, errlen, "%s failed to grow %s (see the qube's log)", RESIZE2FS, img);
		return -1;
	}
	return 1;
}

long
disk_image_mib(const char *img)
{
	struct stat st;

	return stat(img, &st) < 0 ? -1 : (long)(st.st_size >> 20);
}
