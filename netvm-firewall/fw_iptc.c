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
 *   and for each client's forward (its listen ports, or those of qubes
 *   behind it), with an upstream link, IPv4:
 *     nat PREROUTING  -i UPSTREAM -p tcp --dport LO:HI -j DNAT --to-destination IP
 *     filter FORWARD  -i UPSTREAM -d IP/32 -p tcp --dport LO:HI -j ACCEPT
 *                     (after the anti-spoofing DROP, before the replies)
 *
 * A rule becomes one entry per destination and protocol: dsthost gives one
 * per address it resolves to (resolved at each apply), specialtarget=dns one
 * per DNS address (the virtual ones and the resolvers) on port 53 with udp
 * and tcp unless a protocol is given; an expired rule gives none. A rule's
 * comment stays in domd's files.
 *
 * IPv6 (ip6tables through libip6tc, in the same apply, one commit per
 * table): filter INPUT and FORWARD get the same layout, the clients'
 * chains (same names) their IPv6 address (netcfg_ip6_of) as the source,
 * and nat POSTROUTING the MASQUERADE, when the configuration has "ipv6".
 * Then dst6 rules and a dsthost's IPv6 addresses go to the IPv6 chain,
 * dst4 rules and IPv4 addresses to the IPv4 one, proto=icmp is icmpv6 there
 * and specialtarget=dns has no IPv6 address (the virtual DNS addresses are
 * IPv4), as in Qubes; a dsthost without an address of a family fails that
 * family's chain closed. The netvm's INPUT accepts neighbour discovery
 * (icmpv6 135 and 136) from client links and drops their other packets.
 * Without "ipv6", IPv6 FORWARD has no client chain: everything from a
 * client link is dropped (and bulkhead-firewall leaves IPv6 forwarding off).
 * Should the kernel have no ip6tables, the IPv6 side is skipped without
 * "ipv6" and an error with it.
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

#include "fwrule.h"
#include "iptc_entry.h"
#include "log.h"

#define CHAIN_PREFIX "bh-"
#define CLIENT_LINKS "vif+"
#define DNS_PORT 53
#define DST_MAX (FW_RESOLVE_MAX + 4)
#define ND_SOLICIT 135 /* icmpv6 neighbour solicitation */
#define ND_ADVERT 136  /* and advertisement */

/* libiptc takes chain names as xt_chainlabel arrays: copy into one. */
#define LABEL(lab, s) snprintf((lab), sizeof(xt_chainlabel), "%s", (s))

/* libiptc or libip6tc: the same calls for either family. */
struct family {
	int af;
	const char *suffix;  /* "" or "6": in messages, "filter6" */
	struct xtc_handle *(*init)(const char *);
	void (*free)(struct xtc_handle *);
	int (*commit)(struct xtc_handle *);
	int (*flush)(const xt_chainlabel, struct xtc_handle *);
	int (*create)(const xt_chainlabel, struct xtc_handle *);
	int (*del)(const xt_chainlabel, struct xtc_handle *);
	const char *(*first)(struct xtc_handle *);
	const char *(*next)(struct xtc_handle *);
	int (*builtin)(const char *, struct xtc_handle *const);
	int (*policy)(const xt_chainlabel, const xt_chainlabel, struct xt_counters *,
	    struct xtc_handle *);
	int (*append)(const xt_chainlabel, const struct ipt_spec *, struct xtc_handle *);
	const char *(*strerror)(int);
};

static int
append4(const xt_chainlabel chain, const struct ipt_spec *s, struct xtc_handle *h)
{
	struct ipt_ebuf b;

	ipt_encode(&b, s);
	return iptc_append_entry(chain, IPT_EBUF_ENTRY(&b), h);
}

static int
append6(const xt_chainlabel chain, const struct ipt_spec *s, struct xtc_handle *h)
{
	struct ipt_ebuf b;

	ip6t_encode(&b, s);
	return ip6tc_append_entry(chain, IP6T_EBUF_ENTRY(&b), h);
}

static const struct family ipv4 = {
	AF_INET, "", iptc_init, iptc_free, iptc_commit, iptc_flush_entries, iptc_create_chain,
	iptc_delete_chain, iptc_first_chain, iptc_next_chain, iptc_builtin, iptc_set_policy,
	append4, iptc_strerror,
};

