/* Every qube has a loopback, networked or not: local services (the SPICE
 * gateway's TCP viewers in sys-gui, for one) listen on 127.0.0.1. domd sets
 * up the other links; lo is the qube's own. */
#include "agent.h"
#include "log.h"

#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

void
loopback_up(void)
{
	struct ifreq ifr;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (s < 0) {
		log_warn("loopback: socket");
		return;
	}
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0) {
		log_warn("loopback: SIOCGIFFLAGS");
	} else if (!(ifr.ifr_flags & IFF_UP)) {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
			log_warn("loopback: SIOCSIFFLAGS");
	}
	close(s);
}
