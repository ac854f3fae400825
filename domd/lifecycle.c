#include "lifecycle.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "domd.h"
#include "dispvm.h"
#include "events.h"
#include "rpc.h"
#include "log.h"
#include "launchmsg.h"
#include "net.h"
#include "usb.h"
#include "netvm_chan.h"
#include "procstat.h"
#include "rootgen.h"
#include "store.h"
#include "uid_range.h"
#include "xalloc.h"

enum wait_kind { WAIT_RUNNING, WAIT_HALTED };

struct waiter {
	struct vm *vm;
	enum wait_kind kind;
	vm_settled_fn *fn;
	void *arg;
	struct waiter *next;
};

static struct waiter *waiters;

static void
add_waiter(struct vm *vm, enum wait_kind kind, vm_settled_fn *fn, void *arg)
{
	struct waiter *w;

	if (fn == NULL)
		return;
	w = xcalloc(1, sizeof(*w));
	w->vm = vm;
	w->kind = kind;
	w->fn = fn;
	w->arg = arg;
	w->next = waiters;
	waiters = w;
}

/* Tells everyone waiting on vm whether it got where they sent it. */
static void
settle_waiters(struct vm *vm)
{
	struct waiter **p = &waiters;

	while (*p != NULL) {
		struct waiter *w = *p;
		bool running = vm->state == VM_RUNNING, halted = vm->state == VM_HALTED;

		if (w->vm != vm || (!running && !halted)) {
			p = &w->next;
			continue;
		}
		*p = w->next;
		w->fn(vm, w->kind == WAIT_RUNNING ? running : halted, w->arg);
		free(w);
	}
}

void
vm_set_state(struct vm *vm, enum vm_state st, const char *reason)
{
	vm->state = st;
	if (reason != NULL)
		snprintf(vm->reason, sizeof(vm->reason), "%s", reason);
	event_state(vm);
	log_info("%s: %s%s%s", vm->q.name, vm_state_name(st), vm->reason[0] ? ": " : "",
	    vm->reason);
	settle_waiters(vm);
}

static void start_dependents(struct vm *netvm);
static void ready_io(void *arg, uint32_t events);
static void exited(void *arg, uint32_t events);

/* domd's copy of the agent's ready pipe, kept for a new guard until the
 * guest is ready. */
static void
close_guest_ready(struct vm *vm)
{
	if (vm->rt.guest_ready_fd >= 0)
		close(vm->rt.guest_ready_fd);
	vm->rt.guest_ready_fd = -1;
}

