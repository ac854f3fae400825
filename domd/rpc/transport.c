/* The qubes' control sockets: made here, served by each qube's guard
 * (guard.c), and the connections the guard hands over, which domd writes
 * to and never reads (call.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "call.h"
#include "dispvm.h"
#include "domd.h"
#include "lifecycle.h"
#include "log.h"
#include "netvm_chan.h"
#include "peerlimits.h"
#include "store.h"
#include "xalloc.h"

const char *
rpc_ctl_dir(const char *name)
{
	static char buf[1200];
	snprintf(buf, sizeof(buf), "%s/%s.ctl", domd.paths.rt_dir, name);
	return buf;
}

/* An empty file that tells a template's agent to forward its package
 * manager's proxy port to bulkhead.UpdatesProxy (agent/rpc_paths.h). */
static const char *
template_mark(const char *name)
{
	static char buf[1300];
	snprintf(buf, sizeof(buf), "%s/template", rpc_ctl_dir(name));
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
	if (vm->q.cls == QUBE_TEMPLATE && (fd = open(template_mark(vm->q.name),
	    O_WRONLY | O_CREAT | O_CLOEXEC, 0644)) >= 0)
		close(fd);
	if (guard_start(vm, err, errlen) < 0) {
		rpc_unlisten(vm);
		return -1;
	}
	return 0;
fail:
	snprintf(err, errlen, "cannot make the control socket %s: %s", path, strerror(errno));
	return -1;
}

void
rpc_unlisten(struct vm *vm)
{
	guard_stop(vm);
	rpc_conns_drop(vm->q.name);
	admin_calls_drop(vm->q.name);
	if (vm->ctl_fd >= 0) {
		close(vm->ctl_fd);
		vm->ctl_fd = -1;
	}
	unlink(ctl_sock(vm->q.name));
	unlink(template_mark(vm->q.name));
	rmdir(rpc_ctl_dir(vm->q.name));
}

/* Closes domd's side; tell_guard: the guard still holds it (domd is the
 * one that ends it). */
static void
conn_close(struct rpc_conn *c, bool tell_guard)
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
	if (tell_guard && vm != NULL)
		rpc_guard_close(vm, c->id);
	close(c->fd);
	free(c);
}

void
rpc_conn_close(struct rpc_conn *c)
{
	conn_close(c, true);
}

void
rpc_conns_drop(const char *vm)
{
	for (struct rpc_conn *c = rpc_conns, *next; c != NULL; c = next) {
		next = c->next;
		if (!strcmp(c->vm, vm))
			conn_close(c, false);
	}
}

static struct rpc_conn *
conn_find(const char *vm, uint32_t id)
{
	for (struct rpc_conn *c = rpc_conns; c != NULL; c = c->next)
		if (c->id == id && !strcmp(c->vm, vm))
			return c;
	return NULL;
}

static struct rpc_conn *
conn_new(struct vm *vm, const struct guard_msg *m, int fd, uint32_t role)
{
	struct rpc_conn *c = xcalloc(1, sizeof(*c));

	c->fd = fd;
	c->id = m->conn;
	c->role = role;
	c->peer.pid = m->peer.pid;
	c->peer.uid = m->peer.uid;
	c->peer.ppid = m->peer.ppid;
	c->has_vhci = m->type == GUARD_CALL && m->value == 1;
	if (c->has_vhci)
		c->vhci = m->vhci;
	snprintf(c->vm, sizeof(c->vm), "%s", vm->q.name);
	c->next = rpc_conns;
	rpc_conns = c;
	return c;
}

static void
agent_hello(struct vm *vm, const struct guard_msg *m, int fd)
{
	struct rpc_conn *c;

	if (!qube_peer_is_agent(vm, &(struct qube_peer){ m->peer.pid, m->peer.uid, m->peer.ppid })) {
		limit_refused(vm->q.name, "a process that is not its init's RPC endpoint said hello "
		    "as the agent", 0);
		close(fd);
		rpc_guard_close(vm, m->conn);
		return;
	}
	c = conn_new(vm, m, fd, RPC_ROLE_AGENT);
	if (vm->agent != NULL && vm->agent != c)
		rpc_conn_close(vm->agent);
	vm->agent = c;
	log_debug("%s: agent of %s connected", __func__, c->vm);
	call_agent_ready(vm);
}

void
rpc_from_guard(struct vm *vm, const struct guard_msg *m, int fd)
{
	static const char *const why[] = {
		[GUARD_END_UNEXPECTED] = "an unexpected message",
		[GUARD_END_MALFORMED] = "a malformed message",
	};
	char who[QUBE_NAME_MAX + 8];
	bool opens = m->type == GUARD_AGENT || m->type == GUARD_CALL;
	struct rpc_conn *c = conn_find(vm->q.name, m->conn);

	/* guard_msg_check() has checked m; a descriptor comes with a new
	 * connection and only then. */
	if ((opens || m->type == GUARD_FW_CONNECTED) != (fd >= 0) || (opens && c != NULL)) {
		log_warnx("qube %s: its guard sent a message out of turn; ignored", vm->q.name);
		if (fd >= 0)
			close(fd);
		return;
	}
	switch (m->type) {
	case GUARD_AGENT:
		agent_hello(vm, m, fd);
		break;
	case GUARD_CALL:
		c = conn_new(vm, m, fd, RPC_ROLE_CALLER);
		call_handle(c, &m->call);
		break;
	case GUARD_CLOSED:
		if (m->value != GUARD_END_EOF)
			log_warnx("qube %s: %s on its control channel; disconnected", vm->q.name,
			    why[m->value]);
		if (c != NULL)
			conn_close(c, false); /* the guard let go: domd does too */
		break;
	case GUARD_REFUSED:
		snprintf(who, sizeof(who), "qube %s", vm->q.name);
		limit_refused(who, "too many connections on its control socket",
		    domd.limits.qube_conns);
		break;
	case GUARD_FW_CONNECTED:
		netvm_chan_connected(vm, m->conn, fd);
		break;
	case GUARD_FW_ANSWER:
		netvm_chan_answer(vm, m->conn, m->fw.applied == 1, m->fw.nrules, m->fw.msg);
		break;
	case GUARD_FW_CLOSED:
		netvm_chan_closed(vm, m->conn, m->value == GUARD_END_MALFORMED,
		    m->value == GUARD_END_TOO_LONG);
		break;
	case GUARD_READY:
		lifecycle_guest_ready(vm);
		break;
	case GUARD_ADMIN_ARGS:
		admin_call_args(vm, m->conn, &m->admin);
		break;
	case GUARD_ADMIN_GONE:
		admin_call_gone(vm, m->conn);
		break;
	case GUARD_READY_BAD:
		log_warnx("qube %s: something other than \"R\" on its agent's ready pipe; "
		    "ignored", vm->q.name);
		break;
	}
}
