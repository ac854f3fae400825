/*
 * The qube's control channel on Xen. domd's control socket is in dom0, out
 * of reach; dom0 serves a libxenvchan ring instead (domd/backend/xen/xen_relay.h). A
 * relay process here turns that ring back into local sockets with the ns
 * backend's protocol: rpcd's connection, and a control.sock at the usual
 * place for bulkhead-rpc and bulkhead-copy, so neither knows the
 * difference (lib/xen_relay_proto.h). A message from domd that names a
 * call ring gets, as its descriptor, a socketpair bridged to that ring.
 */
#include "agent.h"
#include "chan.h"
#include "rpc_paths.h"
#include "rpc_wire.h"
#include "xen_relay_proto.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <endian.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>


int
agent_on_xen(void)
{
	const char *v = getenv("BULKHEAD_CHAN");

	return v != NULL && !strcmp(v, "vchan");
}

/* The local end of call n's ring; the bridge connects in its own process
 * (dom0 made the ring before it sent the EXEC). */
static int
call_channel(unsigned n)
{
	int sp[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		char path[64], err[256];
		struct chan *c;

		/* Only the bridged socket: the relay's connections must close
		 * when the relay closes them. */
		dup2(sp[1], 3);
		close_range(4, ~0U, 0);
		snprintf(path, sizeof(path), XEN_RELAY_CALL, n);
		if ((c = chan_connect(CHAN_VCHAN, 0, path, err, sizeof(err))) == NULL) {
			fprintf(stderr, "bulkhead-agent: call %u: %s\n", n, err);
			_exit(1);
		}
		chan_splice(c, 3, 0);
		chan_close(c);
		_exit(0);
	}
	close(sp[1]);
	if (pid < 0) {
		close(sp[0]);
		return -1;
	}
	return sp[0];
}

struct relay {
	struct chan *c;
	int fd[XEN_RELAY_CONNS]; /* 0: rpcd; others: callers in this qube */
	char in[XEN_RELAY_FRAME_MAX + sizeof(struct xen_relay_frame)];
	size_t len;
};

/* -1 when the relay must end: rpcd's connection, or the ring, is gone. */
static int
conn_end(struct relay *r, unsigned i, bool tell_dom0)
{
	if (r->fd[i] >= 0)
		close(r->fd[i]);
	r->fd[i] = -1;
	if (tell_dom0 && xen_relay_send(r->c, i, NULL, 0, 0) < 0)
		return -1;
	return i == 0 ? -1 : 0;
}

/* One message from domd for connection i, with its call's channel. */
static int
deliver(struct relay *r, unsigned i, const char *msg, size_t len, unsigned ring)
{
	struct rpc_hdr h;
	int fd = -1, rc;

	if (r->fd[i] < 0)
		return 0; /* closed here meanwhile; dom0 hears of it */
	if (len < sizeof(h))
		return -1;
	memcpy(&h, msg, sizeof(h));
	if (ring != 0 && (fd = call_channel(ring)) < 0)
		return conn_end(r, i, true);
	rc = rpc_send(r->fd[i], le32toh(h.type), msg + sizeof(h), len - sizeof(h), NULL, 0, fd,
	    false);
	if (fd >= 0)
		close(fd);
	return rc < 0 ? conn_end(r, i, true) : 0;
}

static int
from_dom0(struct relay *r)
{
	struct xen_relay_frame f;
	int rc;

	while ((rc = xen_relay_parse(r->in, r->len, &f)) == 1) {
		if (f.len == 0 ? conn_end(r, f.conn, false) < 0 :
		    deliver(r, f.conn, r->in + sizeof(f), f.len, f.ring) < 0)
			return -1;
		r->len -= sizeof(f) + f.len;
		memmove(r->in, r->in + sizeof(f) + f.len, r->len);
	}
	return rc;
}

