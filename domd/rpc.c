#include "rpc.h"

#include <errno.h>
#include <fcntl.h>
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
#include "dispvm.h"
#include "events.h"
#include "lifecycle.h"
#include "log.h"
#include "peerlimits.h"
#include "qube_peer.h"
#include "policy.h"
#include "refuse.h"
#include "rpc_wire.h"
#include "store.h"
#include "usb.h"
#include "xalloc.h"

/* A connection on a qube's control socket. Everything read from it is
 * untrusted and goes through rpc_msg_parse(). */
struct rpc_conn {
	int fd;
	struct watch w;
	char vm[QUBE_NAME_MAX + 1]; /* the qube whose socket it came in on */
	struct qube_peer peer;      /* who connected (SO_PEERCRED) */
	uint32_t role;              /* 0 until HELLO */
	bool called;                /* a caller sends one CALL */
	char dispvm[QUBE_NAME_MAX + 1]; /* made for this call; gone with it */
	unsigned char untrusted_buf[512];
	size_t len;
	struct rpc_conn *next;
};

enum call_stage { STAGE_ASK, STAGE_AGENT };

/* A call that waits for the operator (ask) or for its target's agent. */
struct call {
	unsigned id;
	enum call_stage stage;
	struct rpc_conn *caller;   /* NULL for dom0's calls */
	struct rpc_dom0_caller dom0; /* dom0's: who waits, if anyone */
	int dom0_fd;               /* dom0's: its end of the data channel */
	char *cmdline;             /* dom0's: the command */
	char source[QUBE_NAME_MAX + 1];
	char asker[QUBE_NAME_MAX + 1]; /* the qube that called: its asks count */
	char service[RPC_SERVICE_MAX + 1];
	char arg[RPC_ARG_MAX + 1];
	char target[POLICY_TARGET_MAX];
	char intended[POLICY_TARGET_MAX]; /* what the caller asked for, to decide again */
	char default_target[POLICY_TARGET_MAX];
	char (*targets)[POLICY_TARGET_MAX]; /* an ask's choices, as the policy gave them */
	size_t ntargets;
	char user[32];
	bool no_autostart;         /* autostart=no: the target must be running */
	bool query;                /* answered by domd itself: no service runs */
	time_t created, deadline;
	struct call *next;
};

static struct rpc_conn *conns;
static struct call *calls;
static unsigned next_call_id = 1;
static struct policy *policy_cached;

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

static void conn_close(struct rpc_conn *c);

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
	for (struct rpc_conn *c = conns, *next; c != NULL; c = next) {
		next = c->next;
		if (!strcmp(c->vm, vm->q.name))
			conn_close(c);
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

	for (struct rpc_conn *c = conns; c != NULL; c = c->next)
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
	c->next = conns;
	conns = c;
	watch_add(fd, EPOLLIN, &c->w);
}

static void
call_free(struct call *k)
{
	for (struct call **p = &calls; *p != NULL; p = &(*p)->next)
		if (*p == k) {
			*p = k->next;
			break;
		}
	if (k->dom0_fd >= 0)
		close(k->dom0_fd);
	free(k->cmdline);
	free(k->targets);
	free(k);
}

static void
conn_close(struct rpc_conn *c)
{
	struct vm *vm = vm_find(c->vm);

	for (struct rpc_conn **p = &conns; *p != NULL; p = &(*p)->next)
		if (*p == c) {
			*p = c->next;
			break;
		}
	if (vm != NULL && vm->agent == c)
		vm->agent = NULL;
	for (struct call *k = calls; k != NULL; k = k->next)
		if (k->caller == c)
			k->caller = NULL; /* answered into the void, then dropped */
	if (c->dispvm[0] != '\0')
		dispvm_release(c->dispvm);
	watch_del(c->fd);
	close(c->fd);
	free(c);
}

