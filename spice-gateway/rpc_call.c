#include "rpc_call.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"

pid_t
rpc_call_start(const char *call, unsigned timeout_s, int out_fd)
{
	pid_t pid = fork();

	if (pid < 0) {
		log_warn("fork");
		return -1;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		if (null >= 0) {
			dup2(null, 0);
			dup2(out_fd >= 0 ? out_fd : null, 1);
		}
		alarm(timeout_s);
		execlp("bulkhead-rpc", "bulkhead-rpc", "dom0", call, (char *)NULL);
		_exit(127);
	}
	return pid;
}

int
rpc_call_status(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

bool
rpc_call_wait(pid_t pid)
{
	return rpc_call_status(pid) == 0;
}

bool
rpc_call_line(const char *call, char *out, size_t len)
{
	size_t have = 0;
	int p[2];
	pid_t pid;

	out[0] = '\0';
	if (pipe2(p, O_CLOEXEC) < 0) {
		log_warn("pipe");
		return false;
	}
	/* dup2 in the child clears close-on-exec on its stdout. */
	pid = rpc_call_start(call, 5, p[1]);
	close(p[1]);
	if (pid < 0) {
		close(p[0]);
		return false;
	}
	while (have < len - 1) {
		ssize_t n = read(p[0], out + have, len - 1 - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		have += (size_t)n;
	}
	close(p[0]);
	out[have] = '\0';
	out[strcspn(out, "\n")] = '\0';
	return rpc_call_wait(pid);
}