static int
do_start(struct vm *vm, char *err, size_t errlen)
{
	struct start_spec spec = { 0 };
	char root[4200], root_tree[4096], img[4200], tree[4096], ctl[1200];
	int guest_ready[2];
	/* A DispVM: its base's private image under a volatile layer. */
	const struct vm *priv_owner = vm->q.cls == QUBE_DISP ? vm_find(vm->q.template_name) : vm;
	const struct vm *t = rootgen_template_of(vm);

	/* Its template's current root, read-only; a template its own copy of
	 * that (rootgen.h); a standalone its own root. */
	snprintf(root, sizeof(root), "%s", rootgen_path(t != NULL ? t->q.name : vm->q.name,
	    vm->q.cls == QUBE_TEMPLATE ? "new" : ""));
	snprintf(root_tree, sizeof(root_tree), "%s", vm_root_dir(t != NULL ? t->q.name :
	    vm->q.name));
	spec.root_writable = t == NULL;
	snprintf(img, sizeof(img), "%s/" PRIVATE_IMAGE, vm_dir(priv_owner->q.name));
	snprintf(tree, sizeof(tree), "%s", vm_private_dir(priv_owner->q.name));
	spec.root = root;
	spec.root_tree = root_tree;
	spec.private_img = img;
	spec.private_tree = tree;
	spec.private_mib = priv_owner->q.private_size;
	spec.private_volatile = vm->q.cls == QUBE_DISP;
	spec.log_path = vm_log_path(vm->q.name);
	if ((vm->q.netvm[0] != '\0' || vm->q.provides_network) &&
	    net_assign_ip(vm, err, errlen) < 0)
		return -1;
	if (domd.backend == &backend_ns && uid_range_assign(vm, err, errlen) < 0)
		return -1;
	spec.uid_base = vm->q.uid_base;
	spec.pids_max = vm->q.pids_max;
	spec.usb = vm->q.provides_usb;
	/* The agent's ready pipe: its guard reads it, so that domd reads no
	 * byte the guest writes. Made before the guard starts. */
	if (pipe2(guest_ready, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return -1;
	}
	vm->rt.guest_ready_fd = guest_ready[0];
	vm->rt.ready_early = false;
	spec.guest_ready_fd = guest_ready[1];
	/* Before the start, so that its init sees it is a netvm; before the
	 * control socket, whose guard serves both. */
	if ((vm->q.provides_network && netvm_listen(vm, err, errlen) < 0) ||
	    rpc_listen(vm, err, errlen) < 0)
		goto fail;
	snprintf(ctl, sizeof(ctl), "%s", rpc_ctl_dir(vm->q.name));
	spec.ctl_dir = ctl;
	vm->stop_cause = NULL;
	vm->pending_start = false;
	if (domd.backend->start(vm, &spec, err, errlen) < 0)
		goto fail;
	close(guest_ready[1]);
	vm->w_ready = (struct watch){ ready_io, vm };
	vm->w_exit = (struct watch){ exited, vm };
	watch_add(vm->rt.ready_fd, EPOLLIN, &vm->w_ready);
	watch_add(vm->rt.pidfd, EPOLLIN, &vm->w_exit);
	vm->deadline = time(NULL) + domd.start_timeout;
	rootgen_started(vm);
	vm_set_state(vm, VM_STARTING, "");
	return 0;
fail:
	netvm_unlisten(vm);
	rpc_unlisten(vm);
	close(guest_ready[1]);
	close_guest_ready(vm);
	return -1;
}

/* A template's copy of its root is made (rootgen.h): it starts now, unless
 * it was stopped meanwhile. */
static void
root_copied(void *arg, int ok, const char *what)
{
	struct vm *vm = arg;
	const char *cause = vm->stop_cause;
	char err[512];

	vm->root_copying = false;
	vm->stop_cause = NULL;
	if (vm->start_cancelled || !ok) {
		vm->start_cancelled = false;
		rootgen_end(vm, false);
		if (!ok)
			snprintf(err, sizeof(err), "cannot copy its root to run from: %s failed", what);
		vm_set_state(vm, VM_HALTED, ok ? cause : err);
	} else if (do_start(vm, err, sizeof(err)) < 0) {
		rootgen_end(vm, false);
		vm_set_state(vm, VM_HALTED, err);
	}
}

/* do_start, after a template's root is copied. */
static int
begin_start(struct vm *vm, char *err, size_t errlen)
{
	int r;

	if (vm->q.cls != QUBE_TEMPLATE)
		return do_start(vm, err, errlen);
	if ((r = rootgen_begin(vm, root_copied, vm, err, errlen)) < 0)
		return -1;
	if (r == 1) {
		if (do_start(vm, err, errlen) < 0) {
			rootgen_end(vm, false);
			return -1;
		}
		return 0;
	}
	vm->root_copying = true;
	vm->pending_start = false;
	vm_set_state(vm, VM_STARTING, "");
	return 0;
}

/* The checks that do not depend on timing; code is an API error code. */
static int
start_checks(struct vm *vm, char *code, char *err, size_t errlen)
{
	struct vm *t, *n;

	strcpy(code, "bad-state");
	if (vm->state != VM_HALTED) {
		snprintf(err, errlen, "qube %s is %s", vm->q.name, vm_state_name(vm->state));
		return -1;
	}
	if (vm->busy) {
		snprintf(err, errlen, "qube %s is busy (its files are being copied)", vm->q.name);
		return -1;
	}
	strcpy(code, "invalid");
	if (vm->q.cls == QUBE_DISP) {
		struct vm *b = vm_find(vm->q.template_name);
		if (b == NULL || !b->q.template_for_dispvms || b->q.cls != QUBE_APP ||
		    (t = vm_find(b->q.template_name)) == NULL || t->q.cls != QUBE_TEMPLATE) {
			snprintf(err, errlen, "base '%s' of DispVM %s is not an AppVM with "
			    "template_for_dispvms = 1 and a template", vm->q.template_name, vm->q.name);
			return -1;
		}
	} else if (vm->q.template_name[0] != '\0' && vm->q.cls == QUBE_APP) {
		t = vm_find(vm->q.template_name);
		if (t == NULL || t->q.cls != QUBE_TEMPLATE) {
			snprintf(err, errlen, "template '%s' of %s is not a template qube",
			    vm->q.template_name, vm->q.name);
			return -1;
		}
		if (t->busy) {
			strcpy(code, "bad-state");
			snprintf(err, errlen, "template %s is busy", t->q.name);
			return -1;
		}
	}
	strcpy(code, "bad-state");
	if (dispvm_private_free(vm, err, errlen) < 0)
		return -1;
	strcpy(code, "invalid");
	if (vm->q.netvm[0] != '\0') {
		n = vm_find(vm->q.netvm);
		if (n == NULL || !n->q.provides_network) {
			snprintf(err, errlen, "netvm '%s' of %s does not exist or does not provide "
			    "network", vm->q.netvm, vm->q.name);
			return -1;
		}
	}
	return 0;
}

int
vm_start(struct vm *vm, vm_settled_fn *done, void *arg, char *code, char *err,
    size_t errlen)
{
	struct vm *n = vm->q.netvm[0] ? vm_find(vm->q.netvm) : NULL;
	char sub[512];

	if (start_checks(vm, code, err, errlen) < 0)
		return -1;
	if (n != NULL && n->state == VM_HALTED) {
		for (struct vm *p = n; p != NULL; p = p->q.netvm[0] ? vm_find(p->q.netvm) : NULL)
			if (p == vm) {
				strcpy(code, "invalid");
				snprintf(err, errlen, "netvm loop through %s", vm->q.name);
				return -1;
			}
		if (vm_start(n, NULL, NULL, code, sub, sizeof(sub)) < 0) {
			snprintf(err, errlen, "cannot start netvm %s: %s", n->q.name, sub);
			return -1;
		}
	}
	if (n != NULL && (n->state == VM_STARTING)) {
		vm->pending_start = true;
		vm_set_state(vm, VM_STARTING, "");
	} else if (n != NULL && n->state != VM_RUNNING) {
		strcpy(code, "bad-state");
		snprintf(err, errlen, "netvm %s is %s", n->q.name, vm_state_name(n->state));
		return -1;
	} else if (begin_start(vm, err, errlen) < 0) {
		strcpy(code, "backend");
		return -1;
	}
	add_waiter(vm, WAIT_RUNNING, done, arg);
	return 0;
}

static void
start_dependents(struct vm *netvm)
{
	for (struct vm *vm = domd.vms; vm != NULL; vm = vm->next) {
		char err[512];
		if (!vm->pending_start || strcmp(vm->q.netvm, netvm->q.name) != 0)
			continue;
		vm->pending_start = false;
		if (netvm->state != VM_RUNNING) {
			snprintf(err, sizeof(err), "netvm %s did not start: %s", netvm->q.name,
			    netvm->reason);
			vm_set_state(vm, VM_HALTED, err);
		} else if (begin_start(vm, err, sizeof(err)) < 0)
			vm_set_state(vm, VM_HALTED, err);
	}
}

int
vm_shutdown(struct vm *vm, int timeout, vm_settled_fn *done, void *arg, char *err,
    size_t errlen)
{
	if (vm->state == VM_STARTING && vm->pending_start) {
		vm->pending_start = false;
		vm_set_state(vm, VM_HALTED, "start cancelled");
	} else if (vm->state == VM_STARTING && vm->root_copying) {
		vm->start_cancelled = true; /* halted once the copy ends */
		vm->stop_cause = "start cancelled";
	} else if (vm->state == VM_RUNNING || vm->state == VM_PAUSED) {
		if (domd.backend->shutdown(vm) < 0 && errno != ESRCH) {
			snprintf(err, errlen, "cannot signal qube %s: %s", vm->q.name, strerror(errno));
			return -1;
		}
		vm->deadline = time(NULL) + timeout;
		vm_set_state(vm, VM_HALTING, "");
	} else if (vm->state != VM_HALTING) {
		snprintf(err, errlen, "qube %s is %s", vm->q.name, vm_state_name(vm->state));
		return -1;
	}
	if (vm->state == VM_HALTED)
		return 1;
	add_waiter(vm, WAIT_HALTED, done, arg);
	return 0;
}

int
vm_kill(struct vm *vm, vm_settled_fn *done, void *arg, char *err, size_t errlen)
{
	if (vm->state == VM_HALTED) {
		snprintf(err, errlen, "qube %s is halted", vm->q.name);
		return -1;
	}
	if (vm->pending_start) {
		vm->pending_start = false;
		vm_set_state(vm, VM_HALTED, "killed by the operator");
		return 1;
	}
	vm->stop_cause = "killed by the operator";
	if (vm->root_copying) {
		vm->start_cancelled = true; /* halted once the copy ends */
		add_waiter(vm, WAIT_HALTED, done, arg);
		return 0;
	}
	if (domd.backend->kill(vm) < 0 && errno != ESRCH) {
		snprintf(err, errlen, "cannot kill qube %s: %s", vm->q.name, strerror(errno));
		return -1;
	}
	/* The reply comes once the qube is gone, so that a start may follow. */
	add_waiter(vm, WAIT_HALTED, done, arg);
	return 0;
}

static void
close_ready(struct vm *vm)
{
	watch_del(vm->rt.ready_fd);
	close(vm->rt.ready_fd);
	vm->rt.ready_fd = -1;
}

/* The launch pipe (lib/launchmsg.h): the monitor's "P" (before the guest
 * runs), the launcher's "E" (before it execs the qube's init; the pipe is
 * closed then) and, on Xen, the monitor's "R". On ns the guest's agent says
 * "R" on a pipe of its own, which the guard reads (lifecycle_guest_ready).
 * A pid is taken only once; the pipe is closed after "R" or anything
 * malformed. */
static void
ready_io(void *arg, uint32_t events)
{
	struct vm *vm = arg;
	struct vm_rt *rt = &vm->rt;
	struct launchmsg m;
	size_t used;
	ssize_t n;

	n = read(rt->ready_fd, rt->ready_buf + rt->ready_len,
	    sizeof(rt->ready_buf) - rt->ready_len);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n > 0)
		rt->ready_len += (size_t)n;
	while ((used = launchmsg_parse(rt->ready_buf, rt->ready_len, &m)) > 0) {
		memmove(rt->ready_buf, rt->ready_buf + used, rt->ready_len - used);
		rt->ready_len -= used;
		if (m.kind == LM_PID && rt->init_pid == 0) {
			rt->init_pid = m.pid;
			rt->init_start = proc_starttime(rt->init_pid);
			if (rt->ready_early)
				lifecycle_guest_ready(vm);
		} else if (m.kind == LM_ERROR) {
			snprintf(vm->reason, sizeof(vm->reason), "%.150s", m.text);
			vm->stop_cause = "start failed";
		} else if (m.kind == LM_READY && rt->init_pid > 0) {
			lifecycle_guest_ready(vm);
			close_ready(vm);
			return;
		} else {
			log_warnx("%s: malformed message on the launch pipe; ignoring the pipe",
			    vm->q.name);
			close_ready(vm);
			return;
		}
	}
	if (n <= 0)
		close_ready(vm);
}

