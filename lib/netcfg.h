/* The network configuration domd sends to the bulkhead-firewall of a netvm:
 * who its clients are, on which link, with which firewall rules; and how the
 * netvm itself reaches upstream. One text message, one item a line:
 *
 *   netcfg 1
 *   self 10.137.0.2                    the netvm's address: its clients' gateway
 *   upstream eth0                      the link towards the outside ("-": none)
 *   uplink 192.168.77.2/24 192.168.77.1    address and gateway to set on it (sys-net)
 *   resolver 192.168.77.1 192.168.77.1 where the virtual DNS addresses are sent
 *   ipv6                               the clients have IPv6 too (the netvm's ipv6)
 *   client work 10.137.0.5 vif5 drop   name, address, link in the netvm, policy
 *   rule accept proto=tcp dstports=443 a rule of the client above, canonical form
 *   rule drop
 *   forward 22-22                      TCP ports of the client above reached
 *                                      from upstream (DNAT, same ports)
 *   client broken 10.137.0.6 vif6 accept
 *   bad firewall rule 1: invalid ...   a client whose rules domd could not read
 *   end
 *
 * "uplink", "resolver" and "ipv6" are optional. With "ipv6", every client
 * and the netvm have the IPv6 address NETCFG_IP6_PREFIX + their IPv4
 * address (Qubes' scheme: 10.137.0.5 is fd09:24ef:4179::a89:5); without
 * it no IPv6 is forwarded. A client line followed by "bad"
 * has its traffic dropped (fail closed). The netvm answers each message
 * with "ok N" (N rules applied) or "error TEXT", one line.
 *
 * The netvm parses what domd sends, and domd parses the netvm's answer:
 * both parsers are bounded and fuzzed (tests/fuzz/fuzz_netcfg.c). */
#ifndef BULKHEAD_NETCFG_H
#define BULKHEAD_NETCFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fwrule.h"

#define NETCFG_VERSION 1
#define NETCFG_CLIENTS_MAX 1024
#define NETCFG_MSG_MAX (8 * 1024 * 1024) /* a whole message, "end\n" included */
#define NETCFG_IFNAME_MAX 15              /* IFNAMSIZ - 1 */
#define NETCFG_NAME_MAX 31
#define NETCFG_ANSWER_MAX 512
#define NETCFG_FORWARDS_MAX 32 /* per client: its ports and those behind it */

/* The two virtual DNS addresses every client uses (Qubes' values). */
#define NETCFG_DNS1 "10.139.1.1"
#define NETCFG_DNS2 "10.139.1.2"
/* The /80 the IPv6 addresses of qubes are in, IPv4 address last (Qubes'). */
#define NETCFG_IP6_PREFIX "fd09:24ef:4179::"

struct netcfg_client {
	char name[NETCFG_NAME_MAX + 1];
	uint32_t ip;                 /* network byte order */
	char ifname[NETCFG_IFNAME_MAX + 1];
	int policy;                  /* enum fwrule_action */
	bool bad;                    /* fail closed: drop all of its traffic */
	char bad_reason[256];
	int nrules;
	struct fwrule *rules;        /* nrules, parsed */
	int nforwards;               /* inbound TCP port ranges sent on to it */
	struct { uint16_t lo, hi; } forwards[NETCFG_FORWARDS_MAX];
};

struct netcfg {
	uint32_t self;               /* network byte order; 0: none */
	char upstream[NETCFG_IFNAME_MAX + 1]; /* "" for none */
	bool has_uplink;
	uint32_t uplink_addr, uplink_gw; /* network byte order */
	int uplink_prefix;
	bool ipv6;                   /* clients get IPv6 */
	int nresolvers;              /* 0-2 */
	uint32_t resolvers[2];
	int nclients;
	struct netcfg_client *clients;
};

/* Parses a whole message (text, len bytes, "end\n" last). 0 with *out
 * filled (free with netcfg_free), or -1 with a one-line error naming the
 * line and what was wrong; *out is then empty. */
int netcfg_parse(const char *text, size_t len, struct netcfg *out, char *err, size_t errlen);
void netcfg_free(struct netcfg *c);

/* Parses the netvm's one-line answer (without '\n'): 1 for "ok N" with
 * *nrules set, 0 for "error TEXT" with the text made printable in msg,
 * -1 for anything else. */
int netcfg_parse_answer(const char *untrusted_line, size_t len, int *nrules, char *msg,
    size_t msglen);

/* IPv4 in dotted form: 0 with *out (network byte order), or -1. Strict: four
 * decimal numbers 0-255 without leading zeros. */
int netcfg_ip_parse(const char *s, uint32_t *out);
/* "A.B.C.D/N": 0 with address and prefix, or -1. */
int netcfg_cidr_parse(const char *s, uint32_t *addr, int *prefix);
/* Dotted form into buf (at least 16 bytes). */
const char *netcfg_ip_str(uint32_t ip, char *buf);
/* The IPv6 address of the qube with IPv4 address ip (network byte order). */
void netcfg_ip6_of(uint32_t ip, uint8_t out[16]);

#endif
