/* iptables entries by hand (iptc_entry.h). The encodings follow what
 * iptables 1.8 writes for the same command line, so that iptables-save
 * prints them and iptables-restore reads them back. */
#include "iptc_entry.h"

#include <string.h>
#include <stdio.h>

#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/xt_conntrack.h>
#include <linux/netfilter/xt_tcpudp.h>
#include <netinet/in.h>

static void
set_iface(char *name, unsigned char *mask, const char *s)
{
	size_t n = strlen(s);

	memcpy(name, s, n);
	/* As iptables: "vif+" compares the prefix, "vif5" the name and its NUL. */
	if (s[n - 1] == '+')
		memset(mask, 0xff, n - 1);
	else
		memset(mask, 0xff, n + 1);
}

static void *
add_match(struct ipt_ebuf *b, const char *name, uint8_t revision, size_t size)
{
	struct xt_entry_match *m = (struct xt_entry_match *)(b->b + b->len);

	m->u.match_size = XT_ALIGN(sizeof(*m) + size);
	snprintf(m->u.user.name, sizeof(m->u.user.name), "%s", name);
	m->u.user.revision = revision;
	b->len += m->u.match_size;
	return m->data;
}

/* The entry's offsets: where its target starts, where the next entry. */
struct offsets {
	uint16_t *target, *next;
};

static void *
set_target(struct ipt_ebuf *b, struct offsets o, const char *name, uint8_t revision,
    size_t size)
{
	struct xt_entry_target *t = (struct xt_entry_target *)(b->b + b->len);

	*o.target = (uint16_t)b->len;
	/* Verdicts and jumps: libiptc wants exactly a standard target's size. */
	t->u.target_size = XT_ALIGN(sizeof(*t) + size);
	snprintf(t->u.user.name, sizeof(t->u.user.name), "%s", name);
	t->u.user.revision = revision;
	b->len += t->u.target_size;
	*o.next = (uint16_t)b->len;
	return t->data;
}

/* The matches and the target, after the entry's own fields: the same for
 * both families but for the icmp match. */
static void
encode_tail(struct ipt_ebuf *b, struct offsets o, const struct ipt_spec *s, bool v6)
{
	if (s->state) {
		/* What "iptables -m state" writes nowadays: conntrack revision 3
		 * flagged as the state alias. The kernel takes xt_state_info
		 * (state revision 0) as well, but iptables-save then prints
		 * "[unsupported revision]", which iptables-restore cannot read. */
		struct xt_conntrack_mtinfo3 *ct = add_match(b, "conntrack", 3, sizeof(*ct));

		ct->match_flags = XT_CONNTRACK_STATE | XT_CONNTRACK_STATE_ALIAS;
		ct->state_mask = XT_CONNTRACK_STATE_BIT(IP_CT_ESTABLISHED) |
		    XT_CONNTRACK_STATE_BIT(IP_CT_RELATED);
	}
	if (s->dport_min != 0 && s->proto == IPPROTO_TCP) {
		struct xt_tcp *t = add_match(b, "tcp", 0, sizeof(*t));

		t->spts[1] = 0xffff;
		t->dpts[0] = s->dport_min;
		t->dpts[1] = s->dport_max;
	} else if (s->dport_min != 0 && s->proto == IPPROTO_UDP) {
		struct xt_udp *u = add_match(b, "udp", 0, sizeof(*u));

		u->spts[1] = 0xffff;
		u->dpts[0] = s->dport_min;
		u->dpts[1] = s->dport_max;
	}
	if (s->icmptype >= 0 && !v6 && s->proto == IPPROTO_ICMP) {
		struct ipt_icmp *ic = add_match(b, "icmp", 0, sizeof(*ic));

		ic->type = (uint8_t)s->icmptype;
		ic->code[1] = 0xff; /* any code */
	} else if (s->icmptype >= 0 && v6 && s->proto == IPPROTO_ICMPV6) {
		struct ip6t_icmp *ic = add_match(b, "icmp6", 0, sizeof(*ic));

		ic->type = (uint8_t)s->icmptype;
		ic->code[1] = 0xff;
	}
	if (!v6 && strcmp(s->target, "DNAT") == 0) {
		/* Revision 2, as iptables writes it (same reason as above). */
		struct nf_nat_range2 *r = set_target(b, o, "DNAT", 2, sizeof(*r));

		r->flags = NF_NAT_RANGE_MAP_IPS;
		r->min_addr.ip = s->to;
		r->max_addr.ip = s->to;
	} else if (strcmp(s->target, "MASQUERADE") == 0) {
		/* As ip(6)tables writes it: the IPv4 compat range for IPv4, the
		 * family-neutral range for IPv6; neither restricts anything. */
		if (v6) {
			set_target(b, o, "MASQUERADE", 0, sizeof(struct nf_nat_range));
		} else {
			struct nf_nat_ipv4_multi_range_compat *m =
			    set_target(b, o, "MASQUERADE", 0, sizeof(*m));

			m->rangesize = 1; /* no address or port range: any */
		}
	} else {
		set_target(b, o, s->target, 0, sizeof(int)); /* verdict: libiptc fills it */
	}
}

