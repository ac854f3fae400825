/* Unit tests for lib/procstat.h: the fields read from /proc/PID/stat, also
 * behind a command name with spaces and parentheses. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "procstat.h"

/* starttime (field 22) and ppid (field 4) as the kernel writes them. */
static void
read_fields(pid_t pid, unsigned long long *start, int *ppid)
{
	char path[64], buf[2048], *p;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	assert_non_null(f = fopen(path, "r"));
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	assert_non_null(p = strrchr(buf, ')'));
	assert_int_equal(sscanf(p + 2, "%*c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u "
	    "%*d %*d %*d %*d %*d %*d %llu", ppid, start), 2);
}

static void
test_self(void **state)
{
	unsigned long long start;
	int ppid;

	read_fields(getpid(), &start, &ppid);
	assert_true(start > 0);
	assert_int_equal(proc_starttime(getpid()), start);
	assert_int_equal(proc_ppid(getpid()), getppid());
	assert_int_equal(ppid, getppid());
}

/* A command name that looks like more fields must not shift them. */
static void
test_odd_name(void **state)
{
	char old[17] = "";

	prctl(PR_GET_NAME, old);
	prctl(PR_SET_NAME, "a) b 1 2 (c");
	test_self(state);
	prctl(PR_SET_NAME, old);
}

static void
test_gone(void **state)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(0);
	waitpid(pid, NULL, 0);
	assert_int_equal(proc_starttime(pid), 0);
	assert_int_equal(proc_ppid(pid), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_self),
		cmocka_unit_test(test_odd_name),
		cmocka_unit_test(test_gone),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
