/* The host side of a host-nat uplink (ns backend only): the one place the
 * host itself routes for the appliance, as a home router would for a
 * machine plugged into it. A veth "bhnatN" with a /30 of 10.138.0.0/16;
 * the host forwards for it and masquerades it (legacy iptables through
 * libiptc, in chains of domd's own). sys-net's root is as hostile as any
 * qube's: the host takes only replies from the link, on every address of
 * its own, and no IPv6 at all. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "domd.h"
#include "iptc_entry.h"
#include "log.h"
#include "netcfg.h"
#include "nlnet.h"
#include "ns_net.h"
#include "readfile.h"

#define HOSTNAT_BASE 0x0a8a0000u /* 10.138.0.0 */
#define HOSTNAT_PREFIX "bhnat"
#define IP_FORWARD "/proc/sys/net/ipv4/ip_forward"

/* The host's forwarding is turned on for the first host-nat uplink and
 * back to what it was when the last one goes; what it was is kept in the
 * run directory, so that a restarted domd still knows. */
static int users;

static const char *
was_path(void)
{
	static char buf[1100];
	snprintf(buf, sizeof(buf), "%s/hostnat.ip_forward", domd.paths.run_dir);
	return buf;
}

static void
names(const struct vm *netvm, char *ifname, uint32_t *subnet)
{
	uint32_t ip = 0, n;

	netcfg_ip_parse(netvm->q.ip, &ip);
	n = ntohl(ip) & 0x3fff; /* 16384 /30s in 10.138.0.0/16 */
	snprintf(ifname, 16, HOSTNAT_PREFIX "%u", n);
	*subnet = htonl(HOSTNAT_BASE + n * 4);
}

/* The host's rules for the links live in chains of their own, one per
 * hook, jumped to from the top of the built-in chain while any link is up.
 * Each entry in them names its link's interface (or its /30): one link's
 * entries go alone, and the host's own rules are never touched. */
struct hook {
	bool nat;
	xt_chainlabel builtin, chain; /* libiptc reads whole labels */
};

static const struct hook hooks[] = {
	{ false, "INPUT", "BULKHEAD-NAT-INPUT" },
	{ false, "FORWARD", "BULKHEAD-NAT-FORWARD" },
	{ true, "POSTROUTING", "BULKHEAD-NAT-POSTROUTING" },
};

/* A link's entries, per hook. The host takes from the link only replies
 * to its own connections, on any of its addresses; the link's packets go
 * anywhere but into another host-nat link, and only replies come back. */
static int
link_specs(const struct hook *hk, const char *ifname, uint32_t subnet, struct ipt_spec *s)
{
	const struct ipt_spec none = { .icmptype = -1 };

	for (int i = 0; i < 4; i++)
		s[i] = none;
	if (hk->nat) {
		s[0].src = subnet;
		s[0].smask = htonl(0xfffffffcu);
		s[0].target = "MASQUERADE";
		return 1;
	}
	if (!strcmp(hk->builtin, "INPUT")) {
		s[0].in = s[1].in = ifname;
		s[0].state = true;
		s[0].target = "ACCEPT";
		s[1].target = "DROP";
		return 2;
	}
	s[0].in = s[1].in = ifname;
	s[0].out = HOSTNAT_PREFIX "+";
	s[0].target = "DROP";
	s[1].target = "ACCEPT";
	s[2].out = s[3].out = ifname;
	s[2].state = true;
	s[2].target = "ACCEPT";
	s[3].target = "DROP";
	return 4;
}

/* What delete_if() deletes: the entries of one link (its interface or
 * its /30), or the jumps to one chain. */
struct which {
	const char *ifname;
	uint32_t subnet;
	const char *jump_to;
};

static bool
matches(const struct ipt_entry *e, struct xtc_handle *h, const struct which *w)
{
	if (w->jump_to != NULL)
		return !strcmp(iptc_get_target(e, h), w->jump_to);
	return !strcmp(e->ip.iniface, w->ifname) || !strcmp(e->ip.outiface, w->ifname) ||
	    (e->ip.src.s_addr == w->subnet && e->ip.smsk.s_addr == htonl(0xfffffffcu));
}

static void
delete_if(struct xtc_handle *h, const char *chain, const struct which *w)
{
	unsigned num = 0;

	for (const struct ipt_entry *e = iptc_first_rule(chain, h); e != NULL;) {
		if (matches(e, h, w) && iptc_delete_num_entry(chain, num, h)) {
			e = iptc_first_rule(chain, h);
			num = 0;
			continue;
		}
		e = iptc_next_rule(e, h);
		num++;
	}
}

/* hk's chain, made, and jumped to from the top of its built-in chain
 * unless a jump is there already. */
static bool
hook_up(struct xtc_handle *h, const struct hook *hk)
{
	const struct ipt_spec jump = { .target = hk->chain, .icmptype = -1 };
	const struct ipt_entry *e;
	struct ipt_ebuf eb;

	if (!iptc_is_chain(hk->chain, h) && !iptc_create_chain(hk->chain, h))
		return false;
	for (e = iptc_first_rule(hk->builtin, h); e != NULL; e = iptc_next_rule(e, h))
		if (!strcmp(iptc_get_target(e, h), hk->chain))
			return true;
	ipt_encode(&eb, &jump);
	return iptc_insert_entry(hk->builtin, IPT_EBUF_ENTRY(&eb), 0, h);
}

