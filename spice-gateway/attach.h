/* How a qube's GUI stream reaches the gateway through domd's RPC: the qube
 * calls bulkhead.Gui in sys-gui; that service runs `bulkhead-gateway
 * --attach SOCKET`, which connects to the running gateway's RPC socket,
 * names the caller first (from BULKHEAD_RPC_SOURCE, which the agent set
 * from domd's call, so the qube cannot choose it) and then relays the
 * call's stdin/stdout. The gateway takes the name from that first line only
 * and hands the rest of the connection to the qube's display. */
#ifndef BULKHEAD_GW_ATTACH_H
#define BULKHEAD_GW_ATTACH_H

#include "vm.h"

/* The service side: relays stdio to the gateway; an exit code. */
int attach_main(const char *sock_path);

/* The gateway side: listens on path, routes each connection by its name
 * line to the qube of that name (vms_for_stream). -1 on failure. */
int attach_listen(const char *path);

#endif
