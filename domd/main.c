/* bulkhead-domd: keeps the qubes and drives them through a backend. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "admin.h"
#include "conf.h"
#include "domd.h"
#include "job.h"
#include "lifecycle.h"
#include "netvm_chan.h"
#include "usb.h"
#include "log.h"
#include "peerlimits.h"
#include "proctitle.h"
#include "refuse.h"
#include "rpc.h"
#include "store.h"
#include "xalloc.h"

struct domd domd;

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: bulkhead-domd [--backend ns|xen|auto] [--config-dir DIR] [--state-dir DIR]\n"
	    "                     [--run-dir DIR] [--foreground] [-v] [--help] [--version]\n"
	    "\n"
	    "Keeps the qubes of a Bulkhead appliance and serves the admin API on\n"
	    "RUN/admin.sock (one JSON object per line; see bulkhead-domd(8)).\n"
	    "\n"
	    "  --backend NAME     ns (Linux namespaces), xen, or auto (default: domd.conf,\n"
	    "                     else auto: xen when /proc/xen is usable)\n"
	    "  --config-dir DIR   domd.conf and policies (default /etc/bulkhead)\n"
	    "  --state-dir DIR    the qube store (default /var/lib/bulkhead)\n"
	    "  --run-dir DIR      admin socket and runtime records (default /run/bulkhead)\n"
	    "  --foreground       stay in the foreground and log to stderr\n"
	    "  -v                 log more (repeat for debug)\n");
}

/* domd.conf's keys for domd itself: backend, cgroup_parent, start_timeout,
 * ask_timeout and the limits of peerlimits.h. The backend reads its own
 * (backend.h, configure). */
static void
read_config(const struct domd_conf *c, const char **backend)
{
	static char *backend_conf; /* after conf_close, as long as domd runs */
	const char *s;
	long n;

	if (c == NULL)
		return;
	if (*backend == NULL && conf_string(c, "backend", &s))
		*backend = backend_conf = xstrdup(s);
	if (conf_string(c, "cgroup_parent", &s)) {
		if (!qube_name_valid(s))
			fatalx("%s: invalid cgroup_parent '%s'", conf_path(c), s);
		snprintf(domd.paths.cgroup_parent, sizeof(domd.paths.cgroup_parent), "%s", s);
	}
	if (conf_long(c, "start_timeout", 1, 3600, &n))
		domd.start_timeout = (int)n;
	if (conf_long(c, "ask_timeout", 1, 86400, &n))
		domd.ask_timeout = (int)n;
	if (conf_long(c, "qube_max_connections", 1, 4096, &n))
		domd.limits.qube_conns = (int)n;
	if (conf_long(c, "qube_max_asks", 1, 1024, &n))
		domd.limits.qube_asks = (int)n;
	if (conf_long(c, "admin_max_connections", 1, 4096, &n))
		domd.limits.admin_conns = (int)n;
	if (conf_long(c, "admin_max_connections_root", 1, 4096, &n))
		domd.limits.admin_conns_root = (int)n;
}

static void
make_dir(const char *path, mode_t mode)
{
	char tmp[4096];

	snprintf(tmp, sizeof(tmp), "%s", path);
	for (char *p = tmp + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			mkdir(tmp, 0755);
			*p = '/';
		}
	if (mkdir(tmp, mode) < 0 && errno != EEXIST)
		fatal("cannot create %s", path);
}

static int
setup_signals(void)
{
	sigset_t set;
	int fd;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		fatal("signalfd");
	return fd;
}

static void
handle_signals(void *arg, uint32_t events)
{
	int fd = *(int *)arg;
	struct signalfd_siginfo si;

	while (read(fd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGCHLD:
			job_reap();
			break;
		case SIGTERM:
		case SIGINT:
			log_info("exiting on signal %d; running qubes keep running", si.ssi_signo);
			domd.quit = true;
			break;
		case SIGHUP:
			log_info("SIGHUP: nothing to reread yet");
			break;
		}
	}
}

/* Once a second: timeouts, deadlines and retries of every part of domd. */
static void
tick(void *arg, uint32_t events)
{
	uint64_t ticks;

	if (read(*(int *)arg, &ticks, sizeof(ticks)) < 0) {
		/* spurious */
	}
	lifecycle_tick();
	rpc_tick();
	netvm_tick();
	usb_tick();
	refuse_tick();
	limits_tick();
}