/* Where bulkhead-rpc finds domd, as on ns; gone with the relay. */
static int
listen_local(void)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	mkdir(RPC_CONTROL_DIR, 0755);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", RPC_CONTROL_SOCK);
	unlink(RPC_CONTROL_SOCK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 || listen(fd, 16) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	chmod(RPC_CONTROL_SOCK, 0666); /* the qube's users call services too */
	return fd;
}

static void
accept_caller(struct relay *r, int lfd)
{
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0)
		return;
	for (unsigned i = 1; i < XEN_RELAY_CONNS; i++)
		if (r->fd[i] < 0) {
			r->fd[i] = fd;
			return;
		}
	close(fd); /* too many calls at once */
}

static void __attribute__((noreturn))
relay(struct chan *c, int sock)
{
	static struct relay r;
	static char out[4096];
	int lfd = listen_local();

	r.c = c;
	for (unsigned i = 0; i < XEN_RELAY_CONNS; i++)
		r.fd[i] = -1;
	r.fd[0] = sock;
	for (;;) {
		struct pollfd p[XEN_RELAY_CONNS + 2];
		ssize_t n = 0;

		while (r.len < sizeof(r.in) &&
		    (n = chan_read_ready(c, r.in + r.len, sizeof(r.in) - r.len)) > 0) {
			r.len += (size_t)n;
			if (from_dom0(&r) < 0)
				goto end;
		}
		if (n < 0)
			goto end;
		for (unsigned i = 0; i < XEN_RELAY_CONNS; i++)
			p[i] = (struct pollfd){ r.fd[i], POLLIN, 0 };
		p[XEN_RELAY_CONNS] = (struct pollfd){ chan_pollfd(c), POLLIN, 0 };
		p[XEN_RELAY_CONNS + 1] = (struct pollfd){ lfd, POLLIN, 0 };
		if (poll(p, XEN_RELAY_CONNS + 2, -1) < 0 && errno != EINTR)
			goto end;
		if (p[XEN_RELAY_CONNS].revents)
			chan_event(c);
		if (p[XEN_RELAY_CONNS + 1].revents)
			accept_caller(&r, lfd);
		for (unsigned i = 0; i < XEN_RELAY_CONNS; i++) {
			if (!p[i].revents || r.fd[i] < 0)
				continue;
			n = read(r.fd[i], out, sizeof(out));
			if (n > 0 ? xen_relay_send(c, i, out, (size_t)n, 0) < 0 : conn_end(&r, i, true) < 0)
				goto end;
		}
	}
end:
	/* Closing the ring tells dom0 to start a fresh session. */
	unlink(RPC_CONTROL_SOCK);
	chan_close(c);
	_exit(0);
}

int
rpc_connect_vchan(void)
{
	int sp[2], sync[2];
	char ok = 0;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0)
		return -1;
	if (pipe2(sync, O_CLOEXEC) < 0) {
		close(sp[0]);
		close(sp[1]);
		return -1;
	}
	pid = fork();
	if (pid == 0) {
		char err[256];
		struct chan *c;

		close(sp[0]);
		close(sync[0]);
		/* rpcd's children get SIGPIPE back; the relay and its call
		 * bridges must see an EPIPE instead (chan_splice). */
		signal(SIGPIPE, SIG_IGN);
		/* Quietly: dom0's relay may not be serving yet. */
		if ((c = chan_connect(CHAN_VCHAN, 0, XEN_RELAY_CONTROL, err, sizeof(err))) == NULL)
			_exit(1);
		ok = 1;
		if (write(sync[1], &ok, 1) != 1)
			_exit(1);
		close(sync[1]);
		relay(c, sp[1]);
	}
	close(sp[1]);
	close(sync[1]);
	if (pid < 0 || read(sync[0], &ok, 1) != 1)
		ok = 0;
	close(sync[0]);
	if (!ok) {
		close(sp[0]);
		errno = ECONNREFUSED;
		return -1;
	}
	return sp[0];
}
