/* Each running qube's guard (bulkhead-guard, guard/): started on the
 * qube's control socket (with its agent's ready pipe until it is ready,
 * and a netvm's firewall socket, both made before it), heard through a
 * socketpair, and started again at once when it dies (a few times a
 * minute at most), so that a crashed guard costs its own qube a reconnect
 * and nothing else (call.h). */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "call.h"
#include "confine.h"
#include "domd.h"
#include "guard_wire.h"
#include "log.h"
#include "netvm_chan.h"
#include "store.h"
#include "uid_range.h"
#include "xalloc.h"

#define RESTARTS_PER_MINUTE 5

struct rpc_guard {
	char vm[QUBE_NAME_MAX + 1];
	pid_t pid;
	int pidfd;          /* to kill it, never another process with its pid */
	int fd;             /* domd's end of the socketpair */
	struct watch w;
	time_t started[RESTARTS_PER_MINUTE]; /* the last starts, oldest first */
};

static void guard_io(void *arg, uint32_t events);

/* Next to domd in the build tree; ../lib/bulkhead/ from sbin/ when
 * installed, as in the appliance. */
static const char *
guard_path(void)
{
	static char path[PATH_MAX];
	char exe[PATH_MAX], *dir;
	ssize_t n;

	if (path[0] != '\0')
		return path;
	if ((n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) < 0)
		return "/usr/lib/bulkhead/bulkhead-guard";
	exe[n] = '\0';
	dir = dirname(exe);
	snprintf(path, sizeof(path), "%s/bulkhead-guard", dir);
	if (access(path, X_OK) < 0)
		snprintf(path, sizeof(path), "%s/../lib/bulkhead/bulkhead-guard", dir);
	return path;
}

static int
spawn(struct rpc_guard *g, struct vm *vm, char *err, size_t errlen)
{
	char uid[16], conns[16], *argv[12];
	int argc;
	int fw_fd = -1, ready_fd = -1;
	char root[1100];
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	int sp[2], r, listen_fd = -1;
	sigset_t none;

	if (confine_empty_root(domd.paths.run_dir, root, sizeof(root), err, errlen) < 0)
		return -1;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0) {
		snprintf(err, errlen, "cannot make a socketpair: %s", strerror(errno));
		return -1;
	}
	/* Above the numbers they get in the child (3 to 6), so that no dup2
	 * clobbers another. */
	if ((listen_fd = fcntl(vm->ctl_fd, F_DUPFD_CLOEXEC, 7)) < 0 ||
	    (netvm_listen_fd(vm) >= 0 &&
	     (fw_fd = fcntl(netvm_listen_fd(vm), F_DUPFD_CLOEXEC, 7)) < 0) ||
	    (vm->rt.guest_ready_fd >= 0 &&
	     (ready_fd = fcntl(vm->rt.guest_ready_fd, F_DUPFD_CLOEXEC, 7)) < 0) ||
	    (r = fcntl(sp[1], F_DUPFD_CLOEXEC, 7)) < 0) {
		snprintf(err, errlen, "cannot pass the control socket: %s", strerror(errno));
		goto fail;
	}
	close(sp[1]);
	sp[1] = r;
	snprintf(uid, sizeof(uid), "%u", (unsigned)confine_guard_uid(vm->q.uid_base));
	snprintf(conns, sizeof(conns), "%d", domd.limits.qube_conns);
	argv[0] = (char *)"bulkhead-guard";
	argv[1] = (char *)"--qube";
	argv[2] = vm->q.name;
	argv[3] = (char *)"--uid";
	argv[4] = uid;
	argv[5] = (char *)"--root";
	argv[6] = (char *)root;
	argv[7] = (char *)"--max-connections";
	argv[8] = conns;
	argc = 9;
	if (fw_fd >= 0)
		argv[argc++] = (char *)"--firewall";
	if (ready_fd >= 0)
		argv[argc++] = (char *)"--ready";
	argv[argc] = NULL;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, listen_fd, 3);
	posix_spawn_file_actions_adddup2(&fa, sp[1], 4);
	if (fw_fd >= 0)
		posix_spawn_file_actions_adddup2(&fa, fw_fd, 5);
	if (ready_fd >= 0)
		posix_spawn_file_actions_adddup2(&fa, ready_fd, 6);
	posix_spawnattr_init(&attr);
	sigemptyset(&none);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
	r = posix_spawn(&g->pid, guard_path(), &fa, &attr, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	if (r != 0) {
		snprintf(err, errlen, "cannot start %s: %s", guard_path(), strerror(r));
		goto fail;
	}
	close(listen_fd);
	if (fw_fd >= 0)
		close(fw_fd);
	if (ready_fd >= 0)
		close(ready_fd);
	close(sp[1]);
	g->pidfd = (int)syscall(SYS_pidfd_open, g->pid, 0);
	fcntl(sp[0], F_SETFL, O_NONBLOCK);
	g->fd = sp[0];
	g->w = (struct watch){ guard_io, g };
	watch_add(g->fd, EPOLLIN, &g->w);
	memmove(g->started, g->started + 1, sizeof(g->started) - sizeof(g->started[0]));
	g->started[RESTARTS_PER_MINUTE - 1] = time(NULL);
	log_debug("%s: guard of %s is pid %d, uid %s", __func__, vm->q.name, (int)g->pid, uid);
	return 0;
fail:
	if (listen_fd >= 0)
		close(listen_fd);
	if (fw_fd >= 0)
		close(fw_fd);
	if (ready_fd >= 0)
		close(ready_fd);
	close(sp[0]);
	close(sp[1]);
	return -1;
}

