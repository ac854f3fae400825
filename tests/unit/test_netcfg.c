/* Unit tests for lib/netcfg.h: a whole message, every item's errors with the
 * line named, the netvm's answers, and the IPv4 helpers. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netcfg.h"

static const char full[] =
    "netcfg 1\n"
    "self 10.137.0.2\n"
    "upstream uplink0\n"
    "uplink 192.168.77.2/24 192.168.77.1\n"
    "resolver 192.168.77.1 1.1.1.1\n"
    "client work 10.137.0.5 vif5 drop\n"
    "rule accept dst4=192.168.77.1 proto=tcp dstports=7000\n"
    "rule accept specialtarget=dns\n"
    "forward 22-22\n"
    "forward 5900-5931\n"
    "client broken 10.137.0.6 vif6 accept\n"
    "bad firewall rule 1: invalid proto\n"
    "end\n";

static void
test_full_message(void **state)
{
	struct netcfg c;
	char err[512], a[16];

	(void)state;
	assert_int_equal(netcfg_parse(full, strlen(full), &c, err, sizeof(err)), 0);
	assert_string_equal(netcfg_ip_str(c.self, a), "10.137.0.2");
	assert_string_equal(c.upstream, "uplink0");
	assert_true(c.has_uplink);
	assert_string_equal(netcfg_ip_str(c.uplink_addr, a), "192.168.77.2");
	assert_int_equal(c.uplink_prefix, 24);
	assert_string_equal(netcfg_ip_str(c.uplink_gw, a), "192.168.77.1");
	assert_int_equal(c.nresolvers, 2);
	assert_string_equal(netcfg_ip_str(c.resolvers[1], a), "1.1.1.1");
	assert_int_equal(c.nclients, 2);
	assert_string_equal(c.clients[0].name, "work");
	assert_string_equal(c.clients[0].ifname, "vif5");
	assert_int_equal(c.clients[0].policy, FWRULE_DROP);
	assert_int_equal(c.clients[0].nrules, 2);
	assert_int_equal(c.clients[0].rules[0].port_min, 7000);
	assert_true(c.clients[0].rules[1].dns);
	assert_int_equal(c.clients[0].nforwards, 2);
	assert_int_equal(c.clients[0].forwards[1].lo, 5900);
	assert_int_equal(c.clients[0].forwards[1].hi, 5931);
	assert_false(c.clients[0].bad);
	assert_true(c.clients[1].bad);
	assert_string_equal(c.clients[1].bad_reason, "firewall rule 1: invalid proto");
	netcfg_free(&c);
	assert_int_equal(c.nclients, 0);
}

/* Replaces line `line` (1-based) of full with repl (NULL: deletes it). */
static char *
edit(int line, const char *repl)
{
	char *out = calloc(1, sizeof(full) + 600), *o = out;
	const char *p = full;

	assert_non_null(out);
	for (int n = 1; *p; n++) {
		const char *nl = strchr(p, '\n') + 1;
		if (n == line) {
			if (repl != NULL)
				o += sprintf(o, "%s\n", repl);
		} else {
			memcpy(o, p, (size_t)(nl - p));
			o += nl - p;
		}
		p = nl;
	}
	return out;
}

static void
assert_refused(const char *text, size_t len, const char *want)
{
	struct netcfg c;
	char err[512];

	memset(&c, 0x5a, sizeof(c));
	if (netcfg_parse(text, len, &c, err, sizeof(err)) == 0)
		fail_msg("accepted: %s", text);
	if (strstr(err, want) == NULL)
		fail_msg("error '%s' lacks '%s'", err, want);
	assert_null(strchr(err, '\n'));
	assert_int_equal(c.nclients, 0);
	assert_null(c.clients);
}