static void
set_ifaces(char *in, unsigned char *in_mask, char *out, unsigned char *out_mask,
    const struct ipt_spec *s)
{
	if (s->in)
		set_iface(in, in_mask, s->in);
	if (s->out)
		set_iface(out, out_mask, s->out);
}

void
ipt_encode(struct ipt_ebuf *b, const struct ipt_spec *s)
{
	struct ipt_entry *e = IPT_EBUF_ENTRY(b);

	_Static_assert(XT_ALIGN(sizeof(struct ip6t_entry)) + XT_ALIGN(sizeof(struct xt_entry_match)
	    + sizeof(struct xt_conntrack_mtinfo3)) + XT_ALIGN(sizeof(struct xt_entry_match)
	    + sizeof(struct xt_tcp)) + XT_ALIGN(sizeof(struct xt_entry_target)
	    + sizeof(struct nf_nat_range2)) <= IPT_ENTRY_MAX, "IPT_ENTRY_MAX too small");
	memset(b, 0, sizeof(*b));
	b->len = XT_ALIGN(sizeof(*e));
	set_ifaces(e->ip.iniface, e->ip.iniface_mask, e->ip.outiface, e->ip.outiface_mask, s);
	if (s->out && s->out_inv)
		e->ip.invflags |= IPT_INV_VIA_OUT;
	e->ip.src.s_addr = s->src & s->smask;
	e->ip.smsk.s_addr = s->smask;
	e->ip.dst.s_addr = s->dst & s->dmask;
	e->ip.dmsk.s_addr = s->dmask;
	e->ip.proto = s->proto;
	encode_tail(b, (struct offsets){ &e->target_offset, &e->next_offset }, s, false);
}

void
ip6t_encode(struct ipt_ebuf *b, const struct ipt_spec *s)
{
	struct ip6t_entry *e = IP6T_EBUF_ENTRY(b);

	memset(b, 0, sizeof(*b));
	b->len = XT_ALIGN(sizeof(*e));
	set_ifaces(e->ipv6.iniface, e->ipv6.iniface_mask, e->ipv6.outiface,
	    e->ipv6.outiface_mask, s);
	if (s->out && s->out_inv)
		e->ipv6.invflags |= IP6T_INV_VIA_OUT;
	for (int i = 0; i < 16; i++) {
		e->ipv6.src.s6_addr[i] = s->src6[i] & s->smask6[i];
		e->ipv6.smsk.s6_addr[i] = s->smask6[i];
		e->ipv6.dst.s6_addr[i] = s->dst6[i] & s->dmask6[i];
		e->ipv6.dmsk.s6_addr[i] = s->dmask6[i];
	}
	/* ip6tables matches the protocol only with IP6T_F_PROTO set. */
	e->ipv6.proto = s->proto;
	if (s->proto != 0)
		e->ipv6.flags |= IP6T_F_PROTO;
	encode_tail(b, (struct offsets){ &e->target_offset, &e->next_offset }, s, true);
}
