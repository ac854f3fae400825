/* Unit tests for netvm-firewall/fw_iptc.h: applies hand-built
 * configurations to the kernel's legacy iptables and ip6tables in a private
 * network namespace and checks what iptables-legacy-save and
 * ip6tables-legacy-save read back. Needs root
 * (unshare(CLONE_NEWNET)); skipped otherwise. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fw_iptc.h"
#include "fwrule.h"
#include "netcfg.h"

#define ERRLEN 512
#define MAXRULES 16
#define NOW 1700000000

static int have_netns;

struct tclient {
	struct netcfg_client c;
	struct fwrule rules[MAXRULES];
};

static uint32_t
ip(const char *s)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		fail_msg("bad address in test: %s", s);
	return a.s_addr;
}

/* A client with its rules given as rule texts, NULL-terminated. */
static void
client(struct tclient *t, const char *name, const char *addr, const char *ifname, int policy,
    ...)
{
	char err[ERRLEN];
	const char *text;
	va_list ap;

	memset(t, 0, sizeof(*t));
	snprintf(t->c.name, sizeof(t->c.name), "%s", name);
	snprintf(t->c.ifname, sizeof(t->c.ifname), "%s", ifname);
	t->c.ip = ip(addr);
	t->c.policy = policy;
	t->c.rules = t->rules;
	va_start(ap, policy);
	while ((text = va_arg(ap, const char *)) != NULL) {
		assert_true(t->c.nrules < MAXRULES);
		if (fwrule_parse(text, &t->rules[t->c.nrules], err, sizeof(err)) != 0)
			fail_msg("rule '%s' refused: %s", text, err);
		t->c.nrules++;
	}
	va_end(ap);
}

static void
cfg_init(struct netcfg *cfg, struct netcfg_client *clients, int n, const char *upstream,
    const char *res1, const char *res2)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->upstream, sizeof(cfg->upstream), "%s", upstream);
	if (res1 != NULL)
		cfg->resolvers[cfg->nresolvers++] = ip(res1);
	if (res2 != NULL)
		cfg->resolvers[cfg->nresolvers++] = ip(res2);
	cfg->clients = clients;
	cfg->nclients = n;
}

static struct fw_addr
addr(int af, const char *s)
{
	struct fw_addr a = { { 0 } };

	if (inet_pton(af, s, a.a) != 1)
		fail_msg("bad address in test: %s", s);
	return a;
}

/* two.example: two IPv4 addresses; dual.example: one of each family;
 * v4only.example: IPv4 only. */
/* work (rules given) and mail (policy accept, no rules) behind eth0 with
 * one resolver: the configuration of the layout tests. */
static void
work_and_mail(struct netcfg *cfg, struct netcfg_client clients[2], const struct tclient *work,
    struct tclient *mail)
{
	client(mail, "mail", "10.137.0.6", "vif6", FWRULE_ACCEPT, NULL);
	clients[0] = work->c;
	clients[1] = mail->c;
	cfg_init(cfg, clients, 2, "eth0", "192.168.77.1", NULL);
}

static int
test_resolve(const char *host, int af, struct fw_addr *out, int max, char *err, size_t errlen)
{
	if (strcmp(host, "two.example") == 0 && af == AF_INET && max >= 3) {
		out[0] = addr(af, "192.0.2.10");
		out[1] = addr(af, "192.0.2.11");
		out[2] = addr(af, "192.0.2.10"); /* a repeat gives no second entry */
		return 3;
	}
	if ((strcmp(host, "dual.example") == 0 || strcmp(host, "v4only.example") == 0) &&
	    af == AF_INET) {
		out[0] = addr(af, "192.0.2.20");
		return 1;
	}
	if (strcmp(host, "dual.example") == 0 && af == AF_INET6 && max >= 2) {
		out[0] = addr(af, "2001:db8:20::1");
		out[1] = addr(af, "2001:db8:20::1");
		return 2;
	}
	snprintf(err, errlen, "no such host");
	return -1;
}

