/* Unit tests for lib/usbip_wire.h: both USB/IP parsers against a device's
 * endpoints and the URBs in flight, the writers, the speed words. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "usbip_wire.h"

#define DEVID 0x10002u

static struct usbip_eptab eps;

static int
setup_eps(void **state)
{
	memset(&eps, 0, sizeof(eps));
	eps.type[0][0] = eps.type[1][0] = USBIP_EP_CONTROL;
	eps.type[0][2] = USBIP_EP_BULK;
	eps.type[1][1] = USBIP_EP_BULK;
	eps.type[1][3] = USBIP_EP_INTR;
	eps.type[1][5] = USBIP_EP_ISO;
	return 0;
}

static void
set32(uint8_t *h, size_t off, uint32_t v)
{
	v = htobe32(v);
	memcpy(h + off, &v, 4);
}

static int
parse_cmd(const uint8_t *b, size_t len, struct usbip_cmd *c, size_t *used, const char **why)
{
	return usbip_cmd_parse(b, len, DEVID, &eps, c, used, why);
}

static void
test_cmd_control_in(void **state)
{
	static const uint8_t setup[8] = { 0x80, 6, 0, 1, 0, 0, 18, 0 };
	uint8_t h[USBIP_HDR_SIZE];
	struct usbip_cmd c;
	size_t used;
	const char *why;

	usbip_put_cmd_submit(h, 7, DEVID, USBIP_DIR_IN, 0, 0, 18, 0, setup);
	assert_int_equal(parse_cmd(h, sizeof(h) - 1, &c, &used, &why), 0);
	assert_int_equal(parse_cmd(h, sizeof(h), &c, &used, &why), 1);
	assert_int_equal(used, USBIP_HDR_SIZE);
	assert_int_equal(c.command, USBIP_CMD_SUBMIT);
	assert_int_equal(c.seqnum, 7);
	assert_int_equal(c.type, USBIP_EP_CONTROL);
	assert_int_equal(c.length, 18);
	assert_memory_equal(c.setup, setup, 8);
	assert_null(c.out_data);
}

static void
test_cmd_bulk_out_needs_data(void **state)
{
	uint8_t b[USBIP_HDR_SIZE + 5];
	struct usbip_cmd c;
	size_t used;
	const char *why;

	usbip_put_cmd_submit(b, 1, DEVID, USBIP_DIR_OUT, 2, 0, 5, 0, NULL);
	memcpy(b + USBIP_HDR_SIZE, "hello", 5);
	assert_int_equal(parse_cmd(b, sizeof(b) - 1, &c, &used, &why), 0);
	assert_int_equal(parse_cmd(b, sizeof(b), &c, &used, &why), 1);
	assert_int_equal(used, sizeof(b));
	assert_ptr_equal(c.out_data, b + USBIP_HDR_SIZE);
	assert_int_equal(c.type, USBIP_EP_BULK);
}

static void
expect_bad_cmd(uint8_t *h, size_t len, const char *what)
{
	struct usbip_cmd c;
	size_t used;
	const char *why = NULL;

	assert_int_equal(parse_cmd(h, len, &c, &used, &why), -1);
	assert_non_null(why);
	assert_non_null(strstr(why, what));
}

static void
test_cmd_refusals(void **state)
{
	uint8_t h[USBIP_HDR_SIZE];
	uint8_t setup[8] = { 0x80, 6, 0, 1, 0, 0, 18, 0 };

	usbip_put_cmd_submit(h, 1, DEVID + 1, USBIP_DIR_IN, 1, 0, 512, 0, NULL);
	expect_bad_cmd(h, sizeof(h), "devid");
	usbip_put_cmd_submit(h, 1, DEVID, USBIP_DIR_OUT, 1, 0, 512, 0, NULL);
	expect_bad_cmd(h, sizeof(h), "does not have"); /* ep 1 is IN only */
	usbip_put_cmd_submit(h, 1, DEVID, USBIP_DIR_IN, 16, 0, 512, 0, NULL);
	expect_bad_cmd(h, sizeof(h), "above 15");
	usbip_put_cmd_submit(h, 1, DEVID, 2, 1, 0, 512, 0, NULL);
	expect_bad_cmd(h, sizeof(h), "direction");
	usbip_put_cmd_submit(h, 1, DEVID, USBIP_DIR_IN, 5, 0, 512, 0, NULL);
	expect_bad_cmd(h, sizeof(h), "isochronous");
	usbip_put_cmd_submit(h, 1, DEVID, USBIP_DIR_IN, 1, 0, USBIP_XFER_MAX + 1, 0, NULL);
	expect_bad_cmd(h, sizeof(h), "maximum");
	usbip_put_cmd_submit(h, 1, DEVID, USBIP_DIR_IN, 1, 0, 0x80000000u, 0, NULL);
	expect_bad_cmd(h, sizeof(h), "maximum");
	usbip_put_cmd_submit(h, 1, DEVID, USBIP_DIR_IN, 1, 0, 512, 0, NULL);
	set32(h, 32, 3); /* number_of_packets */
	expect_bad_cmd(h, sizeof(h), "iso packets");
	usbip_put_cmd_submit(h, 1, DEVID, USBIP_DIR_IN, 0, 0, 20, 0, setup);
	expect_bad_cmd(h, sizeof(h), "wLength");
	usbip_put_cmd_submit(h, 1, DEVID, USBIP_DIR_OUT, 0, 0, 18, 0, setup);
	expect_bad_cmd(h, sizeof(h), "bmRequestType");
	usbip_put_ret_submit(h, 1, 0, 0, 0);
	expect_bad_cmd(h, sizeof(h), "not a CMD");
	set32(h, 0, 0x80030111); /* an OP_REQ_IMPORT-ish word */
	expect_bad_cmd(h, sizeof(h), "not a CMD");
}

