/* Unit tests for lib/fwrule.h: every field good and bad, the canonical form
 * and its round trip, field order, limits and expiry. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fwrule.h"

#define ERRLEN 512

/* Parses from an exactly sized heap copy, so that ASan catches a read past
 * the terminator. */
static int
parse(const char *text, struct fwrule *r, char *err)
{
	size_t n = strlen(text) + 1;
	char *copy = malloc(n);
	int ret;

	assert_non_null(copy);
	memcpy(copy, text, n);
	err[0] = '\0';
	ret = fwrule_parse(copy, r, err, ERRLEN);
	free(copy);
	return ret;
}

/* text is accepted, its canonical form is canon, and that form parses back
 * to the very same struct and formats to the same text. */
static void
assert_canon(const char *text, const char *canon)
{
	struct fwrule r, back;
	char err[ERRLEN], buf[FWRULE_TEXT_MAX], again[FWRULE_TEXT_MAX];
	int n;

	if (parse(text, &r, err) != 0)
		fail_msg("'%s' refused: %s", text, err);
	n = fwrule_format(&r, buf, sizeof(buf));
	assert_int_equal(n, (int)strlen(buf));
	if (strcmp(buf, canon) != 0)
		fail_msg("'%s' formats as '%s', expected '%s'", text, buf, canon);
	if (parse(buf, &back, err) != 0)
		fail_msg("canonical '%s' refused: %s", buf, err);
	if (memcmp(&r, &back, sizeof(r)) != 0)
		fail_msg("'%s' parses back to another rule", buf);
	fwrule_format(&back, again, sizeof(again));
	assert_string_equal(buf, again);
}

/* text is refused with a one-line error that contains every one of the
 * given fragments (the field and the value, typically). */
static void
assert_refused(const char *text, const char *frag1, const char *frag2)
{
	struct fwrule r;
	char err[ERRLEN];

	memset(&r, 0x5a, sizeof(r));
	if (parse(text, &r, err) == 0)
		fail_msg("'%s' accepted", text);
	if (err[0] == '\0' || strchr(err, '\n') != NULL)
		fail_msg("'%s': error empty or not one line: '%s'", text, err);
	if (strstr(err, frag1) == NULL || (frag2 != NULL && strstr(err, frag2) == NULL))
		fail_msg("'%s': error '%s' lacks '%s'%s%s", text, err, frag1,
		    frag2 ? " or " : "", frag2 ? frag2 : "");
	/* The output is untouched on failure. */
	for (size_t i = 0; i < sizeof(r); i++)
		if (((unsigned char *)&r)[i] != 0x5a)
			fail_msg("'%s': output changed although refused", text);
}

static void
test_action(void **state)
{
	struct fwrule r;
	char err[ERRLEN];

	assert_canon("accept", "accept");
	assert_canon("drop", "drop");
	assert_canon("  drop  ", "drop");
	assert_canon("\tdrop\t", "drop");
	assert_int_equal(parse("drop", &r, err), 0);
	assert_int_equal(r.action, FWRULE_DROP);
	assert_int_equal(r.dst, FWRULE_DST_ANY);
	assert_int_equal(r.proto, FWRULE_PROTO_ANY);
	assert_int_equal(r.port_min, 0);
	assert_int_equal(r.expire, 0);
	assert_false(r.dns);
	assert_int_equal(parse("accept", &r, err), 0);
	assert_int_equal(r.action, FWRULE_ACCEPT);

	assert_refused("", "empty rule", NULL);
	assert_refused("   \t ", "empty rule", NULL);
	assert_refused("allow", "invalid action 'allow'", "accept or drop");
	assert_refused("Accept", "invalid action 'Accept'", NULL);
	assert_refused("DROP", "invalid action 'DROP'", NULL);
	assert_refused("accept drop", "invalid field 'drop'", "key=value");
	assert_refused("acceptx", "invalid action 'acceptx'", NULL);
}