static void
apply(const struct netcfg *cfg, struct fw_result *res)
{
	char err[ERRLEN] = "";

	if (fw_iptc_apply(cfg, NOW, test_resolve, res, err, sizeof(err)) != 0)
		fail_msg("fw_iptc_apply: %s", err);
}

static void
sh(const char *cmd)
{
	if (system(cmd) != 0)
		fail_msg("'%s' failed", cmd);
}

/* An iptables-save's output, without its comment lines (dates). */
static char *
save_of(const char *cmd)
{
	FILE *p = popen(cmd, "r");
	char line[1024], *buf;
	size_t len = 0, cap = 1 << 16;

	if (p == NULL)
		fail_msg("cannot run %s", cmd);
	buf = malloc(cap);
	assert_non_null(buf);
	buf[0] = '\0';
	while (fgets(line, sizeof(line), p) != NULL) {
		size_t n = strlen(line);

		if (line[0] == '#')
			continue;
		assert_true(len + n < cap);
		memcpy(buf + len, line, n + 1);
		len += n;
	}
	if (pclose(p) != 0)
		fail_msg("%s failed", cmd);
	return buf;
}

static char *
save(void)
{
	return save_of("iptables-legacy-save");
}

static char *
save6(void)
{
	return save_of("ip6tables-legacy-save");
}

/* The rules of one chain of one table, one a line, without "-A CHAIN ". */
static char *
rules_of(const char *saved, const char *table, const char *chain)
{
	char *out = calloc(1, strlen(saved) + 1), prefix[64];
	const char *l, *nl;
	int in_table = 0;
	size_t plen;

	assert_non_null(out);
	plen = (size_t)snprintf(prefix, sizeof(prefix), "-A %s ", chain);
	for (l = saved; *l != '\0'; l = nl + 1) {
		nl = strchr(l, '\n');
		if (nl == NULL)
			break;
		if (l[0] == '*')
			in_table = (size_t)(nl - l - 1) == strlen(table) &&
			    strncmp(l + 1, table, strlen(table)) == 0;
		else if (in_table && strncmp(l, prefix, plen) == 0)
			strncat(out, l + plen, (size_t)(nl - l) + 1 - plen);
	}
	return out;
}

static void
assert_rules(const char *saved, const char *table, const char *chain, const char *expected)
{
	char *got = rules_of(saved, table, chain);

	if (strcmp(got, expected) != 0) {
		print_error("%s %s:\n--- got\n%s--- expected\n%s", table, chain, got, expected);
		free(got);
		fail();
	}
	free(got);
}

static void
assert_line(const char *saved, const char *line, int present)
{
	const char *p = saved;
	size_t n = strlen(line);

	while ((p = strstr(p, line)) != NULL) {
		if ((p == saved || p[-1] == '\n') && p[n] == '\n')
			break;
		p += n;
	}
	if ((p != NULL) != present)
		fail_msg("line '%s' %s", line, present ? "missing" : "still there");
}

/* What we wrote reads back through TOOL-restore unchanged. */
static void
assert_restores(const char *tool, const char *saved)
{
	char cmd[128], *again;

	snprintf(cmd, sizeof(cmd), "%s-save | %s-restore", tool, tool);
	sh(cmd);
	snprintf(cmd, sizeof(cmd), "%s-save", tool);
	again = save_of(cmd);
	assert_string_equal(saved, again);
	free(again);
}

static int
count_rules(const char *saved)
{
	const char *p;
	int n = 0;

	for (p = saved; (p = strstr(p, "\n-A ")) != NULL; p++)
		n++;
	return n;
}

/* The entries of both families: what fw_result counts. */
static int
count_all(const char *saved)
{
	char *s6 = save6();
	int n = count_rules(saved) + count_rules(s6);

	free(s6);
	return n;
}