static void
test_cmd_accepts_kernel_npackets_and_zero_length_control(void **state)
{
	uint8_t h[USBIP_HDR_SIZE];
	uint8_t setup[8] = { 0x00, 9, 1, 0, 0, 0, 0, 0 }; /* SET_CONFIGURATION, no data */
	struct usbip_cmd c;
	size_t used;
	const char *why;

	usbip_put_cmd_submit(h, 1, DEVID, USBIP_DIR_IN, 1, 0, 512, 0, NULL);
	set32(h, 32, 0xffffffffu);
	assert_int_equal(parse_cmd(h, sizeof(h), &c, &used, &why), 1);
	usbip_put_cmd_submit(h, 2, DEVID, USBIP_DIR_IN, 0, 0, 0, 0, setup);
	assert_int_equal(parse_cmd(h, sizeof(h), &c, &used, &why), 1);
	usbip_put_cmd_unlink(h, 3, DEVID, 0, 0, 1234);
	assert_int_equal(parse_cmd(h, sizeof(h), &c, &used, &why), 1);
	assert_int_equal(c.command, USBIP_CMD_UNLINK);
	assert_int_equal(c.unlink_seqnum, 1234);
}

static void
add_pend(struct usbip_pendtab *t, uint32_t seq, uint32_t cmd, uint32_t dir, uint32_t len,
    uint32_t unlink)
{
	struct usbip_pending p = { seq, cmd, dir, len, unlink };

	assert_int_equal(usbip_pend_add(t, &p), 0);
}

