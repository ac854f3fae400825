/* The netvm's links, addresses and routes (libnl), and its resolv.conf. */
#ifndef BULKHEAD_NETFW_LINKS_H
#define BULKHEAD_NETFW_LINKS_H

#include <stddef.h>

#include "netcfg.h"

/* Brings up the clients' links with the netvm's address and a route to
 * each client, and the uplink with its address and default route. A
 * client's missing link is logged only; -1 with err for the uplink. */
int links_apply(const struct netcfg *c, char *err, size_t errlen);
/* A netvm with an uplink and resolvers resolves through them itself. */
int links_write_resolv(const struct netcfg *c);

#endif