/* The end of a call for its caller. */
static void
call_finish(struct call *k, uint32_t status, const char *target, int data_fd, const char *msg)
{
	if (k->caller == NULL && k->dom0.done == NULL) {
		/* nobody waits any more */
	} else if (k->caller != NULL) {
		struct rpc_call_result r;
		memset(&r, 0, sizeof(r));
		r.request_id = 1;
		r.status = status;
		snprintf(r.target, sizeof(r.target), "%s", target ? target : "");
		snprintf(r.message, sizeof(r.message), "%s", msg ? msg : "");
		/* On allow the caller keeps its socket open while the call runs:
		 * its close is the end of a DispVM made for it. */
		if (rpc_send(k->caller->fd, RPC_CALL_RESULT, &r, sizeof(r), NULL, 0, data_fd, true) < 0) {
			conn_close(k->caller);
			k->caller = NULL;
		}
	} else
		k->dom0.done(status, target, msg ? msg : "failed", k->dom0.arg);
	if (k->caller != NULL && status != RPC_ALLOWED)
		conn_close(k->caller);
	call_free(k);
}

/* Hands the call to the target's agent. */
static void
call_exec(struct call *k, struct vm *t)
{
	struct rpc_exec e;
	int sp[2] = { -1, -1 }, agent_end, r;

	memset(&e, 0, sizeof(e));
	snprintf(e.service, sizeof(e.service), "%s", k->service);
	snprintf(e.arg, sizeof(e.arg), "%s", k->arg);
	snprintf(e.source, sizeof(e.source), "%s", k->source);
	snprintf(e.user, sizeof(e.user), "%s", k->user);
	if (k->cmdline != NULL) {
		e.flags = RPC_EXEC_COMMAND;
		e.cmdline_len = (uint32_t)strlen(k->cmdline) + 1;
		agent_end = k->dom0_fd;
	} else {
		int sz = 1 << 20;
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0) {
			call_finish(k, RPC_FAILED, t->q.name, -1, "cannot make a channel");
			return;
		}
		/* Room for several data frames in flight: bulk copies go faster. */
		for (int i = 0; i < 2; i++) {
			setsockopt(sp[i], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
			setsockopt(sp[i], SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
		}
		agent_end = sp[0];
	}
	r = rpc_send(((struct rpc_conn *)t->agent)->fd, RPC_EXEC, &e, sizeof(e), k->cmdline,
	    e.cmdline_len, agent_end, true);
	if (r < 0) {
		log_warn("%s: cannot hand a call to its agent", t->q.name);
		conn_close(t->agent);
		if (sp[0] >= 0) {
			close(sp[0]);
			close(sp[1]);
		}
		call_finish(k, RPC_FAILED, t->q.name, -1, "the target's agent does not answer");
		return;
	}
	log_info("rpc: %s -> %s: %s%s%s", k->source, t->q.name,
	    k->cmdline ? "command" : k->service, k->arg[0] ? "+" : "", k->arg);
	if (k->cmdline == NULL && !strcmp(k->service, "bulkhead.USB"))
		usb_channel(k->source, k->arg, sp[0]);
	call_finish(k, RPC_ALLOWED, t->q.name, sp[1], NULL);
	if (sp[0] >= 0) {
		close(sp[0]);
		close(sp[1]);
	}
}

/* Connects an allowed call to its target, starting it (or making a DispVM)
 * when needed. */
static void
call_route(struct call *k, const char *target)
{
	char err[256], code[32];
	struct vm *t;

	if (!strcmp(target, "dom0") || !strcmp(target, "@adminvm")) {
		call_finish(k, RPC_FAILED, target, -1, "dom0 runs no services");
		return;
	}
	if (!strncmp(target, "@dispvm:", 8) && k->no_autostart) {
		call_finish(k, RPC_FAILED, target, -1, "a new DispVM needs autostart");
		return;
	}
	if (!strncmp(target, "@dispvm:", 8)) {
		t = dispvm_create(target + 8, err, sizeof(err));
		if (t == NULL) {
			call_finish(k, RPC_FAILED, target, -1, err);
			return;
		}
		if (k->caller != NULL)
			snprintf(k->caller->dispvm, sizeof(k->caller->dispvm), "%s", t->q.name);
		else if (k->dom0.own_dispvm != NULL)
			k->dom0.own_dispvm(t->q.name, k->dom0.arg);
		else
			dispvm_release(t->q.name);
		target = t->q.name;
	}
	/* An ask's answer may route to k->target itself: no self-copy. */
	if (target != k->target)
		snprintf(k->target, sizeof(k->target), "%s", target);
	t = vm_find(target);
	if (t == NULL) {
		call_finish(k, RPC_FAILED, target, -1, "no such qube");
		return;
	}
	if (t->agent != NULL && t->state == VM_RUNNING) {
		call_exec(k, t);
		return;
	}
	/* As Qubes' qrexec: with autostart=no a halted target fails the call. */
	if (k->no_autostart && t->state == VM_HALTED) {
		call_finish(k, RPC_FAILED, target, -1, "the target is not running (autostart=no)");
		return;
	}
	if (t->state == VM_HALTED && vm_start(t, NULL, NULL, code, err, sizeof(err)) < 0) {
		call_finish(k, RPC_FAILED, target, -1, err);
		return;
	}
	k->stage = STAGE_AGENT;
	k->deadline = time(NULL) + domd.start_timeout + 10;
}

/* Policy environment over domd's qubes, built per decision. */
struct env_ctx {
	struct policy_qube *q;
	const char ***tags;
	size_t n;
};

static const char *
qube_type(const struct vm *vm)
{
	switch (vm->q.cls) {
	case QUBE_TEMPLATE:
		return "TemplateVM";
	case QUBE_STANDALONE:
		return "StandaloneVM";
	case QUBE_DISP:
		return "DispVM";
	default:
		return "AppVM";
	}
}

static const struct policy_qube *
env_nth(void *ctx, size_t i)
{
	struct env_ctx *e = ctx;

	return i < e->n ? &e->q[i] : NULL;
}

static const struct policy_qube *
env_find(void *ctx, const char *name)
{
	static const struct policy_qube dom0 = { "dom0", "AdminVM", NULL, false, true };
	struct env_ctx *e = ctx;

	if (!strcmp(name, "dom0"))
		return &dom0;
	for (size_t i = 0; i < e->n; i++)
		if (!strcmp(e->q[i].name, name))
			return &e->q[i];
	return NULL;
}

static void
decide(const char *source, const char *service, const char *arg, const char *target,
    struct policy_decision *out)
{
	char dir[1100];
	struct env_ctx e = { 0 };
	struct policy_env env = { env_find, &e, "", env_nth };
	struct vm *src = vm_find(source);
	size_t i = 0;

	snprintf(dir, sizeof(dir), "%s/policy.d", domd.paths.config_dir);
	for (struct vm *vm = domd.vms; vm != NULL; vm = vm->next)
		e.n++;
	e.q = xcalloc(e.n + 1, sizeof(*e.q));
	e.tags = xcalloc(e.n + 1, sizeof(*e.tags));
	for (struct vm *vm = domd.vms; vm != NULL; vm = vm->next, i++) {
		e.tags[i] = xcalloc((size_t)vm->q.ntags + 1, sizeof(char *));
		for (int t = 0; t < vm->q.ntags; t++)
			e.tags[i][t] = vm->q.tags[t];
		e.q[i].name = vm->q.name;
		e.q[i].type = qube_type(vm);
		e.q[i].tags = e.tags[i];
		e.q[i].template_for_dispvms = vm->q.template_for_dispvms;
		e.q[i].running = vm->state == VM_RUNNING;
	}
	if (src != NULL)
		env.default_dispvm = src->q.default_dispvm;
	policy_evaluate(policy_cache_get(&policy_cached, dir), &env, service, arg, source,
	    target[0] ? target : "@default", out);
	for (i = 0; i < e.n; i++)
		free(e.tags[i]);
	free(e.tags);
	free(e.q);
}

/* The ask's choices, kept to show them and to check the answer. */
static void
call_set_targets(struct call *k, const struct policy_decision *d)
{
	free(k->targets);
	k->ntargets = d->ntargets;
	k->targets = xcalloc(d->ntargets ? d->ntargets : 1, sizeof(*k->targets));
	memcpy(k->targets, d->targets, d->ntargets * sizeof(*k->targets));
}

/* The ask as the operator is shown it. */
static void
ask_view(const struct call *k, struct rpc_ask *a)
{
	*a = (struct rpc_ask){ k->id, k->service, k->arg, k->source, k->target,
		k->default_target, (const char (*)[POLICY_TARGET_MAX])k->targets, k->ntargets,
		k->created };
}

static void
emit_ask(const struct call *k)
{
	struct rpc_ask a;

	ask_view(k, &a);
	event_ask(&a);
}

/* Each pending ask is a line the operator has to answer: past
 * qube_max_asks of the calling qube's, a new one is denied at once. */
static bool
ask_refused(struct call *k)
{
	char who[QUBE_NAME_MAX + 8], msg[128];
	int n = 0;

	for (struct call *o = calls; o != NULL; o = o->next)
		if (o != k && o->stage == STAGE_ASK && !strcmp(o->asker, k->asker))
			n++;
	if (n < domd.limits.qube_asks)
		return false;
	snprintf(who, sizeof(who), "qube %s", k->asker);
	snprintf(msg, sizeof(msg), "%s has %d asks pending (qube_max_asks)", k->asker, n);
	limit_refused(who, "too many pending asks", domd.limits.qube_asks);
	call_finish(k, RPC_DENIED, k->target, -1, msg);
	return true;
}

/* A query's allow: out on the call's stdout (NULL: nothing) and exit code
 * 0, with no service behind it. */
static void
query_allow(struct call *k, const char *out)
{
	uint32_t code = 0;
	int sp[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0) {
		call_finish(k, RPC_FAILED, "dom0", -1, "cannot make a channel");
		return;
	}
	/* Two small frames: they fit in the socket's buffer. */
	rpc_data_send(sp[0], RPC_DATA_STDOUT, out, out ? (uint32_t)strlen(out) : 0);
	rpc_data_send(sp[0], RPC_DATA_EXIT, &code, 4);
	close(sp[0]);
	call_finish(k, RPC_ALLOWED, "dom0", sp[1], NULL);
	close(sp[1]);
}

/* May the caller show qube's windows (bulkhead.Gui from qube to it)? */
static bool
shows_windows_of(const char *caller, const char *qube)
{
	struct policy_decision d;

	decide(qube, "bulkhead.Gui", "", caller, &d);
	return d.action == POLICY_ALLOW;
}

/* bulkhead.ClipboardPaste+SRC+DST, called to dom0 by the GUI qube for a
 * Ctrl+Shift+V on its desktop: may text copied from SRC be pasted into
 * DST? The rule `bulkhead.ClipboardPaste * SRC DST`, as in Qubes; an ask
 * waits in the queue as a call from SRC to DST until the operator answers
 * or it times out (a deny). Only a qube that shows both qubes' windows
 * gets an answer: no other qube can put asks before the operator. */
static void
answer_paste(struct call *k)
{
	char src[RPC_ARG_MAX + 1], *dst;
	struct policy_decision d;

	snprintf(src, sizeof(src), "%s", k->arg);
	dst = strchr(src, '+');
	if (dst != NULL)
		*dst++ = '\0';
	if (dst == NULL || vm_find(src) == NULL || vm_find(dst) == NULL || !strcmp(src, dst)) {
		call_finish(k, RPC_DENIED, "dom0", -1, "expected two qubes, SRC+DST");
		return;
	}
	if (!shows_windows_of(k->source, src) || !shows_windows_of(k->source, dst)) {
		log_info("rpc: %s asks %s for %s: denied (not the GUI qube of both)", k->source,
		    k->service, k->arg);
		call_finish(k, RPC_DENIED, "dom0", -1, NULL);
		return;
	}
	decide(src, k->service, "", dst, &d);
	log_info("rpc: %s asks %s for %s: %s (%s)", k->source, k->service, k->arg,
	    d.action == POLICY_ALLOW ? "allowed" : d.action == POLICY_ASK ? "ask" : "denied",
	    d.origin);
	if (d.action == POLICY_ALLOW) {
		query_allow(k, NULL);
	} else if (d.action == POLICY_ASK) {
		if (ask_refused(k))
			return;
		k->query = true;
		k->stage = STAGE_ASK;
		snprintf(k->source, sizeof(k->source), "%.*s", (int)sizeof(k->source) - 1, src);
		snprintf(k->target, sizeof(k->target), "%s", dst);
		/* Nothing to choose: the paste goes to DST or nowhere. */
		d.ntargets = 1;
		snprintf(d.targets[0], sizeof(d.targets[0]), "%s", dst);
		call_set_targets(k, &d);
		k->deadline = time(NULL) + domd.ask_timeout;
		emit_ask(k);
	} else
		call_finish(k, RPC_DENIED, "dom0", -1, NULL);
}

/* bulkhead.GuiLabel+VM, called to dom0 by the GUI qube when VM's first
 * stream arrives and it has no display for VM yet: VM's label on stdout,
 * to a qube that may show VM's windows (bulkhead.Gui from VM to it). */
static void
answer_label(struct call *k)
{
	struct vm *vm = vm_find(k->arg);
	char out[32];

	if (vm == NULL || !shows_windows_of(k->source, k->arg)) {
		log_info("rpc: %s asks %s for %s: denied", k->source, k->service, k->arg);
		call_finish(k, RPC_DENIED, "dom0", -1, NULL);
		return;
	}
	snprintf(out, sizeof(out), "%s\n", qube_label_name(vm->q.label));
	query_allow(k, out);
}

/* bulkhead.VhciAttach+BUSID+DEVID+SPEED, called to dom0 by the importer
 * domd started for an attachment (ns: only the qube's root): the answer's
 * descriptor is the kernel's USB/IP link (usb_vhci_grant). */
static void
answer_vhci(struct call *k)
{
	struct vm *vm = vm_find(k->source);
	char err[128] = "only the qube's root on the ns backend";
	int fd = -1;

	if (vm == NULL || domd.backend != &backend_ns || k->caller == NULL ||
	    !qube_peer_is_root(vm, &k->caller->peer) ||
	    (fd = usb_vhci_grant(vm, k->arg, err, sizeof(err))) < 0) {
		log_info("rpc: %s asks %s for %s: denied (%s)", k->source, k->service, k->arg, err);
		call_finish(k, RPC_DENIED, "dom0", -1, err);
		return;
	}
	call_finish(k, RPC_ALLOWED, "dom0", fd, NULL);
	close(fd);
}

/* bulkhead.ClipboardToViewer+VM and bulkhead.ClipboardFromViewer+VM, called
 * to dom0 by the GUI qube: may VM's clipboard go to (come from) the caller's
 * viewers? domd answers from the policy itself, as the rule `SERVICE * VM
 * CALLER`, with the call's exit code (0) or a deny. No service runs. An ask
 * counts as a deny: the viewer's paste cannot wait for the operator. */
static bool
answer_query(struct call *k)
{
	struct policy_decision d;

	if (strcmp(k->target, "dom0") && strcmp(k->target, "@adminvm"))
		return false;
	if (!strcmp(k->service, "bulkhead.ClipboardPaste")) {
		answer_paste(k);
		return true;
	}
	if (!strcmp(k->service, "bulkhead.GuiLabel")) {
		answer_label(k);
		return true;
	}
	if (!strcmp(k->service, "bulkhead.VhciAttach")) {
		answer_vhci(k);
		return true;
	}
	if (strcmp(k->service, "bulkhead.ClipboardToViewer") &&
	    strcmp(k->service, "bulkhead.ClipboardFromViewer"))
		return false;
	if (vm_find(k->arg) == NULL) {
		call_finish(k, RPC_DENIED, "dom0", -1, "no such qube");
		return true;
	}
	decide(k->arg, k->service, "", k->source, &d);
	log_info("rpc: %s asks %s for %s: %s (%s)", k->source, k->service, k->arg,
	    d.action == POLICY_ALLOW ? "allowed" : "denied", d.origin);
	if (d.action != POLICY_ALLOW)
		call_finish(k, RPC_DENIED, "dom0", -1, NULL);
	else
		query_allow(k, NULL);
	return true;
}

static void
handle_call(struct rpc_conn *c, const struct rpc_call *untrusted_call)
{
	struct policy_decision d;
	struct call *k;
	struct vm *vm;

	/* rpc_msg_parse() checked every field: from here they are trusted. */
	k = xcalloc(1, sizeof(*k));
	k->id = next_call_id++;
	k->caller = c;
	k->dom0_fd = -1;
	k->created = time(NULL);
	snprintf(k->source, sizeof(k->source), "%s", c->vm);
	snprintf(k->asker, sizeof(k->asker), "%s", c->vm);
	snprintf(k->service, sizeof(k->service), "%s", untrusted_call->service);
	snprintf(k->arg, sizeof(k->arg), "%s", untrusted_call->arg);
	snprintf(k->target, sizeof(k->target), "%s", untrusted_call->target);
	snprintf(k->intended, sizeof(k->intended), "%s", k->target);
	k->next = calls;
	calls = k;
	if (answer_query(k))
		return;
	/* The grant is for the importer domd started, as the qube's root. */
	if (!strcmp(k->service, "bulkhead.USB") && (vm = vm_find(k->source)) != NULL &&
	    qube_peer_is_root(vm, &c->peer) && usb_grant_take(k->source, k->arg, k->target)) {
		/* The operator's attach is the allow, for this one call. */
		memset(&d, 0, sizeof(d));
		d.action = POLICY_ALLOW;
		snprintf(d.target, sizeof(d.target), "%s", k->target);
		snprintf(d.user, sizeof(d.user), "root");
		snprintf(d.origin, sizeof(d.origin), "usb attach by the operator");
		d.autostart = true;
	} else
		decide(k->source, k->service, k->arg, k->target, &d);
	snprintf(k->user, sizeof(k->user), "%s", d.user);
	k->no_autostart = d.action != POLICY_DENY && !d.autostart;
	switch (d.action) {
	case POLICY_ALLOW:
		log_info("rpc: %s -> %s %s+%s: allowed (%s)", k->source, d.target, k->service,
		    k->arg, d.origin);
		call_route(k, d.target);
		break;
	case POLICY_ASK:
		if (ask_refused(k))
			break;
		k->stage = STAGE_ASK;
		snprintf(k->target, sizeof(k->target), "%s", d.target);
		snprintf(k->default_target, sizeof(k->default_target), "%s", d.default_target);
		call_set_targets(k, &d);
		k->deadline = time(NULL) + domd.ask_timeout;
		log_info("rpc: %s -> %s %s+%s: ask %u (%s)", k->source,
		    k->target[0] ? k->target : "?", k->service, k->arg, k->id, d.origin);
		emit_ask(k);
		break;
	default:
		log_info("rpc: %s -> %s %s+%s: denied (%s)", k->source,
		    k->target[0] ? k->target : "@default", k->service, k->arg, d.origin);
		call_finish(k, RPC_DENIED, k->target, -1, NULL);
	}
}

static void
protocol_error(struct rpc_conn *c, const char *why)
{
	log_warnx("qube %s: %s on its control channel; disconnected", c->vm, why);
	conn_close(c);
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
		conn_close(c);
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
					conn_close(c);
					return;
				}
				if (!qube_peer_is_agent(vm, &c->peer)) {
					limit_refused(c->vm, "a process that is not its init's RPC "
					    "endpoint said hello as the agent", 0);
					conn_close(c);
					return;
				}
				if (vm->agent != NULL && vm->agent != c)
					conn_close(vm->agent);
				vm->agent = c;
				log_debug("%s: agent of %s connected", __func__, c->vm);
				/* Calls that waited for this agent go now. */
				for (struct call *k = calls, *next; k != NULL; k = next) {
					next = k->next;
					if (k->stage == STAGE_AGENT && !strcmp(k->target, c->vm) &&
					    vm->state == VM_RUNNING)
						call_exec(k, vm);
				}
			}
		} else if (c->role == RPC_ROLE_CALLER && m.type == RPC_CALL && !c->called) {
			c->called = true;
			handle_call(c, &m.u.call);
			return; /* c may be gone */
		} else {
			protocol_error(c, "an unexpected message");
			return;
		}
	}
	if (r < 0 || c->len == sizeof(c->untrusted_buf))
		protocol_error(c, "a malformed message");
}

