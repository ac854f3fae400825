/*
 * /rw/config/rc.local, the user's hook in the private volume.  It runs in
 * the background: a slow or hanging script must never delay "ready".
 */
#include "agent.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static pid_t rc_pid;
static const char *rc_path = RC_LOCAL_PATH;

static void
exec_rc_local(const char *path)
{
	int fd;

	signals_reset_child();
	setsid();
	/* stdout/stderr stay on the console log; stdin is nobody's. */
	fd = open("/dev/null", O_RDONLY);
	if (fd > 0) {
		dup2(fd, 0);
		close(fd);
	}
	execl(path, path, (char *)NULL);
	/* No #! line: run it as a shell script, like execvp does. */
	if (errno == ENOEXEC)
		execl("/bin/sh", "sh", path, (char *)NULL);
	log_warn("exec %s", path);
	_exit(127);
}

void
rc_local_start(void)
{
	const char *over = getenv("BULKHEAD_RC_LOCAL");
	struct stat st;
	pid_t pid;

	/* Only tests may point elsewhere; a qube's rc.local is always in /rw. */
	if (agent_test_mode && over && *over)
		rc_path = over;
	unsetenv("BULKHEAD_RC_LOCAL");

	if (stat(rc_path, &st) == -1) {
		if (errno == ENOENT)
			log_debug("%s: no %s", __func__, rc_path);
		else
			log_warn("%s", rc_path);
		return;
	}
	if (!S_ISREG(st.st_mode) || access(rc_path, X_OK) == -1) {
		log_info("%s is not an executable file, not running it", rc_path);
		return;
	}
	pid = fork();
	if (pid == -1) {
		log_warn("fork for %s", rc_path);
		return;
	}
	if (pid == 0)
		exec_rc_local(rc_path);
	rc_pid = pid;
	log_info("started %s (pid %d)", rc_path, (int)pid);
}

/* Called for every reaped child; returns 1 if it was rc.local (and logs how it ended). */
int
rc_local_exited(pid_t pid, int status)
{
	if (rc_pid <= 0 || pid != rc_pid)
		return 0;
	rc_pid = 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		log_info("%s finished", rc_path);
	else if (WIFEXITED(status))
		log_warnx("%s exited with status %d", rc_path, WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		log_warnx("%s killed by signal %d", rc_path, WTERMSIG(status));
	return 1;
}
