/*
 * start_baseline SOCKET|- VM ROOT STAGE N [CGROUP_DIR...]
 *   (STAGE/../bare-private.img is made for the bare launches' /rw)
 *
 * Times ways of getting the same init to "ready", N times each, interleaved
 * (domd, bare, the information rows, domd, bare, ...) after one untimed
 * warm-up of each, with 100 ms of idle before every timed run, and prints
 * median / p90 of each, the ratio domd / bare and what each layer of domd's
 * launcher adds. (The idle makes each run a start on a quiet system, as
 * when a user starts a qube: back to back, a move into a cgroup is much
 * cheaper while the kernel's RCU sync for cgroup moves is still warm from
 * the previous one, which flatters whoever comes second.)
 *
 *   domd  the wall time of one vm.start request on the admin socket at
 *         SOCKET, from writing the line to reading the reply (domd replies
 *         once the agent wrote 'R'); then vm.kill, and wait for the "halted"
 *         event before the next run (vm.kill replies before that).
 *   bare  what a launcher must do at the least to make the namespaces
 *         domd's makes: a helper child makes a user namespace and a network
 *         namespace it owns, this process maps them ("0 BASE 65536") and
 *         holds them by descriptor (domd's own ns_userns.c); clone into new
 *         mount, pid, uts and ipc namespaces; the child joins the network
 *         namespace, overlays ROOT (lower) with a tmpfs upper (the tmpfs is
 *         mounted on STAGE, in the new mount namespace only), attaches at
 *         /rw, idmapped, a private image of the default private_size that
 *         this process mounted through a loop device (domd's own
 *         ns_private.c and disk_image.c: the qubes' disk model), mounts what
 *         init can no longer mount itself (proc, sysfs, /tmp, /run,
 *         /dev/pts, /dev/shm), pivot_root, sets the host name, makes a
 *         cgroup namespace, becomes root of the user namespace (setns,
 *         setgroups, setresgid, setresuid) and execs ROOT's /sbin/init with
 *         BULKHEAD_READY_FD naming a pipe; timed until 'R' arrives; then
 *         SIGKILL.
 *
 * For information, rows that take domd's layers away or add them one by
 * one, each on top of the row above it:
 *   bare without /rw image  the same without the private image.
 *   bare without userns  the old baseline: clone into new mount, pid, net,
 *         uts and ipc namespaces, overlay, pivot_root, exec; init mounts
 *         its API file systems itself, as host root may.
 *   + idmapped lower  the overlay's lower layer is an idmapped bind of ROOT
 *         into the user namespace and the upper root takes its owner, as
 *         domd's overlay.
 *   + caps, seccomp  a session keyring of its own, then domd's bounding set
 *         and seccomp filter (domd/backend/ns/ns_confine.c) just before exec.
 *   + cgroup  (only with CGROUP_DIRs) this process writes the child's pid
 *         into each CGROUP_DIR/cgroup.procs while the child builds its
 *         mounts; the child waits for that before it makes its cgroup
 *         namespace, as domd's monitor and first process do.
 * What domd takes beyond the last row is its own: its /dev, masks and
 * read-only binds, /rw, the monitor process and its records, the request.
 *
 * SOCKET "-" skips domd. Env START_BASELINE_CONSOLE=FILE gets the bare
 * inits' stdout and stderr (default /dev/null).
 *
 * Exits 1 (with a message) if anything fails functionally; never on time.
 */
#include "bench_client.h"

#include <fcntl.h>
#include <grp.h>
#include <linux/keyctl.h>
#include <stdbool.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "disk_image.h"
#include "ns_confine.h"
#include "ns_private.h"
#include "ns_userns.h"
#include "qube.h"

/* The network namespace comes from userns_make, as in domd. */
#define NS_FLAGS (CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC)
#define START_TIMEOUT_MS 30000
#define IDLE_US 100000		/* before each timed run */
/* Above the ranges domd hands out to qubes: never one of theirs. */
#define BARE_UID_BASE (1L << 31)

/* The layers of domd's launcher a bare launch has. */
#define L_USERNS  1	/* user namespace, owned netns, API mounts by the launcher */
#define L_IDMAP   2	/* idmapped lower layer */
#define L_CONFINE 4	/* keyring, bounding set, seccomp */
#define L_CGROUP  8	/* move into cgroups like domd's */
#define L_PRIVATE 16	/* /rw: a private image through a loop device */

