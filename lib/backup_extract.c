/* Writes one entry of a backup under a new qube's staging folder. The
 * entry's name has been checked (relative, no "." or ".."); here every
 * parent is reached with openat2(RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS) and
 * every leaf created new (O_EXCL, mkdirat, symlinkat), so nothing is
 * followed and nothing outside the folder is written. */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "backup_extract.h"

#define BUF (64u * 1024)

static int
open_parent(int root, const char *rel, char *leaf, size_t leaflen)
{
	char dir[BK_NAME_MAX + 1];
	const char *slash = strrchr(rel, '/');
	struct open_how how = {
		.flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS |
		    RESOLVE_NO_XDEV,
	};

	if (slash == NULL) {
		snprintf(leaf, leaflen, "%s", rel);
		return fcntl(root, F_DUPFD_CLOEXEC, 0);
	}
	snprintf(leaf, leaflen, "%s", slash + 1);
	memcpy(dir, rel, (size_t)(slash - rel));
	dir[slash - rel] = '\0';
	return (int)syscall(SYS_openat2, root, dir, &how, sizeof(how));
}

static bool
all_zero(const uint8_t *p, size_t n)
{
	return n == 0 || (p[0] == 0 && memcmp(p, p + 1, n - 1) == 0);
}

/* Data of the current file into fd; runs of zeros become holes. */
static int
copy_data(int fd, struct bk_ar *ar, uint64_t size, const char *name, char *err, size_t errlen)
{
	uint8_t buf[BUF];
	ssize_t n;

	while ((n = bk_ar_data(ar, buf, sizeof(buf))) > 0) {
		if (all_zero(buf, (size_t)n)) {
			if (lseek(fd, n, SEEK_CUR) < 0)
				goto werr;
		} else if (write(fd, buf, (size_t)n) != n)
			goto werr;
	}
	if (n < 0)
		return -1; /* ar's reason is in err already */
	if (ftruncate(fd, (off_t)size) < 0)
		goto werr;
	return 0;
werr:
	snprintf(err, errlen, "cannot write %.200s: %s", name, strerror(errno));
	return -1;
}

int
bk_extract(int root, const char *rel, const struct bk_entry *e, struct bk_ar *ar, char *err,
    size_t errlen)
{
	char leaf[256];
	struct timespec ts[2] = { { 0, UTIME_OMIT }, { (time_t)e->mtime, 0 } };
	int dfd, fd = -1, r = -1;

	if ((dfd = open_parent(root, rel, leaf, sizeof(leaf))) < 0) {
		snprintf(err, errlen, "entry '%.200s': its folder was not restored before it "
		    "(or is a symlink): %s", e->name, strerror(errno));
		return -1;
	}
	switch (e->type) {
	case BK_DIR:
		if (mkdirat(dfd, leaf, 0700) < 0 ||
		    fchownat(dfd, leaf, e->uid, e->gid, AT_SYMLINK_NOFOLLOW) < 0 ||
		    fchmodat(dfd, leaf, e->mode, 0) < 0)
			goto werr;
		break;
	case BK_SYMLINK:
		if (symlinkat(e->target, dfd, leaf) < 0 ||
		    fchownat(dfd, leaf, e->uid, e->gid, AT_SYMLINK_NOFOLLOW) < 0 ||
		    utimensat(dfd, leaf, ts, AT_SYMLINK_NOFOLLOW) < 0)
			goto werr;
		break;
	case BK_FILE:
		if ((fd = openat(dfd, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		    0600)) < 0)
			goto werr;
		if (copy_data(fd, ar, e->size, e->name, err, errlen) < 0)
			goto out;
		if (fchown(fd, e->uid, e->gid) < 0 || fchmod(fd, e->mode) < 0 ||
		    futimens(fd, ts) < 0)
			goto werr;
		break;
	default:
		snprintf(err, errlen, "entry '%.200s' of an unexpected type", e->name);
		goto out;
	}
	r = 0;
	goto out;
werr:
	snprintf(err, errlen, "cannot restore '%.200s': %s", e->name, strerror(errno));
out:
	if (fd >= 0)
		close(fd);
	close(dfd);
	return r;
}
