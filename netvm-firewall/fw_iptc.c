/* A netvm's firewall through libiptc (legacy iptables), Qubes' layout.
 *
 * The netvm's built-in chains belong to Bulkhead: every apply flushes
 * filter INPUT and FORWARD and nat PREROUTING and POSTROUTING, deletes every
 * "bh-*" chain (clients that left included), and writes the whole state
 * again in one handle per table, committed once each. No other chain is
 * touched (OUTPUT, chains of other tools).
 *
 *   filter INPUT (policy ACCEPT)
 *     -m state --state RELATED,ESTABLISHED -j ACCEPT
 *     -i lo -j ACCEPT
 *     -i vif+ -j DROP           clients do not reach the netvm itself
 *   filter FORWARD (policy DROP)
 *     -s IP/32 -i IFNAME -j bh-IP   one per client: its address on its link
 *     -i vif+ -j DROP           anti-spoofing: anything else from a client link
 *     -m state --state RELATED,ESTABLISHED -j ACCEPT   replies from upstream
 *   filter bh-IP, one per client address
 *     -m state --state RELATED,ESTABLISHED -j ACCEPT
 *     the client's rules, in order; an accept without destination gets
 *       ! -o vif+               (another client is reached only by a rule
 *                                that names its address, as in Qubes)
 *     ! -o vif+ -j ACCEPT       the client's policy, if accept
 *     -j DROP
 *   or, for a client whose rules are bad or whose dsthost does not resolve,
 *     -j DROP                   alone (fail closed; the reason is logged)
 *   nat PREROUTING, with resolvers: the virtual DNS addresses to the real ones
 *     -d 10.139.1.1/32 -i vif+ -p udp -m udp --dport 53 -j DNAT --to-destination R
 *     (and tcp; 10.139.1.2 goes to the second resolver, or to the first)
 *   nat POSTROUTING, with an upstream link
 *     -o UPSTREAM -j MASQUERADE
 *
 * A rule becomes one entry per destination and protocol: dsthost gives one
 * per address it resolves to (resolved at each apply), specialtarget=dns one
 * per DNS address (the virtual ones and the resolvers) on port 53 with udp
 * and tcp unless a protocol is given; an expired rule gives none. The netvm
 * forwards IPv4 only (no IPv6 routes or addresses are given to clients), so
 * dst6 rules give no entry either. A rule's comment stays in domd's files.
 *
 * Client links are named vif* (Qubes' names), which INPUT and the
 * anti-spoofing rule rely on. A client without a usable link name gets no
 * chain; a second client with an address already used gets a DROP jump in
 * FORWARD instead of a chain: both are counted as failed and logged.
 *
 * Entries are encoded here as iptables 1.8 encodes the same command line
 * (the state match as conntrack revision 3, DNAT revision 2), so that
 * iptables-save prints them and iptables-restore reads them back. */
#include "fw_iptc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <libiptc/libiptc.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/xt_conntrack.h>
#include <linux/netfilter/xt_tcpudp.h>

#include "fwrule.h"
#include "iptc_entry.h"
#include "log.h"

#define CHAIN_PREFIX "bh-"
#define CLIENT_LINKS "vif+"
#define DNS_PORT 53
#define DST_MAX (FW_RESOLVE_MAX + 4)

/* libiptc takes chain names as xt_chainlabel arrays: copy into one. */
#define LABEL(lab, s) snprintf((lab), sizeof(xt_chainlabel), "%s", (s))

/* One table being rebuilt. */
struct table {
	const char *name;
	struct xtc_handle *h;
	int *nrules;
	char *err;
	size_t errlen;
};

static bool
valid_ifname(const char *name, size_t size)
{
	size_t n = strnlen(name, size);

	/* A trailing '+' is iptables' wildcard: a client's link is one link. */
	return n > 0 && n < size && n < IFNAMSIZ && name[n - 1] != '+';
}

