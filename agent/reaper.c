/*
 * PID 1 of a pid namespace inherits every orphan; if it did not wait for
 * them they would stay zombies for the life of the qube.
 */
#include "agent.h"
#include "log.h"

#include <errno.h>
#include <sys/wait.h>

/* Reaps every child that has exited; returns 1 while children remain, 0 when none are left. */
int
reap_children(void)
{
	pid_t pid;
	int status;

	for (;;) {
		pid = waitpid(-1, &status, WNOHANG);
		if (pid > 0) {
			if (!rc_local_exited(pid, status) && !rpcd_exited(pid, status) &&
			    !netd_exited(pid, status) && !guid_exited(pid, status) &&
			    !updates_forward_exited(pid, status))
				log_debug("%s: pid %d exited (status 0x%x)", __func__, (int)pid, status);
			continue;
		}
		if (pid == 0)
			return 1;
		if (errno == EINTR)
			continue;
		if (errno != ECHILD)
			log_warn("waitpid");
		return 0;
	}
}

/* Sleeps until a stop signal arrives, reaping meanwhile; returns that signal. */
int
reaper_loop(int sfd)
{
	int sig;

	/* Children may have exited before we first looked. */
	reap_children();
	for (;;) {
		sig = signals_read(sfd, -1);
		if (signals_is_stop(sig))
			return sig;
		if (sig != 0)
			reap_children();
	}
}
