/* Unit tests for lib/apt_summary.h: apt-get's summary line as a template
 * prints it, read by `bulkhead update`. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "apt_summary.h"

static long
changes(const char *s)
{
	return apt_summary_changes(s, strlen(s));
}

static void
test_counts(void **state)
{
	assert_int_equal(changes("Reading...\n1 upgraded, 0 newly installed, 0 to remove and 0 "
	    "not upgraded.\nInst hello\n"), 1);
	assert_int_equal(changes("12 upgraded, 3 newly installed, 1 to remove and 2 not "
	    "upgraded.\n"), 15);
	assert_int_equal(changes("0 upgraded, 0 newly installed, 0 to remove and 0 not upgraded."), 0);
	/* The last one counts (a dry run, then the real one). */
	assert_int_equal(changes("2 upgraded, 0 newly installed, x\n0 upgraded, 0 newly "
	    "installed, x\n"), 0);
}

static void
test_no_summary(void **state)
{
	assert_int_equal(changes(""), -1);
	assert_int_equal(changes("E: Could not get lock\n"), -1);
	assert_int_equal(changes("x1 upgraded, 0 newly installed, \n"), -1);
	assert_int_equal(changes("1 upgraded, newly installed, \n"), -1);
	assert_int_equal(changes("1 upgraded, 0\nnewly installed, \n"), -1);
	assert_int_equal(changes("99999999 upgraded, 0 newly installed, \n"), -1);
	assert_int_equal(changes("1 upgraded, "), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counts),
		cmocka_unit_test(test_no_summary),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
