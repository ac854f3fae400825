/*
 * The API filesystems.  The launcher made / and a minimal /dev; /proc and
 * friends must be mounted from inside the qube's own pid namespace, which
 * only its init can do.
 */
#include "agent.h"
#include "log.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

struct api_mount {
	const char *source, *target, *fstype;
	unsigned long flags;
	const char *data;
	mode_t mode;		/* for the mountpoint, if we must create it */
	int required;
};

static const struct api_mount api_mounts[] = {
	{ "proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, 0555, 1 },
	/* sysfs needs a net namespace we own; a qube can live without it. */
	{ "sysfs", "/sys", "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, 0555, 0 },
	{ "tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777", 01777, 1 },
	{ "tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755", 0755, 1 },
	/* newinstance: the qube's ptys are its own, never the host's. gid 5 = tty. */
	{ "devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
	  "newinstance,ptmxmode=0666,mode=0620,gid=5", 0755, 1 },
	{ "tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777", 01777, 1 },
};

/* A mount point sits on another device than its parent directory. */
static int
is_mountpoint(const char *path)
{
	char parent[PATH_MAX];
	struct stat st, pst;
	char *slash;

	if (snprintf(parent, sizeof(parent), "%s", path) >= (int)sizeof(parent))
		return 0;
	slash = strrchr(parent, '/');
	if (!slash)
		return 0;
	if (slash == parent)
		slash[1] = '\0';
	else
		*slash = '\0';
	if (stat(path, &st) == -1 || stat(parent, &pst) == -1)
		return 0;
	return st.st_dev != pst.st_dev;
}

/* A /proc that is already there must be our pid namespace's, not the host's. */
static int
proc_is_ours(void)
{
	char buf[32], want[32];
	ssize_t n;

	n = readlink("/proc/self", buf, sizeof(buf) - 1);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	snprintf(want, sizeof(want), "%d", (int)getpid());
	return strcmp(buf, want) == 0;
}

static int
mount_one(const struct api_mount *m)
{
	if (is_mountpoint(m->target)) {
		if (strcmp(m->fstype, "proc") != 0 || proc_is_ours()) {
			log_debug("%s: %s already mounted", __func__, m->target);
			return 0;
		}
		log_warnx("%s belongs to another pid namespace, mounting over it", m->target);
	}
	if (mkdir(m->target, m->mode) == -1 && errno != EEXIST)
		log_warn("mkdir %s", m->target);
	if (mount(m->source, m->target, m->fstype, m->flags, m->data) == 0)
		return 0;
	if (errno == EBUSY) {
		log_debug("%s: %s busy, assuming mounted", __func__, m->target);
		return 0;
	}
	log_warn("mount %s on %s", m->fstype, m->target);
	return m->required ? -1 : 0;
}

/* Links programs expect in /dev; the launcher's /dev only has device nodes. */
static void
dev_links(void)
{
	static const char *const links[][2] = {
		{ "pts/ptmx", "/dev/ptmx" },
		{ "/proc/self/fd", "/dev/fd" },
		{ "/proc/self/fd/0", "/dev/stdin" },
		{ "/proc/self/fd/1", "/dev/stdout" },
		{ "/proc/self/fd/2", "/dev/stderr" },
	};
	struct stat st;
	size_t i;

	for (i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
		if (lstat(links[i][1], &st) == 0)
			continue;
		if (symlink(links[i][0], links[i][1]) == -1)
			log_warn("symlink %s", links[i][1]);
	}
}

int
mounts_setup(void)
{
	size_t i;
	int ret = 0;

	for (i = 0; i < sizeof(api_mounts) / sizeof(api_mounts[0]); i++)
		if (mount_one(&api_mounts[i]) == -1)
			ret = -1;
	dev_links();
	return ret;
}
