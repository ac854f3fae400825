/* The host side of a host-nat uplink (ns backend only): the one place the
 * host itself routes for the appliance, as a home router would for a
 * machine plugged into it. A veth "bhnatN" with a /30 of 10.138.0.0/16;
 * the host forwards for it and masquerades it (legacy iptables through
 * libiptc, so that every rule is found and removed again by its link). */
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
	snprintf(ifname, 16, "bhnat%u", n);
	*subnet = htonl(HOSTNAT_BASE + n * 4);
}

/* Deletes the entries of chain that use ifname or come from subnet/30. */
static void
purge(struct xtc_handle *h, const char *chain, const char *ifname, uint32_t subnet)
{
	unsigned num = 0;

	for (const struct ipt_entry *e = iptc_first_rule(chain, h); e != NULL;) {
		bool ours = !strcmp(e->ip.iniface, ifname) || !strcmp(e->ip.outiface, ifname) ||
		    (e->ip.src.s_addr == subnet && e->ip.smsk.s_addr == htonl(0xfffffffcu));
		if (ours && iptc_delete_num_entry(chain, num, h)) {
			e = iptc_first_rule(chain, h);
			num = 0;
			continue;
		}
		e = iptc_next_rule(e, h);
		num++;
	}
}

static int
rules(const char *ifname, uint32_t subnet, bool add, char *err, size_t errlen)
{
	struct xtc_handle *f = iptc_init("filter"), *n = iptc_init("nat");
	const struct ipt_spec from = { .in = ifname, .target = "ACCEPT", .icmptype = -1 },
	    to = { .out = ifname, .state = true, .target = "ACCEPT", .icmptype = -1 },
	    masq = { .src = subnet, .smask = htonl(0xfffffffcu), .target = "MASQUERADE",
		.icmptype = -1 };
	struct ipt_ebuf e1, e2, e3;
	/* libiptc reads whole chain labels. */
	static const xt_chainlabel forward = "FORWARD", postrouting = "POSTROUTING";
	int r = -1;

	if (f == NULL || n == NULL) {
		snprintf(err, errlen, "host iptables: %s", iptc_strerror(errno));
		goto out;
	}
	purge(f, "FORWARD", ifname, subnet);
	purge(n, "POSTROUTING", ifname, subnet);
	if (add) {
		ipt_encode(&e1, &from);
		ipt_encode(&e2, &to);
		ipt_encode(&e3, &masq);
		if (!iptc_insert_entry(forward, IPT_EBUF_ENTRY(&e2), 0, f) ||
		    !iptc_insert_entry(forward, IPT_EBUF_ENTRY(&e1), 0, f) ||
		    !iptc_append_entry(postrouting, IPT_EBUF_ENTRY(&e3), n)) {
			snprintf(err, errlen, "host iptables: %s", iptc_strerror(errno));
			goto out;
		}
	}
	if (!iptc_commit(f) || !iptc_commit(n)) {
		snprintf(err, errlen, "host iptables commit: %s", iptc_strerror(errno));
		goto out;
	}
	r = 0;
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
	if (nlnet_addr_add(host, ifname, htonl(ntohl(subnet) + 1), 30, err, errlen) < 0 ||
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
