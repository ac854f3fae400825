/* The qubes' control sockets: listening, accepting within the limits, and
 * reading messages (call.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "call.h"
#include "dispvm.h"
#include "domd.h"
#include "log.h"
#include "peerlimits.h"
#include "refuse.h"
#include "rpc_wire.h"
#include "store.h"
#include "xalloc.h"

static void accept_conn(void *arg, uint32_t events);
static void conn_io(void *arg, uint32_t events);

const char *
rpc_ctl_dir(const char *name)
{
	static char buf[1200];
	snprintf(buf, sizeof(buf), "%s/%s.ctl", domd.paths.rt_dir, name);
	return buf;
}

static const char *
ctl_sock(const char *name)
{
	static char buf[1300];
	snprintf(buf, sizeof(buf), "%s/control.sock", rpc_ctl_dir(name));
	return buf;
}

int
rpc_listen(struct vm *vm, char *err, size_t errlen)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	const char *path = ctl_sock(vm->q.name);
	int fd;

	if (vm->ctl_fd >= 0)
		return 0;
	if (mkdir(rpc_ctl_dir(vm->q.name), 0755) < 0 && errno != EEXIST)
		goto fail;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		goto fail;
	}
	strcpy(sun.sun_path, path);
	unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 || listen(fd, 16) < 0) {
		close(fd);
		goto fail;
	}
	chmod(path, 0666); /* the qube's users call services too */
	vm->ctl_fd = fd;
	vm->w_ctl = (struct watch){ accept_conn, vm };
	watch_add(fd, EPOLLIN, &vm->w_ctl);
	return 0;
fail:
	snprintf(err, errlen, "cannot make the control socket %s: %s", path, strerror(errno));
	return -1;
}

void
rpc_unlisten(struct vm *vm)
{
	if (vm->ctl_fd >= 0) {
		watch_del(vm->ctl_fd);
		close(vm->ctl_fd);
		vm->ctl_fd = -1;
	}
	unlink(ctl_sock(vm->q.name));
	rmdir(rpc_ctl_dir(vm->q.name));
	for (struct rpc_conn *c = rpc_conns, *next; c != NULL; c = next) {
		next = c->next;
		if (!strcmp(c->vm, vm->q.name))
			rpc_conn_close(c);
	}
}

/* Past qube_max_connections (its agent not counted) a newcomer gets a
 * failed CALL_RESULT, which bulkhead-rpc prints, and the door. */
static bool
refused(struct vm *vm, int fd)
{
	struct rpc_call_result r;
	char who[QUBE_NAME_MAX + 8];
	int n = 0;

	for (struct rpc_conn *c = rpc_conns; c != NULL; c = c->next)
		if (c != vm->agent && !strcmp(c->vm, vm->q.name))
			n++;
	if (n < domd.limits.qube_conns)
		return false;
	memset(&r, 0, sizeof(r));
	r.request_id = 1;
	r.status = RPC_FAILED;
	snprintf(r.message, sizeof(r.message), "refused by domd: %s has %d connections open "
	    "(qube_max_connections)", vm->q.name, n);
	rpc_send(fd, RPC_CALL_RESULT, &r, sizeof(r), NULL, 0, -1, true);
	snprintf(who, sizeof(who), "qube %s", vm->q.name);
	limit_refused(who, "too many connections on its control socket", domd.limits.qube_conns);
	refuse_linger(fd, who);
	return true;
}

static void
accept_conn(void *arg, uint32_t events)
{
	struct vm *vm = arg;
	struct rpc_conn *c;
	int fd = accept_shed(vm->ctl_fd);

	if (fd < 0 || refused(vm, fd))
		return;
	c = xcalloc(1, sizeof(*c));
	c->fd = fd;
	qube_peer_get(fd, &c->peer);
	snprintf(c->vm, sizeof(c->vm), "%s", vm->q.name);
	c->w = (struct watch){ conn_io, c };
	c->next = rpc_conns;
	rpc_conns = c;
	watch_add(fd, EPOLLIN, &c->w);
}

void
rpc_conn_close(struct rpc_conn *c)
{
	struct vm *vm = vm_find(c->vm);

	for (struct rpc_conn **p = &rpc_conns; *p != NULL; p = &(*p)->next)
		if (*p == c) {
			*p = c->next;
			break;
		}
	if (vm != NULL && vm->agent == c)
		vm->agent = NULL;
	for (struct call *k = rpc_calls; k != NULL; k = k->next)
		if (k->caller == c)
			k->caller = NULL; /* answered into the void, then dropped */
	if (c->dispvm[0] != '\0')
		dispvm_release(c->dispvm);
	watch_del(c->fd);
	close(c->fd);
	free(c);
}

static void
protocol_error(struct rpc_conn *c, const char *why)
{
	log_warnx("qube %s: %s on its control channel; disconnected", c->vm, why);
	rpc_conn_close(c);
}

static void
conn_io(void *arg, uint32_t events)
{
	struct rpc_conn *c = arg;
	char cbuf[CMSG_SPACE(sizeof(int) * 8)];
	struct iovec iov = { c->untrusted_buf + c->len, sizeof(c->untrusted_buf) - c->len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
		.msg_controllen = sizeof(cbuf) };
	struct rpc_msg m;
	size_t used;
	ssize_t n;
	int r;

	n = recvmsg(c->fd, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	/* A qube has no business sending descriptors to domd. */
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm))
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS)
			for (size_t i = 0; i < (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++) {
				int fd;
				memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
				close(fd);
			}
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		rpc_conn_close(c);
		return;
	}
	c->len += (size_t)n;
	while ((r = rpc_msg_parse(c->untrusted_buf, c->len, &m, &used)) == 1) {
		memmove(c->untrusted_buf, c->untrusted_buf + used, c->len - used);
		c->len -= used;
		if (c->role == 0 && m.type == RPC_HELLO) {
			c->role = m.u.hello.role;
			if (c->role == RPC_ROLE_AGENT) {
				struct vm *vm = vm_find(c->vm);
				if (vm == NULL) {
					rpc_conn_close(c);
					return;
				}
				if (!qube_peer_is_agent(vm, &c->peer)) {
					limit_refused(c->vm, "a process that is not its init's RPC "
					    "endpoint said hello as the agent", 0);
					rpc_conn_close(c);
					return;
				}
				if (vm->agent != NULL && vm->agent != c)
					rpc_conn_close(vm->agent);
				vm->agent = c;
				log_debug("%s: agent of %s connected", __func__, c->vm);
				call_agent_ready(vm);
			}
		} else if (c->role == RPC_ROLE_CALLER && m.type == RPC_CALL && !c->called) {
			c->called = true;
			call_handle(c, &m.u.call);
			return; /* c may be gone */
		} else {
			protocol_error(c, "an unexpected message");
			return;
		}
	}
	if (r < 0 || c->len == sizeof(c->untrusted_buf))
		protocol_error(c, "a malformed message");
}