static void
test_dst4(void **state)
{
	struct fwrule r;
	char err[ERRLEN];

	assert_canon("accept dst4=192.168.1.7", "accept dst4=192.168.1.7");
	assert_canon("accept dst4=192.168.1.7/32", "accept dst4=192.168.1.7");
	assert_canon("accept dst4=10.0.0.0/8", "accept dst4=10.0.0.0/8");
	assert_canon("accept dst4=0.0.0.0/0", "accept dst4=0.0.0.0/0");
	assert_canon("accept dst4=255.255.255.255", "accept dst4=255.255.255.255");
	assert_canon("drop dst4=10.137.0.0/16", "drop dst4=10.137.0.0/16");
	assert_canon("drop dst4=0.0.0.0", "drop dst4=0.0.0.0");
	assert_int_equal(parse("drop dst4=10.137.0.0/16", &r, err), 0);
	assert_int_equal(r.dst, FWRULE_DST4);
	assert_int_equal(r.prefix, 16);
	assert_memory_equal(r.addr, "\x0a\x89\x00\x00", 4);

	assert_refused("accept dst4=256.1.1.1", "invalid dst4 '256.1.1.1'", NULL);
	assert_refused("accept dst4=1.2.3", "invalid dst4 '1.2.3'", NULL);
	assert_refused("accept dst4=1.2.3.4.5", "invalid dst4 '1.2.3.4.5'", NULL);
	assert_refused("accept dst4=01.2.3.4", "invalid dst4 '01.2.3.4'", NULL);
	assert_refused("accept dst4=1.2.3.4/33", "invalid dst4 '1.2.3.4/33'", NULL);
	assert_refused("accept dst4=1.2.3.4/", "invalid dst4 '1.2.3.4/'", NULL);
	assert_refused("accept dst4=1.2.3.4/08", "invalid dst4 '1.2.3.4/08'", NULL);
	assert_refused("accept dst4=1.2.3.4/-1", "invalid dst4", NULL);
	assert_refused("accept dst4=1.2.3.4/8/8", "invalid dst4", NULL);
	assert_refused("accept dst4=", "invalid dst4 ''", NULL);
	assert_refused("accept dst4=example.org", "invalid dst4 'example.org'", NULL);
	assert_refused("accept dst4=::1", "invalid dst4 '::1'", NULL);
	assert_refused("accept dst4=0x7f.0.0.1", "invalid dst4", NULL);
	assert_refused("accept dst4= 1.2.3.4", "invalid dst4 ''", NULL);
	/* Bits past the prefix: refused, naming the network meant. */
	assert_refused("accept dst4=10.1.2.3/8", "invalid dst4 '10.1.2.3/8'", "10.0.0.0/8");
	assert_refused("accept dst4=192.168.1.1/31", "192.168.1.0/31", NULL);
}

static void
test_dst6(void **state)
{
	struct fwrule r;
	char err[ERRLEN];

	assert_canon("accept dst6=::1", "accept dst6=::1");
	assert_canon("accept dst6=2001:DB8::1", "accept dst6=2001:db8::1");
	assert_canon("accept dst6=2001:0db8:0000:0000:0000:0000:0000:0001/128",
	    "accept dst6=2001:db8::1");
	assert_canon("accept dst6=2001:db8::/32", "accept dst6=2001:db8::/32");
	assert_canon("accept dst6=::/0", "accept dst6=::/0");
	assert_canon("accept dst6=::ffff:1.2.3.4", "accept dst6=::ffff:1.2.3.4");
	assert_int_equal(parse("accept dst6=fe80::/10", &r, err), 0);
	assert_int_equal(r.dst, FWRULE_DST6);
	assert_int_equal(r.prefix, 10);
	assert_int_equal(r.addr[0], 0xfe);
	assert_int_equal(r.addr[1], 0x80);

	assert_refused("accept dst6=2001:db8::1/129", "invalid dst6 '2001:db8::1/129'", NULL);
	assert_refused("accept dst6=2001:db8::/16", "invalid dst6 '2001:db8::/16'", "2001::/16");
	assert_refused("accept dst6=1.2.3.4", "invalid dst6 '1.2.3.4'", NULL);
	assert_refused("accept dst6=2001:db8:::1", "invalid dst6", NULL);
	assert_refused("accept dst6=gggg::1", "invalid dst6 'gggg::1'", NULL);
	assert_refused("accept dst6=fe80::1%eth0", "invalid dst6", NULL);
	assert_refused("accept dst6=", "invalid dst6 ''", NULL);
	assert_refused("accept dst6=1:2:3:4:5:6:7:8:9", "invalid dst6", NULL);
	assert_refused("accept dst6=::1/", "invalid dst6", NULL);
}

