/*
 * The file system of a qube on the ns backend. Its first process builds it
 * while still host root, in a mount namespace that belongs to the host's
 * user namespace: root in the qube can then neither mount, unmount nor
 * remount anything (no capability over that namespace), so every mask and
 * read-only flag set here stays. Trees from the host's disk (the template's
 * root, the private image's file system) are idmapped mounts: a file owned
 * by uid N on disk belongs to the qube's uid N, that is host uid base+N.
 */
#include "ns_mounts.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "monitor_rec.h"

#define P(buf, ...) do { \
	if (snprintf(buf, sizeof(buf), __VA_ARGS__) >= (int)sizeof(buf)) \
		launch_fail(m->efd, "path too long"); \
} while (0)

/* A directory created as the qube's root would create it. Only the last
 * step runs with the qube's ids: the way there may be host root's alone. */
static void
qube_mkdir(const struct ns_mounts *m, const char *path, mode_t mode)
{
	char parent[4300];
	const char *slash = strrchr(path, '/');
	struct stat st;
	int dfd, r, saved;

	if (slash == NULL || slash == path)
		launch_fail(m->efd, "bad path %s", path);
	P(parent, "%.*s", (int)(slash - path), path);
	if ((dfd = open(parent, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		launch_fail(m->efd, "open %s: %s", parent, strerror(errno));
	setfsgid((gid_t)m->uid_base);
	setfsuid((uid_t)m->uid_base);
	r = mkdirat(dfd, slash + 1, mode);
	saved = errno;
	setfsuid(0);
	setfsgid(0);
	if (r < 0 && saved != EEXIST)
		launch_fail(m->efd, "mkdir %s: %s", path, strerror(saved));
	/* Whoever wrote the tree (a template's root, the qube itself in /rw)
	 * may have left a symlink here, to be followed by host root. */
	if (fstatat(dfd, slash + 1, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode))
		launch_fail(m->efd, "%s is not a directory", path);
	close(dfd);
}

static void
host_mkdir(const struct ns_mounts *m, const char *path)
{
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		launch_fail(m->efd, "mkdir %s: %s", path, strerror(errno));
}

static void
do_mount(const struct ns_mounts *m, const char *src, const char *dst, const char *type,
    unsigned long flags, const char *data)
{
	if (mount(src, dst, type, flags, data) < 0)
		launch_fail(m->efd, "mount %s on %s: %s", type != NULL ? type : src, dst,
		    strerror(errno));
}

/* A bind of src that does not follow a symlink at its end (src may be in a
 * tree the qube wrote), idmapped into the qube's range if idmap. */
static void
bind_tree(const struct ns_mounts *m, const char *src, const char *dst, bool idmap)
{
	struct mount_attr attr = {
		.attr_set = MOUNT_ATTR_IDMAP | MOUNT_ATTR_NODEV,
		.userns_fd = (unsigned long long)m->userns_fd,
	};
	int fd = open_tree(AT_FDCWD, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC |
	    AT_SYMLINK_NOFOLLOW);

	if (fd < 0)
		launch_fail(m->efd, "open_tree %s: %s", src, strerror(errno));
	if (idmap && mount_setattr(fd, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0)
		launch_fail(m->efd, "idmapped mount of %s: %s", src, strerror(errno));
	if (move_mount(fd, "", AT_FDCWD, dst, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		launch_fail(m->efd, "move_mount %s to %s: %s", src, dst, strerror(errno));
	close(fd);
}

/* A bind of a host tree whose owners are shifted into the qube's range. */
static void
idmapped_bind(const struct ns_mounts *m, const char *src, const char *dst)
{
	bind_tree(m, src, dst, true);
}

/* An overlay whose upper root looks like its lower root, as the qube sees
 * it (an upper root made by host root would belong to nobody inside). */
static void
overlay(const struct ns_mounts *m, const char *lower_src, const char *name, const char *dst)
{
	char lower[4300], upper[4300], work[4300], opts[13000];
	struct stat st;

	P(lower, "%s/%s-lower", m->stage_dir, name);
	P(upper, "%s/%s-upper", m->stage_dir, name);
	P(work, "%s/%s-work", m->stage_dir, name);
	host_mkdir(m, lower);
	host_mkdir(m, upper);
	host_mkdir(m, work);
	idmapped_bind(m, lower_src, lower);
	if (stat(lower, &st) < 0 || chown(upper, st.st_uid, st.st_gid) < 0 ||
	    chmod(upper, st.st_mode & 07777) < 0)
		launch_fail(m->efd, "upper layer for %s: %s", lower_src, strerror(errno));
	P(opts, "lowerdir=%s,upperdir=%s,workdir=%s", lower, upper, work);
	do_mount(m, "bulkhead-overlay", dst, "overlay", MS_NODEV, opts);
}

/* /rw: the private volume's file system (ns_private.h), idmapped; a
 * DispVM's, its halted base's, read-only under a volatile layer. */
static void
private_volume(const struct ns_mounts *m, const char *dst)
{
	struct mount_attr attr = {
		.attr_set = MOUNT_ATTR_IDMAP | MOUNT_ATTR_NODEV,
		.userns_fd = (unsigned long long)m->userns_fd,
	};
	char disk[4300];

	if (m->private_volatile) {
		P(disk, "%s/private-disk", m->stage_dir);
		host_mkdir(m, disk);
		if (move_mount(m->private_mnt, "", AT_FDCWD, disk, MOVE_MOUNT_F_EMPTY_PATH) < 0)
			launch_fail(m->efd, "attach the private volume: %s", strerror(errno));
		overlay(m, disk, "private", dst);
	} else if (mount_setattr(m->private_mnt, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0 ||
	    move_mount(m->private_mnt, "", AT_FDCWD, dst, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		launch_fail(m->efd, "attach the private volume: %s", strerror(errno));
	close(m->private_mnt);
}

static void
bind_node(const struct ns_mounts *m, const char *dev, const char *name)
{
	char src[64], dst[4300];
	int fd;

	P(src, "/dev/%s", name);
	P(dst, "%s/%s", dev, name);
	if ((fd = open(dst, O_WRONLY | O_CREAT | O_CLOEXEC, 0666)) < 0)
		launch_fail(m->efd, "create %s: %s", dst, strerror(errno));
	close(fd);
	do_mount(m, src, dst, NULL, MS_BIND, NULL);
}

static void
dev_tree(const struct ns_mounts *m, const char *root)
{
	static const char *const nodes[] = { "null", "zero", "full", "random", "urandom", "tty" };
	char dev[4200], path[4300], opts[128];

	/* nodev: a node made or planted here opens nothing; the nodes a qube
	 * is given are binds of the host's, each a mount of its own. */
	P(dev, "%s/dev", root);
	qube_mkdir(m, dev, 0755);
	P(opts, "mode=0755,size=1m,uid=%ld,gid=%ld", m->uid_base, m->uid_base);
	do_mount(m, "bulkhead-dev", dev, "tmpfs", MS_NOSUID | MS_NOEXEC | MS_NODEV, opts);
	for (size_t i = 0; i < sizeof(nodes) / sizeof(nodes[0]); i++)
		bind_node(m, dev, nodes[i]);
	P(path, "%s/pts", dev);
	qube_mkdir(m, path, 0755);
	/* Its own pty instance; gid 5 (tty) as the qube numbers it. */
	P(opts, "newinstance,ptmxmode=0666,mode=0620,gid=%ld", m->uid_base + 5);
	do_mount(m, "devpts", path, "devpts", MS_NOSUID | MS_NOEXEC, opts);
	P(path, "%s/shm", dev);
	qube_mkdir(m, path, 01777);
	P(opts, "mode=1777,uid=%ld,gid=%ld", m->uid_base, m->uid_base);
	do_mount(m, "shm", path, "tmpfs", MS_NOSUID | MS_NODEV, opts);
	P(path, "%s/ptmx", dev);
	if (symlink("pts/ptmx", path) < 0)
		launch_fail(m->efd, "symlink %s: %s", path, strerror(errno));
	P(path, "%s/fd", dev);
	if (symlink("/proc/self/fd", path) < 0)
		launch_fail(m->efd, "symlink %s: %s", path, strerror(errno));
	/* Not a bind of the host's tree (devtmpfs cannot be idmapped, so its
	 * nodes would stay host root's): a tmpfs of host root's, not nodev,
	 * where domd makes the host's USB nodes as the qube root's
	 * (usb_nodes.h). */
	if (m->usb) {
		P(path, "%s/bus", dev);
		qube_mkdir(m, path, 0755);
		P(path, "%s/bus/usb", dev);
		qube_mkdir(m, path, 0755);
		do_mount(m, "bulkhead-usb", path, "tmpfs", MS_NOSUID | MS_NOEXEC,
		    "mode=0755,size=64k,nr_inodes=2048");
	}
	/* The control socket to domd: the qube's only way out of itself. */
	if (m->ctl_dir != NULL) {
		P(path, "%s/bulkhead", dev);
		qube_mkdir(m, path, 0755);
		do_mount(m, m->ctl_dir, path, NULL, MS_BIND, NULL);
		do_mount(m, NULL, path, NULL, MS_BIND | MS_REMOUNT | MS_NOSUID | MS_NODEV |
		    MS_NOEXEC, NULL);
	}
}

/* Hides a file (behind /dev/null) or a directory (behind an empty
 * read-only tmpfs); what this kernel lacks needs no hiding. */
static void
mask(const struct ns_mounts *m, const char *root, const char *rel)
{
	char path[4300];
	struct stat st;

	P(path, "%s%s", root, rel);
	if (lstat(path, &st) < 0)
		return;
	if (S_ISDIR(st.st_mode))
		do_mount(m, "bulkhead-mask", path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV |
		    MS_NOEXEC, "mode=0555,size=0");
	else
		do_mount(m, "/dev/null", path, NULL, MS_BIND, NULL);
}

/* Makes a subtree read-only (or writable again under a read-only one). */
static void
rebind(const struct ns_mounts *m, const char *path, bool ro)
{
	do_mount(m, path, path, NULL, MS_BIND | MS_REC, NULL);
	do_mount(m, NULL, path, NULL, MS_BIND | MS_REMOUNT | MS_NOSUID | MS_NODEV | MS_NOEXEC |
	    (ro ? MS_RDONLY : 0), NULL);
}

static void
api_trees(const struct ns_mounts *m, const char *root)
{
	static const char *const proc_masked[] = { "/proc/kcore", "/proc/kmsg", "/proc/keys",
		"/proc/key-users", "/proc/timer_list", "/proc/sched_debug", "/proc/sysrq-trigger",
		"/proc/latency_stats", "/proc/acpi", "/proc/scsi" };
	static const char *const sys_masked[] = { "/sys/firmware", "/sys/kernel",
		"/sys/fs/cgroup", "/sys/fs/bpf", "/sys/fs/fuse", "/sys/fs/pstore" };
	char path[4300], opts[128];

	/* This process is PID 1 of the qube's pid namespace: the proc
	 * mounted here shows the qube's processes only. */
	P(path, "%s/proc", root);
	qube_mkdir(m, path, 0555);
	do_mount(m, "proc", path, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	for (size_t i = 0; i < sizeof(proc_masked) / sizeof(proc_masked[0]); i++)
		mask(m, root, proc_masked[i]);
	/* Host-wide sysctls read-only; the qube's own network's writable. */
	P(path, "%s/proc/sys", root);
	rebind(m, path, true);
	P(path, "%s/proc/sys/net", root);
	rebind(m, path, false);
	/* Mounted in the qube's network namespace: its own links only. */
	P(path, "%s/sys", root);
	qube_mkdir(m, path, 0555);
	do_mount(m, "sysfs", path, "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	for (size_t i = 0; i < sizeof(sys_masked) / sizeof(sys_masked[0]); i++)
		mask(m, root, sys_masked[i]);
	P(path, "%s/tmp", root);
	qube_mkdir(m, path, 01777);
	P(opts, "mode=1777,uid=%ld,gid=%ld", m->uid_base, m->uid_base);
	do_mount(m, "tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, opts);
	P(path, "%s/run", root);
	qube_mkdir(m, path, 0755);
	P(opts, "mode=0755,uid=%ld,gid=%ld", m->uid_base, m->uid_base);
	do_mount(m, "tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, opts);
}

void
ns_mounts_build(const struct ns_mounts *m, char *newroot, size_t len)
{
	char path[4300], home[4300], opts[128];

	do_mount(m, NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
	/* Volatile parts live on a tmpfs only this namespace sees: they are
	 * gone, without clean-up, when the qube's last process exits. */
	P(opts, "mode=0700,size=%ldm", m->memory_mib > 64 ? m->memory_mib : 64);
	do_mount(m, "bulkhead-volatile", m->stage_dir, "tmpfs", MS_NOSUID | MS_NODEV, opts);
	if (snprintf(newroot, len, "%s/root", m->stage_dir) >= (int)len)
		launch_fail(m->efd, "path too long");
	host_mkdir(m, newroot);
	if (m->root_writable)
		idmapped_bind(m, m->root_dir, newroot);
	else
		overlay(m, m->root_dir, "root", newroot);
	P(path, "%s/sbin/init", newroot);
	if (access(path, X_OK) < 0)
		launch_fail(m->efd, "root %s has no executable sbin/init", m->root_dir);

	P(path, "%s/rw", newroot);
	qube_mkdir(m, path, 0755);
	private_volume(m, path);
	P(path, "%s/rw/home", newroot);
	qube_mkdir(m, path, 0755);
	P(home, "%s/home", newroot);
	qube_mkdir(m, home, 0755);
	bind_tree(m, path, home, false);

	dev_tree(m, newroot);
	api_trees(m, newroot);
}