static const struct family ipv6 = {
	AF_INET6, "6", ip6tc_init, ip6tc_free, ip6tc_commit, ip6tc_flush_entries,
	ip6tc_create_chain, ip6tc_delete_chain, ip6tc_first_chain, ip6tc_next_chain,
	ip6tc_builtin, ip6tc_set_policy, append6, ip6tc_strerror,
};

/* One table being rebuilt. */
struct table {
	const char *name;
	const struct family *f;
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
	xt_chainlabel lab;

	LABEL(lab, chain);
	if (!t->f->append(lab, s, t->h)) {
		snprintf(t->err, t->errlen, "%s%s: cannot append to %s: %s", t->name,
		    t->f->suffix, chain, t->f->strerror(errno));
		return -1;
	}
	(*t->nrules)++;
	return 0;
}

/* Sets the destination (or source) of s: an address of the table's family
 * (IPv4: the first 4 bytes) with a prefix. */
static void
set_addr(const struct table *t, struct ipt_spec *s, bool src, const uint8_t *a, int prefix)
{
	uint8_t *addr6 = src ? s->src6 : s->dst6, *mask6 = src ? s->smask6 : s->dmask6;
	uint32_t v4, mask;

	if (t->f->af == AF_INET) {
		memcpy(&v4, a, 4);
		mask = prefix ? htonl(0xffffffffu << (32 - prefix)) : 0;
		*(src ? &s->src : &s->dst) = v4;
		*(src ? &s->smask : &s->dmask) = mask;
		return;
	}
	memcpy(addr6, a, 16);
	for (int i = 0; i < 16; i++) {
		int keep = prefix - 8 * i;
		mask6[i] = keep >= 8 ? 0xff : keep <= 0 ? 0 : (uint8_t)(0xff << (8 - keep));
	}
}

/* A client's address in the table's family. */
static void
client_addr(const struct table *t, uint32_t ip, uint8_t out[16])
{
	memset(out, 0, 16);
	if (t->f->af == AF_INET)
		memcpy(out, &ip, 4);
	else
		netcfg_ip6_of(ip, out);
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

	/* At most 18 characters: within XT_EXTENSION_MAXNAMELEN. Named by the
	 * IPv4 address in both families. */
	snprintf(buf, XT_EXTENSION_MAXNAMELEN, CHAIN_PREFIX "%s", ipstr(ip, s));
}

/* Empties the given built-in chains and removes every Bulkhead chain. */
static int
reset_table(struct table *t, const char *const *builtins)
{
	const struct family *f = t->f;
	xt_chainlabel *mine = NULL;
	const char *c;
	size_t n = 0, cap = 0, i;
	int ret = -1;

	for (; *builtins != NULL; builtins++) {
		xt_chainlabel lab;

		LABEL(lab, *builtins);
		if (!f->flush(lab, t->h)) {
			snprintf(t->err, t->errlen, "%s%s: cannot flush %s: %s", t->name,
			    f->suffix, *builtins, f->strerror(errno));
			return -1;
		}
	}
	/* Collected first: deleting while iterating would move the iterator. */
	for (c = f->first(t->h); c != NULL; c = f->next(t->h)) {
		if (f->builtin(c, t->h) || strncmp(c, CHAIN_PREFIX, strlen(CHAIN_PREFIX)) != 0)
			continue;
		if (n == cap) {
			xt_chainlabel *p = reallocarray(mine, cap ? cap * 2 : 64, sizeof(*mine));

			if (p == NULL) {
				snprintf(t->err, t->errlen, "%s%s: out of memory", t->name,
				    f->suffix);
				goto out;
			}
			mine = p;
			cap = cap ? cap * 2 : 64;
		}
		snprintf(mine[n++], sizeof(*mine), "%s", c);
	}
	/* All flushed before any is deleted, in case one jumps to another. */
	for (i = 0; i < n; i++) {
		if (!f->flush(mine[i], t->h)) {
			snprintf(t->err, t->errlen, "%s%s: cannot flush %s: %s", t->name,
			    f->suffix, mine[i], f->strerror(errno));
			goto out;
		}
	}
	for (i = 0; i < n; i++) {
		if (!f->del(mine[i], t->h)) {
			snprintf(t->err, t->errlen, "%s%s: cannot delete %s: %s", t->name,
			    f->suffix, mine[i], f->strerror(errno));
			goto out;
		}
	}
	ret = 0;
out:
	free(mine);
	return ret;
}