static void
test_layout(void **state)
{
	struct tclient work, mail;
	struct netcfg_client clients[2];
	struct netcfg cfg;
	struct fw_result res;
	char *s;

	if (!have_netns)
		skip();
	client(&work, "work", "10.137.0.5", "vif5", FWRULE_DROP,
	    "accept proto=tcp dstports=443",
	    "accept proto=udp dstports=1000-2000",
	    "accept proto=tcp dstports=8000-8080",
	    "drop dst4=192.168.1.0/24",
	    "accept proto=icmp icmptype=8",
	    "accept proto=icmp",
	    "accept specialtarget=dns",
	    "drop dst6=2001:db8::/32",
	    "accept dsthost=two.example proto=tcp dstports=22",
	    "accept dst4=198.51.100.7 comment=one host", NULL);
	work_and_mail(&cfg, clients, &work, &mail);
	apply(&cfg, &res);
	s = save();

	assert_line(s, ":INPUT ACCEPT [0:0]", 1);
	assert_line(s, ":FORWARD DROP [0:0]", 1);
	assert_rules(s, "filter", "INPUT",
	    "-m state --state RELATED,ESTABLISHED -j ACCEPT\n"
	    "-i lo -j ACCEPT\n"
	    "-i vif+ -j DROP\n");
	assert_rules(s, "filter", "FORWARD",
	    "-s 10.137.0.5/32 -i vif5 -j bh-10.137.0.5\n"
	    "-s 10.137.0.6/32 -i vif6 -j bh-10.137.0.6\n"
	    "-i vif+ -j DROP\n"
	    "-m state --state RELATED,ESTABLISHED -j ACCEPT\n");
	assert_rules(s, "filter", "bh-10.137.0.5",
	    "-m state --state RELATED,ESTABLISHED -j ACCEPT\n"
	    "! -o vif+ -p tcp -m tcp --dport 443 -j ACCEPT\n"
	    "! -o vif+ -p udp -m udp --dport 1000:2000 -j ACCEPT\n"
	    "! -o vif+ -p tcp -m tcp --dport 8000:8080 -j ACCEPT\n"
	    "-d 192.168.1.0/24 -j DROP\n"
	    "! -o vif+ -p icmp -m icmp --icmp-type 8 -j ACCEPT\n"
	    "! -o vif+ -p icmp -j ACCEPT\n"
	    "-d 10.139.1.1/32 -p udp -m udp --dport 53 -j ACCEPT\n"
	    "-d 10.139.1.1/32 -p tcp -m tcp --dport 53 -j ACCEPT\n"
	    "-d 10.139.1.2/32 -p udp -m udp --dport 53 -j ACCEPT\n"
	    "-d 10.139.1.2/32 -p tcp -m tcp --dport 53 -j ACCEPT\n"
	    "-d 192.168.77.1/32 -p udp -m udp --dport 53 -j ACCEPT\n"
	    "-d 192.168.77.1/32 -p tcp -m tcp --dport 53 -j ACCEPT\n"
	    "-d 192.0.2.10/32 -p tcp -m tcp --dport 22 -j ACCEPT\n"
	    "-d 192.0.2.11/32 -p tcp -m tcp --dport 22 -j ACCEPT\n"
	    "-d 198.51.100.7/32 -j ACCEPT\n"
	    "-j DROP\n");
	/* Policy accept: the outside, not other clients. */
	assert_rules(s, "filter", "bh-10.137.0.6",
	    "-m state --state RELATED,ESTABLISHED -j ACCEPT\n"
	    "! -o vif+ -j ACCEPT\n"
	    "-j DROP\n");
	/* One resolver: both virtual addresses go to it. */
	assert_rules(s, "nat", "PREROUTING",
	    "-d 10.139.1.1/32 -i vif+ -p udp -m udp --dport 53 -j DNAT --to-destination 192.168.77.1\n"
	    "-d 10.139.1.1/32 -i vif+ -p tcp -m tcp --dport 53 -j DNAT --to-destination 192.168.77.1\n"
	    "-d 10.139.1.2/32 -i vif+ -p udp -m udp --dport 53 -j DNAT --to-destination 192.168.77.1\n"
	    "-d 10.139.1.2/32 -i vif+ -p tcp -m tcp --dport 53 -j DNAT --to-destination 192.168.77.1\n");
	assert_rules(s, "nat", "POSTROUTING", "-o eth0 -j MASQUERADE\n");
	assert_int_equal(res.nrules, count_all(s));
	assert_int_equal(res.nfailed, 0);
	assert_int_equal(res.next_expire, 0);

	assert_restores("iptables-legacy", s);
	free(s);
}

