/* Unit tests for lib/confine.h: the helpers' uids stay apart from every
 * qube's and from each other; a confined child has no way back to root,
 * and a call outside its rules (or an argument outside a rule) kills it. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "confine.h"
#include "qube.h"

#define RANGES ((QUBE_UID_BASE_MAX - QUBE_UID_BASE_MIN) / QUBE_UID_RANGE + 1)
#define ALLOWED_IOCTL 0x4242u /* no request of any driver: fails on a pipe */

static void
test_uids_apart(void **state)
{
	uid_t g_first = confine_guard_uid(QUBE_UID_BASE_MIN);
	uid_t g_last = confine_guard_uid(QUBE_UID_BASE_MAX);
	uid_t r_first = confine_relay_uid(QUBE_UID_BASE_MIN);
	uid_t r_last = confine_relay_uid(QUBE_UID_BASE_MAX);

	/* Below every qube's ids, one per range, none shared. */
	assert_true(g_first < QUBE_UID_BASE_MIN);
	assert_int_equal(g_first - g_last, RANGES - 1);
	assert_int_equal(r_first - r_last, RANGES - 1);
	assert_true(r_first < g_last);
	assert_true(r_last > 65535); /* nor a user's of the host */
	assert_int_not_equal(confine_guard_uid(QUBE_UID_BASE_MIN + QUBE_UID_RANGE), g_first);
}

static const struct confine_rule rules[] = {
	{ "write", -1, 0, 0 }, { "exit_group", -1, 0, 0 }, { "exit", -1, 0, 0 },
	{ "getuid", -1, 0, 0 }, { "getgid", -1, 0, 0 }, { "prctl", -1, 0, 0 },
	{ "rt_sigreturn", -1, 0, 0 }, { "ioctl", 1, 0xffffffffu, ALLOWED_IOCTL },
	/* What the sanitiser runtimes do at a thread's end. */
	{ "sigaltstack", -1, 0, 0 }, { "mmap", -1, 0, 0 }, { "munmap", -1, 0, 0 },
};

/* Runs what in a child confined to root and uid 70000; its wait status. */
static int
confined_child(const char *root, int what)
{
	pid_t pid = fork();
	int status, p[2];
	char err[256];

	assert_true(pid >= 0);
	if (pid == 0) {
		if (pipe(p) < 0 ||
		    confine_process(root, 70000, rules, sizeof(rules) / sizeof(rules[0]),
		    err, sizeof(err)) < 0)
			_exit(90);
		if (getuid() != 70000 || getgid() != 70000)
			_exit(91);
		if (prctl(PR_CAPBSET_READ, CAP_SYS_ADMIN, 0, 0, 0) != 0 ||
		    prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1 ||
		    prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0)
			_exit(92);
		if (what == 1)
			syscall(SYS_getppid); /* not in the rules */
		if (what == 2 && ioctl(p[0], ALLOWED_IOCTL, NULL) == 0)
			_exit(93); /* allowed, and fails on a pipe */
		if (what == 3)
			ioctl(p[0], ALLOWED_IOCTL + 1, NULL); /* another request */
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

static void
test_confined(void **state)
{
	char dir[] = "/tmp/test_confine.XXXXXX";
	int st;

	if (geteuid() != 0)
		skip();
	assert_non_null(mkdtemp(dir));
	chmod(dir, 0555);
	st = confined_child(dir, 0);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	st = confined_child(dir, 2);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	st = confined_child(dir, 1);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGSYS);
	st = confined_child(dir, 3);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGSYS);
	rmdir(dir);
}

static void
test_empty_root(void **state)
{
	char dir[] = "/tmp/test_confine.XXXXXX", root[4200], file[4300], err[256];

	if (geteuid() != 0)
		skip();
	assert_non_null(mkdtemp(dir));
	assert_int_equal(confine_empty_root(dir, root, sizeof(root), err, sizeof(err)), 0);
	assert_int_equal(confine_empty_root(dir, root, sizeof(root), err, sizeof(err)), 0);
	/* Something in it, or writable: refused, with the path. */
	chmod(root, 0755);
	assert_int_equal(confine_empty_root(dir, root, sizeof(root), err, sizeof(err)), -1);
	assert_non_null(strstr(err, root));
	snprintf(file, sizeof(file), "%s/x", root);
	assert_int_equal(close(open(file, O_CREAT | O_WRONLY, 0600)), 0);
	chmod(root, 0555);
	assert_int_equal(confine_empty_root(dir, root, sizeof(root), err, sizeof(err)), -1);
	unlink(file);
	rmdir(root);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uids_apart),
		cmocka_unit_test(test_confined),
		cmocka_unit_test(test_empty_root),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
