/*
 * bulkhead-agent as init: mount the API filesystems, start rc.local, tell
 * the launcher we are ready, then reap orphans until asked to stop.  It is
 * static and does nothing else so that PID 1 of a qube stays tiny.
 */
#include "agent.h"
#include "log.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/reboot.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef BULKHEAD_VERSION
/* The Makefile's agent rule does not pass -DBULKHEAD_VERSION. */
#define BULKHEAD_VERSION "0.1.0"
#endif

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

int agent_test_mode;

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: " AGENT_NAME " [-v] | --help | --version\n"
	    "\n"
	    "Init (PID 1) of a Bulkhead qube on the ns backend; the launcher execs it\n"
	    "as /sbin/init.  It mounts /proc, /sys, /tmp, /run, /dev/pts and /dev/shm,\n"
	    "starts " RC_LOCAL_PATH " in the background if it is executable, writes\n"
	    "'R' to the pipe named by BULKHEAD_READY_FD, and reaps every process.\n"
	    "SIGTERM, SIGINT or SIGPWR stop the qube: SIGTERM to all, SIGKILL after\n"
	    "BULKHEAD_STOP_GRACE seconds (default 5), then exit 0.\n"
	    "\n"
	    "  -v, --verbose   log every reaped process\n"
	    "  -h, --help      this text\n"
	    "  -V, --version   print the version\n"
	    "\n"
	    "BULKHEAD_AGENT_TEST=1 allows running when not PID 1 (tests): nothing is\n"
	    "mounted, only the agent's own descendants are signalled, and\n"
	    "BULKHEAD_RC_LOCAL may name another rc.local.\n");
}

/*
 * Launcher descriptors must not leak into the qube's processes: mark all
 * but stdio close-on-exec.  The loop is for kernels without close_range.
 */
static void
cloexec_all(void)
{
	struct rlimit rl;
	int fd, max = 1024;

	if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
		return;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 65536)
		max = (int)rl.rlim_cur;
	for (fd = 3; fd < max; fd++)
		fcntl(fd, F_SETFD, FD_CLOEXEC);
}

static int
copy_main(int argc, char **argv)
{
	return filecopy_send_main(argc, argv, false);
}

static int
move_main(int argc, char **argv)
{
	return filecopy_send_main(argc, argv, true);
}

/* One static binary, several programs: the name it runs under decides. */
static const struct {
	const char *name;
	int (*main)(int, char **);
} programs[] = {
	{ "bulkhead-rpc", rpc_client_main },
	{ "bulkhead-copy", copy_main },
	{ "bulkhead-move", move_main },
	{ "bulkhead.Filecopy", filecopy_recv_main },
	{ "bulkhead-filecopy-recv", filecopy_recv_main },
	{ "bulkhead-updates-forward", updates_forward_main },
};

int
main(int argc, char **argv)
{
	const char *base = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];

	for (size_t p = 0; p < sizeof(programs) / sizeof(programs[0]); p++)
		if (!strcmp(base, programs[p].name))
			return programs[p].main(argc, argv);
	return init_main(argc, argv);
}

int
init_main(int argc, char **argv)
{
	int pid1 = getpid() == 1;
	int verbose = 0, ignored = 0, ready, sfd, sig, i, poweroff;
	const char *test;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "-v") || !strcmp(a, "--verbose"))
			verbose++;
		else if (pid1)
			/* A boot loader or launcher may pass anything; init must not die over it. */
			ignored++;
		else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(a, "-V") || !strcmp(a, "--version")) {
			printf(AGENT_NAME " " BULKHEAD_VERSION "\n");
			return 0;
		} else {
			fprintf(stderr, AGENT_NAME ": unknown argument '%s' (try --help)\n", a);
			return 2;
		}
	}

	test = getenv("BULKHEAD_AGENT_TEST");
	if (!pid1) {
		if (!test || strcmp(test, "1") != 0) {
			fprintf(stderr, AGENT_NAME ": refusing to run: not PID 1 "
			    "(this is a qube's init; see --help)\n");
			return 2;
		}
		agent_test_mode = 1;
		/* Orphans of our children must land on us, as they would on PID 1. */
		if (prctl(PR_SET_CHILD_SUBREAPER, 1) == -1)
			fprintf(stderr, AGENT_NAME ": warning: cannot become a subreaper\n");
	}
	unsetenv("BULKHEAD_AGENT_TEST");
	/* In a virtual machine (Xen) init returning would panic the kernel:
	 * the guest's boot script asks for a power-off instead. */
	poweroff = pid1 && (test = getenv("BULKHEAD_POWEROFF")) != NULL && !strcmp(test, "1");
	unsetenv("BULKHEAD_POWEROFF");

	log_init(AGENT_NAME, verbose, 0);
	log_info("%s starting%s", BULKHEAD_VERSION,
	    agent_test_mode ? " (test mode: not PID 1, nothing mounted)" : "");
	if (ignored)
		log_warnx("ignoring %d unknown argument(s)", ignored);

	umask(022);
	if (chdir("/") == -1)
		log_warn("chdir /");
	cloexec_all();
	ready = ready_fd_take();
	/* Block signals before anything can fork, so no SIGCHLD is lost. */
	sfd = signals_init();

	if (!agent_test_mode && mounts_setup() == -1)
		fatalx("cannot mount the API filesystems, giving up");
	if (!agent_test_mode)
		loopback_up();
	if (!getenv("PATH"))
		setenv("PATH", DEFAULT_PATH, 1);

	rc_local_start();
	ready_signal(ready);
	if (!agent_test_mode) {
		rpcd_start();
		netd_start();
		guid_start();
		updates_forward_start();
	}

	sig = reaper_loop(sfd);
	log_debug("%s: got signal %d", __func__, sig);
	rpcd_forget();
	netd_forget();
	guid_forget();
	updates_forward_forget();
	stop_all(sfd);
	if (poweroff && reboot(RB_POWER_OFF) == -1)
		log_warn("power off");
	return 0;
}
