/* A qube's user namespace on the ns backend, and the network namespace it
 * owns: its uids and gids 0..65535 are host ids base..base+65535. */
#ifndef BULKHEAD_DOMD_NS_USERNS_H
#define BULKHEAD_DOMD_NS_USERNS_H

#include <stddef.h>

#define USERNS_RANGE 65536L

struct userns_fds {
	int user, net;
};

/* Makes both namespaces, mapped; 0 with out filled or -1 with err. */
int userns_make(long base, struct userns_fds *out, char *err, size_t errlen);

#endif