void
lifecycle_guest_ready(struct vm *vm)
{
	if (vm->rt.init_pid == 0) {
		vm->rt.ready_early = true; /* the launch pipe's "P" is on its way */
		return;
	}
	close_guest_ready(vm);
	if (vm->state != VM_STARTING)
		return;
	vm->deadline = 0;
	vm_set_state(vm, VM_RUNNING, "");
	net_vm_running(vm);
	usb_vm_running(vm);
	start_dependents(vm);
	rpc_vm_running(vm);
}

static void
exited(void *arg, uint32_t events)
{
	struct vm *vm = arg;
	char reason[160], full[200];
	/* A template's changes are kept unless domd stopped it (rootgen.h). */
	bool clean = vm->stop_cause == NULL;

	if (vm->rt.ready_fd >= 0) {
		ready_io(vm, EPOLLIN); /* a last "E" may be waiting */
		if (vm->rt.ready_fd >= 0)
			close_ready(vm);
	}
	watch_del(vm->rt.pidfd);
	close(vm->rt.pidfd);
	vm->rt.pidfd = -1;
	close_guest_ready(vm);
	domd.backend->reap(vm, reason, sizeof(reason));
	if (vm->stop_cause != NULL && !strcmp(vm->stop_cause, "start failed"))
		snprintf(full, sizeof(full), "%s", vm->reason);
	else if (vm->stop_cause != NULL)
		snprintf(full, sizeof(full), "%s", vm->stop_cause);
	else
		snprintf(full, sizeof(full), "%s", reason);
	vm->rt.init_pid = 0;
	vm->deadline = 0;
	vm->stop_cause = NULL;
	net_vm_halted(vm); /* before anyone waiting hears it halted */
	usb_vm_halted(vm);
	if (vm->q.cls == QUBE_TEMPLATE)
		rootgen_end(vm, clean);
	vm->state = VM_HALTED; /* so that its generation counts as unused */
	rootgen_halted(vm);
	vm_set_state(vm, VM_HALTED, full);
	start_dependents(vm);
	rpc_vm_halted(vm);
	if (vm->q.cls == QUBE_DISP)
		dispvm_destroy(vm); /* and its private data */
}

