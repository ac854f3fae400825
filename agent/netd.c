/*
 * In a qube that serves as a netvm (domd then provides the firewall socket
 * in /dev/bulkhead), init keeps bulkhead-firewall running: it receives the
 * clients' rule sets from domd and applies them.
 */
#include "agent.h"
#include "log.h"
#include "rpc_paths.h"

#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static pid_t netd_pid;
static time_t netd_started;

void
netd_start(void)
{
	pid_t pid;

	if (access(NETVM_FIREWALL_SOCK, F_OK) < 0)
		return; /* not a netvm */
	if (access(NETVM_FIREWALL_PROG, X_OK) < 0) {
		log_warnx("this qube serves as a netvm but its template has no %s; its clients "
		    "get no traffic through", NETVM_FIREWALL_PROG);
		return;
	}
	pid = fork();
	if (pid < 0) {
		log_warn("fork %s", NETVM_FIREWALL_PROG);
		return;
	}
	if (pid == 0) {
		signals_reset_child();
		execl(NETVM_FIREWALL_PROG, "bulkhead-firewall", (char *)NULL);
		log_warn("exec %s", NETVM_FIREWALL_PROG);
		_exit(127);
	}
	netd_pid = pid;
	netd_started = time(NULL);
}

int
netd_exited(pid_t pid, int status)
{
	if (pid != netd_pid || netd_pid == 0)
		return 0;
	log_warnx("bulkhead-firewall exited (status 0x%x); restarting", status);
	/* A crash loop must not spin init. */
	if (time(NULL) - netd_started < 2)
		sleep(1);
	netd_start();
	return 1;
}

void
netd_forget(void)
{
	netd_pid = 0;
}