void
rpc_vm_halted(struct vm *vm)
{
	for (struct call *k = calls, *next; k != NULL; k = next) {
		next = k->next;
		if (k->stage == STAGE_AGENT && !strcmp(k->target, vm->q.name))
			call_finish(k, RPC_FAILED, vm->q.name, -1, "the target stopped");
	}
	rpc_unlisten(vm);
	vm->agent = NULL;
}

void
rpc_vm_running(struct vm *vm)
{
	struct rpc_conn *a = vm->agent;

	if (a == NULL)
		return;
	for (struct call *k = calls, *next; k != NULL; k = next) {
		next = k->next;
		if (k->stage == STAGE_AGENT && !strcmp(k->target, vm->q.name) && vm->agent == a)
			call_exec(k, vm);
	}
}

/* A command from dom0 (or domd) for vm, not routed yet. */
static struct call *
dom0_call(const char *cmdline, const char *user, int data_fd)
{
	struct call *k = xcalloc(1, sizeof(*k));

	k->id = next_call_id++;
	k->dom0_fd = data_fd;
	k->cmdline = xstrdup(cmdline);
	k->created = time(NULL);
	snprintf(k->source, sizeof(k->source), "dom0");
	snprintf(k->service, sizeof(k->service), "bulkhead.Exec");
	snprintf(k->user, sizeof(k->user), "%s", user ? user : "");
	k->next = calls;
	calls = k;
	return k;
}

