#include "ns_launch.h"

#include <errno.h>
#include <fcntl.h>
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
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "atomicfile.h"
#include "monitor_rec.h"
#include "ns_cgroup.h"
#include "procstat.h"
#include "proctitle.h"

#define NS_FLAGS (CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWUTS | CLONE_NEWIPC)


static void
mknod_dev(int efd, const char *dev, const char *name, unsigned maj, unsigned min)
{
	char path[4200];

	snprintf(path, sizeof(path), "%s/%s", dev, name);
	if (mknod(path, S_IFCHR | 0666, makedev(maj, min)) < 0)
		launch_fail(efd, "mknod %s: %s", path, strerror(errno));
	chmod(path, 0666);
}

static void
ensure_dir(int efd, const char *path)
{
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		launch_fail(efd, "mkdir %s: %s", path, strerror(errno));
}

/* Runs in the new namespaces, as their PID 1, before exec of the agent. */
static void __attribute__((noreturn))
qube_child(const struct launch *l, int go_fd)
{
	const struct start_spec *s = l->spec;
	int efd = l->ready_wfd;
	char newroot[4200], path[4300], opts[13000], c;
	char env_ready[64];
	char *envp[] = { env_ready, "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root",
		"TERM=linux", NULL };
	char *argv[] = { "/sbin/init", NULL };
	int logfd;

	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		launch_fail(efd, "make / private: %s", strerror(errno));
	/* Volatile parts live on a tmpfs only this namespace sees: they are
	 * gone, without clean-up, when the qube's last process exits. */
	snprintf(opts, sizeof(opts), "mode=0700,size=%ldm", l->memory_mib > 64 ? l->memory_mib : 64);
	if (mount("bulkhead-volatile", l->stage_dir, "tmpfs", MS_NOSUID | MS_NODEV, opts) < 0)
		launch_fail(efd, "mount volatile tmpfs on %s: %s", l->stage_dir, strerror(errno));
	snprintf(newroot, sizeof(newroot), "%s/root", l->stage_dir);
	ensure_dir(efd, newroot);
	if (s->root_writable) {
		if (mount(s->root_dir, newroot, NULL, MS_BIND | MS_REC, NULL) < 0)
			launch_fail(efd, "bind root %s: %s", s->root_dir, strerror(errno));
	} else {
		snprintf(path, sizeof(path), "%s/upper", l->stage_dir);
		ensure_dir(efd, path);
		snprintf(path, sizeof(path), "%s/work", l->stage_dir);
		ensure_dir(efd, path);
		snprintf(opts, sizeof(opts), "lowerdir=%s,upperdir=%s/upper,workdir=%s/work",
		    s->root_dir, l->stage_dir, l->stage_dir);
		if (mount("bulkhead-root", newroot, "overlay", 0, opts) < 0)
			launch_fail(efd, "overlay root over %s: %s", s->root_dir, strerror(errno));
	}
	snprintf(path, sizeof(path), "%s/sbin/init", newroot);
	if (access(path, X_OK) < 0)
		launch_fail(efd, "root %s has no executable sbin/init", s->root_dir);

	/* /rw: the private volume (volatile for disposable qubes). */
	snprintf(path, sizeof(path), "%s/rw", newroot);
	ensure_dir(efd, path);
	if (s->private_dir != NULL) {
		if (mount(s->private_dir, path, NULL, MS_BIND, NULL) < 0)
			launch_fail(efd, "bind private %s: %s", s->private_dir, strerror(errno));
	} else if (s->private_lower != NULL) {
		/* A DispVM: its base's private data, changes kept on the tmpfs. */
		char up[4300], wk[4300];
		snprintf(up, sizeof(up), "%s/private-upper", l->stage_dir);
		snprintf(wk, sizeof(wk), "%s/private-work", l->stage_dir);
		ensure_dir(efd, up);
		ensure_dir(efd, wk);
		snprintf(opts, sizeof(opts), "lowerdir=%s,upperdir=%s,workdir=%s", s->private_lower,
		    up, wk);
		if (mount("bulkhead-private", path, "overlay", 0, opts) < 0)
			launch_fail(efd, "overlay private over %s: %s", s->private_lower,
			    strerror(errno));
	} else {
		snprintf(opts, sizeof(opts), "%s/private", l->stage_dir);
		ensure_dir(efd, opts);
		if (mount(opts, path, NULL, MS_BIND, NULL) < 0)
			launch_fail(efd, "bind volatile private: %s", strerror(errno));
	}
	snprintf(path, sizeof(path), "%s/rw/home", newroot);
	ensure_dir(efd, path);
	snprintf(opts, sizeof(opts), "%s/home", newroot);
	ensure_dir(efd, opts);
	if (mount(path, opts, NULL, MS_BIND, NULL) < 0)
		launch_fail(efd, "bind /home: %s", strerror(errno));

	/* A minimal /dev: no host device is reachable from the qube. */
	snprintf(path, sizeof(path), "%s/dev", newroot);
	ensure_dir(efd, path);
	if (mount("bulkhead-dev", path, "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755,size=1m") < 0)
		launch_fail(efd, "mount /dev: %s", strerror(errno));
	mknod_dev(efd, path, "null", 1, 3);
	mknod_dev(efd, path, "zero", 1, 5);
	mknod_dev(efd, path, "full", 1, 7);
	mknod_dev(efd, path, "random", 1, 8);
	mknod_dev(efd, path, "urandom", 1, 9);
	mknod_dev(efd, path, "tty", 5, 0);
	snprintf(opts, sizeof(opts), "%s/pts", path);
	ensure_dir(efd, opts);
	snprintf(opts, sizeof(opts), "%s/shm", path);
	ensure_dir(efd, opts);
	snprintf(opts, sizeof(opts), "%s/fd", path);
	if (symlink("/proc/self/fd", opts) < 0)
		launch_fail(efd, "symlink %s: %s", opts, strerror(errno));
	snprintf(opts, sizeof(opts), "%s/ptmx", path);
	if (symlink("pts/ptmx", opts) < 0)
		launch_fail(efd, "symlink %s: %s", opts, strerror(errno));
	/* The control socket to domd: the qube's only way out of itself. */
	if (s->ctl_dir != NULL) {
		snprintf(opts, sizeof(opts), "%s/bulkhead", path);
		ensure_dir(efd, opts);
		if (mount(s->ctl_dir, opts, NULL, MS_BIND, NULL) < 0)
			launch_fail(efd, "bind %s: %s", s->ctl_dir, strerror(errno));
	}

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
	if (unshare(CLONE_NEWCGROUP) < 0)
		launch_fail(efd, "unshare cgroup namespace: %s", strerror(errno));
	logfd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (logfd >= 0) {
		dup2(logfd, 0);
		close(logfd);
	}
	snprintf(env_ready, sizeof(env_ready), "BULKHEAD_READY_FD=%d", efd);
	execve("/sbin/init", argv, envp);
	launch_fail(efd, "exec /sbin/init: %s", strerror(errno));
}


