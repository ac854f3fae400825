/*
 * In a qube that serves as a netvm (domd then provides the firewall socket
 * in /dev/bulkhead), init keeps bulkhead-firewall running: it receives the
 * clients' rule sets from domd and applies them.
 */
#include "agent.h"
#include "log.h"
#include "rpc_paths.h"

#include <unistd.h>

static struct supervised netd = { NETVM_FIREWALL_PROG, "bulkhead-firewall", 0, 0 };

void
netd_start(void)
{
	if (access(NETVM_FIREWALL_SOCK, F_OK) < 0)
		return; /* not a netvm */
	if (access(NETVM_FIREWALL_PROG, X_OK) < 0) {
		log_warnx("this qube serves as a netvm but its template has no %s; its clients "
		    "get no traffic through", NETVM_FIREWALL_PROG);
		return;
	}
	supervise_spawn(&netd);
}

int
netd_exited(pid_t pid, int status)
{
	return supervise_exited(&netd, pid, status);
}

void
netd_forget(void)
{
	netd.pid = 0;
}
