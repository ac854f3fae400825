/* Unit tests for console/tui_fmt.h: a size fits the four cells the
 * table gives it (the MEM column shows two with a '/'), whatever the value
 * around a unit's edge. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "tui_fmt.h"

#define MIB (1024ULL * 1024)
#define GIB (1024ULL * MIB)

static void
check(uint64_t b, const char *want)
{
	char got[32];

	tui_fmt_bytes(got, sizeof(got), b);
	if (strcmp(got, want) != 0)
		fail_msg("%llu bytes: got '%s', want '%s'", (unsigned long long)b, got, want);
}

static void
test_bytes(void **state)
{
	check(0, "0K");
	check(1, "1K");
	check(999 * 1024, "999K");
	check(1000 * 1024, "1M"); /* was "1000K", one cell too wide */
	check(1023 * 1024 + 1, "1M");
	check(MIB, "1M");
	check(400 * MIB, "400M");
	check(999 * MIB, "999M");
	check(1000 * MIB, "1.0G"); /* was "1000M" */
	check(2 * GIB, "2.0G");
	check(9 * GIB + 900 * MIB, "9.9G");
	check(9 * GIB + 1000 * MIB, "10G"); /* was "10.0G" */
	check(999 * GIB, "999G");
	check(1000 * GIB, "1.0T"); /* was "1000G" */
}

static void
test_bytes_width(void **state)
{
	char got[32];

	/* Values below 1000 TiB, every one up to 4 KiB, then 0.1 % apart. */
	for (uint64_t b = 0; b < 1000 * 1024 * GIB; b = b < 4096 ? b + 1 : b + b / 997 + 1) {
		tui_fmt_bytes(got, sizeof(got), b);
		if (strlen(got) > 4)
			fail_msg("%llu bytes: '%s' is wider than 4", (unsigned long long)b, got);
	}
}

static void
test_uptime(void **state)
{
	char got[32];

	tui_fmt_uptime(got, sizeof(got), 59);
	assert_string_equal(got, "59s");
	tui_fmt_uptime(got, sizeof(got), 3599);
	assert_string_equal(got, "59m");
	tui_fmt_uptime(got, sizeof(got), 86399);
	assert_string_equal(got, "23h59m");
	tui_fmt_uptime(got, sizeof(got), 86400);
	assert_string_equal(got, "1d00h");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bytes),
		cmocka_unit_test(test_bytes_width),
		cmocka_unit_test(test_uptime),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
