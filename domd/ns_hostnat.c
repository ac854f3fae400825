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

#include <libiptc/libiptc.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/xt_state.h>
#include <linux/netfilter/nf_conntrack_common.h>

#include "log.h"
#include "netcfg.h"
#include "nlnet.h"
#include "ns_net.h"

#define HOSTNAT_BASE 0x0a8a0000u /* 10.138.0.0 */

static void
names(const struct vm *netvm, char *ifname, uint32_t *subnet)
{
	uint32_t ip = 0, n;

	netcfg_ip_parse(netvm->q.ip, &ip);
	n = ntohl(ip) & 0x3fff; /* 16384 /30s in 10.138.0.0/16 */
	snprintf(ifname, 16, "bhnat%u", n);
	*subnet = htonl(HOSTNAT_BASE + n * 4);
}

/* One entry: an ipt_entry, optional match, target; freed by the caller. */
static struct ipt_entry *
entry(const char *in, const char *out, uint32_t src, int src_prefix, bool established,
    const char *target, const void *tdata, size_t tlen)
{
	size_t msize = established ? XT_ALIGN(sizeof(struct xt_entry_match)) +
	    XT_ALIGN(sizeof(struct xt_state_info)) : 0;
	size_t tsize = XT_ALIGN(sizeof(struct xt_entry_target)) + XT_ALIGN(tlen);
	size_t esize = XT_ALIGN(sizeof(struct ipt_entry));
	struct ipt_entry *e = calloc(1, esize + msize + tsize);
	struct xt_entry_target *t;

	if (e == NULL)
		return NULL;
	if (in != NULL) {
		snprintf(e->ip.iniface, sizeof(e->ip.iniface), "%s", in);
		memset(e->ip.iniface_mask, 0xff, strlen(in) + 1);
	}
	if (out != NULL) {
		snprintf(e->ip.outiface, sizeof(e->ip.outiface), "%s", out);
		memset(e->ip.outiface_mask, 0xff, strlen(out) + 1);
	}
	if (src_prefix > 0) {
		e->ip.src.s_addr = src;
		e->ip.smsk.s_addr = htonl(~0u << (32 - src_prefix));
	}
	if (established) {
		struct xt_entry_match *m = (struct xt_entry_match *)e->elems;
		struct xt_state_info *si = (struct xt_state_info *)m->data;
		m->u.match_size = (uint16_t)msize;
		snprintf(m->u.user.name, sizeof(m->u.user.name), "state");
		si->statemask = XT_STATE_BIT(IP_CT_ESTABLISHED) | XT_STATE_BIT(IP_CT_RELATED);
	}
	e->target_offset = (uint16_t)(esize + msize);
	e->next_offset = (uint16_t)(esize + msize + tsize);
	t = (struct xt_entry_target *)((char *)e + e->target_offset);
	t->u.target_size = (uint16_t)tsize;
	snprintf(t->u.user.name, sizeof(t->u.user.name), "%s", target);
	if (tlen > 0)
		memcpy(t->data, tdata, tlen);
	return e;
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
	struct nf_nat_ipv4_multi_range_compat masq = { .rangesize = 1 };
	struct ipt_entry *e1 = NULL, *e2 = NULL, *e3 = NULL;
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
		e1 = entry(ifname, NULL, 0, 0, false, "ACCEPT", NULL, 0);
		e2 = entry(NULL, ifname, 0, 0, true, "ACCEPT", NULL, 0);
		e3 = entry(NULL, NULL, subnet, 30, false, "MASQUERADE", &masq, sizeof(masq));
		if (e1 == NULL || e2 == NULL || e3 == NULL ||
		    !iptc_insert_entry(forward, e2, 0, f) ||
		    !iptc_insert_entry(forward, e1, 0, f) ||
		    !iptc_append_entry(postrouting, e3, n)) {
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
	free(e1);
	free(e2);
	free(e3);
	if (f != NULL)
		iptc_free(f);
	if (n != NULL)
		iptc_free(n);
	return r;
}

static int
write_sysctl(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
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
	if (write_sysctl("/proc/sys/net/ipv4/ip_forward", "1") < 0) {
		snprintf(err, errlen, "cannot enable forwarding on the host: %s", strerror(errno));
		goto out;
	}
	if (rules(ifname, subnet, true, err, errlen) < 0)
		goto out;
	up->addr = htonl(ntohl(subnet) + 2);
	up->prefix = 30;
	up->gw = htonl(ntohl(subnet) + 1);
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

	names(netvm, ifname, &subnet);
	if (rules(ifname, subnet, false, err, sizeof(err)) < 0)
		log_warnx("%s: %s", netvm->q.name, err);
}
