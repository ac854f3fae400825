/* Applies a netvm's configuration (lib/netcfg.h) to the kernel's legacy
 * iptables and ip6tables through libiptc and libip6tc: one chain per client
 * address, anti-spoofing, the clients' rules, DNS forwarding and
 * masquerading, one commit per table. The layout is described at the top
 * of fw_iptc.c. */
#ifndef BULKHEAD_FW_IPTC_H
#define BULKHEAD_FW_IPTC_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "netcfg.h"

#define FW_RESOLVE_MAX 16 /* addresses of one dsthost, at most */

/* An address, network byte order: IPv4 in the first 4 bytes, the rest 0. */
struct fw_addr {
	uint8_t a[16];
};

/* Looks up a dsthost's addresses of family af (AF_INET or AF_INET6):
 * count (>0) into out[max], or -1 with err. */
typedef int (*fw_resolve_fn)(const char *host, int af, struct fw_addr *out, int max, char *err,
    size_t errlen);
int fw_resolve_getaddrinfo(const char *host, int af, struct fw_addr *out, int max, char *err,
    size_t errlen);

struct fw_result {
	int nrules;          /* entries written, every table of both families */
	time_t next_expire;  /* earliest future expire among the rules, 0 if none */
	int nfailed;         /* clients put in fail-closed (bad rules, resolution error, ...) */
};

/* Replaces Bulkhead's whole filter+nat state (IPv4 and IPv6) in the
 * current network namespace with the one cfg describes: one commit per
 * table.
 * resolve may be NULL (fw_resolve_getaddrinfo). 0, or -1 with a one-line
 * err; nothing is applied on error, except when a later table's commit
 * fails after an earlier one's, which err then says. */
int fw_iptc_apply(const struct netcfg *cfg, time_t now, fw_resolve_fn resolve,
    struct fw_result *res, char *err, size_t errlen);

#endif