static void
test_two_resolvers(void **state)
{
	struct tclient a;
	struct netcfg cfg;
	struct fw_result res;
	char *s;

	if (!have_netns)
		skip();
	client(&a, "a", "10.137.0.9", "vif9", FWRULE_DROP, "accept specialtarget=dns proto=udp",
	    "accept specialtarget=dns proto=tcp dstports=80", NULL);
	/* The first resolver is the virtual address itself: no DNAT for it. */
	cfg_init(&cfg, &a.c, 1, "", "10.139.1.1", "192.168.77.3");
	apply(&cfg, &res);
	s = save();
	assert_rules(s, "nat", "PREROUTING",
	    "-d 10.139.1.2/32 -i vif+ -p udp -m udp --dport 53 -j DNAT --to-destination 192.168.77.3\n"
	    "-d 10.139.1.2/32 -i vif+ -p tcp -m tcp --dport 53 -j DNAT --to-destination 192.168.77.3\n");
	assert_rules(s, "nat", "POSTROUTING", "");
	/* proto=udp: udp only; dstports=80 excludes 53: no entry at all. */
	assert_rules(s, "filter", "bh-10.137.0.9",
	    "-m state --state RELATED,ESTABLISHED -j ACCEPT\n"
	    "-d 10.139.1.1/32 -p udp -m udp --dport 53 -j ACCEPT\n"
	    "-d 10.139.1.2/32 -p udp -m udp --dport 53 -j ACCEPT\n"
	    "-d 192.168.77.3/32 -p udp -m udp --dport 53 -j ACCEPT\n"
	    "-j DROP\n");
	assert_int_equal(res.nrules, count_all(s));
	free(s);
}

static void
test_expire(void **state)
{
	struct tclient a;
	struct netcfg cfg;
	struct fw_result res;
	char r1[80], r2[80], r3[80], *s;

	if (!have_netns)
		skip();
	snprintf(r1, sizeof(r1), "accept proto=tcp dstports=80 expire=%d", NOW - 10);
	snprintf(r2, sizeof(r2), "accept proto=tcp dstports=81 expire=%d", NOW + 100);
	snprintf(r3, sizeof(r3), "accept proto=tcp dstports=82 expire=%d", NOW + 50);
	client(&a, "a", "10.137.0.7", "vif7", FWRULE_DROP, r1, r2, r3, NULL);
	cfg_init(&cfg, &a.c, 1, "", NULL, NULL);
	apply(&cfg, &res);
	s = save();
	assert_rules(s, "filter", "bh-10.137.0.7",
	    "-m state --state RELATED,ESTABLISHED -j ACCEPT\n"
	    "! -o vif+ -p tcp -m tcp --dport 81 -j ACCEPT\n"
	    "! -o vif+ -p tcp -m tcp --dport 82 -j ACCEPT\n"
	    "-j DROP\n");
	assert_int_equal(res.next_expire, NOW + 50);
	assert_rules(s, "nat", "PREROUTING", "");
	free(s);
}