static int
add_addr(struct fw_addr *a, int n, const struct fw_addr *add)
{
	int i;

	for (i = 0; i < n; i++)
		if (!memcmp(a[i].a, add->a, sizeof(add->a)))
			return n;
	a[n] = *add;
	return n + 1;
}

static int
add_ip4(struct fw_addr *a, int n, uint32_t ip)
{
	struct fw_addr x = { { 0 } };

	memcpy(x.a, &ip, 4);
	return add_addr(a, n, &x);
}

/* The DNS addresses a specialtarget=dns rule reaches: the virtual ones and
 * where they are sent (what FORWARD sees after PREROUTING's DNAT). */
static int
dns_addrs(const struct netcfg *cfg, struct fw_addr *out)
{
	struct in_addr v1, v2;
	int i, n = 0;

	inet_pton(AF_INET, NETCFG_DNS1, &v1);
	inet_pton(AF_INET, NETCFG_DNS2, &v2);
	n = add_ip4(out, n, v1.s_addr);
	n = add_ip4(out, n, v2.s_addr);
	for (i = 0; i < cfg->nresolvers; i++)
		n = add_ip4(out, n, cfg->resolvers[i]);
	return n;
}

/* Where a rule goes, in the table's family: 0 with the addresses (*ndst
 * 0: none, the rule gives no entry here), 1 when the client must fail
 * closed (why). */
static int
rule_dsts(const struct table *t, const struct netcfg *cfg, const struct fwrule *r,
    fw_resolve_fn resolve, struct fw_addr *dst, int *ndst, int *prefix, char *why,
    size_t whylen)
{
	struct fw_addr found[FW_RESOLVE_MAX];
	bool v4 = t->f->af == AF_INET;
	char rerr[256];
	int got, i;

	*ndst = 0;
	*prefix = v4 ? 32 : 128;
	if (r->dns) {
		/* The virtual DNS addresses are IPv4: none in IPv6 (as Qubes). */
		if (v4)
			*ndst = dns_addrs(cfg, dst);
		return 0;
	}
	switch (r->dst) {
	case FWRULE_DST_ANY:
		memset(&dst[0], 0, sizeof(dst[0]));
		*ndst = 1;
		*prefix = 0;
		return 0;
	case FWRULE_DST4:
	case FWRULE_DST6:
		if (r->prefix > (r->dst == FWRULE_DST4 ? 32 : 128))
			return snprintf(why, whylen, "invalid prefix /%u", r->prefix), 1;
		if ((r->dst == FWRULE_DST4) != v4)
			return 0; /* the other family's rule */
		memset(&dst[0], 0, sizeof(dst[0]));
		memcpy(dst[0].a, r->addr, v4 ? 4 : 16);
		*ndst = 1;
		*prefix = r->prefix;
		return 0;
	case FWRULE_DSTHOST:
		if (memchr(r->host, '\0', sizeof(r->host)) == NULL || r->host[0] == '\0')
			return snprintf(why, whylen, "invalid dsthost"), 1;
		rerr[0] = '\0';
		got = resolve(r->host, t->f->af, found, FW_RESOLVE_MAX, rerr, sizeof(rerr));
		if (got <= 0 || got > FW_RESOLVE_MAX)
			return snprintf(why, whylen, "dsthost %s: %s", r->host,
			    rerr[0] ? rerr : "no address"), 1;
		for (i = 0; i < got; i++)
			*ndst = add_addr(dst, *ndst, &found[i]);
		return 0;
	default:
		return snprintf(why, whylen, "invalid destination %d", r->dst), 1;
	}
}

/* Writes the entries of one rule: 0, 1 when the client must fail closed
 * (why says why), -1 on an iptc error (t->err). */