static void
test_dsthost(void **state)
{
	char host[300], rule[400], canon[400];
	struct fwrule r;
	char err[ERRLEN];

	assert_canon("accept dsthost=example.org", "accept dsthost=example.org");
	assert_canon("accept dsthost=Mail.Example.ORG", "accept dsthost=mail.example.org");
	assert_canon("accept dsthost=a-b.c0.d", "accept dsthost=a-b.c0.d");
	assert_canon("accept dsthost=localhost", "accept dsthost=localhost");
	assert_canon("accept dsthost=3com.com", "accept dsthost=3com.com");
	/* Dotted decimal is an address (as in Qubes). */
	assert_canon("accept dsthost=1.2.3.4", "accept dst4=1.2.3.4");
	assert_int_equal(parse("accept dsthost=example.org", &r, err), 0);
	assert_int_equal(r.dst, FWRULE_DSTHOST);
	assert_string_equal(r.host, "example.org");

	assert_refused("accept dsthost=", "invalid dsthost ''", NULL);
	/* '_' is in Qubes' set of name characters. */
	assert_canon("accept dsthost=_sip._tcp.example.org", "accept dsthost=_sip._tcp.example.org");
	assert_refused("accept dsthost=example..org", "invalid dsthost 'example..org'", NULL);
	assert_refused("accept dsthost=.example.org", "invalid dsthost", NULL);
	assert_refused("accept dsthost=example.org.", "invalid dsthost", NULL);
	assert_refused("accept dsthost=-example.org", "invalid dsthost", NULL);
	assert_refused("accept dsthost=example-.org", "invalid dsthost", NULL);
	assert_refused("accept dsthost=ex*ample.org", "invalid dsthost 'ex*ample.org'", NULL);
	assert_refused("accept dsthost=exa/mple", "invalid dsthost", NULL);
	/* What the resolver reads as an IPv4 address is not a name. */
	assert_refused("accept dsthost=10.1", "invalid dsthost '10.1'", "A.B.C.D");
	assert_refused("accept dsthost=0x7f000001", "invalid dsthost '0x7f000001'", NULL);
	assert_refused("accept dsthost=2130706433", "invalid dsthost '2130706433'", NULL);
	assert_refused("accept dsthost=010.1.1.1", "invalid dsthost", NULL);

	/* 63-character labels and 253-character names are the limits. */
	memset(host, 'a', 63);
	strcpy(host + 63, ".org");
	snprintf(rule, sizeof(rule), "drop dsthost=%s", host);
	assert_canon(rule, rule);
	memset(host, 'a', 64);
	strcpy(host + 64, ".org");
	snprintf(rule, sizeof(rule), "drop dsthost=%s", host);
	assert_refused(rule, "invalid dsthost", NULL);
	/* 4 labels of 63 and one of 1: 4 * 64 + 1 = 257; trim to 253. */
	for (int i = 0; i < 253; i++)
		host[i] = (i % 64 == 63) ? '.' : 'b';
	host[253] = '\0';
	snprintf(rule, sizeof(rule), "drop dsthost=%s", host);
	snprintf(canon, sizeof(canon), "%s", rule);
	assert_canon(rule, canon);
	host[253] = 'b';
	host[254] = '\0';
	snprintf(rule, sizeof(rule), "drop dsthost=%s", host);
	assert_refused(rule, "invalid dsthost", "253");
}

static void
test_proto(void **state)
{
	assert_canon("accept proto=tcp", "accept proto=tcp");
	assert_canon("accept proto=udp", "accept proto=udp");
	assert_canon("accept proto=icmp", "accept proto=icmp");
	assert_refused("accept proto=TCP", "invalid proto 'TCP'", "tcp, udp or icmp");
	assert_refused("accept proto=sctp", "invalid proto 'sctp'", NULL);
	assert_refused("accept proto=", "invalid proto ''", NULL);
	assert_refused("accept proto=any", "invalid proto 'any'", NULL);
	assert_refused("accept proto=6", "invalid proto '6'", NULL);
}

static void
test_specialtarget(void **state)
{
	struct fwrule r;
	char err[ERRLEN];

	assert_canon("accept specialtarget=dns", "accept specialtarget=dns");
	assert_canon("accept specialtarget=dns proto=udp dstports=53",
	    "accept proto=udp specialtarget=dns dstports=53");
	assert_int_equal(parse("accept specialtarget=dns", &r, err), 0);
	assert_true(r.dns);
	assert_refused("accept specialtarget=DNS", "invalid specialtarget 'DNS'", "dns");
	assert_refused("accept specialtarget=ntp", "invalid specialtarget 'ntp'", NULL);
	assert_refused("accept specialtarget=", "invalid specialtarget ''", NULL);
	assert_refused("accept specialtarget=dns dsthost=example.org", "specialtarget",
	    "dsthost");
	assert_refused("accept dst4=1.1.1.1 specialtarget=dns", "specialtarget", "dst4");
	assert_refused("accept dst6=::1 specialtarget=dns", "specialtarget", "dst6");
}

static void
test_dstports(void **state)
{
	struct fwrule r;
	char err[ERRLEN];

	assert_canon("accept proto=tcp dstports=443", "accept proto=tcp dstports=443");
	assert_canon("accept proto=udp dstports=1", "accept proto=udp dstports=1");
	assert_canon("accept proto=tcp dstports=65535", "accept proto=tcp dstports=65535");
	assert_canon("accept proto=tcp dstports=1-65535", "accept proto=tcp dstports=1-65535");
	assert_canon("accept proto=tcp dstports=8000-8080", "accept proto=tcp dstports=8000-8080");
	assert_canon("accept proto=tcp dstports=22-22", "accept proto=tcp dstports=22");
	assert_int_equal(parse("accept proto=tcp dstports=8000-8080", &r, err), 0);
	assert_int_equal(r.port_min, 8000);
	assert_int_equal(r.port_max, 8080);

	assert_refused("accept proto=tcp dstports=70000", "invalid dstports '70000'",
	    "(expected 1-65535 or N-M)");
	assert_refused("accept proto=tcp dstports=65536", "invalid dstports '65536'", NULL);
	assert_refused("accept proto=tcp dstports=0", "invalid dstports '0'", NULL);
	assert_refused("accept proto=tcp dstports=0-10", "invalid dstports '0-10'", NULL);
	assert_refused("accept proto=tcp dstports=10-5", "invalid dstports '10-5'", NULL);
	assert_refused("accept proto=tcp dstports=10-", "invalid dstports '10-'", NULL);
	assert_refused("accept proto=tcp dstports=-10", "invalid dstports '-10'", NULL);
	assert_refused("accept proto=tcp dstports=1-2-3", "invalid dstports '1-2-3'", NULL);
	assert_refused("accept proto=tcp dstports=080", "invalid dstports '080'", NULL);
	assert_refused("accept proto=tcp dstports=https", "invalid dstports 'https'", NULL);
	assert_refused("accept proto=tcp dstports=", "invalid dstports ''", NULL);
	assert_refused("accept proto=tcp dstports=+80", "invalid dstports '+80'", NULL);
	assert_refused("accept proto=tcp dstports=99999999999999999999999",
	    "invalid dstports", NULL);
	/* Only with a protocol that has ports. */
	assert_refused("accept dstports=443", "dstports", "proto=tcp or proto=udp");
	assert_refused("accept proto=icmp dstports=443", "dstports", "proto=tcp");
}

