/* Tests for domd/backend/ns/ns_devcg.c: the v1 device list, and the v2 BPF device
 * program attached to a real cgroup2 group. The group lives in a cgroup2
 * hierarchy mounted in a private mount namespace; a child moved into it
 * opens and makes device nodes of a tmpfs, and a child outside does the same
 * as the control (so a program that denied nothing, or everything, fails).
 * Needs root (mount, mknod); skipped otherwise. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ns_devcg.h"

static char cgroot[] = "/tmp/devcg-cg.XXXXXX";
static char devdir[] = "/tmp/devcg-dev.XXXXXX";
static bool ready;

/* The v1 rules are those the qube's /dev needs, and only those. */
static void
test_v1_lines(void **state)
{
	static const char *const want[] = { "c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm", "c 1:8 rwm",
		"c 1:9 rwm", "c 5:0 rwm", "c 5:2 rwm", "c 136:* rwm", "c 137:* rwm", "c 138:* rwm",
		"c 139:* rwm", "c 140:* rwm", "c 141:* rwm", "c 142:* rwm", "c 143:* rwm",
		"c 189:* rwm" };
	const struct devcg_rule *rules;
	size_t k = 0, n;
	char line[64];

	for (int usb = 0; usb <= 1; usb++) {
		n = devcg_rules(usb, &rules);
		k = 0;
		for (size_t i = 0; i < n; i++)
			for (unsigned m = rules[i].major_lo; m <= rules[i].major_hi; m++) {
				assert_true(k < sizeof(want) / sizeof(want[0]));
				devcg_v1_line(&rules[i], m, line, sizeof(line));
				assert_string_equal(line, want[k++]);
			}
		assert_int_equal(k, sizeof(want) / sizeof(want[0]) - (usb ? 0 : 1));
	}
}

/* The nodes probed: name, type, major, minor. */
static const struct node {
	const char *name;
	mode_t type;
	unsigned major, minor;
} nodes[] = {
	{ "null", S_IFCHR, 1, 3 }, { "urandom", S_IFCHR, 1, 9 }, { "ptmx", S_IFCHR, 5, 2 },
	{ "pts0", S_IFCHR, 136, 0 }, { "pts143", S_IFCHR, 143, 7 },
	{ "kmsg", S_IFCHR, 1, 11 }, { "mem", S_IFCHR, 1, 1 }, { "loopctl", S_IFCHR, 10, 237 },
	{ "c135", S_IFCHR, 135, 0 }, { "c144", S_IFCHR, 144, 0 }, { "usb", S_IFCHR, 189, 0 },
	{ "loop0", S_IFBLK, 7, 0 }, { "blk1_3", S_IFBLK, 1, 3 },
};
#define NNODES (sizeof(nodes) / sizeof(nodes[0]))

struct probe {
	int open_errno[NNODES];  /* 0: opened */
	int mknod_errno[NNODES]; /* of a new node in the tmpfs */
};

static int
group_setup(void **state)
{
	if (geteuid() != 0)
		return 0;
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return 0;
	if (mkdtemp(cgroot) == NULL || mkdtemp(devdir) == NULL)
		return -1;
	if (mount("cgroup2", cgroot, "cgroup2", MS_NOSUID | MS_NOEXEC, NULL) < 0 ||
	    mount("tmpfs", devdir, "tmpfs", 0, "mode=0755") < 0) {
		print_message("# no cgroup2 or tmpfs mount here (%s): skipping\n", strerror(errno));
		return 0;
	}
	for (size_t i = 0; i < NNODES; i++) {
		char path[256];
		snprintf(path, sizeof(path), "%s/%s", devdir, nodes[i].name);
		if (mknod(path, nodes[i].type | 0600, makedev(nodes[i].major, nodes[i].minor)) < 0)
			return -1;
	}
	ready = true;
	return 0;
}

static int
group_teardown(void **state)
{
	if (ready) {
		umount2(cgroot, MNT_DETACH);
		umount2(devdir, MNT_DETACH);
	}
	rmdir(cgroot);
	rmdir(devdir);
	return 0;
}

/* Makes group NAME with the program (attach=false: none), runs the probes
 * in a child moved into it, removes the group. */
