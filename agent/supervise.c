/*
 * Programs init keeps running (bulkhead-firewall in netvms, the GUI agent
 * in X-capable templates): started once, started again when they exit,
 * with a pause when they die right away so that a crash loop cannot spin
 * init.
 */
#include "agent.h"
#include "log.h"

#include <time.h>
#include <unistd.h>

void
supervise_spawn(struct supervised *s)
{
	pid_t pid = fork();

	if (pid < 0) {
		log_warn("fork %s", s->path);
		return;
	}
	if (pid == 0) {
		signals_reset_child();
		execl(s->path, s->name, (char *)NULL);
		log_warn("exec %s", s->path);
		_exit(127);
	}
	s->pid = pid;
	s->started = time(NULL);
}

int
supervise_exited(struct supervised *s, pid_t pid, int status)
{
	if (s->pid == 0 || pid != s->pid)
		return 0;
	log_warnx("%s exited (status 0x%x); restarting", s->name, status);
	if (time(NULL) - s->started < 2)
		sleep(1);
	supervise_spawn(s);
	return 1;
}
