/* The relay's framer (xen_relay_link.h): confined, it splits the guest's
 * control ring into connections to domd's control socket and back. It
 * checks frame headers only; what they carry goes on unread to the
 * qube's guard. Sockets and call rings come from the keeper. */
#include <endian.h>
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <xen/xen.h>
#include <xen/sys/evtchn.h> /* after xen.h, which it needs */

#include "chan.h"
#include "confine.h"
#include "fdio.h"
#include "fdpass.h"
#include "proctitle.h"
#include "rpc_wire.h"
#include "xen_relay_link.h"
#include "xen_relay_proto.h"

#define ALWAYS(name) { name, -1, 0, 0 }

/* The ring's calls (memory, and the event channel's read, write and
 * notify ioctl), the sockets' and what the C library does on their
 * behalf. Anything else kills the process. */
static const struct confine_rule allowed[] = {
	ALWAYS("read"), ALWAYS("write"), ALWAYS("writev"), ALWAYS("close"), ALWAYS("poll"),
	ALWAYS("ppoll"), ALWAYS("recvmsg"), ALWAYS("sendmsg"),
	{ "ioctl", 1, 0xffffffffu, IOCTL_EVTCHN_NOTIFY },
	ALWAYS("fstat"), ALWAYS("newfstatat"), ALWAYS("lseek"), ALWAYS("brk"), ALWAYS("mmap"),
	ALWAYS("munmap"), ALWAYS("mremap"), ALWAYS("madvise"), ALWAYS("mprotect"),
	ALWAYS("clock_gettime"), ALWAYS("gettimeofday"), ALWAYS("getpid"), ALWAYS("gettid"),
	ALWAYS("rt_sigreturn"), ALWAYS("rt_sigprocmask"), ALWAYS("sigaltstack"), ALWAYS("futex"),
	ALWAYS("sched_yield"), ALWAYS("restart_syscall"), ALWAYS("exit"), ALWAYS("exit_group"),
};

int
xen_relay_confine(const struct xen_relay_conf *rc, char *err, size_t errlen)
{
	return confine_process(rc->root, rc->uid, allowed, sizeof(allowed) / sizeof(allowed[0]),
	    err, errlen);
}

struct session {
	struct chan *c;
	int link, stop_fd;
	int fd[XEN_RELAY_CONNS]; /* domd's control socket, per connection */
	/* The guest's bytes: only xen_relay_parse() reads them. */
	char untrusted_in[XEN_RELAY_FRAME_MAX + sizeof(struct xen_relay_frame)];
	size_t len;
};

static void
nap(const struct session *s)
{
	struct pollfd p = { s->stop_fd, POLLIN, 0 };

	if (poll(&p, 1, 200) > 0)
		_exit(0); /* the domain ended: its monitor is gone */
}

/* Asks the keeper; the descriptor it attached, or -1. Exits when the
 * keeper is gone (the relay ends). */
static int
ask(const struct session *s, uint32_t op, int fd, struct relay_answer *a)
{
	struct relay_ask q = { op };
	union fdpass_one room;
	struct iovec iov = { &q, sizeof(q) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	if (fd >= 0)
		fdpass_attach(&msg, &room, fd);
	if (sendmsg(s->link, &msg, MSG_NOSIGNAL) != sizeof(q))
		_exit(1);
	iov = (struct iovec){ a, sizeof(*a) };
	msg = (struct msghdr){ .msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = room.buf, .msg_controllen = sizeof(room.buf) };
	while ((n = recvmsg(s->link, &msg, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR)
		;
	if (n != sizeof(*a))
		_exit(1);
	return fdpass_take(&msg, 1);
}

static int
connect_ctl(const struct session *s)
{
	struct relay_answer a;
	int fd = ask(s, RELAY_CONNECT, -1, &a);

	if (!a.ok && fd >= 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

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

	while ((r = xen_relay_parse(s->untrusted_in, s->len, &f)) == 1) {
		if (f.len == 0) {
			if (conn_end(s, f.conn, false) < 0)
				return -1;
		} else {
			if (s->fd[f.conn] < 0 && (s->fd[f.conn] = connect_ctl(s)) < 0 &&
			    conn_end(s, f.conn, true) < 0)
				return -1;
			if (s->fd[f.conn] >= 0 &&
			    fd_write_all(s->fd[f.conn], s->untrusted_in + sizeof(f), f.len) < 0 &&
			    conn_end(s, f.conn, true) < 0)
				return -1;
		}
		s->len -= sizeof(f) + f.len;
		memmove(s->untrusted_in, s->untrusted_in + sizeof(f) + f.len, s->len);
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
	struct relay_answer a = { 0, 0 };
	struct rpc_msg m;
	int data_fd;

	if (rpc_recv(s->fd[i], buf, sizeof(buf), &m, &data_fd) != 1)
		return conn_end(s, i, true);
	if (data_fd >= 0) {
		int none = ask(s, RELAY_RING, data_fd, &a);

		if (none >= 0)
			close(none);
		close(data_fd); /* without a ring, the caller sees its channel close */
	}
	return xen_relay_send(s->c, i, buf,
	    sizeof(struct rpc_hdr) + le32toh(((struct rpc_hdr *)buf)->len), a.ok ? a.ring : 0);
}

static void
session(struct session *s)
{
	for (;;) {
		struct pollfd p[XEN_RELAY_CONNS + 2];
		ssize_t n = 0;

		while (s->len < sizeof(s->untrusted_in) &&
		    (n = chan_read_ready(s->c, s->untrusted_in + s->len, sizeof(s->untrusted_in) - s->len)) > 0) {
			s->len += (size_t)n;
			if (from_guest(s) < 0)
				return;
		}
		if (n < 0)
			return;
		for (unsigned i = 0; i < XEN_RELAY_CONNS; i++)
			p[i] = (struct pollfd){ s->fd[i], POLLIN, 0 };
		p[XEN_RELAY_CONNS] = (struct pollfd){ chan_pollfd(s->c), POLLIN, 0 };
		p[XEN_RELAY_CONNS + 1] = (struct pollfd){ s->stop_fd, POLLIN, 0 };
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

void
xen_relay_framer(const struct xen_relay_conf *rc, struct chan *c, int link, int stop_fd)
{
	static struct session s;
	char err[256];

	proctitle_set("bulkhead-relay %s", rc->name);
	if (xen_relay_confine(rc, err, sizeof(err)) < 0) {
		fprintf(stderr, "bulkhead-relay: %s\n", err);
		_exit(1);
	}
	s.c = c;
	s.link = link;
	s.stop_fd = stop_fd;
	for (unsigned i = 0; i < XEN_RELAY_CONNS; i++)
		s.fd[i] = -1;
	/* domd may be restarting, or not listening yet. */
	while ((s.fd[0] = connect_ctl(&s)) < 0)
		nap(&s);
	session(&s);
	/* The keeper closes the ring, which the guest sees. */
	_exit(0);
}
