#include "xen_relay.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "chan.h"
#include "fdio.h"
#include "rpc_wire.h"
#include "xen_relay_proto.h"

/* A call ring's size each way: fewer wake-ups per byte than 64 KiB, and
 * 128 pages of dom0's gntalloc budget (1024 by default) per ring. */
#define CALL_RING (256 * 1024)

static int stop_fd = -1;

static void
nap(void)
{
	struct pollfd p = { stop_fd, POLLIN, 0 };

	if (poll(&p, 1, 200) > 0)
		_exit(0); /* the domain ended: its monitor is gone */
}

static int
connect_once(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

static int
connect_ctl(const char *path)
{
	int fd;

	while ((fd = connect_once(path)) < 0)
		nap(); /* domd is restarting, or has not listened yet */
	return fd;
}

/* A call's data stream crosses on a ring of its own, bridged to the fd
 * domd attached to the EXEC. The ring exists before the guest hears of the
 * call (the sync byte), so the guest's connect cannot race it. */
static int
call_bridge(int domid, unsigned n, int data_fd)
{
	char path[128], err[256], ok = 0;
	int sync[2];
	pid_t pid;

	if (pipe2(sync, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		struct chan *c;

		/* Only the data fd and the sync pipe: the control socket must
		 * close when the relay's session does. */
		dup2(data_fd, 3);
		dup2(sync[1], 4);
		close_range(5, ~0U, 0);
		snprintf(path, sizeof(path), "/local/domain/%d/" XEN_RELAY_CALL, domid, n);
		c = chan_listen_sized(CHAN_VCHAN, domid, path, CALL_RING, err, sizeof(err));
		if (c == NULL) {
			fprintf(stderr, "bulkhead-relay: %s\n", err);
			_exit(1);
		}
		ok = 1;
		if (write(4, &ok, 1) != 1)
			_exit(1);
		close(4);
		if (chan_splice(c, 3, 30) < 0)
			fprintf(stderr, "bulkhead-relay: call %u: %s\n", n, strerror(errno));
		chan_close(c);
		_exit(0);
	}
	close(sync[1]);
	if (pid < 0 || read(sync[0], &ok, 1) != 1)
		ok = 0;
	close(sync[0]);
	return ok ? 0 : -1;
}

struct session {
	int domid;
	const char *ctl_sock;
	struct chan *c;
	int fd[XEN_RELAY_CONNS]; /* domd's control socket, per connection */
	char in[XEN_RELAY_FRAME_MAX + sizeof(struct xen_relay_frame)];
	size_t len;
};

/* A connection ends: tell the other side. -1 when it was the agent's (the
 * session ends: the agent then says HELLO again, as after a domd restart
 * on ns). */
static int
conn_end(struct session *s, unsigned i, bool tell_guest)
{
	if (s->fd[i] >= 0)
		close(s->fd[i]);
	s->fd[i] = -1;
	if (tell_guest && xen_relay_send(s->c, i, NULL, 0, 0) < 0)
		return -1;
	return i == 0 ? -1 : 0;
}

/* Guest to domd: the frame header is checked, the bytes go on unread. */
static int
from_guest(struct session *s)
{
	struct xen_relay_frame f;
	int r;

	while ((r = xen_relay_parse(s->in, s->len, &f)) == 1) {
		if (f.len == 0) {
			if (conn_end(s, f.conn, false) < 0)
				return -1;
		} else {
			if (s->fd[f.conn] < 0 && (s->fd[f.conn] = connect_once(s->ctl_sock)) < 0 &&
			    conn_end(s, f.conn, true) < 0)
				return -1;
			if (s->fd[f.conn] >= 0 &&
			    fd_write_all(s->fd[f.conn], s->in + sizeof(f), f.len) < 0 &&
			    conn_end(s, f.conn, true) < 0)
				return -1;
		}
		s->len -= sizeof(f) + f.len;
		memmove(s->in, s->in + sizeof(f) + f.len, s->len);
	}
	if (r < 0)
		fprintf(stderr, "bulkhead-relay: a malformed frame from the guest\n");
	return r;
}

/* domd to the guest: whole messages; a descriptor becomes a call ring. */
static int
from_domd(struct session *s, unsigned i)
{
	static char buf[XEN_RELAY_FRAME_MAX];
	static unsigned rings; /* for the domain's lifetime: paths never reused */
	struct rpc_msg m;
	unsigned ring = 0;
	int data_fd;

	if (rpc_recv(s->fd[i], buf, sizeof(buf), &m, &data_fd) != 1)
		return conn_end(s, i, true);
	if (data_fd >= 0) {
		if (call_bridge(s->domid, rings + 1, data_fd) == 0)
			ring = ++rings;
		close(data_fd); /* without a ring, the caller sees its channel close */
	}
	return xen_relay_send(s->c, i, buf,
	    sizeof(struct rpc_hdr) + le32toh(((struct rpc_hdr *)buf)->len), ring);
}

static void
session(struct session *s)
{
	for (;;) {
		struct pollfd p[XEN_RELAY_CONNS + 2];
		ssize_t n = 0;

		while (s->len < sizeof(s->in) &&
		    (n = chan_read_ready(s->c, s->in + s->len, sizeof(s->in) - s->len)) > 0) {
			s->len += (size_t)n;
			if (from_guest(s) < 0)
				return;
		}
		if (n < 0)
			return;
		for (unsigned i = 0; i < XEN_RELAY_CONNS; i++)
			p[i] = (struct pollfd){ s->fd[i], POLLIN, 0 };
		p[XEN_RELAY_CONNS] = (struct pollfd){ chan_pollfd(s->c), POLLIN, 0 };
		p[XEN_RELAY_CONNS + 1] = (struct pollfd){ stop_fd, POLLIN, 0 };
		if (poll(p, XEN_RELAY_CONNS + 2, -1) < 0 && errno != EINTR)
			return;
		if (p[XEN_RELAY_CONNS + 1].revents)
			_exit(0);
		if (p[XEN_RELAY_CONNS].revents)
			chan_event(s->c);
		for (unsigned i = 0; i < XEN_RELAY_CONNS; i++)
			if (p[i].revents && s->fd[i] >= 0 && from_domd(s, i) < 0)
				return;
	}
}

static void __attribute__((noreturn))
relay(int domid, const char *ctl_sock)
{
	char path[128], err[256];

	signal(SIGCHLD, SIG_IGN); /* call bridges reap themselves */
	signal(SIGPIPE, SIG_IGN);
	snprintf(path, sizeof(path), "/local/domain/%d/" XEN_RELAY_CONTROL, domid);
	for (;;) {
		static struct session s;

		s.domid = domid;
		s.ctl_sock = ctl_sock;
		s.len = 0;
		if ((s.c = chan_listen(CHAN_VCHAN, domid, path, err, sizeof(err))) == NULL) {
			fprintf(stderr, "bulkhead-relay: %s\n", err);
			nap();
			continue;
		}
		for (unsigned i = 0; i < XEN_RELAY_CONNS; i++)
			s.fd[i] = -1;
		s.fd[0] = connect_ctl(ctl_sock);
		session(&s);
		for (unsigned i = 0; i < XEN_RELAY_CONNS; i++)
			if (s.fd[i] >= 0)
				close(s.fd[i]);
		chan_close(s.c);
		nap();
	}
}

int
xen_relay_start(int domid, const char *ctl_sock)
{
	int p[2], status;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		if (fork() != 0)
			_exit(0);
		/* Nothing of the monitor's but its log and the stop pipe. */
		dup2(p[0], 3);
		close_range(4, ~0U, 0);
		stop_fd = 3;
		relay(domid, ctl_sock);
	}
	close(p[0]);
	if (pid < 0) {
		close(p[1]);
		return -1;
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return p[1];
}
