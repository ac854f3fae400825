#include "usb_nodes.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "domd.h"
#include "log.h"

#define USB_DEVICE_MAJOR 189
#define NODES_MAX 512 /* more than 4 buses of 127 devices */

struct node {
	char bus[4], dev[4];
	dev_t rdev;
};

static const char *
host_dir(void)
{
	const char *d = getenv("BULKHEAD_USB_DEVDIR");

	return d != NULL && d[0] != '\0' ? d : "/dev/bus/usb";
}

/* usbfs names buses and devices with three digits. */
static bool
three_digits(const char *s)
{
	return strlen(s) == 3 && s[0] >= '0' && s[0] <= '9' && s[1] >= '0' && s[1] <= '9' &&
	    s[2] >= '0' && s[2] <= '9';
}

/* The host's USB device nodes, at most max; their count. */
static size_t
host_nodes(struct node *out, size_t max)
{
	DIR *top = opendir(host_dir()), *bus;
	struct dirent *b, *d;
	struct stat st;
	size_t n = 0;
	int fd;

	if (top == NULL)
		return 0;
	while ((b = readdir(top)) != NULL && n < max) {
		if (!three_digits(b->d_name))
			continue;
		fd = openat(dirfd(top), b->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 || (bus = fdopendir(fd)) == NULL) {
			if (fd >= 0)
				close(fd);
			continue;
		}
		while ((d = readdir(bus)) != NULL && n < max)
			if (three_digits(d->d_name) &&
			    fstatat(fd, d->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
			    S_ISCHR(st.st_mode) && major(st.st_rdev) == USB_DEVICE_MAJOR) {
				memcpy(out[n].bus, b->d_name, 4);
				memcpy(out[n].dev, d->d_name, 4);
				out[n++].rdev = st.st_rdev;
			}
		closedir(bus);
	}
	closedir(top);
	return n;
}

/* The qube's /dev/bus/usb from its init's root, following no symlink on
 * the way (the qube owns /dev and /dev/bus); -1 when there is none. */
static int
open_copy(const struct vm *vm)
{
	struct open_how how = { .flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS };
	struct statfs sf;
	char path[64];
	int root, fd;

	snprintf(path, sizeof(path), "/proc/%d/root", (int)vm->rt.init_pid);
	if ((root = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -1;
	fd = (int)syscall(SYS_openat2, root, "dev/bus/usb", &how, sizeof(how));
	close(root);
	if (fd >= 0 && (fstatfs(fd, &sf) < 0 || sf.f_type != TMPFS_MAGIC)) {
		close(fd);
		return -1;
	}
	return fd;
}

static bool
on_host(const struct node *nodes, size_t n, const char *bus, const char *dev)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(nodes[i].bus, bus) && (dev == NULL || !strcmp(nodes[i].dev, dev)))
			return true;
	return false;
}

/* Makes node n in the copy unless it is there already. Every name is taken
 * relative to a directory descriptor and nothing is followed: the qube may
 * have put anything in its copy (it cannot in the tmpfs domd writes, which
 * is host root's, but it can move /dev/bus and make another). */
static void
make_node(const struct vm *vm, int copy, const struct node *n)
{
	uid_t owner = (uid_t)vm->q.uid_base;
	struct stat st;
	int bfd;

	if (mkdirat(copy, n->bus, 0755) < 0 && errno != EEXIST)
		return;
	if ((bfd = openat(copy, n->bus, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return;
	if (fstatat(bfd, n->dev, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (S_ISCHR(st.st_mode) && st.st_rdev == n->rdev && st.st_uid == owner)
			goto out;
		unlinkat(bfd, n->dev, 0);
	}
	/* (EEXIST: the qube put a directory there, in a copy of its own) */
	if (mknodat(bfd, n->dev, S_IFCHR | 0600, n->rdev) < 0) {
		if (errno != EEXIST)
			log_warn("usb: %s: node %s/%s", vm->q.name, n->bus, n->dev);
	} else if (fchownat(bfd, n->dev, owner, (gid_t)owner, AT_SYMLINK_NOFOLLOW) < 0) {
		log_warn("usb: %s: node %s/%s", vm->q.name, n->bus, n->dev);
		unlinkat(bfd, n->dev, 0);
	}
out:
	close(bfd);
}

/* Removes from the copy what the host no longer has. */
static void
prune(int copy, const struct node *nodes, size_t n)
{
	DIR *top, *bus;
	struct dirent *b, *d;
	int dup, fd;

	if ((dup = fcntl(copy, F_DUPFD_CLOEXEC, 0)) < 0 || (top = fdopendir(dup)) == NULL) {
		if (dup >= 0)
			close(dup);
		return;
	}
	while ((b = readdir(top)) != NULL) {
		if (!strcmp(b->d_name, ".") || !strcmp(b->d_name, ".."))
			continue;
		fd = openat(copy, b->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd >= 0 && (bus = fdopendir(fd)) != NULL) {
			while ((d = readdir(bus)) != NULL)
				if (strcmp(d->d_name, ".") && strcmp(d->d_name, "..") &&
				    !on_host(nodes, n, b->d_name, d->d_name))
					unlinkat(fd, d->d_name, 0);
			closedir(bus);
		} else if (fd >= 0)
			close(fd);
		if (!on_host(nodes, n, b->d_name, NULL))
			unlinkat(copy, b->d_name, AT_REMOVEDIR);
	}
	closedir(top);
}

void
usb_nodes_sync(const struct vm *vm)
{
	static struct node nodes[NODES_MAX];
	size_t n;
	int copy;

	if (domd.backend != &backend_ns || !vm->q.provides_usb || vm->state != VM_RUNNING ||
	    vm->rt.init_pid <= 0 || vm->q.uid_base <= 0)
		return;
	if ((copy = open_copy(vm)) < 0)
		return;
	n = host_nodes(nodes, NODES_MAX);
	for (size_t i = 0; i < n; i++)
		make_node(vm, copy, &nodes[i]);
	prune(copy, nodes, n);
	close(copy);
}
