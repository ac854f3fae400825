/* One iptables (IPv4) or ip6tables entry, encoded as iptables 1.8 encodes
 * the same command line, for libiptc's iptc_append_entry/iptc_insert_entry
 * (libip6tc's ip6tc_*). Only the
 * matches and targets Bulkhead uses: interfaces, addresses, protocol, the
 * conntrack state RELATED,ESTABLISHED, tcp/udp destination ports, icmp and
 * icmpv6 type;
 * verdicts and jumps, DNAT, MASQUERADE. */
#ifndef BULKHEAD_IPTC_ENTRY_H
#define BULKHEAD_IPTC_ENTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libiptc/libiptc.h>
#include <libiptc/libip6tc.h>

#define IPT_ENTRY_MAX 512 /* an encoded entry; ours are < 400 bytes */

/* One entry before encoding. Addresses in network byte order: IPv4 ones
 * for ipt_encode, the *6 ones for ip6t_encode. */
struct ipt_spec {
	const char *in, *out;   /* interfaces; NULL: any */
	bool out_inv;           /* ! -o out */
	uint32_t src, smask, dst, dmask;
	uint8_t src6[16], smask6[16], dst6[16], dmask6[16];
	uint8_t proto;          /* IPPROTO_* (ICMPV6 for ip6t); 0: any */
	bool state;             /* RELATED,ESTABLISHED */
	uint16_t dport_min, dport_max; /* tcp/udp; 0: no port match */
	int icmptype;           /* -1: no icmp (icmpv6) type match */
	const char *target;     /* ACCEPT, DROP, a chain, DNAT (IPv4) or MASQUERADE */
	uint32_t to;            /* DNAT */
};

struct ipt_ebuf {
	_Alignas(struct ipt_entry) _Alignas(struct ip6t_entry) unsigned char b[IPT_ENTRY_MAX];
	size_t len;
};

#define IPT_EBUF_ENTRY(buf) ((struct ipt_entry *)(buf)->b)

/* Fills b with the entry s describes. */
void ipt_encode(struct ipt_ebuf *b, const struct ipt_spec *s);
/* The same as an ip6tables entry (IP6T_EBUF_ENTRY). */
void ip6t_encode(struct ipt_ebuf *b, const struct ipt_spec *s);

#define IP6T_EBUF_ENTRY(buf) ((struct ip6t_entry *)(buf)->b)

#endif
