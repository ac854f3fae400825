#include "ns_launch.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/keyctl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "atomicfile.h"
#include "disk_image.h"
#include "monitor_rec.h"
#include "ns_cgroup.h"
#include "ns_confine.h"
#include "ns_console.h"
#include "ns_mounts.h"
#include "ns_private.h"
#include "ns_userns.h"
#include "procstat.h"
#include "proctitle.h"

/* The user and network namespaces are made apart (ns_userns.c) so that
 * this process can build the mounts as host root first. */
#define NS_FLAGS (CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC)

/* From host root to the qube's root: its user namespace, ids and keyring,
 * then the bounding set and seccomp filter. */
static void
become_qube_root(int efd, int userns_fd)
{
	char err[256];

	if (setns(userns_fd, CLONE_NEWUSER) < 0)
		launch_fail(efd, "enter user namespace: %s", strerror(errno));
	close(userns_fd);
	if (setgroups(0, NULL) < 0 || setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
		launch_fail(efd, "become the qube's root: %s", strerror(errno));
	/* A session keyring of its own, not domd's. */
	if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL) < 0)
		launch_fail(efd, "new session keyring: %s", strerror(errno));
	if (ns_confine(err, sizeof(err)) < 0)
		launch_fail(efd, "%s", err);
}

/* Runs in the new namespaces, as their PID 1, before exec of the agent. */
static void __attribute__((noreturn))
qube_child(const struct launch *l, const struct userns_fds *ns, int go_fd)
{
	const struct start_spec *s = l->spec;
	int efd = l->ready_wfd;
	char newroot[4200], c;
	char env_ready[64];
	char *envp[] = { env_ready, "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root",
		"TERM=linux", NULL };
	char *argv[] = { "/sbin/init", NULL };
	struct ns_mounts m = {
		.efd = efd, .userns_fd = ns->user, .uid_base = s->uid_base,
		.memory_mib = l->memory_mib, .stage_dir = l->stage_dir, .root_dir = s->root,
		.root_writable = s->root_writable, .private_mnt = l->private_mnt,
		.private_volatile = s->private_volatile,
		.ctl_dir = s->ctl_dir, .usb = s->usb,
	};
	int logfd;

	/* In the qube's network first: the sysfs mounted now shows its links. */
	if (setns(ns->net, CLONE_NEWNET) < 0)
		launch_fail(efd, "enter network namespace: %s", strerror(errno));
	close(ns->net);
	ns_mounts_build(&m, newroot, sizeof(newroot));
	if (chdir(newroot) < 0 || syscall(SYS_pivot_root, ".", ".") < 0 ||
	    umount2(".", MNT_DETACH) < 0 || chdir("/") < 0)
		launch_fail(efd, "pivot_root into %s: %s", newroot, strerror(errno));
	if (sethostname(l->name, strlen(l->name)) < 0)
		launch_fail(efd, "sethostname: %s", strerror(errno));

	/* The monitor moves us into the qube's cgroup meanwhile (a slow step
	 * on cgroup v1): wait for it only now, just before the cgroup
	 * namespace is made and init runs. */
	if (read(go_fd, &c, 1) != 1)
		_exit(127);
	close(go_fd);
	/* Made while still host root, the cgroup namespace is not the qube's
	 * to mount a cgroup file system in. */
	if (unshare(CLONE_NEWCGROUP) < 0)
		launch_fail(efd, "unshare cgroup namespace: %s", strerror(errno));
	become_qube_root(efd, ns->user);
	logfd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (logfd >= 0) {
		dup2(logfd, 0);
		close(logfd);
	}
	snprintf(env_ready, sizeof(env_ready), "BULKHEAD_READY_FD=%d", l->guest_ready_wfd);
	execve("/sbin/init", argv, envp);
	launch_fail(efd, "exec /sbin/init: %s", strerror(errno));
}


/* The private image exists (made at the first start, from the qube's
 * private folder), is as large as private_size asks (it never shrinks),
 * and its file system is mounted for the launcher to attach. */
static void
private_volume(struct launch *l)
{
	const struct start_spec *s = l->spec;
	char err[512];

	if (disk_image_private(s->private_img, s->private_tree, s->private_mib, err,
	    sizeof(err)) < 0 || (!s->private_volatile &&
	    disk_image_grow(s->private_img, s->private_mib, err, sizeof(err)) < 0) ||
	    (l->private_mnt = ns_private_mount(s->private_img, s->private_volatile, err,
	    sizeof(err))) < 0)
		launch_fail(l->ready_wfd, "%s", err);
}

/* The monitor: parent of the qube's init, in its own session so that it
 * outlives domd; it records the init's exit for whoever runs domd then. */