/* Once the last link is gone, its jump and chain go too. */
static void
hook_down(struct xtc_handle *h, const struct hook *hk)
{
	const struct which jumps = { .jump_to = hk->chain };

	if (!iptc_is_chain(hk->chain, h) || iptc_first_rule(hk->chain, h) != NULL)
		return;
	delete_if(h, hk->builtin, &jumps);
	iptc_delete_chain(hk->chain, h);
}

static int
rules(const char *ifname, uint32_t subnet, bool add, char *err, size_t errlen)
{
	struct xtc_handle *f = iptc_init("filter"), *n = iptc_init("nat");
	const struct which link = { .ifname = ifname, .subnet = subnet };
	int r = -1;

	if (f == NULL || n == NULL) {
		snprintf(err, errlen, "host iptables: %s", iptc_strerror(errno));
		goto out;
	}
	for (size_t i = 0; i < sizeof(hooks) / sizeof(hooks[0]); i++) {
		const struct hook *hk = &hooks[i];
		struct xtc_handle *h = hk->nat ? n : f;
		struct ipt_spec specs[4];
		struct ipt_ebuf eb;
		int nspecs = link_specs(hk, ifname, subnet, specs);

		if (iptc_is_chain(hk->chain, h))
			delete_if(h, hk->chain, &link);
		if (!add) {
			hook_down(h, hk);
			continue;
		}
		if (!hook_up(h, hk))
			goto fail;
		for (int j = 0; j < nspecs; j++) {
			ipt_encode(&eb, &specs[j]);
			if (!iptc_append_entry(hk->chain, IPT_EBUF_ENTRY(&eb), h))
				goto fail;
		}
	}
	if (!iptc_commit(f) || !iptc_commit(n)) {
		snprintf(err, errlen, "host iptables commit: %s", iptc_strerror(errno));
		goto out;
	}
	r = 0;
	goto out;
fail:
	snprintf(err, errlen, "host iptables: %s", iptc_strerror(errno));
out:
	if (f != NULL)
		iptc_free(f);
	if (n != NULL)
		iptc_free(n);
	return r;
}

static int
write_small_file(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ssize_t w = -1;

	if (fd >= 0) {
		w = write(fd, value, strlen(value));
		close(fd);
	}
	return w == (ssize_t)strlen(value) ? 0 : -1;
}

/* The host's end takes no IPv6: the link-local address it would get is
 * a way to the host's services that the IPv4 rules do not see. */
static int
no_ipv6(const char *ifname, char *err, size_t errlen)
{
	char path[96];

	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6", ifname);
	if (write_small_file(path, "1") < 0 && errno != ENOENT) {
		snprintf(err, errlen, "cannot turn IPv6 off on %s: %s", ifname, strerror(errno));
		return -1;
	}
	return 0;
}

int
hostnat_up(struct vm *netvm, const char *inside, struct net_uplink *up, char *err, size_t errlen)
{
	char ifname[16];
	uint32_t subnet;
	struct nl_sock *host = NULL, *in = NULL;
	int fd = -1, r = -1;

	names(netvm, ifname, &subnet);
	if ((in = nlnet_open(netvm->rt.init_pid, err, errlen)) == NULL ||
	    (host = nlnet_open(0, err, errlen)) == NULL)
		goto out;
	if (!nlnet_link_exists(in, inside)) {
		if ((fd = nlnet_ns_fd(netvm->rt.init_pid)) < 0) {
			snprintf(err, errlen, "cannot open the network namespace of %s",
			    netvm->q.name);
			goto out;
		}
		/* A stale host end (its netvm died while domd was away) is in the way. */
		if (nlnet_link_del(host, ifname, err, errlen) < 0 ||
		    nlnet_veth_create(host, ifname, -1, inside, fd, err, errlen) < 0)
			goto out;
	}
	if (no_ipv6(ifname, err, errlen) < 0 ||
	    nlnet_addr_add(host, ifname, htonl(ntohl(subnet) + 1), 30, err, errlen) < 0 ||
	    nlnet_link_up(host, ifname, err, errlen) < 0)
		goto out;
	if (users == 0 && access(was_path(), F_OK) < 0) {
		char was[8];
		if (read_text_file(IP_FORWARD, was, sizeof(was)) == 0)
			write_small_file(was_path(), was);
	}
	if (write_small_file(IP_FORWARD, "1") < 0) {
		snprintf(err, errlen, "cannot enable forwarding on the host: %s", strerror(errno));
		goto out;
	}
	if (rules(ifname, subnet, true, err, errlen) < 0)
		goto out;
	up->addr = htonl(ntohl(subnet) + 2);
	up->prefix = 30;
	up->gw = htonl(ntohl(subnet) + 1);
	users++;
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	nlnet_close(in);
	nlnet_close(host);
	return r;
}

void
hostnat_down(struct vm *netvm)
{
	char ifname[16], err[256];
	uint32_t subnet;

	struct nl_sock *host;

	names(netvm, ifname, &subnet);
	if (rules(ifname, subnet, false, err, sizeof(err)) < 0)
		log_warnx("%s: %s", netvm->q.name, err);
	/* The kernel removes it with the netvm's namespace, but later. */
	if ((host = nlnet_open(0, err, sizeof(err))) == NULL ||
	    nlnet_link_del(host, ifname, err, sizeof(err)) < 0)
		log_warnx("%s: %s", netvm->q.name, err);
	nlnet_close(host);
	if (users > 0 && --users == 0) {
		char was[8];
		if (read_text_file(was_path(), was, sizeof(was)) == 0 &&
		    write_small_file(IP_FORWARD, was) < 0)
			log_warn("%s: cannot restore %s", netvm->q.name, IP_FORWARD);
		unlink(was_path());
	}
}
