/*
 * start_baseline SOCKET|- VM ROOT STAGE N [CGROUP_DIR...]
 *
 * Times ways of getting the same init to "ready", N times each, interleaved
 * (domd, bare, domd, bare, ...) after one untimed warm-up of each, with
 * 100 ms of idle before every timed run, and prints median / p90 of each
 * and the ratio domd / bare. (The idle makes each run a start on a quiet
 * system, as when a user starts a qube: back to back, a move into a
 * cgroup is much cheaper while the kernel's RCU sync for cgroup moves is
 * still warm from the previous one, which flatters whoever comes second.)
 *
 *   domd  the wall time of one vm.start request on the admin socket at
 *         SOCKET, from writing the line to reading the reply (domd replies
 *         once the agent wrote 'R'); then vm.kill, and wait for the "halted"
 *         event before the next run (vm.kill replies before that).
 *   bare  what a launcher must do at the least: clone into new mount, pid,
 *         net, uts and ipc namespaces; overlay ROOT (lower) with a tmpfs
 *         upper (the tmpfs is mounted on STAGE, in the new mount namespace
 *         only); pivot_root; exec ROOT's /sbin/init with BULKHEAD_READY_FD
 *         naming a pipe; timed until 'R' arrives; then SIGKILL.
 *   bare+cgroup  (only with CGROUP_DIRs: for information) the same, but the
 *         child first waits until the helper has written its pid into each
 *         CGROUP_DIR/cgroup.procs, as domd's monitor does with the qube's
 *         cgroups: this shows what the cgroup move costs by itself.
 *
 * SOCKET "-" skips domd. Env START_BASELINE_CONSOLE=FILE gets the bare
 * inits' stdout and stderr (default /dev/null).
 *
 * Exits 1 (with a message) if anything fails functionally; never on time.
 */
#include "bench_client.h"

#include <fcntl.h>
#include <stdbool.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#define NS_FLAGS (CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWUTS | CLONE_NEWIPC)
#define START_TIMEOUT_MS 30000
#define IDLE_US 100000		/* before each timed run */

static struct conn api, events;
static char **cg_dirs;		/* for bare+cgroup */
static int n_cg;
/* The agent's stdout and stderr (domd gives it a log file too). */
static const char *console_path = "/dev/null";
static const char *vm_name;
static int req_id;

/* ---- domd ---- */

static void
wait_halted(void)
{
	for (;;) {
		char *line = conn_line(&events, 10000);
		json_object *o = json_tokener_parse(line);

		if (o == NULL)
			die("bad event line: %.200s", line);
		if (!strcmp(json_str(o, "event"), "state") && !strcmp(json_str(o, "vm"), vm_name) &&
		    !strcmp(json_str(o, "state"), "halted")) {
			json_object_put(o);
			return;
		}
		json_object_put(o);
	}
}

static double
domd_once(void)
{
	char req[256];
	json_object *o, *res, *pid;
	double t0, t1;
	char *line;
	int p;

	snprintf(req, sizeof(req), "{\"id\":%d,\"method\":\"vm.start\",\"vm\":\"%s\",\"args\":{}}\n",
	    ++req_id, vm_name);
	t0 = now_ms();
	conn_send(&api, req);
	line = conn_line(&api, START_TIMEOUT_MS);
	t1 = now_ms();

	o = reply_ok(line, "vm.start", &res);
	if (strcmp(json_str(res, "state"), "running") != 0)
		die("vm.start replied with state '%s', not running", json_str(res, "state"));
	if (!json_object_object_get_ex(res, "pid", &pid) || (p = json_object_get_int(pid)) <= 0)
		die("vm.start result has no init pid");
	if (kill(p, 0) < 0)
		die("init pid %d of the started qube: %s", p, strerror(errno));
	json_object_put(o);

	snprintf(req, sizeof(req), "{\"id\":%d,\"method\":\"vm.kill\",\"vm\":\"%s\",\"args\":{}}\n",
	    ++req_id, vm_name);
	conn_send(&api, req);
	json_object_put(reply_ok(conn_line(&api, 10000), "vm.kill", NULL));
	wait_halted();
	return t1 - t0;
}

/* ---- bare launch ---- */

static void __attribute__((noreturn, format(printf, 2, 3)))
child_fail(int fd, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	int n;

	msg[0] = 'E';
	va_start(ap, fmt);
	n = vsnprintf(msg + 1, sizeof(msg) - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(msg) - 2)
		n = (int)sizeof(msg) - 2;
	if (write(fd, msg, (size_t)n + 1) < 0) {
		/* nobody to tell */
	}
	_exit(127);
}