static void
test_fail_closed(void **state)
{
	struct tclient a, b, good;
	struct netcfg_client clients[3];
	struct netcfg cfg;
	struct fw_result res;
	char *s;

	if (!have_netns)
		skip();
	client(&a, "unresolved", "10.137.0.10", "vif10", FWRULE_ACCEPT,
	    "accept proto=tcp dstports=443", "accept dsthost=nowhere.example", NULL);
	client(&b, "broken", "10.137.0.11", "vif11", FWRULE_ACCEPT, "accept", NULL);
	b.c.bad = true;
	snprintf(b.c.bad_reason, sizeof(b.c.bad_reason), "firewall rule 1: invalid proto");
	client(&good, "good", "10.137.0.12", "vif12", FWRULE_ACCEPT, "drop proto=udp", NULL);
	clients[0] = a.c;
	clients[1] = b.c;
	clients[2] = good.c;
	cfg_init(&cfg, clients, 3, "eth0", NULL, NULL);
	apply(&cfg, &res);
	s = save();
	assert_rules(s, "filter", "bh-10.137.0.10", "-j DROP\n");
	assert_rules(s, "filter", "bh-10.137.0.11", "-j DROP\n");
	assert_rules(s, "filter", "bh-10.137.0.12",
	    "-m state --state RELATED,ESTABLISHED -j ACCEPT\n"
	    "-p udp -j DROP\n"
	    "! -o vif+ -j ACCEPT\n"
	    "-j DROP\n");
	assert_int_equal(res.nfailed, 2);
	assert_int_equal(res.nrules, count_all(s));

	/* Only the resolution failure. */
	cfg.nclients = 1;
	apply(&cfg, &res);
	assert_int_equal(res.nfailed, 1);
	free(s);
}

/* Structs that fwrule_parse() never makes, as a netvm might get them from
 * a future or broken sender: never a wider rule, always fail closed. */
static void
test_inconsistent_rule(void **state)
{
	struct tclient a, b;
	struct netcfg_client clients[2];
	struct netcfg cfg;
	struct fw_result res;
	char *s;

	if (!have_netns)
		skip();
	client(&a, "a", "10.137.0.50", "vif50", FWRULE_ACCEPT, "drop", NULL);
	a.rules[0].port_min = a.rules[0].port_max = 22; /* no proto */
	client(&b, "b", "10.137.0.51", "vif51", FWRULE_ACCEPT, "drop dst4=10.0.0.0/8", NULL);
	b.rules[0].prefix = 33;
	clients[0] = a.c;
	clients[1] = b.c;
	cfg_init(&cfg, clients, 2, "", NULL, NULL);
	apply(&cfg, &res);
	s = save();
	assert_rules(s, "filter", "bh-10.137.0.50", "-j DROP\n");
	assert_rules(s, "filter", "bh-10.137.0.51", "-j DROP\n");
	assert_int_equal(res.nfailed, 2);
	free(s);
}

static void
test_duplicate_address(void **state)
{
	struct tclient a, b;
	struct netcfg_client clients[2];
	struct netcfg cfg;
	struct fw_result res;
	char *s;

	if (!have_netns)
		skip();
	client(&a, "a", "10.137.0.20", "vif20", FWRULE_ACCEPT, NULL);
	client(&b, "b", "10.137.0.20", "vif21", FWRULE_ACCEPT, NULL);
	clients[0] = a.c;
	clients[1] = b.c;
	cfg_init(&cfg, clients, 2, "", NULL, NULL);
	apply(&cfg, &res);
	s = save();
	assert_rules(s, "filter", "FORWARD",
	    "-s 10.137.0.20/32 -i vif20 -j bh-10.137.0.20\n"
	    "-s 10.137.0.20/32 -i vif21 -j DROP\n"
	    "-i vif+ -j DROP\n"
	    "-m state --state RELATED,ESTABLISHED -j ACCEPT\n");
	assert_int_equal(res.nfailed, 1);
	free(s);
}

