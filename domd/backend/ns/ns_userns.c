#include "ns_userns.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int
write_map(pid_t pid, const char *file, long base, char *err, size_t errlen)
{
	char path[64], map[64];
	int fd, saved;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	snprintf(map, sizeof(map), "0 %ld %ld\n", base, USERNS_RANGE);
	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) < 0)
		goto fail;
	n = write(fd, map, strlen(map));
	saved = errno;
	close(fd);
	errno = saved;
	if (n == (ssize_t)strlen(map))
		return 0;
fail:
	snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
	return -1;
}

static int
open_ns(pid_t pid, const char *ns, char *err, size_t errlen)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, ns);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
	return fd;
}

/* The child that holds the namespaces until they are open here. It shares
 * this process's memory (no page tables to copy) and only waits. */
static int
hold(void *unused)
{
	(void)unused;
	for (;;)
		pause();
	return 0;
}

/* A child is born in the namespaces (a process cannot make a user
 * namespace and stay outside it); the caller maps them from outside and
 * keeps them open by descriptor; the child then goes. The network
 * namespace belongs to the new user namespace: root in the qube may
 * configure its own links and packet filter. */
int
userns_make(long base, struct userns_fds *out, char *err, size_t errlen)
{
	static char stack[16384] __attribute__((aligned(16)));
	int ret = -1, status;
	pid_t pid;

	out->user = out->net = -1;
	pid = clone(hold, stack + sizeof(stack), CLONE_VM | CLONE_NEWUSER | CLONE_NEWNET | SIGCHLD,
	    NULL);
	if (pid < 0) {
		snprintf(err, errlen, "cannot make a user namespace: %s", strerror(errno));
		return -1;
	}
	/* Host root writes the maps: setgroups stays allowed inside. */
	if (write_map(pid, "uid_map", base, err, errlen) < 0 ||
	    write_map(pid, "gid_map", base, err, errlen) < 0)
		goto out;
	if ((out->user = open_ns(pid, "user", err, errlen)) < 0 ||
	    (out->net = open_ns(pid, "net", err, errlen)) < 0)
		goto out;
	ret = 0;
out:
	kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (ret < 0) {
		if (out->user >= 0)
			close(out->user);
		if (out->net >= 0)
			close(out->net);
		out->user = out->net = -1;
	}
	return ret;
}