static void __attribute__((noreturn))
bare_child(const char *root, const char *stage, int wfd, int go_fd)
{
	char newroot[4200], opts[13000], env_ready[64];
	char *argv[] = { "/sbin/init", NULL };
	char *envp[] = { env_ready, "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root",
		"TERM=linux", NULL };
	int null, console;

	/* Never outlive the helper, whatever happens to it. (getppid() is 0
	 * in a new pid namespace, so the usual race check cannot be done; the
	 * helper is blocked in poll() on the pipe until we exec or fail.) */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (go_fd >= 0) {
		char c;

		if (read(go_fd, &c, 1) != 1)
			_exit(127);
		close(go_fd);
	}
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		child_fail(wfd, "make / private: %s", strerror(errno));
	if (mount("bench-volatile", stage, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0700,size=64m") < 0)
		child_fail(wfd, "mount tmpfs on %s: %s", stage, strerror(errno));
	snprintf(newroot, sizeof(newroot), "%s/root", stage);
	snprintf(opts, sizeof(opts), "%s/upper", stage);
	if (mkdir(newroot, 0755) < 0 || mkdir(opts, 0755) < 0)
		child_fail(wfd, "mkdir in %s: %s", stage, strerror(errno));
	snprintf(opts, sizeof(opts), "%s/work", stage);
	if (mkdir(opts, 0755) < 0)
		child_fail(wfd, "mkdir %s: %s", opts, strerror(errno));
	snprintf(opts, sizeof(opts), "lowerdir=%s,upperdir=%s/upper,workdir=%s/work", root, stage, stage);
	if (mount("bench-root", newroot, "overlay", 0, opts) < 0)
		child_fail(wfd, "overlay over %s: %s", root, strerror(errno));
	null = open("/dev/null", O_RDONLY);
	if (null < 0 || (console = open(console_path, O_WRONLY | O_CREAT | O_APPEND, 0644)) < 0)
		child_fail(wfd, "open /dev/null or %s: %s", console_path, strerror(errno));
	if (chdir(newroot) < 0 || syscall(SYS_pivot_root, ".", ".") < 0 ||
	    umount2(".", MNT_DETACH) < 0 || chdir("/") < 0)
		child_fail(wfd, "pivot_root into %s: %s", newroot, strerror(errno));
	dup2(null, 0);
	dup2(console, 1);
	dup2(console, 2);
	close(null);
	close(console);
	fcntl(wfd, F_SETFD, 0);
	snprintf(env_ready, sizeof(env_ready), "BULKHEAD_READY_FD=%d", wfd);
	execve("/sbin/init", argv, envp);
	child_fail(wfd, "exec %s/sbin/init: %s", root, strerror(errno));
}

/* Moves pid into every cgroup of cg_dirs. */
static void
cg_attach(pid_t pid)
{
	char path[4200], val[32];

	snprintf(val, sizeof(val), "%d", (int)pid);
	for (int i = 0; i < n_cg; i++) {
		int fd;

		snprintf(path, sizeof(path), "%s/cgroup.procs", cg_dirs[i]);
		fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, val, strlen(val)) != (ssize_t)strlen(val)) {
			kill(pid, SIGKILL);
			die("cannot move pid %s into %s: %s", val, path, strerror(errno));
		}
		close(fd);
	}
}

static double
bare_once(const char *root, const char *stage, bool with_cg)
{
	struct pollfd pfd;
	char buf[512];
	double t0, t1;
	pid_t child;
	int p[2], go[2] = { -1, -1 }, status;
	ssize_t n;

	if (pipe2(p, O_CLOEXEC) < 0 || (with_cg && pipe2(go, O_CLOEXEC) < 0))
		die("pipe: %s", strerror(errno));
	t0 = now_ms();
	child = (pid_t)syscall(SYS_clone, NS_FLAGS | SIGCHLD, NULL, NULL, NULL, NULL);
	if (child < 0)
		die("clone into new namespaces: %s", strerror(errno));
	if (child == 0) {
		close(p[0]);
		if (with_cg)
			close(go[1]);
		bare_child(root, stage, p[1], go[0]);
	}
	close(p[1]);
	if (with_cg) {
		close(go[0]);
		cg_attach(child);
		if (write(go[1], "g", 1) != 1)
			die("cannot release the bare child: %s", strerror(errno));
		close(go[1]);
	}
	pfd.fd = p[0];
	pfd.events = POLLIN;
	do
		n = poll(&pfd, 1, START_TIMEOUT_MS);
	while (n < 0 && errno == EINTR);
	if (n == 0) {
		kill(child, SIGKILL);
		die("bare launch: no ready byte within %d ms", START_TIMEOUT_MS);
	}
	n = read(p[0], buf, sizeof(buf) - 1);
	t1 = now_ms();
	kill(child, SIGKILL);
	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	close(p[0]);
	if (n > 0 && buf[0] == 'R')
		return t1 - t0;
	if (n > 0 && buf[0] == 'E') {
		buf[n] = '\0';
		die("bare launch: %s", buf + 1);
	}
	die("bare launch: init exited without signalling ready (%s)",
	    n < 0 ? strerror(errno) : "EOF");
}

