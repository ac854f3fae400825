/* The channel to the bulkhead-firewall of each running netvm: a socket in
 * its control directory (/dev/bulkhead/firewall.sock inside). domd sends
 * the whole network configuration (lib/netcfg.h) when the daemon connects
 * and after every change; the daemon answers each message with one line.
 * The netvm is not trusted: its answers go through netcfg_parse_answer(),
 * and a netvm that sends garbage or floods is cut off (it reconnects). */
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
#include "peerlimits.h"
#include "rpc.h"
#include "xalloc.h"

#define ANSWER_TIMEOUT 15 /* seconds a waiting request waits for the netvm */

struct netvm_chan {
	struct vm *vm;
	int lfd, fd;
	struct watch wl, wc;
	char *out;               /* unsent bytes of the last message */
	size_t outlen, outoff;
	char in[NETCFG_ANSWER_MAX + 2];
	size_t inlen;
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

static void accept_conn(void *arg, uint32_t events);
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

static void
conn_close(struct netvm_chan *c, const char *why)
{
	if (c->fd < 0)
		return;
	watch_del(c->fd);
	close(c->fd);
	c->fd = -1;
	free(c->out);
	c->out = NULL;
	c->outlen = c->outoff = c->inlen = 0;
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
	c->wl = (struct watch){ accept_conn, c };
	watch_add(fd, EPOLLIN, &c->wl);
	vm->netchan = c;
	return 0;
}

void
netvm_unlisten(struct vm *vm)
{
	struct netvm_chan *c = vm->netchan;

	if (c == NULL)
		return;
	conn_close(c, "netvm halted");
	watch_del(c->lfd);
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
			watch_mod(c->fd, EPOLLIN | EPOLLOUT, &c->wc);
			return;
		}
		if (n < 0) {
			log_warnx("%s: firewall channel: %s", c->vm->q.name, strerror(errno));
			conn_close(c, "firewall channel broken");
			return;
		}
		c->outoff += (size_t)n;
	}
	free(c->out);
	c->out = NULL;
	c->outlen = c->outoff = 0;
	watch_mod(c->fd, EPOLLIN, &c->wc);
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

static void
accept_conn(void *arg, uint32_t events)
{
	struct netvm_chan *c = arg;
	int fd = accept_shed(c->lfd);

	if (fd < 0)
		return;
	if (c->fd >= 0) {
		log_info("%s: bulkhead-firewall reconnected", c->vm->q.name);
		conn_close(c, "bulkhead-firewall reconnected");
	}
	c->fd = fd;
	c->sent = c->answered = 0;
	c->wc = (struct watch){ conn_io, c };
	watch_add(fd, EPOLLIN, &c->wc);
	log_info("%s: bulkhead-firewall connected", c->vm->q.name);
	netvm_send(c->vm);
}

static void
answer(struct netvm_chan *c, const char *line, size_t len)
{
	char msg[NETCFG_ANSWER_MAX + 1];
	int nrules, r = netcfg_parse_answer(line, len, &nrules, msg, sizeof(msg));

	if (r < 0 || c->answered >= c->sent) {
		log_warnx("%s: bulkhead-firewall sent a malformed or unasked answer; closing "
		    "its channel", c->vm->q.name);
		conn_close(c, "malformed answer from bulkhead-firewall");
		return;
	}
	c->answered++;
	if (r == 1) {
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

static void
conn_io(void *arg, uint32_t events)
{
	struct netvm_chan *c = arg;

	if (events & EPOLLOUT)
		flush_out(c);
	if (c->fd < 0 || !(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		return;
	for (;;) {
		ssize_t n = read(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen);
		char *nl;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			log_info("%s: bulkhead-firewall disconnected", c->vm->q.name);
			conn_close(c, "bulkhead-firewall not connected");
			return;
		}
		c->inlen += (size_t)n;
		while (c->fd >= 0 && (nl = memchr(c->in, '\n', c->inlen)) != NULL) {
			size_t len = (size_t)(nl - c->in);
			answer(c, c->in, len);
			if (c->fd < 0)
				return;
			memmove(c->in, nl + 1, c->inlen - len - 1);
			c->inlen -= len + 1;
		}
		if (c->inlen == sizeof(c->in)) {
			log_warnx("%s: bulkhead-firewall sent a line that is too long; closing its "
			    "channel", c->vm->q.name);
			conn_close(c, "malformed answer from bulkhead-firewall");
			return;
		}
	}
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
