/* The ns backend's network links (ns_net.c) and the host side of a
 * host-nat uplink (ns_hostnat.c). */
#ifndef BULKHEAD_DOMD_NS_NET_H
#define BULKHEAD_DOMD_NS_NET_H

#include <stddef.h>

#include "vm.h"

int ns_net_attach(struct vm *client, struct vm *netvm, char *err, size_t errlen);
int ns_net_detach(struct vm *client, char *err, size_t errlen);
int ns_uplink_attach(struct vm *netvm, struct net_uplink *up, char *err, size_t errlen);
void ns_uplink_detach(struct vm *netvm);

/* A veth from the host ("bhnatN", N from the netvm's address) to the
 * netvm (named inside), a /30 of 10.138.0.0/16 on it, and the host
 * forwarding and masquerading for it; fills up's address and gateway.
 * What exists already (after a domd restart) is kept. */
int hostnat_up(struct vm *netvm, const char *inside, struct net_uplink *up, char *err,
    size_t errlen);
/* Removes the host's rules and its end of the link. */
void hostnat_down(struct vm *netvm);

#endif
