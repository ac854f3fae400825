/* The channel to the bulkhead-firewall of each running netvm: a socket in
 * its control directory (/dev/bulkhead/firewall.sock inside), served by
 * the netvm's guard (rpc/guard.c) like its control socket. domd sends the
 * whole network configuration (lib/netcfg.h) when the daemon connects and
 * after every change, writing to the connection the guard handed over;
 * the daemon answers each message with one line, which the guard reads
 * and parses (netcfg_parse_answer) and domd gets as a checked struct. A
 * netvm that sends garbage or floods is cut off (it reconnects). */
#include "netvm_chan.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "domd.h"
#include "log.h"
#include "net.h"
#include "netcfg.h"
#include "rpc.h"
#include "xalloc.h"

#define ANSWER_TIMEOUT 15 /* seconds a waiting request waits for the netvm */

struct netvm_chan {
	struct vm *vm;
	int lfd, fd;             /* fd: written only; its guard reads it */
	uint32_t conn;           /* the guard's number for fd */
	struct watch wc;         /* on fd while a message waits for room */
	bool watched;
	char *out;               /* unsent bytes of the last message */
	size_t outlen, outoff;
	unsigned long sent, answered; /* messages */
	char status[160];        /* for vm.get: what the netvm last said */
};

/* A request (vm.firewall) that waits until the netvm applied a message. */
struct fw_waiter {
	struct vm *netvm;
	unsigned long gen;
	time_t deadline;
	netvm_applied_fn *fn;
	void *arg;
	struct fw_waiter *next;
};

static struct fw_waiter *waiters;

static void conn_io(void *arg, uint32_t events);

static const char *
sock_path(const char *name)
{
	static char buf[1300];
	snprintf(buf, sizeof(buf), "%s/firewall.sock", rpc_ctl_dir(name));
	return buf;
}

static void
settle(struct vm *netvm, bool all, const char *why)
{
	struct netvm_chan *c = netvm->netchan;

	for (struct fw_waiter **p = &waiters, *w; (w = *p) != NULL;) {
		if (w->netvm != netvm || (!all && c != NULL && w->gen > c->answered)) {
			p = &w->next;
			continue;
		}
		*p = w->next;
		w->fn(why != NULL ? why : c->status, w->arg);
		free(w);
	}
}

/* tell_guard: the guard still holds the connection (domd ends it). */
static void
conn_close(struct netvm_chan *c, const char *why, bool tell_guard)
{
	if (c->fd < 0)
		return;
	if (c->watched)
		watch_del(c->fd);
	c->watched = false;
	close(c->fd);
	c->fd = -1;
	if (tell_guard)
		rpc_guard_close(c->vm, c->conn);
	free(c->out);
	c->out = NULL;
	c->outlen = c->outoff = 0;
	snprintf(c->status, sizeof(c->status), "%s", why);
	settle(c->vm, true, why);
}

