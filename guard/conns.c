/* The qube's connections: accepting within the limit, reading and parsing
 * their messages, and telling domd what they said (guard_proto.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fdpass.h"
#include "guard.h"
#include "guard_wire.h"
#include "log.h"
#include "procstat.h"
#include "rpc_wire.h"
#include "vhci_arg.h"
#include "xalloc.h"

struct conn {
	struct guard_watch w; /* first */
	int fd;
	uint32_t id;
	uint32_t role;   /* 0 until HELLO */
	bool called;     /* a caller sends one CALL */
	bool lingering;  /* refused: read to its end, domd never hears of it */
	struct guard_peer peer;
	unsigned char untrusted_buf[512];
	size_t len;
	struct conn *next;
};

static struct conn *conns;
static struct conn *dead; /* closed in this round of events; freed after it */
static uint32_t next_id = 1;
static int epfd = -1;
static int procfd = -1;

uint32_t
guard_conn_id(void)
{
	uint32_t id = next_id++;

	if (next_id == 0)
		next_id = 1;
	return id;
}

void
guard_watch_add(int fd, struct guard_watch *w)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = w };

	if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		fatal("epoll_ctl");
}

void
guard_watch_del(int fd)
{
	epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL);
}

static struct conn *
conn_find(uint32_t id)
{
	for (struct conn *c = conns; c != NULL; c = c->next)
		if (c->id == id)
			return c;
	return NULL;
}

/* Closed now, freed after the round: a later event of the same round may
 * still point at it. */
static void
conn_free(struct conn *c)
{
	for (struct conn **p = &conns; *p != NULL; p = &(*p)->next)
		if (*p == c) {
			*p = c->next;
			break;
		}
	guard_watch_del(c->fd);
	close(c->fd);
	c->fd = -1;
	c->next = dead;
	dead = c;
}

/* Waits while domd is busy: the qube waits with it. Domd gone: nothing
 * more to guard. */
void
guard_tell_domd(const struct guard_msg *m, int fd)
{
	if (guard_send(GUARD_DOMD_FD, m, fd, true) < 0) {
		log_warn("cannot reach domd");
		_exit(1);
	}
}

static void
conn_end(struct conn *c, enum guard_end why)
{
	struct guard_msg m = { .type = GUARD_CLOSED, .conn = c->id, .value = why };

	guard_tell_domd(&m, -1);
	conn_free(c);
}

#define LINGER_MAX 16 /* refused connections kept until their peer reads */

/* Past the limit a newcomer gets a failed CALL_RESULT, which bulkhead-rpc
 * prints, and the door; domd logs the refusal. The refused connection is
 * read to its end before it closes: closed with unread bytes, its peer
 * would get a reset instead of the refusal. */
static bool
refused(const struct guard_opts *o, struct conn *nc)
{
	struct guard_msg m = { .type = GUARD_REFUSED, .conn = nc->id };
	struct conn *oldest = NULL;
	struct rpc_call_result r;
	int n = 0, lingering = 0;

	for (struct conn *c = conns; c != NULL; c = c->next)
		if (c->lingering) {
			lingering++;
			oldest = c; /* newest first in the list */
		} else if (c != nc && c->role != RPC_ROLE_AGENT)
			n++;
	if (n < o->max_conns)
		return false;
	memset(&r, 0, sizeof(r));
	r.request_id = 1;
	r.status = RPC_FAILED;
	snprintf(r.message, sizeof(r.message), "refused by domd: %s has %d connections open "
	    "(qube_max_connections)", o->qube, n);
	rpc_send(nc->fd, RPC_CALL_RESULT, &r, sizeof(r), NULL, 0, -1, true);
	shutdown(nc->fd, SHUT_WR);
	nc->lingering = true;
	if (lingering >= LINGER_MAX)
		conn_free(oldest);
	m.value = (uint32_t)n;
	guard_tell_domd(&m, -1);
	return true;
}

static void conn_io(struct guard_watch *w);

static void
accept_conn(const struct guard_opts *o)
{
	struct ucred cr;
	socklen_t crlen = sizeof(cr);
	struct conn *c;
	int fd = accept4(GUARD_LISTEN_FD, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0)
		return;
	c = xcalloc(1, sizeof(*c));
	c->w.fn = conn_io;
	c->fd = fd;
	c->id = guard_conn_id();
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &crlen) == 0) {
		c->peer.pid = cr.pid;
		c->peer.uid = cr.uid;
	} else
		c->peer.uid = (uint32_t)-1;
	c->next = conns;
	conns = c;
	guard_watch_add(fd, &c->w);
	refused(o, c);
}