static void
test_errors_name_the_line(void **state)
{
	static const struct {
		int line;
		const char *repl, *want;
	} cases[] = {
		{ 1, "netcfg 2", "line 1: not a netcfg version 1" },
		{ 2, "self 10.137.0.256", "line 2: invalid self address" },
		{ 2, "self 10.137.0.02", "line 2: invalid self address" },
		{ 2, "self 10.137.0", "line 2: invalid self address" },
		{ 3, "upstream up/link", "line 3: invalid upstream" },
		{ 3, "upstream waytoolonglinkname0", "line 3: invalid upstream" },
		{ 4, "uplink 192.168.77.2 192.168.77.1", "line 4: invalid uplink address" },
		{ 4, "uplink 192.168.77.2/0 192.168.77.1", "line 4: invalid uplink address" },
		{ 4, "uplink 192.168.77.2/33 192.168.77.1", "line 4: invalid uplink address" },
		{ 5, "resolver 1.1.1.1 2.2.2.2 3.3.3.3", "line 5: unknown or malformed item" },
		{ 6, "client 9work 10.137.0.5 vif5 drop", "line 6: invalid client name" },
		{ 6, "client work 10.137.0.5 vif5 maybe", "line 6: invalid policy of client work" },
		{ 6, "client work 10.137.0.6 vif5 drop", "line 11: client broken repeats" },
		{ 7, "rule accept dstports=99999", "line 7: client work: invalid dstports" },
		{ 7, "rule", "line 7: unknown or malformed item" },
		{ 7, "frobnicate", "line 7: unknown or malformed item" },
		{ 7, "rule accept\tproto=tcp", "line 7: control or non-ASCII byte" },
		{ 9, "forward 22", "line 9: client work: invalid forward" },
		{ 9, "forward 30-20", "line 9: client work: invalid forward" },
		{ 9, "forward 0-22", "line 9: client work: invalid forward" },
		{ 9, "forward 22-70000", "line 9: client work: invalid forward" },
		{ 9, "forward 22-22x", "line 9: client work: invalid forward" },
		{ 13, "end extra", "line 13: unknown or malformed item" },
		{ 13, NULL, "without 'end'" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *t = edit(cases[i].line, cases[i].repl);
		assert_refused(t, strlen(t), cases[i].want);
		free(t);
	}
	/* A rule before any client; bytes after "end"; a last line cut short. */
	{
		const char *t = "netcfg 1\nrule accept\nend\n";
		assert_refused(t, strlen(t), "line 2: rule before any client");
		char *u = edit(99, NULL);
		strcat(u, "x\n");
		assert_refused(u, strlen(u), "after 'end'");
		assert_refused(full, strlen(full) - 1, "without a newline");
		free(u);
	}
}

static void
test_rule_limit(void **state)
{
	size_t cap = 64 + (FWRULE_SET_MAX + 1) * 16;
	char *t = malloc(cap), *p = t;
	struct netcfg c;
	char err[512];

	(void)state;
	assert_non_null(t);
	p += sprintf(p, "netcfg 1\nself 10.137.0.2\nupstream -\nclient a 10.137.0.5 vif5 drop\n");
	for (int i = 0; i < FWRULE_SET_MAX; i++)
		p += sprintf(p, "rule drop\n");
	strcpy(p, "end\n");
	assert_int_equal(netcfg_parse(t, strlen(t), &c, err, sizeof(err)), 0);
	assert_int_equal(c.clients[0].nrules, FWRULE_SET_MAX);
	netcfg_free(&c);
	strcpy(p, "rule drop\nend\n");
	assert_refused(t, strlen(t), "more than 1000 rules for client a");
	free(t);
}

static void
test_answers(void **state)
{
	char msg[64];
	int n = -1;

	(void)state;
	assert_int_equal(netcfg_parse_answer("ok 12", 5, &n, msg, sizeof(msg)), 1);
	assert_int_equal(n, 12);
	assert_int_equal(netcfg_parse_answer("error bad\x01thing", 15, &n, msg, sizeof(msg)), 0);
	assert_string_equal(msg, "bad?thing");
	assert_int_equal(netcfg_parse_answer("ok", 2, &n, msg, sizeof(msg)), -1);
	assert_int_equal(netcfg_parse_answer("ok -1", 5, &n, msg, sizeof(msg)), -1);
	assert_int_equal(netcfg_parse_answer("ok 12x", 6, &n, msg, sizeof(msg)), -1);
	assert_int_equal(netcfg_parse_answer("hello", 5, &n, msg, sizeof(msg)), -1);
	assert_int_equal(netcfg_parse_answer("ok 1\0", 5, &n, msg, sizeof(msg)), -1);
}

static void
test_addresses(void **state)
{
	uint32_t a;
	int p;
	char buf[16];

	(void)state;
	assert_int_equal(netcfg_ip_parse("0.0.0.0", &a), 0);
	assert_int_equal(netcfg_ip_parse("255.255.255.255", &a), 0);
	assert_string_equal(netcfg_ip_str(a, buf), "255.255.255.255");
	assert_int_equal(netcfg_ip_parse("1.2.3.4", &a), 0);
	assert_int_equal(a, inet_addr("1.2.3.4"));
	assert_int_equal(netcfg_ip_parse("1.2.3.4.5", &a), -1);
	assert_int_equal(netcfg_ip_parse("1.2.3.", &a), -1);
	assert_int_equal(netcfg_ip_parse("01.2.3.4", &a), -1);
	assert_int_equal(netcfg_ip_parse("1.2.3.1000", &a), -1);
	assert_int_equal(netcfg_ip_parse(" 1.2.3.4", &a), -1);
	assert_int_equal(netcfg_cidr_parse("10.0.0.0/8", &a, &p), 0);
	assert_int_equal(p, 8);
	assert_int_equal(netcfg_cidr_parse("10.0.0.0/08", &a, &p), -1);
	assert_int_equal(netcfg_cidr_parse("10.0.0.0/", &a, &p), -1);
	assert_int_equal(netcfg_cidr_parse("10.0.0.0/8x", &a, &p), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_message),
		cmocka_unit_test(test_errors_name_the_line),
		cmocka_unit_test(test_rule_limit),
		cmocka_unit_test(test_answers),
		cmocka_unit_test(test_addresses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