static void
test_reapply(void **state)
{
	struct tclient t[3];
	struct netcfg_client clients[3];
	struct netcfg cfg;
	struct fw_result res;
	char *s;
	int i;

	if (!have_netns)
		skip();
	client(&t[0], "a", "10.137.0.30", "vif30", FWRULE_ACCEPT, "drop proto=tcp dstports=25", NULL);
	client(&t[1], "b", "10.137.0.31", "vif31", FWRULE_DROP, NULL);
	client(&t[2], "c", "10.137.0.32", "vif32", FWRULE_DROP, NULL);
	for (i = 0; i < 3; i++)
		clients[i] = t[i].c;
	cfg_init(&cfg, clients, 3, "eth0", "192.168.77.1", NULL);
	apply(&cfg, &res);

	/* Not Bulkhead's: must survive; a stale bh- chain must not. */
	sh("iptables-legacy -N other && iptables-legacy -A other -j ACCEPT && "
	    "iptables-legacy -A OUTPUT -d 203.0.113.1/32 -j DROP && "
	    "iptables-legacy -t nat -A OUTPUT -d 203.0.113.2/32 -j ACCEPT && "
	    "iptables-legacy -N bh-10.9.9.9 && iptables-legacy -A bh-10.9.9.9 -j ACCEPT");

	cfg.clients = &clients[1];
	cfg.nclients = 1;
	cfg.upstream[0] = '\0';
	cfg.nresolvers = 0;
	apply(&cfg, &res);
	s = save();
	assert_line(s, ":bh-10.137.0.30 - [0:0]", 0);
	assert_line(s, ":bh-10.137.0.32 - [0:0]", 0);
	assert_line(s, ":bh-10.9.9.9 - [0:0]", 0);
	assert_line(s, ":bh-10.137.0.31 - [0:0]", 1);
	assert_rules(s, "filter", "FORWARD",
	    "-s 10.137.0.31/32 -i vif31 -j bh-10.137.0.31\n"
	    "-i vif+ -j DROP\n"
	    "-m state --state RELATED,ESTABLISHED -j ACCEPT\n");
	assert_rules(s, "filter", "other", "-j ACCEPT\n");
	assert_rules(s, "filter", "OUTPUT", "-d 203.0.113.1/32 -j DROP\n");
	assert_rules(s, "nat", "OUTPUT", "-d 203.0.113.2/32 -j ACCEPT\n");
	assert_rules(s, "nat", "PREROUTING", "");
	assert_rules(s, "nat", "POSTROUTING", "");
	free(s);
	sh("iptables-legacy -F OUTPUT && iptables-legacy -t nat -F OUTPUT && "
	    "iptables-legacy -F other && iptables-legacy -X other");
}

static void
test_invalid(void **state)
{
	struct tclient a;
	struct netcfg cfg;
	struct fw_result res;
	char err[ERRLEN] = "", *before, *after;

	if (!have_netns)
		skip();
	client(&a, "a", "10.137.0.40", "vif40", FWRULE_ACCEPT, NULL);
	cfg_init(&cfg, &a.c, 1, "", NULL, NULL);
	apply(&cfg, &res);
	before = save();
	/* A wildcard as upstream is refused and changes nothing. */
	snprintf(cfg.upstream, sizeof(cfg.upstream), "eth+");
	assert_int_equal(fw_iptc_apply(&cfg, NOW, test_resolve, &res, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "upstream"));
	after = save();
	assert_string_equal(before, after);
	free(before);
	free(after);
}

static void
test_getaddrinfo(void **state)
{
	struct fw_addr a[FW_RESOLVE_MAX], want4 = addr(AF_INET, "192.0.2.1"),
	    want6 = addr(AF_INET6, "2001:db8::1");
	char err[ERRLEN] = "";

	assert_int_equal(fw_resolve_getaddrinfo("192.0.2.1", AF_INET, a, FW_RESOLVE_MAX, err,
	    sizeof(err)), 1);
	assert_memory_equal(a[0].a, want4.a, 16);
	assert_int_equal(fw_resolve_getaddrinfo("2001:db8::1", AF_INET6, a, FW_RESOLVE_MAX, err,
	    sizeof(err)), 1);
	assert_memory_equal(a[0].a, want6.a, 16);
	/* An address of the other family is no address of this one. */
	assert_int_equal(fw_resolve_getaddrinfo("192.0.2.1", AF_INET6, a, FW_RESOLVE_MAX, err,
	    sizeof(err)), -1);
}