static void
test_icmptype(void **state)
{
	struct fwrule r;
	char err[ERRLEN];

	assert_canon("accept proto=icmp icmptype=8", "accept proto=icmp icmptype=8");
	assert_canon("accept proto=icmp icmptype=0", "accept proto=icmp icmptype=0");
	assert_canon("accept proto=icmp icmptype=255", "accept proto=icmp icmptype=255");
	assert_int_equal(parse("accept proto=icmp icmptype=0", &r, err), 0);
	assert_true(r.has_icmptype);
	assert_int_equal(r.icmptype, 0);
	assert_refused("accept proto=icmp icmptype=256", "invalid icmptype '256'", "0 to 255");
	assert_refused("accept proto=icmp icmptype=-1", "invalid icmptype '-1'", NULL);
	assert_refused("accept proto=icmp icmptype=echo", "invalid icmptype 'echo'", NULL);
	assert_refused("accept proto=icmp icmptype=", "invalid icmptype ''", NULL);
	assert_refused("accept proto=icmp icmptype=08", "invalid icmptype '08'", NULL);
	assert_refused("accept icmptype=8", "icmptype", "proto=icmp");
	assert_refused("accept proto=tcp icmptype=8", "icmptype", "proto=icmp");
}

static void
test_expire(void **state)
{
	struct fwrule r;
	char err[ERRLEN];

	assert_canon("drop expire=1700000000", "drop expire=1700000000");
	assert_canon("drop expire=1", "drop expire=1");
	assert_canon("drop expire=253402300799", "drop expire=253402300799");
	assert_int_equal(parse("drop expire=1700000000", &r, err), 0);
	assert_int_equal(r.expire, 1700000000);
	assert_refused("drop expire=0", "invalid expire '0'", "epoch seconds");
	assert_refused("drop expire=253402300800", "invalid expire '253402300800'", NULL);
	assert_refused("drop expire=-5", "invalid expire '-5'", NULL);
	assert_refused("drop expire=+300", "invalid expire '+300'", NULL);
	assert_refused("drop expire=soon", "invalid expire 'soon'", NULL);
	assert_refused("drop expire=", "invalid expire ''", NULL);
	assert_refused("drop expire=1e9", "invalid expire '1e9'", NULL);
	assert_refused("drop expire=99999999999999999999999999", "invalid expire", NULL);
}

static void
test_comment(void **state)
{
	char rule[400], c[200];
	struct fwrule r;
	char err[ERRLEN];

	assert_canon("drop comment=block everything", "drop comment=block everything");
	assert_canon("drop comment=x", "drop comment=x");
	/* The comment takes the rest of the line, = and key=value included. */
	assert_canon("drop comment=a proto=tcp b=c", "drop comment=a proto=tcp b=c");
	assert_int_equal(parse("drop comment=a proto=tcp", &r, err), 0);
	assert_int_equal(r.proto, FWRULE_PROTO_ANY);
	assert_string_equal(r.comment, "a proto=tcp");
	/* Printable ASCII: backslashes, quotes other than '"' and spaces. */
	assert_canon("drop comment=it's a \\ path", "drop comment=it's a \\ path");
	assert_canon("drop comment=  spaced  ", "drop comment=  spaced  ");
	assert_canon("drop  proto=tcp   comment=x", "drop proto=tcp comment=x");

	assert_refused("drop comment=", "invalid comment ''", NULL);
	assert_refused("drop comment=say \"hi\"", "invalid comment", NULL);
	assert_refused("drop comment=tab\there", "invalid comment", NULL);
	assert_canon("drop comment=x comment=y", "drop comment=x comment=y");
	assert_refused("drop comment=caf\xc3\xa9", "invalid byte 0xc3", "position 17");
	/* 128 characters, not 129. */
	memset(c, 'c', 128);
	c[128] = '\0';
	snprintf(rule, sizeof(rule), "accept comment=%s", c);
	assert_canon(rule, rule);
	c[128] = 'c';
	c[129] = '\0';
	snprintf(rule, sizeof(rule), "accept comment=%s", c);
	assert_refused(rule, "invalid comment", "128");
}