/* The monitor: parent of the qube's init, in its own session so that it
 * outlives domd; it records the init's exit for whoever runs domd then. */
static void __attribute__((noreturn))
monitor(const struct launch *launch)
{
	struct launch lm = *launch;
	const struct launch *l = &lm;
	char rec[512], msg[64];
	int go[2], status, logfd;
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
	/* Everything of domd's but the log and the launch pipe goes. */
	close_range(4, ~0U, 0);
	lm.ready_wfd = 3;
	if (pipe2(go, O_CLOEXEC) < 0)
		launch_fail(l->ready_wfd, "pipe: %s", strerror(errno));

	child = (pid_t)syscall(SYS_clone, NS_FLAGS | SIGCHLD, NULL, NULL, NULL, NULL);
	if (child < 0)
		launch_fail(l->ready_wfd, "clone namespaces: %s", strerror(errno));
	if (child == 0) {
		close(go[1]);
		fcntl(l->ready_wfd, F_SETFD, 0); /* the agent inherits it */
		qube_child(l, go[0]);
	}
	close(go[0]);
	if (cg_attach(l->name, child) < 0) {
		kill(child, SIGKILL);
		launch_fail(l->ready_wfd, "cannot join qube cgroup: %s", strerror(errno));
	}
	snprintf(rec, sizeof(rec), "monitor_pid=%d\nmonitor_start=%llu\ninit_pid=%d\n"
	    "init_start=%llu\nstarted_at=%lld\n", (int)getpid(), proc_starttime(getpid()),
	    (int)child, proc_starttime(child), (long long)time(NULL));
	write_record(l->run_path, rec);
	snprintf(msg, sizeof(msg), "P%d\n", (int)child);
	if (write(l->ready_wfd, msg, strlen(msg)) < 0 || write(go[1], "g", 1) != 1) {
		kill(child, SIGKILL);
	}
	close(go[1]);
	close(l->ready_wfd);

	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
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
