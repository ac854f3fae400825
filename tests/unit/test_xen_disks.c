/* Unit tests for domd/backend/xen/xen_disks.h with the real mke2fs and, as root, real
 * loop devices: the images a qube's start makes, the template's root made
 * once from its tree, and the clean-up of what a crash leaves. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/loop.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "xen_disks.h"

static char dir[] = "/tmp/test_xen_disks.XXXXXX";
static char paths[8][128];

static void
run(const char *cmd)
{
	assert_int_equal(system(cmd), 0);
}

static bool
is_ext4(const char *img)
{
	unsigned char m[2] = { 0 };
	int fd = open(img, O_RDONLY);

	if (fd < 0)
		return false;
	(void)!pread(fd, m, 2, 1080);
	close(fd);
	return m[0] == 0x53 && m[1] == 0xEF;
}

/* A tree like a template's: an executable sbin/init and a file. */
static int
setup(void **state)
{
	char cmd[4096];

	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(paths[0], sizeof(paths[0]), "%s/tpl", dir);
	snprintf(paths[1], sizeof(paths[1]), "%s/tpl/root", dir);
	snprintf(paths[2], sizeof(paths[2]), "%s/tpl/root.img", dir);
	snprintf(paths[3], sizeof(paths[3]), "%s/work", dir);
	snprintf(paths[4], sizeof(paths[4]), "%s/work/private", dir);
	snprintf(paths[5], sizeof(paths[5]), "%s/work/private.img", dir);
	snprintf(paths[6], sizeof(paths[6]), "%s/work/volatile.img", dir);
	snprintf(cmd, sizeof(cmd), "mkdir -p %s/sbin %s/etc %s && printf '#!/bin/sh\\n' > %s/sbin/init"
	    " && chmod 755 %s/sbin/init && echo hello > %s/etc/motd && echo mine > %s/note",
	    paths[1], paths[1], paths[4], paths[1], paths[1], paths[1], paths[4]);
	return system(cmd) == 0 ? 0 : -1;
}

static int
teardown(void **state)
{
	char cmd[4096];

	xen_disks_clean(paths[3]);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void
fill(struct xen_disks *d)
{
	memset(d, 0, sizeof(*d));
	d->root_img = paths[2];
	d->root_tree = paths[1];
	d->private_img = paths[5];
	d->private_tree = paths[4];
	d->private_mib = 64;
	d->private_writable = true;
	d->volatile_img = paths[6];
	d->qube_dir = paths[3];
}

static void
test_prepare_makes_the_images(void **state)
{
	struct xen_disks d;
	char err[512], cmd[4096];
	struct stat st;

	if (access("/sbin/mke2fs", X_OK) < 0)
		skip();
	assert_int_equal(xen_disks_check_tools(err, sizeof(err)), 0);
	fill(&d);
	assert_int_equal(xen_disks_prepare(&d, err, sizeof(err)), 0);
	assert_true(is_ext4(paths[2]));
	assert_true(is_ext4(paths[5]));
	assert_true(is_ext4(paths[6]));
	assert_int_equal(stat(paths[5], &st), 0);
	assert_int_equal(st.st_size, 64L << 20);
	assert_int_equal(stat(paths[6], &st), 0);
	assert_int_equal(st.st_size, XEN_VOLATILE_MIB << 20);
	/* The trees went in (read back with debugfs, no mount needed). */
	snprintf(cmd, sizeof(cmd), "debugfs -R 'cat /etc/motd' %s 2>/dev/null | grep -qx hello &&"
	    " debugfs -R 'cat /note' %s 2>/dev/null | grep -qx mine", paths[2], paths[5]);
	run(cmd);
	/* No temporary file is left next to them. */
	snprintf(cmd, sizeof(cmd), "! ls %s/tpl %s/work | grep -q '\\.new\\.'", dir, dir);
	run(cmd);

	/* A second start keeps the root and the private data, and makes a
	 * fresh volatile disk. */
	snprintf(cmd, sizeof(cmd), "echo changed >> %s && echo x > %s.mark", paths[5], paths[6]);
	run(cmd);
	assert_int_equal(stat(paths[5], &st), 0);
	{
		off_t before = st.st_size;
		assert_int_equal(xen_disks_prepare(&d, err, sizeof(err)), 0);
		assert_int_equal(stat(paths[5], &st), 0);
		assert_int_equal(st.st_size, before); /* not made again */
	}
	assert_true(is_ext4(paths[6]));
}

static void
test_prepare_errors(void **state)
{
	struct xen_disks d;
	char err[512], tree[128], img[128];

	if (access("/sbin/mke2fs", X_OK) < 0)
		skip();
	fill(&d);
	snprintf(tree, sizeof(tree), "%s/empty", dir);
	snprintf(img, sizeof(img), "%s/empty.img", dir);
	mkdir(tree, 0755);
	d.root_img = img;
	d.root_tree = tree;
	assert_int_equal(xen_disks_prepare(&d, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "sbin/init"));
	assert_null(strchr(err, '\n'));
	assert_int_equal(access(img, F_OK), -1);

	/* A DispVM of a base that never ran: its base's image is made for
	 * it; where that cannot be, the start fails with the reason. */
	fill(&d);
	snprintf(img, sizeof(img), "%s/no-such-dir/private.img", dir);
	d.private_img = img;
	d.private_writable = false;
	assert_int_equal(xen_disks_prepare(&d, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "cannot lock"));
	assert_null(strchr(err, '\n'));
	fill(&d);
	snprintf(img, sizeof(img), "%s/base-private.img", dir);
	d.private_img = img;
	d.private_writable = false;
	assert_int_equal(xen_disks_prepare(&d, err, sizeof(err)), 0);
	assert_true(is_ext4(img));
}

/* What a crashed run leaves: loop devices on the qube's images, its
 * volatile image. A loop device on another file stays. */
static void
test_clean_leftovers(void **state)
{
	char cmd[4096], other[128];
	struct xen_disks d;
	char err[512];

	if (getuid() != 0 || access("/dev/loop-control", R_OK) < 0 ||
	    access("/sbin/mke2fs", X_OK) < 0)
		skip();
	fill(&d);
	assert_int_equal(xen_disks_prepare(&d, err, sizeof(err)), 0);
	snprintf(other, sizeof(other), "%s/other.img", dir);
	snprintf(cmd, sizeof(cmd), "truncate -s 1M %s && losetup -f %s && losetup -r -f %s && "
	    "losetup -f %s", other, paths[5], paths[6], other);
	run(cmd);
	xen_disks_clean(paths[3]);
	assert_int_equal(access(paths[6], F_OK), -1);
	assert_int_equal(access(paths[5], F_OK), 0); /* the private data stays */
	snprintf(cmd, sizeof(cmd), "! grep -qs '^%s' /sys/block/loop*/loop/backing_file", paths[3]);
	run(cmd);
	snprintf(cmd, sizeof(cmd), "grep -ls '^%s$' /sys/block/loop*/loop/backing_file", other);
	run(cmd);
	snprintf(cmd, sizeof(cmd), "for f in $(grep -ls '^%s$' /sys/block/loop*/loop/backing_file); do "
	    "d=${f#/sys/block/}; losetup -d /dev/${d%%%%/*}; done", other);
	run(cmd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prepare_makes_the_images),
		cmocka_unit_test(test_prepare_errors),
		cmocka_unit_test(test_clean_leftovers),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
