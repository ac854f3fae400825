#include "ns_console.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* The monitor's own messages go to the log too (its stdout and stderr). */
static int
open_log(const char *path, off_t *size)
{
	struct stat st;
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0640);

	if (fd < 0)
		return -1;
	dup2(fd, 1);
	dup2(fd, 2);
	*size = fstat(fd, &st) == 0 ? st.st_size : 0;
	return fd;
}

/* A full log becomes console.log.old (one generation is kept). */
static int
rotate(const char *path, int fd, off_t *size)
{
	char old[4200];

	snprintf(old, sizeof(old), "%s.old", path);
	close(fd);
	rename(path, old);
	return open_log(path, size);
}

int
console_pump(int rfd, int child_pidfd, pid_t child, const char *path)
{
	struct pollfd pfd[2] = { { rfd, POLLIN, 0 }, { child_pidfd, POLLIN, 0 } };
	char buf[16384];
	off_t size;
	int fd = open_log(path, &size), status = 0;
	bool exited = false;
	ssize_t n;

	/* Every process of the qube dies with its init, closing the pipe: stop
	 * at its end, or when the init is gone and nothing more is queued. */
	while (pfd[0].fd >= 0) {
		if (poll(pfd, exited ? 1 : 2, exited ? 100 : -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[1].revents)
			exited = true;
		if (!(pfd[0].revents & (POLLIN | POLLHUP))) {
			if (exited)
				break;
			continue;
		}
		n = read(rfd, buf, sizeof(buf));
		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			break;
		}
		if (fd >= 0 && size + n > CONSOLE_LOG_MAX)
			fd = rotate(path, fd, &size);
		if (fd >= 0 && write(fd, buf, (size_t)n) == n)
			size += n;
	}
	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	if (fd >= 0)
		close(fd);
	return status;
}