int
guard_start(struct vm *vm, char *err, size_t errlen)
{
	struct rpc_guard *g;

	if (vm->guard != NULL)
		return 0;
	/* Its uid comes from the qube's id range, on either backend. */
	if (uid_range_assign(vm, err, errlen) < 0)
		return -1;
	g = xcalloc(1, sizeof(*g));
	g->fd = g->pidfd = -1;
	snprintf(g->vm, sizeof(g->vm), "%s", vm->q.name);
	if (spawn(g, vm, err, errlen) < 0) {
		free(g);
		return -1;
	}
	vm->guard = g;
	return 0;
}

/* A guard reads end of file and exits; one taken over might not. */
static void
end(struct rpc_guard *g)
{
	if (g->fd >= 0) {
		watch_del(g->fd);
		close(g->fd);
		g->fd = -1;
	}
	if (g->pidfd >= 0) {
		syscall(SYS_pidfd_send_signal, g->pidfd, SIGKILL, NULL, 0);
		close(g->pidfd);
		g->pidfd = -1;
	}
}

void
guard_stop(struct vm *vm)
{
	struct rpc_guard *g = vm->guard;

	if (g == NULL)
		return;
	end(g);
	free(g);
	vm->guard = NULL;
}

void
rpc_guard_close(struct vm *vm, uint32_t id)
{
	struct guard_msg m = { .type = GUARD_CLOSE, .conn = id };
	struct rpc_guard *g = vm->guard;

	/* A guard that does not read keeps the connection; it is its qube's. */
	if (g != NULL && g->fd >= 0 && guard_send(g->fd, &m, -1, false) < 0)
		log_debug("%s: guard of %s: %s", __func__, vm->q.name, strerror(errno));
}

int
guard_send_admin(struct vm *vm, uint32_t id, uint32_t method, int fd)
{
	struct guard_msg m = { .type = GUARD_ADMIN_OPEN, .conn = id, .value = method };
	struct rpc_guard *g = vm->guard;

	if (g == NULL || g->fd < 0)
		return -1;
	return guard_send(g->fd, &m, fd, false);
}

/* The guard died (or broke the protocol): its qube's connections go with
 * it, and a new guard takes the socket unless this one keeps dying. */
static void
guard_lost(struct rpc_guard *g, struct vm *vm, const char *how)
{
	char err[256];

	end(g);
	rpc_conns_drop(vm->q.name);
	admin_calls_drop(vm->q.name);
	netvm_chan_drop(vm); /* its daemon reconnects, through the next guard */
	if (g->started[0] != 0 && time(NULL) - g->started[0] < 60) {
		log_warnx("qube %s: its guard (pid %d) %s; it failed %d times in a minute, so "
		    "its RPC stays off until its next start", vm->q.name, (int)g->pid, how,
		    RESTARTS_PER_MINUTE);
		return;
	}
	if (spawn(g, vm, err, sizeof(err)) < 0) {
		log_warnx("qube %s: its guard (pid %d) %s, and %s; its RPC stays off until its "
		    "next start", vm->q.name, (int)g->pid, how, err);
		return;
	}
	log_warnx("qube %s: its guard %s; its connections were closed, and a new guard "
	    "(pid %d) serves it", vm->q.name, how, (int)g->pid);
}

static void
guard_io(void *arg, uint32_t events)
{
	struct rpc_guard *g = arg;
	struct vm *vm = vm_find(g->vm);
	unsigned char untrusted_buf[sizeof(struct guard_msg) + 1];
	char name[QUBE_NAME_MAX + 1];
	struct guard_msg m;
	ssize_t n;
	int fd;

	if (vm == NULL || vm->guard != g) {
		end(g);
		return;
	}
	snprintf(name, sizeof(name), "%s", g->vm);
	/* A bounded batch: one busy guard does not starve the loop. */
	for (int i = 0; i < 64; i++) {
		n = guard_recv(g->fd, untrusted_buf, sizeof(untrusted_buf), &fd);
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			guard_lost(g, vm, "ended");
			return;
		}
		if (guard_msg_check(untrusted_buf, (size_t)n, &m) < 0) {
			if (fd >= 0)
				close(fd);
			/* Only a guard taken over sends that: it is not trusted
			 * again (guard_lost() kills it). */
			guard_lost(g, vm, "sent a malformed message and was killed");
			return;
		}
		rpc_from_guard(vm, &m, fd);
		/* The message may have ended the qube or its guard (g freed). */
		if (vm_find(name) != vm || vm->guard != g || g->fd < 0)
			return;
	}
}
