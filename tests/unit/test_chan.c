/* The channel API: the unix transport for real; the vchan transport's
 * failure without a Xen hypervisor (make check-xen runs it for real on Xen:
 * tests/xen/chan_peer.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "chan.h"

static void
test_unix_round_trip(void **state)
{
	char dir[] = "/tmp/test_chan.XXXXXX", path[256], err[256], buf[64];
	struct chan *l, *srv;
	pid_t pid;
	int status;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/sock", dir);
	l = chan_listen(CHAN_UNIX, 0, path, err, sizeof(err));
	assert_non_null(l);
	pid = fork();
	if (pid == 0) {
		struct chan *c = chan_connect(CHAN_UNIX, 0, path, err, sizeof(err));
		char r[16] = { 0 };
		if (c == NULL || chan_write(c, "ping", 4) != 4 || chan_read(c, r, 4) != 4 ||
		    strcmp(r, "pong") != 0)
			_exit(1);
		chan_close(c);
		_exit(0);
	}
	srv = chan_accept(l, err, sizeof(err));
	assert_non_null(srv);
	assert_true(chan_pollfd(srv) >= 0);
	assert_int_equal(chan_read(srv, buf, 4), 4);
	assert_memory_equal(buf, "ping", 4);
	assert_int_equal(chan_write(srv, "pong", 4), 4);
	assert_int_equal(chan_read(srv, buf, sizeof(buf)), 0); /* the peer closed */
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	chan_close(srv);
	chan_close(l);
	unlink(path);
	rmdir(dir);
}

static void
test_unix_errors(void **state)
{
	char err[256], longpath[300];

	assert_null(chan_connect(CHAN_UNIX, 0, "/nonexistent/sock", err, sizeof(err)));
	assert_non_null(strstr(err, "/nonexistent/sock"));
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[sizeof(longpath) - 1] = '\0';
	assert_null(chan_listen(CHAN_UNIX, 0, longpath, err, sizeof(err)));
	assert_non_null(strstr(err, "too long"));
}

static void
test_vchan_without_xen(void **state)
{
	char err[256];

	/* Not a Xen domain here: set-up must fail cleanly, saying where. */
	if (access("/dev/xen/gntdev", F_OK) == 0)
		skip();
	assert_null(chan_listen(CHAN_VCHAN, 1, "/local/domain/0/data/bulkhead/test", err,
	    sizeof(err)));
	assert_non_null(strstr(err, "domain 1"));
	assert_null(chan_connect(CHAN_VCHAN, 0, "/local/domain/0/data/bulkhead/test", err,
	    sizeof(err)));
	assert_non_null(strstr(err, "vchan"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unix_round_trip),
		cmocka_unit_test(test_unix_errors),
		cmocka_unit_test(test_vchan_without_xen),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