static int
make_timer(void)
{
	struct itimerspec its = { { 1, 0 }, { 1, 0 } };
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);

	if (fd < 0 || timerfd_settime(fd, 0, &its, NULL) < 0)
		fatal("timerfd");
	return fd;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "backend", required_argument, NULL, 'b' },
		{ "config-dir", required_argument, NULL, 'c' },
		{ "state-dir", required_argument, NULL, 's' },
		{ "run-dir", required_argument, NULL, 'r' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *backend_name = NULL;
	struct domd_conf *conf;
	char conf_file[4096];
	static int sigfd, timerfd;
	struct watch sig_watch = { handle_signals, &sigfd }, timer_watch = { tick, &timerfd };
	bool foreground = false;
	int verbose = 0, c;
	char err[512];

	proctitle_init(argc, argv);
	domd.paths.config_dir = "/etc/bulkhead";
	domd.paths.state_dir = "/var/lib/bulkhead";
	domd.paths.run_dir = "/run/bulkhead";
	domd.start_timeout = 30;
	domd.ask_timeout = 60;
	domd.limits = (struct domd_limits){ LIMIT_QUBE_CONNS, LIMIT_QUBE_ASKS, LIMIT_ADMIN_CONNS,
		LIMIT_ADMIN_CONNS_ROOT };
	snprintf(domd.paths.cgroup_parent, sizeof(domd.paths.cgroup_parent), "bulkhead");
	while ((c = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
		switch (c) {
		case 'b':
			backend_name = optarg;
			break;
		case 'c':
			domd.paths.config_dir = optarg;
			break;
		case 's':
			domd.paths.state_dir = optarg;
			break;
		case 'r':
			domd.paths.run_dir = optarg;
			break;
		case 'f':
			foreground = true;
			break;
		case 'v':
			verbose++;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("bulkhead-domd %s\n", BULKHEAD_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "bulkhead-domd: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	log_init("bulkhead-domd", verbose, 0);
	if (geteuid() != 0)
		fatalx("must run as root");
	snprintf(conf_file, sizeof(conf_file), "%s/domd.conf", domd.paths.config_dir);
	conf = conf_open(conf_file);
	read_config(conf, &backend_name);
	if ((domd.backend = backend_select(backend_name ? backend_name : "auto", err,
	    sizeof(err))) == NULL)
		fatalx("%s", err);
	domd.backend->configure(conf);
	conf_close(conf);

	if (strlen(domd.paths.state_dir) > 900 || strlen(domd.paths.run_dir) > 90)
		fatalx("--state-dir must be under 900 and --run-dir under 90 characters");
	snprintf(domd.paths.qubes_dir, sizeof(domd.paths.qubes_dir), "%s/qubes",
	    domd.paths.state_dir);
	snprintf(domd.paths.rt_dir, sizeof(domd.paths.rt_dir), "%s/qubes", domd.paths.run_dir);
	snprintf(domd.paths.socket_path, sizeof(domd.paths.socket_path), "%s/admin.sock",
	    domd.paths.run_dir);
	make_dir(domd.paths.run_dir, 0755);
	make_dir(domd.paths.rt_dir, 0700);
	if (store_init(err, sizeof(err)) < 0)
		fatalx("%s", err);
	if (domd.backend->init(&domd.paths, err, sizeof(err)) < 0)
		fatalx("backend %s: %s", domd.backend->name, err);

	limits_init();
	loop_init();
	timerfd = make_timer();
	watch_add(timerfd, EPOLLIN, &timer_watch);
	if (admin_listen(err, sizeof(err)) < 0)
		fatalx("%s", err);

	if (!foreground) {
		if (daemon(0, 0) < 0)
			fatal("daemon");
		log_init("bulkhead-domd", verbose, 1);
	}
	/* After daemon(): a signalfd wakes the epoll of the process that added
	 * it, so one added before the fork would leave SIGTERM unnoticed. */
	sigfd = setup_signals();
	watch_add(sigfd, EPOLLIN, &sig_watch);
	store_load();
	lifecycle_adopt_all();
	log_info("started: backend %s%s, state %s", domd.backend->name,
	    domd.backend->weak_isolation ? " (weaker isolation than Xen: shared kernel)" : "",
	    domd.paths.state_dir);
	lifecycle_autostart();

	loop_run(&domd.quit);
	admin_close();
	return 0;
}
