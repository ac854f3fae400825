/* One iptables (IPv4) entry, encoded as iptables 1.8 encodes the same
 * command line, for libiptc's iptc_append_entry/iptc_insert_entry. Only the
 * matches and targets Bulkhead uses: interfaces, addresses, protocol, the
 * conntrack state RELATED,ESTABLISHED, tcp/udp destination ports, icmp type;
 * verdicts and jumps, DNAT, MASQUERADE. */
#ifndef BULKHEAD_IPTC_ENTRY_H
#define BULKHEAD_IPTC_ENTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libiptc/libiptc.h>

#define IPT_ENTRY_MAX 512 /* an encoded entry; ours are < 400 bytes */

/* One entry before encoding. Addresses in network byte order. */
struct ipt_spec {
	const char *in, *out;   /* interfaces; NULL: any */
	bool out_inv;           /* ! -o out */
	uint32_t src, smask, dst, dmask;
	uint8_t proto;          /* IPPROTO_*; 0: any */
	bool state;             /* RELATED,ESTABLISHED */
	uint16_t dport_min, dport_max; /* tcp/udp; 0: no port match */
	int icmptype;           /* -1: no icmp match */
	const char *target;     /* ACCEPT, DROP, a chain, DNAT or MASQUERADE */
	uint32_t to;            /* DNAT */
};

struct ipt_ebuf {
	_Alignas(struct ipt_entry) unsigned char b[IPT_ENTRY_MAX];
	size_t len;
};

#define IPT_EBUF_ENTRY(buf) ((struct ipt_entry *)(buf)->b)

/* Fills b with the entry s describes. */
void ipt_encode(struct ipt_ebuf *b, const struct ipt_spec *s);

#endif