/* Field order is free on input and fixed on output. */
static void
test_order(void **state)
{
	static const char *const perms[] = {
		"accept dsthost=example.org proto=tcp dstports=443 expire=2000000000 comment=web",
		"accept proto=tcp dsthost=example.org dstports=443 expire=2000000000 comment=web",
		"accept dstports=443 proto=tcp dsthost=example.org expire=2000000000 comment=web",
		"accept expire=2000000000 dstports=443 dsthost=example.org proto=tcp comment=web",
		"accept   expire=2000000000\tdstports=443  dsthost=EXAMPLE.org proto=tcp comment=web",
	};
	for (size_t i = 0; i < sizeof(perms) / sizeof(perms[0]); i++)
		assert_canon(perms[i], perms[0]);
	assert_canon("drop icmptype=3 proto=icmp dst4=10.0.0.0/8",
	    "drop dst4=10.0.0.0/8 proto=icmp icmptype=3");
	assert_canon("accept dstports=53 specialtarget=dns proto=udp",
	    "accept proto=udp specialtarget=dns dstports=53");

	/* A bare action first; the comment last (it takes the rest). */
	assert_refused("proto=tcp accept", "invalid field 'accept'", "key=value");
	assert_refused("comment=x drop", "missing action", NULL);
	assert_refused("drop proto=tcp accept", "invalid field 'accept'", NULL);
	/* Every field once; one destination. */
	assert_refused("drop proto=tcp proto=udp", "duplicate field 'proto'", NULL);
	assert_refused("drop proto=tcp dstports=1 dstports=1", "duplicate field 'dstports'", NULL);
	assert_refused("drop expire=5 expire=5", "duplicate field 'expire'", NULL);
	assert_refused("drop dst4=1.2.3.4 dst4=1.2.3.4", "duplicate field 'dst4'", NULL);
	assert_refused("drop dst4=1.2.3.4 dsthost=example.org", "dsthost conflicts with dst4",
	    NULL);
	assert_refused("drop dsthost=example.org dst6=::1", "dst6 conflicts with dsthost", NULL);
	assert_refused("drop dst6=::1 dst4=1.2.3.4", "dst4 conflicts with dst6", NULL);
	assert_refused("drop dstname=example.org dst4=1.2.3.4", "dst4 conflicts with dstname",
	    NULL);
	assert_refused("drop dstnames=example.org", "unknown field 'dstnames'", NULL);
	assert_refused("drop Proto=tcp", "unknown field 'Proto'", NULL);
	assert_refused("drop =tcp", "unknown field ''", NULL);
	assert_refused("drop proto", "invalid field 'proto'", "key=value");
	assert_refused("drop proto=tcp,dstports=1", "invalid proto 'tcp,dstports=1'", NULL);
}

/* Bytes: control characters and non-ASCII are refused wherever they are;
 * overlong input is refused without being read past the limit. */
static void
test_limits(void **state)
{
	char *big, err[ERRLEN], buf[FWRULE_TEXT_MAX], host[FWRULE_HOST_MAX + 1], c[200];
	struct fwrule r;
	int n;

	assert_refused("drop\n", "invalid byte 0x0a", "position 5");
	assert_refused("drop\r", "invalid byte 0x0d", NULL);
	assert_refused("drop proto=tcp\x01", "invalid byte 0x01", NULL);
	assert_refused("drop\x7f", "invalid byte 0x7f", NULL);
	assert_refused("\xff", "invalid byte 0xff", NULL);

	/* 511 characters pass the length check, 512 do not; the parser
	 * stops reading at the limit even without a terminator nearby. */
	big = malloc(FWRULE_TEXT_MAX + 1);
	assert_non_null(big);
	memset(big, ' ', FWRULE_TEXT_MAX + 1);
	memcpy(big, "drop", 4);
	big[FWRULE_TEXT_MAX - 1] = '\0';
	assert_int_equal(fwrule_parse(big, &r, err, sizeof(err)), 0);
	big[FWRULE_TEXT_MAX - 1] = ' ';
	big[FWRULE_TEXT_MAX] = '\0';
	assert_int_equal(fwrule_parse(big, &r, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "longer than 511"));
	free(big);
	big = malloc(FWRULE_TEXT_MAX); /* no terminator at all */
	assert_non_null(big);
	memset(big, 'x', FWRULE_TEXT_MAX);
	assert_int_equal(fwrule_parse(big, &r, err, sizeof(err)), -1);
	free(big);

	/* The longest canonical rule fits FWRULE_TEXT_MAX. */
	memset(host, 'h', FWRULE_HOST_MAX);
	for (int i = 63; i < FWRULE_HOST_MAX; i += 64)
		host[i] = '.';
	host[FWRULE_HOST_MAX] = '\0';
	memset(c, '\\', 128);
	c[128] = '\0';
	n = snprintf(buf, sizeof(buf), "accept dsthost=%s proto=tcp dstports=65534-65535 "
	    "expire=253402300799 comment=%s", host, c);
	assert_true(n < FWRULE_TEXT_MAX);
	assert_canon(buf, buf);

	/* A small buffer: truncated, terminated, and the length needed told. */
	assert_int_equal(fwrule_parse("drop proto=tcp dstports=1", &r, err, sizeof(err)), 0);
	memset(buf, 'Z', sizeof(buf));
	n = fwrule_format(&r, buf, 8);
	assert_int_equal(n, (int)strlen("drop proto=tcp dstports=1"));
	assert_string_equal(buf, "drop pr");
	assert_int_equal(fwrule_format(&r, NULL, 0), n);
	assert_int_equal(fwrule_canonical("drop proto=tcp dstports=1", buf, 8, err, sizeof(err)), -1);
	assert_int_equal(fwrule_canonical("drop  proto=tcp", buf, sizeof(buf), err, sizeof(err)), 0);
	assert_string_equal(buf, "drop proto=tcp");

	/* A tiny error buffer is still terminated; NULL is allowed. */
	memset(err, 'E', sizeof(err));
	assert_int_equal(fwrule_parse("drop proto=x", &r, err, 5), -1);
	assert_int_equal(strlen(err), 4);
	assert_int_equal(fwrule_parse("drop proto=x", &r, NULL, 0), -1);

	/* Long values are shortened in errors. */
	memset(buf, 'p', 400);
	memcpy(buf, "drop proto=", 11);
	buf[400] = '\0';
	assert_int_equal(fwrule_parse(buf, &r, err, sizeof(err)), -1);
	assert_true(strlen(err) < 120);
	assert_non_null(strstr(err, "...'"));
}

