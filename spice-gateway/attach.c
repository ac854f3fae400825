#include "attach.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "fdio.h"
#include "log.h"
#include "loop.h"
#include "qube.h"
#include "sock.h"
#include "vms.h"

#define NAME_LINE_MAX 40 /* "NAME\n", NAME at most 31 bytes */

/* Copies what is readable on from to to; false at the end or on an error. */
static bool
pump(int from, int to)
{
	char buf[65536];
	ssize_t n = read(from, buf, sizeof(buf));

	if (n < 0 && errno == EINTR)
		return true;
	return n > 0 && fd_write_all(to, buf, (size_t)n) == 0;
}

int
attach_main(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *src = getenv("BULKHEAD_RPC_SOURCE");
	char line[NAME_LINE_MAX];
	int s;

	if (src == NULL || !qube_name_valid(src)) {
		fprintf(stderr, "bulkhead-gateway --attach: no valid BULKHEAD_RPC_SOURCE\n");
		return 1;
	}
	if ((size_t)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path) >= sizeof(sa.sun_path))
		return 1;
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0 || connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "bulkhead-gateway --attach: %s: %s\n", path, strerror(errno));
		return 1;
	}
	snprintf(line, sizeof(line), "%s\n", src);
	if (fd_write_all(s, line, strlen(line)) < 0)
		return 1;
	/* The qube's bytes only ever follow the name. */
	for (;;) {
		struct pollfd p[2] = { { 0, POLLIN, 0 }, { s, POLLIN, 0 } };

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return 1;
		}
		if (p[0].revents && !pump(0, s))
			return 0;
		if (p[1].revents && !pump(s, 1))
			return 0;
	}
}

/* Reads the name line of a new connection; the peer is our own --attach,
 * which writes it at once, so a short blocking read is enough. */
static struct vm *
read_name(int c)
{
	struct timeval tv = { 1, 0 };
	char line[NAME_LINE_MAX];
	size_t len = 0;
	struct vm *vm;

	setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	/* Byte by byte: nothing after the newline may be consumed here. */
	while (len < sizeof(line) - 1) {
		ssize_t n = read(c, line + len, 1);
		if (n <= 0)
			return NULL;
		if (line[len] == '\n')
			break;
		len++;
	}
	line[len] = '\0';
	if (!qube_name_valid(line)) {
		log_warnx("rpc: a connection without a valid qube name; closed");
		return NULL;
	}
	if ((vm = vms_for_stream(line)) == NULL)
		log_warnx("rpc: qube %s has no display here; refused", line);
	return vm;
}

static void
on_rpc(int fd, int event, void *opaque)
{
	int c = sock_accept(fd, "rpc");
	struct vm *vm;

	if (c < 0)
		return;
	fcntl(c, F_SETFL, 0);
	vm = read_name(c);
	if (vm == NULL) {
		close(c);
		return;
	}
	fcntl(c, F_SETFL, O_NONBLOCK);
	vm_attach(vm, c);
}

int
attach_listen(const char *path)
{
	int fd = sock_listen_unix(path, "rpc");

	if (fd < 0)
		return -1;
	loop_watch_add(fd, SPICE_WATCH_EVENT_READ, on_rpc, NULL);
	return 0;
}