static const struct variant {
	const char *label;
	int layers;
} variants[] = {
	{ "bare (ns+userns+overlay+/rw img+pivot)", L_USERNS | L_PRIVATE },
	{ "bare without /rw image (info)", L_USERNS },
	{ "bare without userns (info)", 0 },
	{ "bare + idmapped lower (info)", L_USERNS | L_PRIVATE | L_IDMAP },
	{ "  + caps, seccomp (info)", L_USERNS | L_PRIVATE | L_IDMAP | L_CONFINE },
	{ "  + cgroup move (info)", L_USERNS | L_PRIVATE | L_IDMAP | L_CONFINE | L_CGROUP },
};
#define N_VARIANTS (sizeof(variants) / sizeof(variants[0]))

static struct conn api, events;
static char **cg_dirs;		/* for the cgroup row */
static int n_cg;
/* The agent's stdout and stderr (domd gives it a log file too). */
static const char *console_path = "/dev/null";
static const char *vm_name;
static int req_id;
static char private_img[4200];	/* the bare launches' /rw */

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

/* ROOT bound at dst with its owners shifted into the user namespace, as
 * domd's idmapped_bind; the overlay's upper root takes the lower's owner
 * and mode, else the qube's root would not own its own /. */
static void
idmapped_lower(int wfd, const char *root, const char *dst, const char *upper, int userns_fd)
{
	struct mount_attr attr = {
		.attr_set = MOUNT_ATTR_IDMAP | MOUNT_ATTR_NODEV,
		.userns_fd = (unsigned long long)userns_fd,
	};
	struct stat st;
	int fd;

	if (mkdir(dst, 0700) < 0)
		child_fail(wfd, "mkdir %s: %s", dst, strerror(errno));
	fd = open_tree(AT_FDCWD, root, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_SYMLINK_NOFOLLOW);
	if (fd < 0 || mount_setattr(fd, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0 ||
	    move_mount(fd, "", AT_FDCWD, dst, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		child_fail(wfd, "idmapped bind of %s: %s", root, strerror(errno));
	close(fd);
	if (stat(dst, &st) < 0 || chown(upper, st.st_uid, st.st_gid) < 0 ||
	    chmod(upper, st.st_mode & 07777) < 0)
		child_fail(wfd, "upper layer for %s: %s", root, strerror(errno));
}

/* Init may not mount in a mount namespace its user namespace does not own:
 * the launcher mounts what init would (agent/mounts.c), as domd's does. */
static void
api_mounts(int wfd, const char *newroot)
{
	static const struct {
		const char *type, *dir;
		unsigned long flags;
		const char *data;	/* "%ld": the qube root's host id */
	} m[] = {
		{ "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, "" },
		{ "sysfs", "sys", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "" },
		{ "tmpfs", "tmp", MS_NOSUID | MS_NODEV, "mode=1777,uid=%1$ld,gid=%1$ld" },
		{ "tmpfs", "run", MS_NOSUID | MS_NODEV, "mode=0755,uid=%1$ld,gid=%1$ld" },
		{ "devpts", "dev/pts", MS_NOSUID | MS_NOEXEC,
		  "newinstance,ptmxmode=0666,mode=0620,gid=%ld" },
		{ "tmpfs", "dev/shm", MS_NOSUID | MS_NODEV, "mode=1777,uid=%1$ld,gid=%1$ld" },
	};
	char path[4300], data[128];

	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", newroot, m[i].dir);
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			child_fail(wfd, "mkdir %s: %s", path, strerror(errno));
		/* devpts's gid is tty (5) as the qube numbers it. */
		snprintf(data, sizeof(data), m[i].data,
		    BARE_UID_BASE + (strcmp(m[i].type, "devpts") ? 0 : 5));
		if (mount(m[i].type, path, m[i].type, m[i].flags, data) < 0)
			child_fail(wfd, "mount %s on %s: %s", m[i].type, path, strerror(errno));
	}
}

/* From host root to root of the user namespace, as domd's first process
 * becomes the qube's root; with confine, its keyring, caps and seccomp. */
static void
become_root(int wfd, int userns_fd, bool confine)
{
	char err[256];

	if (setns(userns_fd, CLONE_NEWUSER) < 0)
		child_fail(wfd, "enter user namespace: %s", strerror(errno));
	close(userns_fd);
	if (setgroups(0, NULL) < 0 || setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
		child_fail(wfd, "become root of the user namespace: %s", strerror(errno));
	if (!confine)
		return;
	if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL) < 0)
		child_fail(wfd, "new session keyring: %s", strerror(errno));
	if (ns_confine(err, sizeof(err)) < 0)
		child_fail(wfd, "%s", err);
}

/* The private volume's mount at ROOT/rw, idmapped, as domd's launcher. */
static void
attach_private(int wfd, const char *newroot, int mnt, int userns_fd)
{
	struct mount_attr attr = {
		.attr_set = MOUNT_ATTR_IDMAP | MOUNT_ATTR_NODEV,
		.userns_fd = (unsigned long long)userns_fd,
	};
	char rw[4300];

	snprintf(rw, sizeof(rw), "%s/rw", newroot);
	if (mkdir(rw, 0755) < 0 && errno != EEXIST)
		child_fail(wfd, "mkdir %s: %s", rw, strerror(errno));
	if (mount_setattr(mnt, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0 ||
	    move_mount(mnt, "", AT_FDCWD, rw, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		child_fail(wfd, "attach the private image at %s: %s", rw, strerror(errno));
	close(mnt);
}

static void __attribute__((noreturn))
bare_child(const char *root, const char *stage, int layers, const struct userns_fds *ns,
    int wfd, int go_fd, int private_mnt)
{
	char newroot[4200], lower[4200], upper[4200], opts[13000], env_ready[64];
	char *argv[] = { "/sbin/init", NULL };
	char *envp[] = { env_ready, "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root",
		"TERM=linux", NULL };
	int null, console;

	/* Never outlive the helper, whatever happens to it. (getppid() is 0
	 * in a new pid namespace, so the usual race check cannot be done; the
	 * helper is blocked in poll() on the pipe until we exec or fail.) */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	/* Before sysfs is mounted, so that it shows this network's links. */
	if ((layers & L_USERNS) && setns(ns->net, CLONE_NEWNET) < 0)
		child_fail(wfd, "enter network namespace: %s", strerror(errno));
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		child_fail(wfd, "make / private: %s", strerror(errno));
	if (mount("bench-volatile", stage, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0700,size=64m") < 0)
		child_fail(wfd, "mount tmpfs on %s: %s", stage, strerror(errno));
	snprintf(newroot, sizeof(newroot), "%s/root", stage);
	snprintf(upper, sizeof(upper), "%s/upper", stage);
	if (mkdir(newroot, 0755) < 0 || mkdir(upper, 0755) < 0)
		child_fail(wfd, "mkdir in %s: %s", stage, strerror(errno));
	snprintf(opts, sizeof(opts), "%s/work", stage);
	if (mkdir(opts, 0755) < 0)
		child_fail(wfd, "mkdir %s: %s", opts, strerror(errno));
	snprintf(lower, sizeof(lower), "%s", root);
	if (layers & L_IDMAP) {
		snprintf(lower, sizeof(lower), "%s/lower", stage);
		idmapped_lower(wfd, root, lower, upper, ns->user);
	}
	snprintf(opts, sizeof(opts), "lowerdir=%s,upperdir=%s/upper,workdir=%s/work", lower, stage, stage);
	if (mount("bench-root", newroot, "overlay", 0, opts) < 0)
		child_fail(wfd, "overlay over %s: %s", root, strerror(errno));
	if (layers & L_USERNS)
		api_mounts(wfd, newroot);
	if (layers & L_PRIVATE)
		attach_private(wfd, newroot, private_mnt, ns->user);
	null = open("/dev/null", O_RDONLY);
	if (null < 0 || (console = open(console_path, O_WRONLY | O_CREAT | O_APPEND, 0644)) < 0)
		child_fail(wfd, "open /dev/null or %s: %s", console_path, strerror(errno));
	if (chdir(newroot) < 0 || syscall(SYS_pivot_root, ".", ".") < 0 ||
	    umount2(".", MNT_DETACH) < 0 || chdir("/") < 0)
		child_fail(wfd, "pivot_root into %s: %s", newroot, strerror(errno));
	if (layers & L_USERNS) {
		if (sethostname("bare", 4) < 0)
			child_fail(wfd, "sethostname: %s", strerror(errno));
		/* The cgroup move runs meanwhile, as in domd. */
		if (go_fd >= 0) {
			char c;

			if (read(go_fd, &c, 1) != 1)
				_exit(127);
			close(go_fd);
		}
		if (unshare(CLONE_NEWCGROUP) < 0)
			child_fail(wfd, "unshare cgroup namespace: %s", strerror(errno));
		become_root(wfd, ns->user, layers & L_CONFINE);
	}
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
bare_once(const char *root, const char *stage, int layers)
{
	struct userns_fds ns = { -1, -1 };
	struct pollfd pfd;
	char buf[512];
	double t0, t1;
	pid_t child;
	int p[2], go[2] = { -1, -1 }, status, flags = NS_FLAGS, mnt = -1;
	bool with_cg = layers & L_CGROUP;
	ssize_t n;

	if (pipe2(p, O_CLOEXEC) < 0 || (with_cg && pipe2(go, O_CLOEXEC) < 0))
		die("pipe: %s", strerror(errno));
	t0 = now_ms();
	/* Mounted before the launch, as domd's monitor does. */
	if ((layers & L_PRIVATE) &&
	    (mnt = ns_private_mount(private_img, false, buf, sizeof(buf))) < 0)
		die("bare launch: %s", buf);
	if (layers & L_USERNS) {
		if (userns_make(BARE_UID_BASE, &ns, buf, sizeof(buf)) < 0)
			die("bare launch: %s", buf);
	} else
		flags |= CLONE_NEWNET;
	child = (pid_t)syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, NULL);
	if (child < 0)
		die("clone into new namespaces: %s", strerror(errno));
	if (child == 0) {
		close(p[0]);
		if (with_cg)
			close(go[1]);
		bare_child(root, stage, layers, &ns, p[1], go[0], mnt);
	}
	close(p[1]);
	if (mnt >= 0)
		close(mnt);
	if (layers & L_USERNS) {
		close(ns.user);
		close(ns.net);
	}
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
	printf("start:   %-34s median %7.2f ms  p90 %7.2f ms  min %7.2f  max %7.2f\n",
	    what, s.median, s.p90, s.min, s.max);
}

int
main(int argc, char **argv)
{
	const char *root, *stage, *env;
	struct stats sd = { 0 }, sv[N_VARIANTS];
	double *td, *tv[N_VARIANTS];
	size_t nv;
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
	{
		/* Compiled once before the launches, as domd does at start. */
		char err[256];
		if (ns_confine_prepare(err, sizeof(err)) < 0)
			die("%s", err);
		snprintf(private_img, sizeof(private_img), "%s/../bare-private.img", stage);
		if (disk_image_make(private_img, NULL, QUBE_PRIVATE_SIZE_DEFAULT, true, err,
		    sizeof(err)) < 0)
			die("%s", err);
	}
	/* The cgroup row is the last one: without cgroups it is left out. */
	nv = n_cg > 0 ? N_VARIANTS : N_VARIANTS - 1;
	if ((env = getenv("START_BASELINE_CONSOLE")) != NULL && *env)
		console_path = env;
	signal(SIGPIPE, SIG_IGN);
	td = calloc((size_t)n, sizeof(*td));
	if (td == NULL)
		die("out of memory");
	for (size_t v = 0; v < nv; v++)
		if ((tv[v] = calloc((size_t)n, sizeof(*tv[v]))) == NULL)
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
	for (size_t v = 0; v < nv; v++)
		bare_once(root, stage, variants[v].layers);
	for (int i = 0; i < n; i++) {
		if (with_domd) {
			usleep(IDLE_US);
			td[i] = domd_once();
		}
		for (size_t v = 0; v < nv; v++) {
			usleep(IDLE_US);
			tv[v][i] = bare_once(root, stage, variants[v].layers);
		}
	}

	printf("start: %d runs each, interleaved, after 1 untimed warm-up each, 100 ms idle before each\n", n);
	if (with_domd)
		print_row("domd (vm.start on socket)", sd = stats_of(td, n));
	for (size_t v = 0; v < nv; v++)
		print_row(variants[v].label, sv[v] = stats_of(tv[v], n));
	/* Each layer's share: the median and the min of a row less those of the
	 * row it adds to (the min is the start least disturbed by the rest of
	 * the machine; the median has its noise). */
	printf("start: (info) added, median (min): /rw image %+.2f (%+.2f) ms, "
	    "user namespace %+.2f (%+.2f) ms, idmapped lower %+.2f (%+.2f) ms, "
	    "caps and seccomp %+.2f (%+.2f) ms",
	    sv[0].median - sv[1].median, sv[0].min - sv[1].min,
	    sv[1].median - sv[2].median, sv[1].min - sv[2].min,
	    sv[3].median - sv[0].median, sv[3].min - sv[0].min,
	    sv[4].median - sv[3].median, sv[4].min - sv[3].min);
	if (n_cg > 0)
		printf(", cgroup move into %d hierarch%s %+.2f (%+.2f) ms", n_cg, n_cg == 1 ? "y" : "ies",
		    sv[5].median - sv[4].median, sv[5].min - sv[4].min);
	printf("\n");
	if (!with_domd)
		return 0;
	printf("start: (info) domd beyond the last bare row: %+.2f (%+.2f) ms (its /dev, masks, "
	    "monitor, records, request)\n", sd.median - sv[nv - 1].median, sd.min - sv[nv - 1].min);
	printf("start: median %.2f ms (domd) vs %.2f ms (bare) ratio %.2f (goal: median <= 30 ms, ratio <= 2)\n",
	    sd.median, sv[0].median, sd.median / sv[0].median);
	printf("start: p90 %.2f ms (domd) vs %.2f ms (bare) ratio %.2f\n",
	    sd.p90, sv[0].p90, sd.p90 / sv[0].p90);
	return 0;
}