/* ---- main ---- */

static void
print_row(const char *what, struct stats s)
{
	printf("start:   %-28s median %7.2f ms  p90 %7.2f ms  min %7.2f  max %7.2f\n",
	    what, s.median, s.p90, s.min, s.max);
}

int
main(int argc, char **argv)
{
	const char *root, *stage, *env;
	struct stats sd = { 0 }, sb, sc = { 0 };
	double *td, *tb, *tc;
	int n, with_domd;

	bench_prog = "start_baseline";
	if (argc < 6 || (n = atoi(argv[5])) < 1) {
		fprintf(stderr, "usage: start_baseline SOCKET|- VM ROOT STAGE N [CGROUP_DIR...]\n"
		    "  SOCKET - : no domd runs\n"
		    "  CGROUP_DIRs: also time bare launches moved into these cgroups\n"
		    "  env START_BASELINE_CONSOLE=FILE: the bare inits' stdout/stderr (default /dev/null)\n");
		return 2;
	}
	with_domd = strcmp(argv[1], "-") != 0;
	vm_name = argv[2];
	root = argv[3];
	stage = argv[4];
	cg_dirs = argv + 6;
	n_cg = argc - 6;
	if ((env = getenv("START_BASELINE_CONSOLE")) != NULL && *env)
		console_path = env;
	signal(SIGPIPE, SIG_IGN);
	td = calloc((size_t)n, sizeof(*td));
	tb = calloc((size_t)n, sizeof(*tb));
	tc = calloc((size_t)n, sizeof(*tc));
	if (td == NULL || tb == NULL || tc == NULL)
		die("out of memory");

	if (with_domd) {
		conn_open(&api, argv[1]);
		conn_open(&events, argv[1]);
		conn_send(&events, "{\"id\":0,\"method\":\"events.subscribe\"}\n");
		json_object_put(reply_ok(conn_line(&events, 5000), "events.subscribe", NULL));
	}

	/* Warm-up (page cache, dentries, first cgroup creation): not counted. */
	if (with_domd)
		domd_once();
	bare_once(root, stage, false);
	if (n_cg > 0)
		bare_once(root, stage, true);
	for (int i = 0; i < n; i++) {
		if (with_domd) {
			usleep(IDLE_US);
			td[i] = domd_once();
		}
		usleep(IDLE_US);
		tb[i] = bare_once(root, stage, false);
		if (n_cg > 0) {
			usleep(IDLE_US);
			tc[i] = bare_once(root, stage, true);
		}
	}

	printf("start: %d runs each, interleaved, after 1 untimed warm-up each, 100 ms idle before each\n", n);
	if (with_domd)
		print_row("domd (vm.start on socket)", sd = stats_of(td, n));
	print_row("bare (ns+overlay+pivot)", sb = stats_of(tb, n));
	if (n_cg > 0)
		print_row("bare + cgroup move (info)", sc = stats_of(tc, n));
	if (!with_domd)
		return 0;
	printf("start: median %.2f ms (domd) vs %.2f ms (bare) ratio %.2f (goal: median <= 30 ms, ratio <= 2)\n",
	    sd.median, sb.median, sd.median / sb.median);
	printf("start: p90 %.2f ms (domd) vs %.2f ms (bare) ratio %.2f\n",
	    sd.p90, sb.p90, sd.p90 / sb.p90);
	if (n_cg > 0)
		printf("start: (info) median %.2f ms (domd) vs %.2f ms (bare + cgroup move into %d hierarch%s) ratio %.2f\n",
		    sd.median, sc.median, n_cg, n_cg == 1 ? "y" : "ies", sd.median / sc.median);
	return 0;
}