/* One message, checked by rpc_msg_parse(). false: c is gone. */
static bool
handle(struct conn *c, const struct rpc_msg *m)
{
	struct guard_msg g = { .conn = c->id };

	if (c->role == 0 && m->type == RPC_HELLO) {
		c->role = m->u.hello.role;
		if (c->role != RPC_ROLE_AGENT)
			return true;
		/* domd decides whether it is the agent: root's, a child of init. */
		c->peer.ppid = c->peer.pid > 0 ? proc_ppid_at(procfd, c->peer.pid) : 0;
		g.type = GUARD_AGENT;
	} else if (c->role == RPC_ROLE_CALLER && m->type == RPC_CALL && !c->called) {
		c->called = true;
		g.type = GUARD_CALL;
		g.call = m->u.call;
		/* The one service whose argument domd acts on: decoded here. */
		if (!strcmp(g.call.service, VHCI_ATTACH_SERVICE) &&
		    vhci_arg_parse(g.call.arg, &g.vhci) == 0)
			g.value = 1;
	} else {
		conn_end(c, GUARD_END_UNEXPECTED);
		return false;
	}
	g.peer = c->peer;
	guard_tell_domd(&g, c->fd);
	return true;
}

static void
conn_io(struct guard_watch *w)
{
	struct conn *c = (struct conn *)w;
	char cbuf[CMSG_SPACE(sizeof(int) * 8)];
	struct iovec iov = { c->untrusted_buf + c->len, sizeof(c->untrusted_buf) - c->len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
		.msg_controllen = sizeof(cbuf) };
	struct rpc_msg m;
	size_t used;
	ssize_t n;
	int r;

	if (c->fd < 0)
		return;
	n = recvmsg(c->fd, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	if (n >= 0)
		fdpass_take(&msg, 0); /* a qube has no business sending descriptors */
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0 && c->lingering) {
		conn_free(c);
		return;
	}
	if (n <= 0) {
		conn_end(c, GUARD_END_EOF);
		return;
	}
	if (c->lingering)
		return; /* read and dropped */
	c->len += (size_t)n;
	while ((r = rpc_msg_parse(c->untrusted_buf, c->len, &m, &used)) == 1) {
		memmove(c->untrusted_buf, c->untrusted_buf + used, c->len - used);
		c->len -= used;
		if (!handle(c, &m))
			return;
	}
	if (r < 0 || c->len == sizeof(c->untrusted_buf))
		conn_end(c, GUARD_END_MALFORMED);
}

/* domd's messages: GUARD_CLOSE, and GUARD_ADMIN_OPEN with its channel. */
static void
domd_io(struct guard_watch *w)
{
	struct guard_msg m;
	ssize_t n;
	int fd;

	while ((n = guard_recv(GUARD_DOMD_FD, &m, sizeof(m), &fd)) > 0) {
		struct conn *c;
		if (n == sizeof(m) && m.type == GUARD_ADMIN_OPEN && fd >= 0) {
			guard_admin_open(m.conn, m.value, fd);
			continue;
		}
		if (fd >= 0)
			close(fd);
		if (n != sizeof(m) || m.type != GUARD_CLOSE || firewall_close(m.conn))
			continue;
		if ((c = conn_find(m.conn)) != NULL)
			conn_free(c);
	}
	if (n == 0 || (n < 0 && errno != EAGAIN))
		_exit(0); /* domd ended, or ended this qube */
}

static const struct guard_opts *opts;

static void
listen_io(struct guard_watch *w)
{
	accept_conn(opts);
}

int
guard_serve(const struct guard_opts *o, int proc)
{
	static struct guard_watch listener = { listen_io }, domd = { domd_io };
	struct epoll_event evs[16];

	opts = o;
	procfd = proc;
	if ((epfd = epoll_create1(EPOLL_CLOEXEC)) < 0)
		fatal("epoll_create1");
	guard_watch_add(GUARD_LISTEN_FD, &listener);
	guard_watch_add(GUARD_DOMD_FD, &domd);
	if (o->firewall)
		firewall_init();
	if (o->ready)
		ready_init();
	for (;;) {
		int n = epoll_wait(epfd, evs, sizeof(evs) / sizeof(evs[0]), -1);
		if (n < 0 && errno != EINTR)
			fatal("epoll_wait");
		for (int i = 0; i < n; i++) {
			struct guard_watch *w = evs[i].data.ptr;
			w->fn(w);
		}
		while (dead != NULL) {
			struct conn *c = dead;
			dead = c->next;
			free(c);
		}
	}
}