static void
test_expired(void **state)
{
	struct fwrule r;
	char err[ERRLEN];

	assert_int_equal(parse("drop", &r, err), 0);
	assert_false(fwrule_expired(&r, 0));
	assert_false(fwrule_expired(&r, (time_t)FWRULE_EXPIRE_MAX));
	assert_int_equal(parse("drop expire=1700000000", &r, err), 0);
	assert_false(fwrule_expired(&r, 0));
	assert_false(fwrule_expired(&r, 1699999999));
	assert_true(fwrule_expired(&r, 1700000000));
	assert_true(fwrule_expired(&r, 1700000001));
	assert_true(fwrule_expired(&r, time(NULL)));
	assert_int_equal(parse("drop expire=253402300799", &r, err), 0);
	assert_false(fwrule_expired(&r, time(NULL)));
}

static void
test_action_names(void **state)
{
	int a = -1;

	assert_string_equal(fwrule_action_name(FWRULE_ACCEPT), "accept");
	assert_string_equal(fwrule_action_name(FWRULE_DROP), "drop");
	assert_string_equal(fwrule_action_name(7), "?");
	assert_int_equal(fwrule_action_parse("drop", &a), 0);
	assert_int_equal(a, FWRULE_DROP);
	assert_int_equal(fwrule_action_parse("accept", &a), 0);
	assert_int_equal(a, FWRULE_ACCEPT);
	assert_int_equal(fwrule_action_parse("deny", &a), -1);
	assert_int_equal(a, FWRULE_ACCEPT);
}

/* Every combination of one value per field (or none) is accepted or refused
 * as the cross-field rules say, and accepted ones round-trip. */
static void
test_combinations(void **state)
{
	static const char *const dst[] = { "", " dst4=10.0.0.0/8", " dst6=fd00::/8",
		" dsthost=example.org" };
	static const char *const proto[] = { "", " proto=tcp", " proto=udp", " proto=icmp" };
	static const char *const special[] = { "", " specialtarget=dns" };
	static const char *const ports[] = { "", " dstports=80", " dstports=1000-2000" };
	static const char *const icmp[] = { "", " icmptype=3" };
	static const char *const expire[] = { "", " expire=1800000000" };
	static const char *const comment[] = { "", " comment=c c" };
	char rule[FWRULE_TEXT_MAX], err[ERRLEN];
	struct fwrule r;
	int accepted = 0;

	for (int a = 0; a < 2; a++)
	for (size_t d = 0; d < 4; d++)
	for (size_t p = 0; p < 4; p++)
	for (size_t s = 0; s < 2; s++)
	for (size_t o = 0; o < 3; o++)
	for (size_t i = 0; i < 2; i++)
	for (size_t e = 0; e < 2; e++)
	for (size_t c = 0; c < 2; c++) {
		bool valid = (o == 0 || p == 1 || p == 2) && (i == 0 || p == 3) &&
		    (s == 0 || d == 0);
		/* canonical order already */
		snprintf(rule, sizeof(rule), "%s%s%s%s%s%s%s%s", a ? "drop" : "accept", dst[d],
		    proto[p], special[s], ports[o], icmp[i], expire[e], comment[c]);
		if ((parse(rule, &r, err) == 0) != valid)
			fail_msg("'%s': %s", rule, valid ? err : "accepted");
		if (valid) {
			assert_canon(rule, rule);
			accepted++;
		}
	}
	assert_true(accepted > 100);
}

/* dsthost takes what Qubes' DstHost takes (its tests and qvm-firewall's
 * help: 10.5.3.2, 192.168.0.0/16, www.example.com, fd00::/8): an address
 * or network becomes a dst4 or dst6 rule, which dst4= and dst6= check
 * by family. */