static int
put_rule(struct table *t, const char *chain, const struct netcfg *cfg, const struct fwrule *r,
    fw_resolve_fn resolve, char *why, size_t whylen)
{
	struct fw_addr dst[DST_MAX];
	uint8_t protos[2];
	int ndst, prefix, nproto = 0, i, j, rc;
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
	if ((rc = rule_dsts(t, cfg, r, resolve, dst, &ndst, &prefix, why, whylen)) != 0)
		return rc;
	/* Accepting "anywhere" means the outside: another client is reached
	 * only by a rule that names its address. */
	if (!r->dns && r->dst == FWRULE_DST_ANY && r->action == FWRULE_ACCEPT) {
		s.out = CLIENT_LINKS;
		s.out_inv = true;
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
		protos[nproto++] = t->f->af == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6;
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
			set_addr(t, &s, false, dst[i].a, prefix);
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

	if (!t->f->create(chain, t->h)) {
		snprintf(t->err, t->errlen, "%s%s: cannot create %s: %s", t->name, t->f->suffix,
		    chain, t->f->strerror(errno));
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
	if (!t->f->flush(chain, t->h)) {
		snprintf(t->err, t->errlen, "%s%s: cannot flush %s: %s", t->name, t->f->suffix,
		    chain, t->f->strerror(errno));
		return -1;
	}
	*t->nrules = before;
	log_warnx("client %.*s (%s): dropping all of its %s traffic: %s", (int)sizeof(c->name),
	    c->name, ipstr(c->ip, ip), t->f->af == AF_INET ? "IPv4" : "IPv6", why);
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

/* INPUT: replies and loopback; from client links only neighbour discovery
 * (IPv6: without it no client finds its gateway). */
static int
build_input(struct table *t)
{
	struct ipt_spec s = { .icmptype = -1 };

	s.state = true;
	s.target = IPTC_LABEL_ACCEPT;
	if (put(t, "INPUT", &s) < 0)
		return -1;
	s.state = false;
	s.in = "lo";
	if (put(t, "INPUT", &s) < 0)
		return -1;
	s.in = CLIENT_LINKS;
	if (t->f->af == AF_INET6) {
		s.proto = IPPROTO_ICMPV6;
		s.icmptype = ND_SOLICIT;
		if (put(t, "INPUT", &s) < 0)
			return -1;
		s.icmptype = ND_ADVERT;
		if (put(t, "INPUT", &s) < 0)
			return -1;
		s.proto = 0;
		s.icmptype = -1;
	}
	s.target = IPTC_LABEL_DROP;
	return put(t, "INPUT", &s);
}

/* The FORWARD jump of one client (with its chain), or a DROP when it
 * cannot have one. */
static int
build_client(struct table *t, const struct netcfg *cfg, int i, time_t now,
    fw_resolve_fn resolve, struct fw_result *res)
{
	const struct netcfg_client *c = &cfg->clients[i];
	struct ipt_spec s = { .icmptype = -1 };
	xt_chainlabel chain;
	uint8_t addr[16];
	char ip[INET_ADDRSTRLEN];

	if (!valid_ifname(c->ifname, sizeof(c->ifname))) {
		/* No link to anchor its address to: its chain could not be
		 * reached safely, and the link's traffic meets vif+ DROP. */
		log_warnx("client %.*s (%s): invalid link name: dropping its traffic",
		    (int)sizeof(c->name), c->name, ipstr(c->ip, ip));
		res->nfailed++;
		return 0;
	}
	s.in = c->ifname;
	client_addr(t, c->ip, addr);
	set_addr(t, &s, true, addr, t->f->af == AF_INET ? 32 : 128);
	if (earlier_client(cfg, i)) {
		/* Two clients, one address: neither may use the other's rules. */
		log_warnx("client %.*s (%s): address used by another client: "
		    "dropping its traffic", (int)sizeof(c->name), c->name, ipstr(c->ip, ip));
		res->nfailed++;
		s.target = IPTC_LABEL_DROP;
		return put(t, "FORWARD", &s);
	}
	chain_name(c->ip, chain);
	if (put_client(t, cfg, c, chain, now, resolve, res) < 0)
		return -1;
	s.target = chain;
	return put(t, "FORWARD", &s);
}

/* The clients' inbound TCP ports (IPv4, with an upstream link): in nat
 * PREROUTING, -i UPSTREAM -p tcp --dport LO:HI -j DNAT --to-destination IP;
 * in filter FORWARD, -i UPSTREAM -d IP/32 -p tcp --dport LO:HI -j ACCEPT.
 * nat says which of the two. */
static int
build_forwards(struct table *t, const struct netcfg *cfg, bool nat)
{
	if (t->f->af != AF_INET || cfg->upstream[0] == '\0')
		return 0;
	for (int i = 0; i < cfg->nclients; i++) {
		const struct netcfg_client *c = &cfg->clients[i];
		if (c->bad || earlier_client(cfg, i))
			continue; /* failed closed: nothing reaches it */
		for (int k = 0; k < c->nforwards; k++) {
			struct ipt_spec s = { .icmptype = -1 };
			s.in = cfg->upstream;
			s.proto = IPPROTO_TCP;
			s.dport_min = c->forwards[k].lo;
			s.dport_max = c->forwards[k].hi;
			if (nat) {
				s.target = "DNAT";
				s.to = c->ip;
			} else {
				s.dst = c->ip;
				s.dmask = 0xffffffff;
				s.target = IPTC_LABEL_ACCEPT;
			}
			if (put(t, nat ? "PREROUTING" : "FORWARD", &s) < 0)
				return -1;
		}
	}
	return 0;
}

/* clients: whether the clients get chains (IPv6 without "ipv6": no). */
static int
build_filter(struct table *t, const struct netcfg *cfg, bool clients, time_t now,
    fw_resolve_fn resolve, struct fw_result *res)
{
	static const char *const builtins[] = { "INPUT", "FORWARD", NULL };
	static const xt_chainlabel input = "INPUT", forward = "FORWARD",
	    accept = IPTC_LABEL_ACCEPT, drop = IPTC_LABEL_DROP;
	struct ipt_spec s = { .icmptype = -1 };
	int i;

	if (reset_table(t, builtins) < 0)
		return -1;
	if (!t->f->policy(input, accept, NULL, t->h) || !t->f->policy(forward, drop, NULL, t->h)) {
		snprintf(t->err, t->errlen, "filter%s: cannot set policy: %s", t->f->suffix,
		    t->f->strerror(errno));
		return -1;
	}
	if (build_input(t) < 0)
		return -1;
	for (i = 0; clients && i < cfg->nclients; i++) {
		if (t->f->af == AF_INET)
			note_expire(&cfg->clients[i], now, res);
		if (build_client(t, cfg, i, now, resolve, res) < 0)
			return -1;
	}
	s.in = CLIENT_LINKS;
	s.target = IPTC_LABEL_DROP;
	if (put(t, "FORWARD", &s) < 0)
		return -1;
	if (build_forwards(t, cfg, false) < 0)
		return -1;
	s.in = NULL;
	s.state = true;
	s.target = IPTC_LABEL_ACCEPT;
	return put(t, "FORWARD", &s);
}

static int
build_nat(struct table *t, const struct netcfg *cfg, bool masquerade)
{
	static const char *const builtins[] = { "PREROUTING", "POSTROUTING", NULL };
	static const char *const virt[2] = { NETCFG_DNS1, NETCFG_DNS2 };
	static const uint8_t protos[2] = { IPPROTO_UDP, IPPROTO_TCP };
	struct ipt_spec s = { .icmptype = -1 };
	struct in_addr v;
	int i, j;

	if (reset_table(t, builtins) < 0)
		return -1;
	/* The virtual DNS addresses are IPv4 ones. */
	for (i = 0; i < 2 && cfg->nresolvers > 0 && t->f->af == AF_INET; i++) {
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
	if (build_forwards(t, cfg, true) < 0)
		return -1;
	if (cfg->upstream[0] != '\0' && masquerade) {
		memset(&s, 0, sizeof(s));
		s.icmptype = -1;
		s.out = cfg->upstream;
		s.target = "MASQUERADE";
		if (put(t, "POSTROUTING", &s) < 0)
			return -1;
	}
	return 0;
}

/* The filter and nat tables of one family, read and rebuilt (not yet
 * committed): 0, 1 when IPv6 is skipped (no ip6tables in the kernel and
 * no "ipv6"), -1 with t->err. */
static int
build_family(struct table *filter, struct table *nat, const struct netcfg *cfg, time_t now,
    fw_resolve_fn resolve, struct fw_result *res)
{
	const struct family *f = filter->f;
	bool on = f->af == AF_INET || cfg->ipv6;

	if ((filter->h = f->init("filter")) == NULL || (nat->h = f->init("nat")) == NULL) {
		if (!on) {
			log_warnx("no ip6tables (%s): IPv6 from clients is not filtered here, "
			    "and not forwarded", f->strerror(errno));
			return 1;
		}
		snprintf(filter->err, filter->errlen, "cannot read table %s%s: %s",
		    filter->h == NULL ? "filter" : "nat", f->suffix, f->strerror(errno));
		return -1;
	}
	if (build_filter(filter, cfg, on, now, resolve, res) < 0 || build_nat(nat, cfg, on) < 0)
		return -1;
	return 0;
}

static int
commit(struct table *t, const char *before)
{
	if (t->h == NULL || t->f->commit(t->h))
		return 0;
	snprintf(t->err, t->errlen, "%s%s: commit failed%s: %s", t->name, t->f->suffix,
	    before, t->f->strerror(errno));
	return -1;
}

int
fw_iptc_apply(const struct netcfg *cfg, time_t now, fw_resolve_fn resolve,
    struct fw_result *res, char *err, size_t errlen)
{
	struct table t[4] = {
		{ .name = "filter", .f = &ipv4 }, { .name = "filter", .f = &ipv6 },
		{ .name = "nat", .f = &ipv4 }, { .name = "nat", .f = &ipv6 },
	};
	int ret = -1, i, rc;

	memset(res, 0, sizeof(*res));
	for (i = 0; i < 4; i++) {
		t[i].nrules = &res->nrules;
		t[i].err = err;
		t[i].errlen = errlen;
	}
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
	if (build_family(&t[0], &t[2], cfg, now, resolve, res) < 0 ||
	    (rc = build_family(&t[1], &t[3], cfg, now, resolve, res)) < 0)
		goto out;
	if (rc > 0) {
		/* Skipped: nothing of IPv6 to commit. */
		for (i = 1; i < 4; i += 2)
			if (t[i].h != NULL) {
				t[i].f->free(t[i].h);
				t[i].h = NULL;
			}
	}
	/* Filters first: a client is never let through by a new NAT rule
	 * before its chain is there. */
	if (commit(&t[0], "") < 0 ||
	    commit(&t[1], " after filter was applied (IPv4 new, IPv6 old)") < 0 ||
	    commit(&t[2], " after filter was applied (filter new, nat old)") < 0 ||
	    commit(&t[3], " after filter and IPv4 nat were applied (nat6 old)") < 0)
		goto out;
	ret = 0;
out:
	for (i = 0; i < 4; i++)
		if (t[i].h != NULL)
			t[i].f->free(t[i].h);
	if (ret < 0) {
		int failed = res->nfailed;

		memset(res, 0, sizeof(*res));
		res->nfailed = failed;
	}
	return ret;
}

int
fw_resolve_getaddrinfo(const char *host, int af, struct fw_addr *out, int max, char *err,
    size_t errlen)
{
	struct addrinfo hints = { .ai_family = af, .ai_socktype = SOCK_STREAM };
	struct addrinfo *ai, *p;
	int rc, n = 0;

	rc = getaddrinfo(host, NULL, &hints, &ai);
	if (rc != 0) {
		snprintf(err, errlen, "%s", rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
		return -1;
	}
	for (p = ai; p != NULL && n < max; p = p->ai_next) {
		struct fw_addr a = { { 0 } };

		if (p->ai_family == AF_INET && af == AF_INET &&
		    p->ai_addrlen >= sizeof(struct sockaddr_in))
			memcpy(a.a, &((struct sockaddr_in *)p->ai_addr)->sin_addr, 4);
		else if (p->ai_family == AF_INET6 && af == AF_INET6 &&
		    p->ai_addrlen >= sizeof(struct sockaddr_in6))
			memcpy(a.a, &((struct sockaddr_in6 *)p->ai_addr)->sin6_addr, 16);
		else
			continue;
		n = add_addr(out, n, &a);
	}
	freeaddrinfo(ai);
	if (n == 0) {
		snprintf(err, errlen, "no %s address", af == AF_INET ? "IPv4" : "IPv6");
		return -1;
	}
	return n;
}
