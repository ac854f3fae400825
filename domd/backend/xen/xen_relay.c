/* The relay's keeper (xen_relay.h): root, it makes the rings and the
 * connections to domd's control socket, and reads nothing the guest
 * wrote: only the framer's fixed-size asks (xen_relay_link.h). */
#include "xen_relay.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "chan.h"
#include "fdpass.h"
#include "proctitle.h"
#include "xen_relay_link.h"
#include "xen_relay_proto.h"

/* A call ring's size each way: fewer wake-ups per byte than 64 KiB, and
 * 128 pages of dom0's gntalloc budget (1024 by default) per ring. */
#define CALL_RING (256 * 1024)

static int stop_fd = -1;
/* The live call rings' processes, reaped as they end: no more at once
 * than a session has connections, as when only domd's descriptors made
 * rings, so that a framer taken over cannot spend dom0's grant pages. */
static pid_t bridges[XEN_RELAY_CONNS];

/* Framers and call rings that ended. */
static void
reap(void)
{
	pid_t pid;

	while ((pid = waitpid(-1, NULL, WNOHANG)) > 0)
		for (unsigned i = 0; i < XEN_RELAY_CONNS; i++)
			if (bridges[i] == pid)
				bridges[i] = 0;
}

static pid_t *
free_bridge(void)
{
	reap();
	for (unsigned i = 0; i < XEN_RELAY_CONNS; i++)
		if (bridges[i] == 0)
			return &bridges[i];
	return NULL;
}

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

/* A call's data stream crosses on a ring of its own, bridged to the fd
 * domd attached to the EXEC. The ring exists before the guest hears of the
 * call (the sync byte), so the guest's connect cannot race it. A process
 * of root's makes it and closes it at the end (xenstore is root's); a
 * confined child of it moves the bytes. The process's pid, or -1. */
static pid_t
call_ring(const struct xen_relay_conf *rc, unsigned n, int data_fd)
{
	char path[128], err[256], ok = 0;
	int sync[2];
	pid_t pid;

	if (pipe2(sync, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		struct chan *c;
		pid_t splicer;

		/* Only the data fd and the sync pipe: the control socket must
		 * close when the relay's session does. */
		dup2(data_fd, 3);
		dup2(sync[1], 4);
		close_range(5, ~0U, 0);
		proctitle_set("bulkhead-rings %s call %u", rc->name, n);
		snprintf(path, sizeof(path), "/local/domain/%d/" XEN_RELAY_CALL, rc->domid, n);
		c = chan_listen_sized(CHAN_VCHAN, rc->domid, path, CALL_RING, err, sizeof(err));
		if (c == NULL) {
			fprintf(stderr, "bulkhead-relay: %s\n", err);
			_exit(1);
		}
		splicer = fork();
		if (splicer == 0) {
			close(4);
			proctitle_set("bulkhead-relay %s call %u", rc->name, n);
			if (xen_relay_confine(rc, err, sizeof(err)) < 0) {
				fprintf(stderr, "bulkhead-relay: call %u: %s\n", n, err);
				_exit(1);
			}
			if (chan_splice(c, 3, 30) < 0)
				fprintf(stderr, "bulkhead-relay: call %u: %s\n", n, strerror(errno));
			_exit(0);
		}
		/* The caller's end of file comes from the splicer alone. */
		close(3);
		ok = splicer > 0;
		if (write(4, &ok, 1) != 1)
			_exit(1);
		close(4);
		while (splicer > 0 && waitpid(splicer, NULL, 0) < 0 && errno == EINTR)
			;
		chan_close(c); /* the guest sees the end; xenstore forgets the ring */
		_exit(0);
	}
	close(sync[1]);
	if (pid < 0 || read(sync[0], &ok, 1) != 1)
		ok = 0;
	close(sync[0]);
	return ok ? pid : -1;
}

/* One ask of the framer's, answered. -1 when the framer has gone or sent
 * something malformed: the session ends. */
static int
answer(const struct xen_relay_conf *rc, int link, unsigned *rings)
{
	struct relay_ask untrusted_q; /* the framer's: it reads the guest */
	struct relay_answer a = { 0, 0 };
	union fdpass_one room;
	struct iovec iov = { &untrusted_q, sizeof(untrusted_q) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = room.buf, .msg_controllen = sizeof(room.buf) };
	int fd, give = -1;
	ssize_t n;

	while ((n = recvmsg(link, &msg, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR)
		;
	fd = n > 0 ? fdpass_take(&msg, 1) : -1;
	if (n != sizeof(untrusted_q) || (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) ||
	    (untrusted_q.op == RELAY_RING) != (fd >= 0) ||
	    (untrusted_q.op != RELAY_CONNECT && untrusted_q.op != RELAY_RING)) {
		if (n > 0)
			fprintf(stderr, "bulkhead-relay: a malformed ask from the framer\n");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (untrusted_q.op == RELAY_CONNECT) {
		give = connect_once(rc->ctl_sock);
		a.ok = give >= 0;
	} else {
		pid_t *slot = free_bridge(), pid = -1;

		if (slot == NULL)
			fprintf(stderr, "bulkhead-relay: %d call rings at once; refused one more\n",
			    XEN_RELAY_CONNS);
		else if ((pid = call_ring(rc, ++*rings, fd)) > 0) {
			*slot = pid;
			a.ring = *rings; /* for the domain's lifetime: paths never reused */
		}
		a.ok = pid > 0;
		close(fd);
	}
	iov = (struct iovec){ &a, sizeof(a) };
	msg = (struct msghdr){ .msg_iov = &iov, .msg_iovlen = 1 };
	if (give >= 0)
		fdpass_attach(&msg, &room, give);
	n = sendmsg(link, &msg, MSG_NOSIGNAL);
	if (give >= 0)
		close(give);
	return n == sizeof(a) ? 0 : -1;
}

/* A session: a framer serves the control ring c until it ends. */
static void
session(const struct xen_relay_conf *rc, struct chan *c, unsigned *rings)
{
	int link[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, link) < 0)
		return;
	pid = fork();
	if (pid == 0) {
		close(link[0]);
		xen_relay_framer(rc, c, link[1], stop_fd);
	}
	close(link[1]);
	for (;;) {
		struct pollfd p[2] = { { link[0], POLLIN, 0 }, { stop_fd, POLLIN, 0 } };

		if (pid < 0 || (poll(p, 2, -1) < 0 && errno != EINTR))
			break;
		if (p[1].revents)
			_exit(0);
		if (p[0].revents && answer(rc, link[0], rings) < 0)
			break;
	}
	close(link[0]);
	/* A framer that misbehaved may still run. */
	if (pid > 0)
		kill(pid, SIGKILL);
}

static void __attribute__((noreturn))
relay(const struct xen_relay_conf *rc)
{
	char path[128], err[256];
	unsigned rings = 0;

	proctitle_set("bulkhead-rings %s", rc->name);
	signal(SIGCHLD, SIG_DFL); /* reap() collects framers and call rings */
	signal(SIGPIPE, SIG_IGN);
	snprintf(path, sizeof(path), "/local/domain/%d/" XEN_RELAY_CONTROL, rc->domid);
	for (;;) {
		struct chan *c = chan_listen(CHAN_VCHAN, rc->domid, path, err, sizeof(err));

		if (c == NULL) {
			fprintf(stderr, "bulkhead-relay: %s\n", err);
			nap();
			continue;
		}
		session(rc, c, &rings);
		chan_close(c); /* the guest's agent sees it and starts anew */
		nap();
		reap();
	}
}

int
xen_relay_start(const struct xen_relay_conf *rc)
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
		relay(rc);
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