void
lifecycle_tick(void)
{
	time_t now = time(NULL);

	for (struct vm *vm = domd.vms; vm != NULL; vm = vm->next) {
		if (vm->deadline == 0 || now < vm->deadline || vm->rt.pidfd < 0)
			continue;
		vm->deadline = 0;
		if (vm->state == VM_STARTING) {
			log_warnx("%s: init did not signal ready within %d s; killing", vm->q.name,
			    domd.start_timeout);
			vm->stop_cause = "init did not signal ready in time; killed";
		} else if (vm->state == VM_HALTING) {
			log_warnx("%s: shutdown timed out; killing", vm->q.name);
			vm->stop_cause = "shutdown timed out; killed";
		} else
			continue;
		domd.backend->kill(vm);
	}
}

void
lifecycle_adopt_all(void)
{
	for (struct vm *vm = domd.vms; vm != NULL; vm = vm->next) {
		char reason[160];
		bool paused = false;

		vm->rt.pidfd = vm->rt.ready_fd = vm->rt.guest_ready_fd = vm->ctl_fd = -1;
		if (domd.backend->adopt(vm, &paused, reason, sizeof(reason)) == 1) {
			vm->state = paused ? VM_PAUSED : VM_RUNNING;
			vm->w_exit = (struct watch){ exited, vm };
			watch_add(vm->rt.pidfd, EPOLLIN, &vm->w_exit);
			if ((vm->q.provides_network && netvm_listen(vm, reason, sizeof(reason)) < 0) ||
			    rpc_listen(vm, reason, sizeof(reason)) < 0)
				log_warnx("%s: %s", vm->q.name, reason);
			rootgen_adopted(vm);
			log_info("%s: adopted (%s, init pid %d)", vm->q.name,
			    vm_state_name(vm->state), (int)vm->rt.init_pid);
		} else if (reason[0] != '\0') {
			snprintf(vm->reason, sizeof(vm->reason), "%s", reason);
			log_info("%s: halted while domd was away: %s", vm->q.name, reason);
		}
	}
	/* Links outlive domd: pick them up, netvms first (they link their
	 * clients and learn their uplink). */
	for (struct vm *vm = domd.vms; vm != NULL; vm = vm->next)
		if (vm->netchan != NULL && vm->state != VM_HALTED)
			net_vm_running(vm);
	for (struct vm *vm = domd.vms; vm != NULL; vm = vm->next)
		if (vm->netchan == NULL && vm->state != VM_HALTED)
			net_vm_running(vm);
	rootgen_collect_all();
}

void
lifecycle_autostart(void)
{
	for (struct vm *vm = domd.vms; vm != NULL; vm = vm->next) {
		char code[32], err[512];
		if (!vm->q.autostart || vm->state != VM_HALTED)
			continue;
		if (vm_start(vm, NULL, NULL, code, err, sizeof(err)) < 0)
			log_warnx("autostart %s: %s", vm->q.name, err);
	}
}