static void
run_probe(const char *name, bool attach, bool usb, struct probe *out)
{
	char dir[512], procs[600], err[512] = "";
	int fd, pfd[2], status;
	ssize_t got;
	pid_t pid, waited;

	snprintf(dir, sizeof(dir), "%s/%s.%d", cgroot, name, (int)getpid());
	assert_int_equal(mkdir(dir, 0755), 0);
	if (attach) {
		assert_true((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0);
		if (devcg_bpf_attach(fd, usb, err, sizeof(err)) < 0) {
			rmdir(dir);
			fail_msg("%s", err);
		}
		close(fd);
	}
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", dir);
	assert_int_equal(pipe(pfd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct probe p;
		int cfd = open(procs, O_WRONLY);

		close(pfd[0]);
		if (cfd < 0 || write(cfd, "0", 1) != 1)
			_exit(2);
		close(cfd);
		for (size_t i = 0; i < NNODES; i++) {
			char path[256], made[300];
			int f;

			snprintf(path, sizeof(path), "%s/%s", devdir, nodes[i].name);
			f = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
			p.open_errno[i] = f < 0 ? errno : 0;
			if (f >= 0)
				close(f);
			snprintf(made, sizeof(made), "%s.new", path);
			p.mknod_errno[i] = mknod(made, nodes[i].type | 0600,
			    makedev(nodes[i].major, nodes[i].minor)) < 0 ? errno : 0;
			unlink(made);
		}
		_exit(write(pfd[1], &p, sizeof(p)) == sizeof(p) ? 0 : 3);
	}
	close(pfd[1]);
	got = read(pfd[0], out, sizeof(*out));
	close(pfd[0]);
	waited = waitpid(pid, &status, 0);
	/* The kernel lets go of an emptied group shortly after. */
	for (int tries = 0; rmdir(dir) < 0 && errno == EBUSY && tries < 200; tries++)
		nanosleep(&(struct timespec){ 0, 10 * 1000 * 1000 }, NULL);
	assert_int_equal(got, sizeof(*out));
	assert_int_equal(waited, pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static bool
allowed(const struct node *n, bool usb)
{
	if (n->type != S_IFCHR)
		return false;
	if (n->major == 1)
		return n->minor == 3 || n->minor == 5 || n->minor == 7 || n->minor == 8 || n->minor == 9;
	if (n->major == 5)
		return n->minor == 0 || n->minor == 2;
	if (n->major >= 136 && n->major <= 143)
		return true;
	return usb && n->major == 189;
}

static void
check(bool usb)
{
	struct probe ctl, in;

	if (!ready)
		skip();
	run_probe("control", false, usb, &ctl);
	run_probe(usb ? "usbqube" : "qube", true, usb, &in);
	for (size_t i = 0; i < NNODES; i++) {
		const struct node *n = &nodes[i];

		/* Outside, nothing is refused by a cgroup: the nodes are real. */
		if (ctl.open_errno[i] == EPERM || ctl.mknod_errno[i] != 0)
			fail_msg("control: %s refused (open %s, mknod %s)", n->name,
			    strerror(ctl.open_errno[i]), strerror(ctl.mknod_errno[i]));
		if (allowed(n, usb)) {
			if (in.open_errno[i] == EPERM || in.mknod_errno[i] != 0)
				fail_msg("%s should be allowed (open %s, mknod %s)", n->name,
				    strerror(in.open_errno[i]), strerror(in.mknod_errno[i]));
		} else if (in.open_errno[i] != EPERM || in.mknod_errno[i] != EPERM)
			fail_msg("%s should be refused (open %s, mknod %s)", n->name,
			    strerror(in.open_errno[i]), strerror(in.mknod_errno[i]));
	}
	/* The nodes every qube needs really open. */
	assert_int_equal(in.open_errno[0], 0);
	assert_int_equal(in.open_errno[1], 0);
}

static void
test_v2_qube(void **state)
{
	check(false);
}

static void
test_v2_usb_qube(void **state)
{
	check(true);
}

/* The attach needs a cgroup directory; anything else is refused. */
static void
test_v2_bad_target(void **state)
{
	char err[512] = "";
	int fd;

	if (!ready)
		skip();
	assert_true((fd = open(devdir, O_RDONLY | O_DIRECTORY)) >= 0);
	assert_int_equal(devcg_bpf_attach(fd, false, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "cannot attach the device program"));
	close(fd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v1_lines),
		cmocka_unit_test(test_v2_qube),
		cmocka_unit_test(test_v2_usb_qube),
		cmocka_unit_test(test_v2_bad_target),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