static void __attribute__((noreturn))
monitor(const struct launch *launch)
{
	struct launch lm = *launch;
	const struct launch *l = &lm;
	struct userns_fds ns;
	char rec[512], msg[64], err[256];
	int go[2], out[2], status, logfd, pidfd;
	sigset_t none;
	pid_t child;

	setsid();
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* Not to be mistaken for domd (pkill bulkhead-domd must spare it). */
	proctitle_set("bulkhead-monitor %s", l->name);

	logfd = open(l->spec->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	if (logfd < 0)
		launch_fail(l->ready_wfd, "open %s: %s", l->spec->log_path, strerror(errno));
	/* Close everything of domd's but the pipe and the log. */
	dup2(logfd, 1);
	dup2(logfd, 2);
	if (l->ready_wfd != 3)
		dup2(l->ready_wfd, 3);
	/* The agent's own ready pipe at 4: the launch pipe is not the guest's
	 * to write on. */
	lm.guest_ready_wfd = -1;
	if (l->spec->guest_ready_fd >= 0) {
		if (l->spec->guest_ready_fd != 4)
			dup2(l->spec->guest_ready_fd, 4);
		lm.guest_ready_wfd = 4;
	}
	/* Everything of domd's but the log and the two pipes goes. */
	close_range(lm.guest_ready_wfd >= 0 ? 5 : 4, ~0U, 0);
	lm.ready_wfd = 3;
	fcntl(3, F_SETFD, FD_CLOEXEC); /* gone when the qube's init runs */
	if (pipe2(go, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0)
		launch_fail(l->ready_wfd, "pipe: %s", strerror(errno));
	private_volume(&lm);
	if (userns_make(l->spec->uid_base, &ns, err, sizeof(err)) < 0)
		launch_fail(l->ready_wfd, "%s", err);

	child = (pid_t)syscall(SYS_clone, NS_FLAGS | SIGCHLD, NULL, NULL, NULL, NULL);
	if (child < 0)
		launch_fail(l->ready_wfd, "clone namespaces: %s", strerror(errno));
	if (child == 0) {
		close(go[1]);
		close(out[0]);
		/* The console: a pipe, so that the monitor can bound the log. */
		dup2(out[1], 1);
		dup2(out[1], 2);
		close(out[1]);
		/* The agent inherits its pipe; the launch pipe closes at exec. */
		if (l->guest_ready_wfd >= 0)
			fcntl(l->guest_ready_wfd, F_SETFD, 0);
		qube_child(l, &ns, go[0]);
	}
	close(go[0]);
	close(out[1]);
	if (l->guest_ready_wfd >= 0)
		close(l->guest_ready_wfd); /* the agent's alone: its end is the guard's EOF */
	close(ns.user);
	close(ns.net);
	close(l->private_mnt);
	/* The cgroup is made while the child builds its mounts. */
	if (cg_create(l->name, &l->lim, err, sizeof(err)) < 0) {
		kill(child, SIGKILL);
		launch_fail(l->ready_wfd, "%s", err);
	}
	if (cg_attach(l->name, child) < 0) {
		kill(child, SIGKILL);
		launch_fail(l->ready_wfd, "cannot join qube cgroup: %s", strerror(errno));
	}
	snprintf(rec, sizeof(rec), "monitor_pid=%d\nmonitor_start=%llu\ninit_pid=%d\n"
	    "init_start=%llu\nstarted_at=%lld\n", (int)getpid(), proc_starttime(getpid()),
	    (int)child, proc_starttime(child), (long long)time(NULL));
	write_record(l->run_path, rec);
	/* P before go: the guest can write on the pipe too, and domd takes
	 * only the first pid. */
	snprintf(msg, sizeof(msg), "P%d\n", (int)child);
	if (write(l->ready_wfd, msg, strlen(msg)) < 0 || write(go[1], "g", 1) != 1) {
		kill(child, SIGKILL);
	}
	close(go[1]);
	close(l->ready_wfd);

	if ((pidfd = pidfd_open_pid(child)) < 0) {
		kill(child, SIGKILL);
		while (waitpid(child, &status, 0) < 0 && errno == EINTR)
			;
	} else
		status = console_pump(out[0], pidfd, child, l->spec->log_path);
	if (WIFEXITED(status))
		snprintf(rec, sizeof(rec), "init exited with status %d\n", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(rec, sizeof(rec), "init killed by signal %d (%s)\n", WTERMSIG(status),
		    strsignal(WTERMSIG(status)));
	else
		snprintf(rec, sizeof(rec), "init stopped\n");
	write_record(l->exit_path, rec);
	cg_destroy(l->name);
	_exit(0);
}

pid_t
launch_monitor(const struct launch *l)
{
	pid_t pid = fork();

	if (pid == 0)
		monitor(l);
	return pid;
}