static void
test_dsthost_addresses(void **state)
{
	struct fwrule r;
	char err[ERRLEN];

	assert_canon("accept dsthost=10.5.3.2", "accept dst4=10.5.3.2");
	assert_canon("accept dsthost=127.0.0.1/32", "accept dst4=127.0.0.1");
	assert_canon("accept dsthost=192.168.0.0/16", "accept dst4=192.168.0.0/16");
	assert_canon("accept dsthost=127.0.0.0/8", "accept dst4=127.0.0.0/8");
	assert_canon("accept dsthost=0.0.0.0/0", "accept dst4=0.0.0.0/0");
	assert_canon("accept dsthost=fd00::/8", "accept dst6=fd00::/8");
	assert_canon("accept dsthost=2001:abcd:efab::3", "accept dst6=2001:abcd:efab::3");
	assert_canon("accept dsthost=2001:abcd:efab::/64", "accept dst6=2001:abcd:efab::/64");
	assert_canon("accept dsthost=2001:ABCD:EFAB::3/128", "accept dst6=2001:abcd:efab::3");
	assert_canon("accept dsthost=::1", "accept dst6=::1");
	assert_canon("accept dsthost=::/0", "accept dst6=::/0");
	assert_canon("drop dstname=example.org", "drop dsthost=example.org");
	assert_canon("drop dstname=fd00::/8", "drop dst6=fd00::/8");
	assert_int_equal(parse("accept dsthost=fd00::/8", &r, err), 0);
	assert_int_equal(r.dst, FWRULE_DST6);
	assert_int_equal(r.prefix, 8);
	assert_int_equal(r.addr[0], 0xfd);
	assert_int_equal(parse("accept dsthost=192.168.0.0/16", &r, err), 0);
	assert_int_equal(r.dst, FWRULE_DST4);
	assert_int_equal(r.prefix, 16);
	assert_memory_equal(r.addr, "\xc0\xa8\x00\x00", 4);

	/* Qubes' refusals: prefix out of range, shortened or bad addresses,
	 * a prefix on a name; errors name dsthost. */
	assert_refused("accept dsthost=127.0.0.0/33", "invalid dsthost '127.0.0.0/33'", "0 to 32");
	assert_refused("accept dsthost=127.0.0.0/-1", "invalid dsthost", NULL);
	assert_refused("accept dsthost=127/8", "invalid dsthost '127/8'", NULL);
	assert_refused("accept dsthost=137.327.0.0/16", "invalid dsthost", NULL);
	assert_refused("accept dsthost=1.2.3.4.5/32", "invalid dsthost", NULL);
	assert_refused("accept dsthost=example.org/24", "invalid dsthost 'example.org/24'", NULL);
	assert_refused("accept dsthost=2001:abcd:efab::3/129", "invalid dsthost", "0 to 128");
	assert_refused("accept dsthost=2001:abcd:efab::3/-1", "invalid dsthost", NULL);
	assert_refused("accept dsthost=2001:abcd:efab0123::3/128", "invalid dsthost", NULL);
	assert_refused("accept dsthost=2001:abcd:efab:3/128", "invalid dsthost", NULL);
	assert_refused("accept dsthost=2001:abcd:efab:a:a:a:a:a:a:3/128", "invalid dsthost", NULL);
	assert_refused("accept dsthost=2001:abcd:efgh::3/128", "invalid dsthost", NULL);
	assert_refused("accept dsthost=fe80::1%eth0", "invalid dsthost", NULL);
	assert_refused("accept dsthost=1.2.3.4/24/24", "invalid dsthost", NULL);
	assert_refused("accept dsthost=https://qubes-os.org", "invalid dsthost", NULL);
	/* Host bits past the prefix: what Qubes' own tests mark as to refuse. */
	assert_refused("accept dsthost=2001:abcd:efab::3/64", "invalid dsthost",
	    "2001:abcd:efab::/64");
	assert_refused("accept dsthost=10.1.2.3/8", "invalid dsthost '10.1.2.3/8'", "10.0.0.0/8");

	/* dst4 is IPv4 only, dst6 IPv6 only. */
	assert_refused("accept dst4=fd00::/8", "invalid dst4 'fd00::/8'", NULL);
	assert_refused("accept dst6=10.0.0.0/8", "invalid dst6 '10.0.0.0/8'", NULL);
	assert_refused("accept dst4=example.org", "invalid dst4", NULL);
	assert_refused("accept dst6=example.org", "invalid dst6", NULL);
}

/* Qubes' qvm-firewall form: every field key=value, action= included, in
 * any order; it formats back as `qvm-firewall --raw` prints it. */
static void
assert_qubes(const char *text, const char *canon, const char *qubes)
{
	struct fwrule r, back;
	char err[ERRLEN], buf[FWRULE_TEXT_MAX];
	int n;

	assert_canon(text, canon);
	assert_int_equal(parse(text, &r, err), 0);
	n = fwrule_format_qubes(&r, buf, sizeof(buf));
	assert_int_equal(n, (int)strlen(buf));
	if (strcmp(buf, qubes) != 0)
		fail_msg("'%s' formats for Qubes as '%s', expected '%s'", text, buf, qubes);
	if (parse(buf, &back, err) != 0)
		fail_msg("Qubes form '%s' refused: %s", buf, err);
	if (memcmp(&r, &back, sizeof(r)) != 0)
		fail_msg("Qubes form '%s' parses back to another rule", buf);
}