/* Without "ipv6": IPv6 from client links goes nowhere, and reaches the
 * netvm only for neighbour discovery. */
static void
test_ipv6_off(void **state)
{
	struct tclient a;
	struct netcfg cfg;
	struct fw_result res;
	char *s6;

	if (!have_netns)
		skip();
	client(&a, "a", "10.137.0.5", "vif5", FWRULE_ACCEPT, "accept dst6=2001:db8::/32", NULL);
	cfg_init(&cfg, &a.c, 1, "eth0", NULL, NULL);
	apply(&cfg, &res);
	s6 = save6();
	assert_line(s6, ":INPUT ACCEPT [0:0]", 1);
	assert_line(s6, ":FORWARD DROP [0:0]", 1);
	assert_line(s6, ":bh-10.137.0.5 - [0:0]", 0);
	assert_rules(s6, "filter", "INPUT",
	    "-m state --state RELATED,ESTABLISHED -j ACCEPT\n"
	    "-i lo -j ACCEPT\n"
	    "-i vif+ -p ipv6-icmp -m icmp6 --icmpv6-type 135 -j ACCEPT\n"
	    "-i vif+ -p ipv6-icmp -m icmp6 --icmpv6-type 136 -j ACCEPT\n"
	    "-i vif+ -j DROP\n");
	assert_rules(s6, "filter", "FORWARD",
	    "-i vif+ -j DROP\n"
	    "-m state --state RELATED,ESTABLISHED -j ACCEPT\n");
	assert_rules(s6, "nat", "POSTROUTING", "");
	free(s6);
}

/* With "ipv6": the same layout in ip6tables, each rule in the family of
 * its destination, committed in the same apply. */