static void
test_ret_checked_against_pending(void **state)
{
	struct usbip_pendtab *t = calloc(1, sizeof(*t));
	uint8_t b[USBIP_HDR_SIZE + 4];
	struct usbip_ret r;
	size_t used;
	const char *why;
	struct usbip_pending dup = { 1, USBIP_CMD_SUBMIT, 0, 0, 0 };

	add_pend(t, 1, USBIP_CMD_SUBMIT, USBIP_DIR_IN, 4, 0);
	add_pend(t, 2, USBIP_CMD_SUBMIT, USBIP_DIR_OUT, 100, 0);
	assert_int_equal(usbip_pend_add(t, &dup), -1);

	usbip_put_ret_submit(b, 9, 0, 4, 0);
	assert_int_equal(usbip_ret_parse(b, sizeof(b), t, &r, &used, &why), -1);
	assert_non_null(strstr(why, "not in flight"));

	usbip_put_ret_submit(b, 1, 0, 5, 0);
	assert_int_equal(usbip_ret_parse(b, sizeof(b), t, &r, &used, &why), -1);
	assert_non_null(strstr(why, "actual length"));

	usbip_put_ret_submit(b, 1, 5, 4, 0);
	assert_int_equal(usbip_ret_parse(b, sizeof(b), t, &r, &used, &why), -1);
	assert_non_null(strstr(why, "errno"));

	usbip_put_ret_unlink(b, 1, 0);
	assert_int_equal(usbip_ret_parse(b, sizeof(b), t, &r, &used, &why), -1);
	assert_non_null(strstr(why, "wrong kind"));

	usbip_put_ret_submit(b, 1, 0, 4, 0);
	memcpy(b + USBIP_HDR_SIZE, "data", 4);
	assert_int_equal(usbip_ret_parse(b, sizeof(b) - 1, t, &r, &used, &why), 0);
	assert_int_equal(usbip_ret_parse(b, sizeof(b), t, &r, &used, &why), 1);
	assert_int_equal(used, sizeof(b));
	assert_memory_equal(r.in_data, "data", 4);
	usbip_pend_answered(t, &r);
	assert_null(usbip_pend_find(t, 1));

	/* OUT replies carry no data, whatever actual_length says. */
	usbip_put_ret_submit(b, 2, -EPIPE, 100, 0);
	assert_int_equal(usbip_ret_parse(b, USBIP_HDR_SIZE, t, &r, &used, &why), 1);
	assert_int_equal(used, USBIP_HDR_SIZE);
	assert_int_equal(r.status, -EPIPE);
	assert_null(r.in_data);
	free(t);
}

static void
test_ret_unlink_drops_target(void **state)
{
	struct usbip_pendtab *t = calloc(1, sizeof(*t));
	uint8_t b[USBIP_HDR_SIZE];
	struct usbip_ret r;
	size_t used;
	const char *why;

	add_pend(t, 10, USBIP_CMD_SUBMIT, USBIP_DIR_IN, 64, 0);
	add_pend(t, 11, USBIP_CMD_UNLINK, 0, 0, 10);
	usbip_put_ret_unlink(b, 11, -ECONNRESET);
	assert_int_equal(usbip_ret_parse(b, sizeof(b), t, &r, &used, &why), 1);
	usbip_pend_answered(t, &r);
	assert_int_equal(t->n, 0);
	/* A RET_SUBMIT after a successful unlink is out of order. */
	usbip_put_ret_submit(b, 10, 0, 0, 0);
	assert_int_equal(usbip_ret_parse(b, sizeof(b), t, &r, &used, &why), -1);
	free(t);
}

static void
test_pend_full(void **state)
{
	struct usbip_pendtab *t = calloc(1, sizeof(*t));
	struct usbip_pending p = { 0, USBIP_CMD_SUBMIT, 0, 0, 0 };

	for (unsigned i = 0; i < USBIP_INFLIGHT_MAX; i++) {
		p.seqnum = i;
		assert_int_equal(usbip_pend_add(t, &p), 0);
	}
	p.seqnum = USBIP_INFLIGHT_MAX;
	assert_int_equal(usbip_pend_add(t, &p), -1);
	free(t);
}

static void
test_speed(void **state)
{
	assert_int_equal(usbip_speed_from_mbps("1.5"), 1);
	assert_int_equal(usbip_speed_from_mbps("12"), 2);
	assert_int_equal(usbip_speed_from_mbps("480"), 3);
	assert_int_equal(usbip_speed_from_mbps("5000"), 5);
	assert_int_equal(usbip_speed_from_mbps("48"), 0);
	assert_int_equal(usbip_speed_from_mbps(""), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_cmd_control_in, setup_eps),
		cmocka_unit_test_setup(test_cmd_bulk_out_needs_data, setup_eps),
		cmocka_unit_test_setup(test_cmd_refusals, setup_eps),
		cmocka_unit_test_setup(test_cmd_accepts_kernel_npackets_and_zero_length_control, setup_eps),
		cmocka_unit_test(test_ret_checked_against_pending),
		cmocka_unit_test(test_ret_unlink_drops_target),
		cmocka_unit_test(test_pend_full),
		cmocka_unit_test(test_speed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