void
rpc_run_from_dom0(struct vm *vm, const char *cmdline, const char *user, int data_fd,
    const struct rpc_dom0_caller *caller)
{
	struct call *k = dom0_call(cmdline, user, data_fd);

	k->dom0 = *caller;
	call_route(k, vm->q.name);
}

void
rpc_exec_dom0(struct vm *vm, const char *cmdline, const char *user, int data_fd)
{
	/* Nobody waits for the answer: the caller watches its end of data_fd. */
	call_route(dom0_call(cmdline, user, data_fd), vm->q.name);
}

void
rpc_ask_each(void (*fn)(const struct rpc_ask *a, void *arg), void *arg)
{
	for (struct call *k = calls; k != NULL; k = k->next) {
		struct rpc_ask a;

		if (k->stage != STAGE_ASK)
			continue;
		ask_view(k, &a);
		fn(&a, arg);
	}
}

/* The ask's choices as "a, b, c", for messages. */
static void
targets_text(const struct policy_decision *d, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < d->ntargets && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%s", i ? ", " : "", d->targets[i]);
}

/* The operator's target, checked as Qubes checks the user's choice: the call
 * is decided again now, and the target must be one the policy would not
 * deny for it. 0, or -1 with code and err (and a call the policy now denies
 * finished as denied). */
