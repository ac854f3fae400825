/* Unit tests for lib/vhci_arg.h: bulkhead.VhciAttach's argument as a
 * qube's root may write it, decoded by its guard and checked by domd. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "vhci_arg.h"

static void
test_accepted(void **state)
{
	struct vhci_arg a;

	assert_int_equal(vhci_arg_parse("1-1+65538+3", &a), 0);
	assert_string_equal(a.busid, "1-1");
	assert_int_equal(a.devid, 65538);
	assert_int_equal(a.speed, 3);
	assert_true(vhci_arg_valid(&a));
	assert_int_equal(vhci_arg_parse("3-2.1.4+4294967295+6", &a), 0);
	assert_string_equal(a.busid, "3-2.1.4");
	assert_int_equal(a.devid, 4294967295u);
	assert_int_equal(vhci_arg_parse("1-1+0+1", &a), 0);
	assert_int_equal(vhci_arg_parse("1209.b0b0+65538+3", &a), 0); /* by model */
	assert_string_equal(a.busid, "1209.b0b0");
}

static void
test_refused(void **state)
{
	static const char *const bad[] = {
		"", "1-1", "1-1+65538", "+1+3", "1-1++3", "1-1+1+4", "1-1+1+7", "1-1+1+0",
		"1-1+1+33", "1-1+4294967296+3", "1-1+031+3", "1-1+-1+3", "1-1+ 1+3",
		"-1+1+3", ".1+1+3", "1_1+1+3", "1:1+1+3", "1-1.2.3.4.5.6.78+1+3", "1-1+1+3+", "1-1+0x10+3",
	};
	struct vhci_arg a;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (vhci_arg_parse(bad[i], &a) == 0)
			fail_msg("accepted '%s'", bad[i]);
}

static void
test_valid(void **state)
{
	struct vhci_arg a;

	assert_int_equal(vhci_arg_parse("1-1+5+2", &a), 0);
	a.speed = 4;
	assert_false(vhci_arg_valid(&a));
	a.speed = 2;
	memset(a.busid, '1', sizeof(a.busid)); /* not terminated */
	assert_false(vhci_arg_valid(&a));
	strcpy(a.busid, "1/1");
	assert_false(vhci_arg_valid(&a));
	strcpy(a.busid, "");
	assert_false(vhci_arg_valid(&a));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepted),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_valid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