static int
put(struct table *t, const char *chain, const struct ipt_spec *s)
{
	struct ipt_ebuf b;
	xt_chainlabel lab;

	ipt_encode(&b, s);
	LABEL(lab, chain);
	if (!iptc_append_entry(lab, IPT_EBUF_ENTRY(&b), t->h)) {
		snprintf(t->err, t->errlen, "%s: cannot append to %s: %s", t->name, chain,
		    iptc_strerror(errno));
		return -1;
	}
	(*t->nrules)++;
	return 0;
}

static const char *
ipstr(uint32_t ip, char *buf)
{
	struct in_addr a = { .s_addr = ip };

	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

static void
chain_name(uint32_t ip, xt_chainlabel buf)
{
	char s[INET_ADDRSTRLEN];

	/* At most 18 characters: within XT_EXTENSION_MAXNAMELEN. */
	snprintf(buf, XT_EXTENSION_MAXNAMELEN, CHAIN_PREFIX "%s", ipstr(ip, s));
}

/* Empties the given built-in chains and removes every Bulkhead chain. */
static int
reset_table(struct table *t, const char *const *builtins)
{
	xt_chainlabel *mine = NULL;
	const char *c;
	size_t n = 0, cap = 0, i;
	int ret = -1;

	for (; *builtins != NULL; builtins++) {
		xt_chainlabel lab;

		LABEL(lab, *builtins);
		if (!iptc_flush_entries(lab, t->h)) {
			snprintf(t->err, t->errlen, "%s: cannot flush %s: %s", t->name,
			    *builtins, iptc_strerror(errno));
			return -1;
		}
	}
	/* Collected first: deleting while iterating would move the iterator. */
	for (c = iptc_first_chain(t->h); c != NULL; c = iptc_next_chain(t->h)) {
		if (iptc_builtin(c, t->h) || strncmp(c, CHAIN_PREFIX, strlen(CHAIN_PREFIX)) != 0)
			continue;
		if (n == cap) {
			xt_chainlabel *p = reallocarray(mine, cap ? cap * 2 : 64, sizeof(*mine));

			if (p == NULL) {
				snprintf(t->err, t->errlen, "%s: out of memory", t->name);
				goto out;
			}
			mine = p;
			cap = cap ? cap * 2 : 64;
		}
		snprintf(mine[n++], sizeof(*mine), "%s", c);
	}
	/* All flushed before any is deleted, in case one jumps to another. */
	for (i = 0; i < n; i++) {
		if (!iptc_flush_entries(mine[i], t->h)) {
			snprintf(t->err, t->errlen, "%s: cannot flush %s: %s", t->name, mine[i],
			    iptc_strerror(errno));
			goto out;
		}
	}
	for (i = 0; i < n; i++) {
		if (!iptc_delete_chain(mine[i], t->h)) {
			snprintf(t->err, t->errlen, "%s: cannot delete %s: %s", t->name, mine[i],
			    iptc_strerror(errno));
			goto out;
		}
	}
	ret = 0;
out:
	free(mine);
	return ret;
}

static int
add_addr(uint32_t *a, int n, uint32_t ip)
{
	int i;

	for (i = 0; i < n; i++)
		if (a[i] == ip)
			return n;
	a[n] = ip;
	return n + 1;
}

/* The DNS addresses a specialtarget=dns rule reaches: the virtual ones and
 * where they are sent (what FORWARD sees after PREROUTING's DNAT). */
static int
dns_addrs(const struct netcfg *cfg, uint32_t *out)
{
	struct in_addr v1, v2;
	int i, n = 0;

	inet_pton(AF_INET, NETCFG_DNS1, &v1);
	inet_pton(AF_INET, NETCFG_DNS2, &v2);
	n = add_addr(out, n, v1.s_addr);
	n = add_addr(out, n, v2.s_addr);
	for (i = 0; i < cfg->nresolvers; i++)
		n = add_addr(out, n, cfg->resolvers[i]);
	return n;
}

/* Writes the entries of one rule: 0, 1 when the client must fail closed
 * (why says why), -1 on an iptc error (t->err). */
static int
put_rule(struct table *t, const char *chain, const struct netcfg *cfg, const struct fwrule *r,
    fw_resolve_fn resolve, char *why, size_t whylen)
{
	uint32_t dst[DST_MAX], found[FW_RESOLVE_MAX], mask = 0xffffffff;
	uint8_t protos[2];
	char rerr[256];
	int ndst = 0, nproto = 0, i, j, got;
	struct ipt_spec s = { .icmptype = -1 };

	if (r->action != FWRULE_ACCEPT && r->action != FWRULE_DROP)
		return snprintf(why, whylen, "invalid action %d", r->action), 1;
	s.target = r->action == FWRULE_ACCEPT ? IPTC_LABEL_ACCEPT : IPTC_LABEL_DROP;
	if (r->port_min > r->port_max || (r->port_min == 0 && r->port_max != 0))
		return snprintf(why, whylen, "invalid ports %u-%u", r->port_min, r->port_max), 1;
	/* Fields the protocol cannot carry would be dropped, widening the rule. */
	if (r->port_min != 0 && r->proto != FWRULE_TCP && r->proto != FWRULE_UDP &&
	    !(r->dns && r->proto == FWRULE_PROTO_ANY))
		return snprintf(why, whylen, "dstports without proto=tcp or udp"), 1;
	if (r->has_icmptype && r->proto != FWRULE_ICMP)
		return snprintf(why, whylen, "icmptype without proto=icmp"), 1;
	if (r->dns) {
		ndst = dns_addrs(cfg, dst);
	} else {
		switch (r->dst) {
		case FWRULE_DST_ANY:
			/* Accepting "anywhere" means the outside: another client
			 * is reached only by a rule that names its address. */
			dst[ndst++] = 0;
			mask = 0;
			if (r->action == FWRULE_ACCEPT) {
				s.out = CLIENT_LINKS;
				s.out_inv = true;
			}
			break;
		case FWRULE_DST4:
			if (r->prefix > 32)
				return snprintf(why, whylen, "invalid prefix /%u", r->prefix), 1;
			mask = r->prefix ? htonl(0xffffffffu << (32 - r->prefix)) : 0;
			memcpy(&dst[ndst++], r->addr, 4);
			break;
		case FWRULE_DST6:
			return 0; /* IPv4 only: see the top of this file */
		case FWRULE_DSTHOST:
			if (memchr(r->host, '\0', sizeof(r->host)) == NULL || r->host[0] == '\0')
				return snprintf(why, whylen, "invalid dsthost"), 1;
			rerr[0] = '\0';
			got = resolve(r->host, found, FW_RESOLVE_MAX, rerr, sizeof(rerr));
			if (got <= 0 || got > FW_RESOLVE_MAX)
				return snprintf(why, whylen, "dsthost %s: %s", r->host,
				    rerr[0] ? rerr : "no address"), 1;
			for (i = 0; i < got; i++)
				ndst = add_addr(dst, ndst, found[i]);
			break;
		default:
			return snprintf(why, whylen, "invalid destination %d", r->dst), 1;
		}
	}
	switch (r->proto) {
	case FWRULE_PROTO_ANY:
		if (r->dns) {
			protos[nproto++] = IPPROTO_UDP;
			protos[nproto++] = IPPROTO_TCP;
		} else {
			protos[nproto++] = 0;
		}
		break;
	case FWRULE_TCP:
		protos[nproto++] = IPPROTO_TCP;
		break;
	case FWRULE_UDP:
		protos[nproto++] = IPPROTO_UDP;
		break;
	case FWRULE_ICMP:
		protos[nproto++] = IPPROTO_ICMP;
		if (r->has_icmptype)
			s.icmptype = r->icmptype;
		break;
	default:
		return snprintf(why, whylen, "invalid protocol %d", r->proto), 1;
	}
	s.dport_min = r->port_min;
	s.dport_max = r->port_max;
	if (r->dns && r->proto != FWRULE_ICMP) {
		/* Both conditions hold: dstports that exclude 53 match nothing. */
		if (r->port_min != 0 && (r->port_min > DNS_PORT || r->port_max < DNS_PORT))
			return 0;
		s.dport_min = s.dport_max = DNS_PORT;
	}
	for (i = 0; i < ndst; i++) {
		for (j = 0; j < nproto; j++) {
			s.dst = dst[i];
			s.dmask = mask;
			s.proto = protos[j];
			if (put(t, chain, &s) < 0)
				return -1;
		}
	}
	return 0;
}

/* Creates and fills the chain of one client: 0, or -1 on an iptc error. */
static int
put_client(struct table *t, const struct netcfg *cfg, const struct netcfg_client *c,
    const xt_chainlabel chain, time_t now, fw_resolve_fn resolve, struct fw_result *res)
{
	struct ipt_spec s = { .icmptype = -1 };
	char why[700], ip[INET_ADDRSTRLEN];
	int before, i, rc;

	if (!iptc_create_chain(chain, t->h)) {
		snprintf(t->err, t->errlen, "%s: cannot create %s: %s", t->name, chain,
		    iptc_strerror(errno));
		return -1;
	}
	before = *t->nrules;
	if (c->bad) {
		snprintf(why, sizeof(why), "%.*s", (int)sizeof(c->bad_reason),
		    c->bad_reason[0] ? c->bad_reason : "bad rule set");
		goto closed;
	}
	if (c->nrules < 0 || (c->nrules > 0 && c->rules == NULL)) {
		snprintf(why, sizeof(why), "invalid rule count %d", c->nrules);
		goto closed;
	}
	if (c->policy != FWRULE_ACCEPT && c->policy != FWRULE_DROP) {
		snprintf(why, sizeof(why), "invalid policy %d", c->policy);
		goto closed;
	}
	s.state = true;
	s.target = IPTC_LABEL_ACCEPT;
	if (put(t, chain, &s) < 0)
		return -1;
	for (i = 0; i < c->nrules; i++) {
		const struct fwrule *r = &c->rules[i];
		char rwhy[640];

		if (fwrule_expired(r, now))
			continue;
		rc = put_rule(t, chain, cfg, r, resolve, rwhy, sizeof(rwhy));
		if (rc < 0)
			return -1;
		if (rc > 0) {
			snprintf(why, sizeof(why), "rule %d: %s", i + 1, rwhy);
			goto closed;
		}
	}
	s.state = false;
	if (c->policy == FWRULE_ACCEPT) {
		/* As a rule without destination: not to other clients. */
		s.out = CLIENT_LINKS;
		s.out_inv = true;
		s.target = IPTC_LABEL_ACCEPT;
		if (put(t, chain, &s) < 0)
			return -1;
		s.out = NULL;
		s.out_inv = false;
	}
	s.target = IPTC_LABEL_DROP;
	return put(t, chain, &s);

closed:
	if (!iptc_flush_entries(chain, t->h)) {
		snprintf(t->err, t->errlen, "%s: cannot flush %s: %s", t->name, chain,
		    iptc_strerror(errno));
		return -1;
	}
	*t->nrules = before;
	log_warnx("client %.*s (%s): dropping all of its traffic: %s", (int)sizeof(c->name),
	    c->name, ipstr(c->ip, ip), why);
	res->nfailed++;
	memset(&s, 0, sizeof(s));
	s.icmptype = -1;
	s.target = IPTC_LABEL_DROP;
	return put(t, chain, &s);
}

static void
note_expire(const struct netcfg_client *c, time_t now, struct fw_result *res)
{
	int i;

	if (c->bad || c->nrules <= 0 || c->rules == NULL)
		return;
	for (i = 0; i < c->nrules; i++) {
		const struct fwrule *r = &c->rules[i];

		if (r->expire == 0 || fwrule_expired(r, now))
			continue;
		if (res->next_expire == 0 || r->expire < (int64_t)res->next_expire)
			res->next_expire = (time_t)r->expire;
	}
}

static bool
earlier_client(const struct netcfg *cfg, int k)
{
	int i;

	for (i = 0; i < k; i++)
		if (cfg->clients[i].ip == cfg->clients[k].ip &&
		    valid_ifname(cfg->clients[i].ifname, sizeof(cfg->clients[i].ifname)))
			return true;
	return false;
}

static int
build_filter(struct table *t, const struct netcfg *cfg, time_t now, fw_resolve_fn resolve,
    struct fw_result *res)
{
	static const char *const builtins[] = { "INPUT", "FORWARD", NULL };
	struct ipt_spec s = { .icmptype = -1 };
	xt_chainlabel chain;
	char ip[INET_ADDRSTRLEN];
	int i;

	if (reset_table(t, builtins) < 0)
		return -1;
	static const xt_chainlabel input = "INPUT", forward = "FORWARD",
	    accept = IPTC_LABEL_ACCEPT, drop = IPTC_LABEL_DROP;

	if (!iptc_set_policy(input, accept, NULL, t->h) ||
	    !iptc_set_policy(forward, drop, NULL, t->h)) {
		snprintf(t->err, t->errlen, "filter: cannot set policy: %s", iptc_strerror(errno));
		return -1;
	}

	s.state = true;
	s.target = IPTC_LABEL_ACCEPT;
	if (put(t, "INPUT", &s) < 0)
		return -1;
	s.state = false;
	s.in = "lo";
	if (put(t, "INPUT", &s) < 0)
		return -1;
	s.in = CLIENT_LINKS;
	s.target = IPTC_LABEL_DROP;
	if (put(t, "INPUT", &s) < 0)
		return -1;

	for (i = 0; i < cfg->nclients; i++) {
		const struct netcfg_client *c = &cfg->clients[i];

		if (!valid_ifname(c->ifname, sizeof(c->ifname))) {
			/* No link to anchor its address to: its chain could not be
			 * reached safely, and the link's traffic meets vif+ DROP. */
			log_warnx("client %.*s (%s): invalid link name: dropping its traffic",
			    (int)sizeof(c->name), c->name, ipstr(c->ip, ip));
			res->nfailed++;
			continue;
		}
		memset(&s, 0, sizeof(s));
		s.icmptype = -1;
		s.in = c->ifname;
		s.src = c->ip;
		s.smask = 0xffffffff;
		if (earlier_client(cfg, i)) {
			/* Two clients, one address: neither may use the other's rules. */
			log_warnx("client %.*s (%s): address used by another client: "
			    "dropping its traffic", (int)sizeof(c->name), c->name, ipstr(c->ip, ip));
			res->nfailed++;
			s.target = IPTC_LABEL_DROP;
			if (put(t, "FORWARD", &s) < 0)
				return -1;
			continue;
		}
		note_expire(c, now, res);
		chain_name(c->ip, chain);
		if (put_client(t, cfg, c, chain, now, resolve, res) < 0)
			return -1;
		s.target = chain;
		if (put(t, "FORWARD", &s) < 0)
			return -1;
	}

	memset(&s, 0, sizeof(s));
	s.icmptype = -1;
	s.in = CLIENT_LINKS;
	s.target = IPTC_LABEL_DROP;
	if (put(t, "FORWARD", &s) < 0)
		return -1;
	s.in = NULL;
	s.state = true;
	s.target = IPTC_LABEL_ACCEPT;
	return put(t, "FORWARD", &s);
}

static int
build_nat(struct table *t, const struct netcfg *cfg)
{
	static const char *const builtins[] = { "PREROUTING", "POSTROUTING", NULL };
	static const char *const virt[2] = { NETCFG_DNS1, NETCFG_DNS2 };
	static const uint8_t protos[2] = { IPPROTO_UDP, IPPROTO_TCP };
	struct ipt_spec s = { .icmptype = -1 };
	struct in_addr v;
	int i, j;

	if (reset_table(t, builtins) < 0)
		return -1;
	for (i = 0; i < 2 && cfg->nresolvers > 0; i++) {
		inet_pton(AF_INET, virt[i], &v);
		s.in = CLIENT_LINKS;
		s.dst = v.s_addr;
		s.dmask = 0xffffffff;
		s.to = cfg->resolvers[i < cfg->nresolvers ? i : 0];
		s.target = "DNAT";
		s.dport_min = s.dport_max = DNS_PORT;
		if (s.to == s.dst)
			continue; /* the netvm answers there itself */
		for (j = 0; j < 2; j++) {
			s.proto = protos[j];
			if (put(t, "PREROUTING", &s) < 0)
				return -1;
		}
	}
	if (cfg->upstream[0] != '\0') {
		memset(&s, 0, sizeof(s));
		s.icmptype = -1;
		s.out = cfg->upstream;
		s.target = "MASQUERADE";
		if (put(t, "POSTROUTING", &s) < 0)
			return -1;
	}
	return 0;
}

int
fw_iptc_apply(const struct netcfg *cfg, time_t now, fw_resolve_fn resolve,
    struct fw_result *res, char *err, size_t errlen)
{
	struct table filter = { .name = "filter", .nrules = &res->nrules, .err = err,
	    .errlen = errlen };
	struct table nat = { .name = "nat", .nrules = &res->nrules, .err = err, .errlen = errlen };
	int ret = -1;

	memset(res, 0, sizeof(*res));
	if (resolve == NULL)
		resolve = fw_resolve_getaddrinfo;
	if (cfg->nresolvers < 0 || cfg->nresolvers > 2 || cfg->nclients < 0 ||
	    (cfg->nclients > 0 && cfg->clients == NULL)) {
		snprintf(err, errlen, "invalid configuration (%d resolvers, %d clients)",
		    cfg->nresolvers, cfg->nclients);
		return -1;
	}
	if (cfg->upstream[0] != '\0' && !valid_ifname(cfg->upstream, sizeof(cfg->upstream))) {
		snprintf(err, errlen, "invalid upstream link name");
		return -1;
	}
	if ((filter.h = iptc_init("filter")) == NULL) {
		snprintf(err, errlen, "cannot read table filter: %s", iptc_strerror(errno));
		goto out;
	}
	if ((nat.h = iptc_init("nat")) == NULL) {
		snprintf(err, errlen, "cannot read table nat: %s", iptc_strerror(errno));
		goto out;
	}
	if (build_filter(&filter, cfg, now, resolve, res) < 0 || build_nat(&nat, cfg) < 0)
		goto out;
	if (!iptc_commit(filter.h)) {
		snprintf(err, errlen, "filter: commit failed: %s", iptc_strerror(errno));
		goto out;
	}
	if (!iptc_commit(nat.h)) {
		snprintf(err, errlen, "nat: commit failed after filter was applied "
		    "(filter new, nat old): %s", iptc_strerror(errno));
		goto out;
	}
	ret = 0;
out:
	if (filter.h != NULL)
		iptc_free(filter.h);
	if (nat.h != NULL)
		iptc_free(nat.h);
	if (ret < 0) {
		int failed = res->nfailed;

		memset(res, 0, sizeof(*res));
		res->nfailed = failed;
	}
	return ret;
}

int
fw_resolve_getaddrinfo(const char *host, uint32_t *out, int max, char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_STREAM };
	struct addrinfo *ai, *p;
	int rc, n = 0;

	rc = getaddrinfo(host, NULL, &hints, &ai);
	if (rc != 0) {
		snprintf(err, errlen, "%s", rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
		return -1;
	}
	for (p = ai; p != NULL && n < max; p = p->ai_next) {
		if (p->ai_family == AF_INET && p->ai_addrlen >= sizeof(struct sockaddr_in))
			n = add_addr(out, n, ((struct sockaddr_in *)p->ai_addr)->sin_addr.s_addr);
	}
	freeaddrinfo(ai);
	if (n == 0) {
		snprintf(err, errlen, "no IPv4 address");
		return -1;
	}
	return n;
}