static int
answer_target_ok(struct call *k, const char *target, char *code, char *err, size_t errlen)
{
	struct policy_decision d;
	char list[1024];

	decide(k->source, k->service, k->arg, k->intended, &d);
	if (d.action == POLICY_DENY) {
		log_info("rpc: ask %u: the policy now denies the call (%s)", k->id, d.origin);
		snprintf(code, 32, "denied");
		snprintf(err, errlen, "ask %u: the policy now denies this call (%s)", k->id,
		    d.origin);
		event_ask_done(k->id, "denied");
		call_finish(k, RPC_DENIED, k->target, -1, NULL);
		return -1;
	}
	if (d.action == POLICY_ALLOW ? strcmp(d.target, target) == 0 : policy_offers(&d, target)) {
		k->no_autostart = !d.autostart;
		return 0;
	}
	if (d.action == POLICY_ALLOW)
		snprintf(list, sizeof(list), "%s", d.target);
	else
		targets_text(&d, list, sizeof(list));
	snprintf(code, 32, "invalid");
	snprintf(err, errlen, "ask %u: %s is not among the allowed targets (%s)", k->id,
	    target, list);
	return -1;
}

/* The target an answer without --target means: the call's (when it is
 * offered), the proposal, or the only choice. NULL if the operator has to
 * name one. */
