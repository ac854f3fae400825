#include "job.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "xalloc.h"

struct job {
	pid_t pid;
	job_done_fn done;
	void *arg;
	char what[256];
	struct job *next;
};

static struct job *jobs;

void
job_spawn(char *const argv[], job_done_fn done, void *arg)
{
	struct job *j = xcalloc(1, sizeof(*j));
	size_t off = 0;
	sigset_t all;
	pid_t pid;

	for (int i = 0; argv[i] != NULL && off < sizeof(j->what) - 1; i++)
		off += (size_t)snprintf(j->what + off, sizeof(j->what) - off, "%s%s",
		    i ? " " : "", argv[i]);
	pid = fork();
	if (pid < 0)
		fatal("fork");
	if (pid == 0) {
		int fd = open("/dev/null", O_RDWR);
		sigemptyset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
		if (fd >= 0)
			dup2(fd, 0);
		execv(argv[0], argv);
		_exit(127);
	}
	j->pid = pid;
	j->done = done;
	j->arg = arg;
	j->next = jobs;
	jobs = j;
	log_debug("%s: [%d] %s", __func__, pid, j->what);
}

void
job_reap(void)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (struct job **jp = &jobs; *jp != NULL; jp = &(*jp)->next) {
			struct job *j = *jp;
			int ok;
			if (j->pid != pid)
				continue;
			*jp = j->next;
			ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
			if (!ok)
				log_warnx("job failed: %s", j->what);
			if (j->done != NULL)
				j->done(j->arg, ok, j->what);
			free(j);
			break;
		}
	}
}

int
job_count(void)
{
	int n = 0;

	for (struct job *j = jobs; j != NULL; j = j->next)
		n++;
	return n;
}