int
netvm_listen(struct vm *vm, char *err, size_t errlen)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	const char *path = sock_path(vm->q.name);
	struct netvm_chan *c;
	int fd;

	if (vm->netchan != NULL)
		return 0;
	/* Before the control socket: the guard started with that serves both. */
	if (mkdir(rpc_ctl_dir(vm->q.name), 0755) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot make %s: %s", rpc_ctl_dir(vm->q.name), strerror(errno));
		return -1;
	}
	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "socket path too long: %s", path);
		return -1;
	}
	strcpy(sun.sun_path, path);
	unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	/* Only the netvm's root may connect (on ns: its host id). */
	if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 || listen(fd, 2) < 0 ||
	    chmod(path, 0600) < 0 || (vm->q.uid_base != 0 &&
	    chown(path, (uid_t)vm->q.uid_base, (gid_t)vm->q.uid_base) < 0)) {
		snprintf(err, errlen, "cannot make the firewall socket %s: %s", path,
		    strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	c = xcalloc(1, sizeof(*c));
	c->vm = vm;
	c->lfd = fd;
	c->fd = -1;
	snprintf(c->status, sizeof(c->status), "bulkhead-firewall not connected");
	vm->netchan = c;
	return 0;
}

int
netvm_listen_fd(const struct vm *vm)
{
	return vm->netchan != NULL ? vm->netchan->lfd : -1;
}

void
netvm_unlisten(struct vm *vm)
{
	struct netvm_chan *c = vm->netchan;

	if (c == NULL)
		return;
	conn_close(c, "netvm halted", false);
	close(c->lfd);
	unlink(sock_path(vm->q.name));
	vm->netchan = NULL;
	free(c);
}

const char *
netvm_status(const struct vm *vm)
{
	return vm->netchan != NULL ? vm->netchan->status : NULL;
}

static void
flush_out(struct netvm_chan *c)
{
	while (c->outoff < c->outlen) {
		ssize_t n = send(c->fd, c->out + c->outoff, c->outlen - c->outoff, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			/* Watched only while it waits for room: domd never reads
			 * it, so it must not wake domd for what it has to say. */
			if (!c->watched)
				watch_add(c->fd, EPOLLOUT, &c->wc);
			c->watched = true;
			return;
		}
		if (n < 0) {
			log_warnx("%s: firewall channel: %s", c->vm->q.name, strerror(errno));
			conn_close(c, "firewall channel broken", true);
			return;
		}
		c->outoff += (size_t)n;
	}
	free(c->out);
	c->out = NULL;
	c->outlen = c->outoff = 0;
	if (c->watched)
		watch_del(c->fd);
	c->watched = false;
}

unsigned long
netvm_send(struct vm *netvm)
{
	struct netvm_chan *c = netvm->netchan;
	char *msg;
	size_t len;

	if (c == NULL || c->fd < 0)
		return 0;
	msg = net_config_text(netvm, &len);
	/* A message still unsent is replaced: the newest state is what counts,
	 * and the netvm answers whole messages only. */
	if (c->out != NULL && c->outoff > 0) {
		/* Part of it went out: the rest must follow first. */
		size_t rest = c->outlen - c->outoff;
		char *both = xmalloc(rest + len);
		memcpy(both, c->out + c->outoff, rest);
		memcpy(both + rest, msg, len);
		free(msg);
		free(c->out);
		c->out = both;
		c->outlen = rest + len;
		c->sent++;
	} else {
		if (c->out == NULL)
			c->sent++;
		free(c->out);
		c->out = msg;
		c->outlen = len;
	}
	c->outoff = 0;
	snprintf(c->status, sizeof(c->status), "applying");
	flush_out(c);
	return c->sent;
}

void
netvm_chan_connected(struct vm *vm, uint32_t conn, int fd)
{
	struct netvm_chan *c = vm->netchan;

	if (c == NULL) {
		close(fd);
		return;
	}
	if (c->fd >= 0) {
		log_info("%s: bulkhead-firewall reconnected", c->vm->q.name);
		conn_close(c, "bulkhead-firewall reconnected", true);
	}
	c->fd = fd;
	c->conn = conn;
	c->sent = c->answered = 0;
	c->wc = (struct watch){ conn_io, c };
	log_info("%s: bulkhead-firewall connected", c->vm->q.name);
	netvm_send(c->vm);
}

void
netvm_chan_answer(struct vm *vm, uint32_t conn, bool applied, int nrules, const char *msg)
{
	struct netvm_chan *c = vm->netchan;

	if (c == NULL || c->fd < 0 || c->conn != conn)
		return; /* about a connection domd already closed */
	if (c->answered >= c->sent) {
		log_warnx("%s: bulkhead-firewall sent a malformed or unasked answer; closing "
		    "its channel", c->vm->q.name);
		conn_close(c, "malformed answer from bulkhead-firewall", true);
		return;
	}
	c->answered++;
	if (applied) {
		snprintf(c->status, sizeof(c->status), "applied (%d rules)", nrules);
		log_info("%s: netvm applied its network configuration (%d rules)",
		    c->vm->q.name, nrules);
	} else {
		snprintf(c->status, sizeof(c->status), "error: %.140s", msg);
		log_warnx("%s: netvm could not apply its network configuration: %s",
		    c->vm->q.name, msg);
	}
	settle(c->vm, false, NULL);
}

void
netvm_chan_closed(struct vm *vm, uint32_t conn, bool malformed, bool too_long)
{
	struct netvm_chan *c = vm->netchan;

	if (c == NULL || c->fd < 0 || c->conn != conn)
		return;
	if (too_long) {
		log_warnx("%s: bulkhead-firewall sent a line that is too long; closing its "
		    "channel", c->vm->q.name);
		conn_close(c, "malformed answer from bulkhead-firewall", false);
	} else if (malformed) {
		log_warnx("%s: bulkhead-firewall sent a malformed or unasked answer; closing "
		    "its channel", c->vm->q.name);
		conn_close(c, "malformed answer from bulkhead-firewall", false);
	} else {
		log_info("%s: bulkhead-firewall disconnected", c->vm->q.name);
		conn_close(c, "bulkhead-firewall not connected", false);
	}
}

void
netvm_chan_drop(struct vm *vm)
{
	if (vm->netchan != NULL)
		conn_close(vm->netchan, "bulkhead-firewall not connected", false);
}

/* Room for the rest of a message, or the netvm's end is gone. */
static void
conn_io(void *arg, uint32_t events)
{
	struct netvm_chan *c = arg;

	if (events & (EPOLLHUP | EPOLLERR)) {
		conn_close(c, "bulkhead-firewall not connected", true);
		return;
	}
	if (events & EPOLLOUT)
		flush_out(c);
}

int
netvm_wait_applied(struct vm *netvm, unsigned long gen, netvm_applied_fn *fn, void *arg,
    const char **now)
{
	struct fw_waiter *w;

	if (gen == 0 || netvm->netchan == NULL || netvm->netchan->fd < 0) {
		*now = netvm->netchan != NULL ? netvm->netchan->status : "netvm not running";
		return 1;
	}
	w = xcalloc(1, sizeof(*w));
	w->netvm = netvm;
	w->gen = gen;
	w->deadline = time(NULL) + ANSWER_TIMEOUT;
	w->fn = fn;
	w->arg = arg;
	w->next = waiters;
	waiters = w;
	return 0;
}

void
netvm_tick(void)
{
	time_t now = time(NULL);

	for (struct fw_waiter **p = &waiters, *w; (w = *p) != NULL;) {
		if (now < w->deadline) {
			p = &w->next;
			continue;
		}
		*p = w->next;
		w->fn("not confirmed by the netvm in time", w->arg);
		free(w);
	}
}