static const char *
answer_default(const struct call *k)
{
	if (k->target[0] != '\0')
		return k->target;
	if (k->default_target[0] != '\0')
		return k->default_target;
	if (k->ntargets == 1)
		return k->targets[0];
	return NULL;
}

int
rpc_ask_answer(unsigned id, bool allow, const char *target, char *code, char *err,
    size_t errlen)
{
	static char t[POLICY_TARGET_MAX];
	struct call *k;

	for (k = calls; k != NULL; k = k->next)
		if (k->id == id && k->stage == STAGE_ASK)
			break;
	if (k == NULL) {
		snprintf(code, 32, "invalid");
		snprintf(err, errlen, "no pending ask with id %u", id);
		return -1;
	}
	if (!allow) {
		log_info("rpc: ask %u denied by the operator", id);
		event_ask_done(id, "denied");
		call_finish(k, RPC_DENIED, k->target, -1, "denied by the operator");
		return 0;
	}
	if (k->query) {
		log_info("rpc: ask %u allowed by the operator", id);
		event_ask_done(id, "allowed");
		query_allow(k, NULL);
		return 0;
	}
	if (target == NULL || target[0] == '\0')
		target = answer_default(k);
	if (target == NULL || !rpc_target_valid(target) || !strcmp(target, "@default")) {
		snprintf(code, 32, "invalid");
		snprintf(err, errlen, "ask %u needs a target (--target VM)", id);
		return -1;
	}
	if (!strcmp(target, "dom0") || !strcmp(target, "@adminvm"))
		target = "dom0";
	if (!strcmp(target, "@dispvm")) {
		struct vm *src = vm_find(k->source);
		if (src == NULL || src->q.default_dispvm[0] == '\0') {
			snprintf(code, 32, "invalid");
			snprintf(err, errlen, "%s has no default_dispvm for @dispvm", k->source);
			return -1;
		}
		snprintf(t, sizeof(t), "@dispvm:%s", src->q.default_dispvm);
		target = t;
	}
	if (answer_target_ok(k, target, code, err, errlen) < 0)
		return -1;
	log_info("rpc: ask %u allowed by the operator, target %s", id, target);
	event_ask_done(id, "allowed");
	k->stage = STAGE_AGENT;
	call_route(k, target);
	return 0;
}

void
rpc_tick(void)
{
	time_t now = time(NULL);

	for (struct call *k = calls, *next; k != NULL; k = next) {
		next = k->next;
		if (k->deadline == 0 || now < k->deadline)
			continue;
		if (k->stage == STAGE_ASK) {
			log_info("rpc: ask %u timed out; denied", k->id);
			event_ask_done(k->id, "timeout");
			call_finish(k, RPC_TIMEOUT, k->target, -1, "timed out");
		} else
			call_finish(k, RPC_FAILED, k->target, -1, "the target's agent did not connect");
	}
}