static void
test_qubes_form(void **state)
{
	char buf[8];
	struct fwrule r;
	char err[ERRLEN];

	assert_qubes("action=accept", "accept", "action=accept");
	assert_qubes("action=drop", "drop", "action=drop");
	assert_qubes("action=accept proto=tcp dstports=443", "accept proto=tcp dstports=443",
	    "action=accept proto=tcp dstports=443-443");
	/* Qubes' own test strings. */
	assert_qubes("action=drop proto=tcp dstports=80-80", "drop proto=tcp dstports=80",
	    "action=drop proto=tcp dstports=80-80");
	assert_qubes("action=accept expire=2063292452 proto=tcp comment=Some comment, with spaces",
	    "accept proto=tcp expire=2063292452 comment=Some comment, with spaces",
	    "action=accept proto=tcp expire=2063292452 comment=Some comment, with spaces");
	assert_qubes("action=accept dsthost=qubes-os.org", "accept dsthost=qubes-os.org",
	    "action=accept dsthost=qubes-os.org");
	assert_qubes("proto=tcp dstports=22 action=drop dst4=10.0.0.0/8",
	    "drop dst4=10.0.0.0/8 proto=tcp dstports=22",
	    "action=drop proto=tcp dst4=10.0.0.0/8 dstports=22-22");
	assert_qubes("action=accept dst4=192.168.1.7", "accept dst4=192.168.1.7",
	    "action=accept dst4=192.168.1.7/32");
	assert_qubes("action=accept dst6=2001:db8::1 proto=udp dstports=1000-2000",
	    "accept dst6=2001:db8::1 proto=udp dstports=1000-2000",
	    "action=accept proto=udp dst6=2001:db8::1/128 dstports=1000-2000");
	assert_qubes("action=accept specialtarget=dns", "accept specialtarget=dns",
	    "action=accept specialtarget=dns");
	assert_qubes("action=accept proto=udp specialtarget=dns dstports=53",
	    "accept proto=udp specialtarget=dns dstports=53",
	    "action=accept proto=udp dstports=53-53 specialtarget=dns");
	assert_qubes("action=drop proto=icmp icmptype=8 dsthost=fd00::/8",
	    "drop dst6=fd00::/8 proto=icmp icmptype=8",
	    "action=drop proto=icmp dst6=fd00::/8 icmptype=8");
	/* The short form, given in either: the same rule. */
	assert_qubes("accept proto=tcp dstports=443", "accept proto=tcp dstports=443",
	    "action=accept proto=tcp dstports=443-443");
	/* comment= anywhere takes the rest of the line. */
	assert_qubes("action=accept comment=web action=drop", "accept comment=web action=drop",
	    "action=accept comment=web action=drop");
	assert_int_equal(parse("action=drop", &r, err), 0);
	assert_int_equal(r.action, FWRULE_DROP);
	/* A short buffer: the needed length, as snprintf. */
	assert_int_equal(fwrule_format_qubes(&r, buf, sizeof(buf)), 11);
	assert_string_equal(buf, "action=");

	assert_refused("action=allow", "invalid action 'allow'", "accept or drop");
	assert_refused("action=", "invalid action ''", NULL);
	assert_refused("action=accept action=drop", "duplicate field 'action'", NULL);
	assert_refused("accept action=accept", "duplicate field 'action'", NULL);
	assert_refused("drop action=accept", "duplicate field 'action'", NULL);
	assert_refused("proto=tcp", "missing action", NULL);
	assert_refused("proto=tcp dstports=443", "missing action", NULL);
	assert_refused("comment=x action=accept", "missing action", NULL);
	assert_refused("action=accept accept", "invalid field 'accept'", "key=value");
	assert_refused("action=accept dstports=443", "dstports needs proto", NULL);
	assert_refused("action=accept icmptype=8", "icmptype needs proto=icmp", NULL);
	assert_refused("action=accept specialtarget=dns dsthost=x.org",
	    "specialtarget=dns conflicts with dsthost", NULL);
	assert_refused("Action=accept", "unknown field 'Action'", NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_action),
		cmocka_unit_test(test_dst4),
		cmocka_unit_test(test_dst6),
		cmocka_unit_test(test_dsthost),
		cmocka_unit_test(test_dsthost_addresses),
		cmocka_unit_test(test_qubes_form),
		cmocka_unit_test(test_proto),
		cmocka_unit_test(test_specialtarget),
		cmocka_unit_test(test_dstports),
		cmocka_unit_test(test_icmptype),
		cmocka_unit_test(test_expire),
		cmocka_unit_test(test_comment),
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_expired),
		cmocka_unit_test(test_action_names),
		cmocka_unit_test(test_combinations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
