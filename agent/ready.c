/*
 * The launcher waits on a pipe: the byte 'R' means the API filesystems are
 * up and rc.local has been started; EOF without it means init died first.
 */
#include "agent.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#define READY_ENV "BULKHEAD_READY_FD"

/* Returns the ready descriptor (close-on-exec), or -1 if there is none. */
int
ready_fd_take(void)
{
	const char *s = getenv(READY_ENV);
	char *end;
	long v;

	if (!s) {
		log_debug("%s: no %s", __func__, READY_ENV);
		return -1;
	}
	errno = 0;
	v = strtol(s, &end, 10);
	/* Only an fd above stdio: closing 0-2 would lose the console log. */
	if (errno || end == s || *end || v < 3 || v > INT_MAX) {
		log_warnx("ignoring %s=\"%s\": not a descriptor above 2", READY_ENV, s);
		unsetenv(READY_ENV);
		return -1;
	}
	/* Children must neither see the variable nor inherit the pipe. */
	unsetenv(READY_ENV);
	if (fcntl((int)v, F_SETFD, FD_CLOEXEC) == -1) {
		log_warn("%s=%ld", READY_ENV, v);
		return -1;
	}
	return (int)v;
}

void
ready_signal(int fd)
{
	ssize_t n;

	if (fd < 0)
		return;
	do
		n = write(fd, "R", 1);
	while (n == -1 && errno == EINTR);
	if (n != 1)
		log_warn("cannot signal ready on fd %d", fd);
	else
		log_info("ready");
	close(fd);
}
