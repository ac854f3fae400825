/*
 * "Everybody else" at shutdown.  As PID 1 that is the whole pid namespace
 * (kill(-1) never hits init itself).  In test mode it is only our own
 * descendants: kill(-1) from a test run as root would hit the host.
 */
#include "agent.h"
#include "log.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A kernel thread (its stat flags): on Xen the agent is the whole
 * system's PID 1, and those never exit. */
#define PF_KTHREAD 0x00200000u

/* Reads ppid and state of pid from /proc; -1 if it is gone. Kernel threads
 * read as state 'K'. */
static int
proc_stat(pid_t pid, pid_t *ppid, char *state)
{
	char path[64], buf[512], *p;
	unsigned int flags;
	ssize_t n;
	int fd, pp;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	/* The command name may hold spaces and parentheses: skip to the last ')'. */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 1, " %c %d %*d %*d %*d %*d %u", state, &pp, &flags) != 3)
		return -1;
	if (flags & PF_KTHREAD)
		*state = 'K';
	*ppid = pp;
	return 0;
}

static int
is_descendant(pid_t pid)
{
	pid_t self = getpid(), ppid;
	char state;
	int depth;

	for (depth = 0; pid > 1 && depth < 4096; depth++) {
		if (proc_stat(pid, &ppid, &state) == -1)
			return 0;
		if (ppid == self)
			return 1;
		pid = ppid;
	}
	return 0;
}

/*
 * Counts the other live (non-zombie) processes, sending sig to each in test
 * mode when sig > 0; -1 if /proc cannot be read.
 */
static int
scan_others(int sig)
{
	DIR *d;
	struct dirent *de;
	pid_t pid, ppid;
	char state;
	int count = 0;

	d = opendir("/proc");
	if (!d)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		pid = (pid_t)atoi(de->d_name);
		if (pid == getpid() || proc_stat(pid, &ppid, &state) == -1)
			continue;
		if (state == 'Z' || state == 'X' || state == 'K')
			continue;
		if (agent_test_mode && !is_descendant(pid))
			continue;
		count++;
		if (sig > 0 && kill(pid, sig) == -1 && errno != ESRCH)
			log_warn("kill %d", (int)pid);
	}
	closedir(d);
	return count;
}

void
signal_others(int sig)
{
	if (agent_test_mode) {
		if (scan_others(sig) == -1)
			log_warn("/proc");
		return;
	}
	if (kill(-1, sig) == -1 && errno != ESRCH)
		log_warn("kill(-1, %d)", sig);
}

int
others_alive(void)
{
	int n = scan_others(0);

	if (n >= 0)
		return n > 0;
	/* No /proc: kill(-1, 0) succeeds while anyone (zombies too) is left. */
	if (agent_test_mode)
		return 0;
	return kill(-1, 0) == 0;
}
