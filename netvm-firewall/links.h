/* The netvm's links, addresses and routes (libnl), and its resolv.conf. */
#ifndef BULKHEAD_NETFW_LINKS_H
#define BULKHEAD_NETFW_LINKS_H

#include <stdbool.h>
#include <stddef.h>

#include "netcfg.h"

/* Brings up the clients' links with the netvm's address and a route to
 * each client (IPv6 too with "ipv6"), and the uplink with its address and default route. A
 * client's missing link is logged only; -1 with err for the uplink. */
int links_apply(const struct netcfg *c, char *err, size_t errlen);
/* IPv6 forwarding on or off: 0 or -1. On only once the IPv6 rules are in
 * place: a netvm's ip6tables FORWARD accepts everything until then. */
int links_ipv6_forwarding(bool on);
/* A netvm with an uplink and resolvers resolves through them itself. */
int links_write_resolv(const struct netcfg *c);

#endif