static void
test_ipv6(void **state)
{
	struct tclient work, mail;
	struct netcfg_client clients[2];
	struct netcfg cfg;
	struct fw_result res;
	char *s, *s6;

	if (!have_netns)
		skip();
	client(&work, "work", "10.137.0.5", "vif5", FWRULE_DROP,
	    "accept proto=tcp dstports=443",
	    "drop dst4=192.168.1.0/24",
	    "drop dst6=2001:db8:1::/48 proto=udp",
	    "accept dsthost=fd00::/8 proto=icmp icmptype=128",
	    "accept proto=icmp",
	    "accept specialtarget=dns",
	    "accept dsthost=dual.example proto=tcp dstports=22",
	    "action=accept dst6=2001:db8::7", NULL);
	work_and_mail(&cfg, clients, &work, &mail);
	cfg.ipv6 = true;
	apply(&cfg, &res);
	s = save();
	s6 = save6();

	/* Anti-spoofing: a client's own IPv6 address on its own link. */
	assert_rules(s6, "filter", "FORWARD",
	    "-s fd09:24ef:4179::a89:5/128 -i vif5 -j bh-10.137.0.5\n"
	    "-s fd09:24ef:4179::a89:6/128 -i vif6 -j bh-10.137.0.6\n"
	    "-i vif+ -j DROP\n"
	    "-m state --state RELATED,ESTABLISHED -j ACCEPT\n");
	assert_rules(s6, "filter", "bh-10.137.0.5",
	    "-m state --state RELATED,ESTABLISHED -j ACCEPT\n"
	    "! -o vif+ -p tcp -m tcp --dport 443 -j ACCEPT\n"
	    "-d 2001:db8:1::/48 -p udp -j DROP\n"
	    "-d fd00::/8 -p ipv6-icmp -m icmp6 --icmpv6-type 128 -j ACCEPT\n"
	    "! -o vif+ -p ipv6-icmp -j ACCEPT\n"
	    "-d 2001:db8:20::1/128 -p tcp -m tcp --dport 22 -j ACCEPT\n"
	    "-d 2001:db8::7/128 -j ACCEPT\n"
	    "-j DROP\n");
	assert_rules(s6, "filter", "bh-10.137.0.6",
	    "-m state --state RELATED,ESTABLISHED -j ACCEPT\n"
	    "! -o vif+ -j ACCEPT\n"
	    "-j DROP\n");
	assert_rules(s6, "nat", "PREROUTING", "");
	assert_rules(s6, "nat", "POSTROUTING", "-o eth0 -j MASQUERADE\n");
	/* The IPv4 chain has the IPv4 rules only, as before. */
	assert_rules(s, "filter", "bh-10.137.0.5",
	    "-m state --state RELATED,ESTABLISHED -j ACCEPT\n"
	    "! -o vif+ -p tcp -m tcp --dport 443 -j ACCEPT\n"
	    "-d 192.168.1.0/24 -j DROP\n"
	    "! -o vif+ -p icmp -j ACCEPT\n"
	    "-d 10.139.1.1/32 -p udp -m udp --dport 53 -j ACCEPT\n"
	    "-d 10.139.1.1/32 -p tcp -m tcp --dport 53 -j ACCEPT\n"
	    "-d 10.139.1.2/32 -p udp -m udp --dport 53 -j ACCEPT\n"
	    "-d 10.139.1.2/32 -p tcp -m tcp --dport 53 -j ACCEPT\n"
	    "-d 192.168.77.1/32 -p udp -m udp --dport 53 -j ACCEPT\n"
	    "-d 192.168.77.1/32 -p tcp -m tcp --dport 53 -j ACCEPT\n"
	    "-d 192.0.2.20/32 -p tcp -m tcp --dport 22 -j ACCEPT\n"
	    "-j DROP\n");
	assert_int_equal(res.nrules, count_rules(s) + count_rules(s6));
	assert_int_equal(res.nfailed, 0);

	assert_restores("ip6tables-legacy", s6);
	free(s6);
	free(s);

	/* A dsthost without an IPv6 address closes that family's chain only
	 * (as Qubes); turning ipv6 off takes the client chains away. */
	client(&work, "work", "10.137.0.5", "vif5", FWRULE_ACCEPT,
	    "accept dsthost=v4only.example", NULL);
	cfg.clients = &work.c;
	cfg.nclients = 1;
	apply(&cfg, &res);
	s = save();
	s6 = save6();
	assert_rules(s6, "filter", "bh-10.137.0.5", "-j DROP\n");
	assert_rules(s, "filter", "bh-10.137.0.5",
	    "-m state --state RELATED,ESTABLISHED -j ACCEPT\n"
	    "-d 192.0.2.20/32 -j ACCEPT\n"
	    "! -o vif+ -j ACCEPT\n"
	    "-j DROP\n");
	assert_int_equal(res.nfailed, 1);
	free(s6);
	free(s);
	cfg.ipv6 = false;
	apply(&cfg, &res);
	s6 = save6();
	assert_line(s6, ":bh-10.137.0.5 - [0:0]", 0);
	assert_rules(s6, "filter", "FORWARD",
	    "-i vif+ -j DROP\n"
	    "-m state --state RELATED,ESTABLISHED -j ACCEPT\n");
	assert_rules(s6, "nat", "POSTROUTING", "");
	free(s6);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_two_resolvers),
		cmocka_unit_test(test_expire),
		cmocka_unit_test(test_fail_closed),
		cmocka_unit_test(test_inconsistent_rule),
		cmocka_unit_test(test_duplicate_address),
		cmocka_unit_test(test_reapply),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_getaddrinfo),
		cmocka_unit_test(test_ipv6_off),
		cmocka_unit_test(test_ipv6),
	};

	if (unshare(CLONE_NEWNET) == 0)
		have_netns = 1;
	else
		fprintf(stderr, "test_fw_iptc: cannot unshare a network namespace (%s): "
		    "skipping the iptables tests (they need root)\n", strerror(errno));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
