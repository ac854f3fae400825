/* The ns backend: a qube is a process tree in its own namespaces, with an
 * overlayfs root, cgroup limits, and a monitor process that outlives domd.
 * Runtime records live in RUN/qubes/NAME.run, exits in NAME.exit. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend.h"
#include "disk_image.h"
#include "domd.h"
#include "log.h"
#include "monitor_rec.h"
#include "ns_cgroup.h"
#include "ns_confine.h"
#include "ns_launch.h"
#include "ns_net.h"
#include "procstat.h"
#include "readfile.h"


/* cgroup v1: moves into cgroups are fast with favordynmods (domd.conf's
 * cgroup_favordynmods, on by default). */
static bool favordynmods = true;

static void
ns_configure(const struct domd_conf *c)
{
	long n;

	if (conf_long(c, "cgroup_favordynmods", 0, 1, &n))
		favordynmods = n != 0;
}

static int
ns_init(const struct domd_paths *paths, char *err, size_t errlen)
{
	if (access("/proc/self/ns/pid", F_OK) < 0) {
		snprintf(err, errlen, "the ns backend needs namespaces (/proc/self/ns missing)");
		return -1;
	}
	if (ns_confine_prepare(err, errlen) < 0 || disk_image_check_tools(true, err, errlen) < 0)
		return -1;
	return cg_init(paths->cgroup_parent, favordynmods, err, errlen);
}

static int
ns_start(struct vm *vm, const struct start_spec *spec, char *err, size_t errlen)
{
	const char *name = vm->q.name;
	char stage[4200], run[4200], ex[4200];
	struct cg_limits lim = { .memory_mib = vm->q.memory, .vcpus = vm->q.vcpus,
		.pids_max = spec->pids_max, .usb = spec->usb };
	struct launch l;
	int p[2];
	pid_t mon;

	if (spec->uid_base < QUBE_UID_BASE_MIN) {
		snprintf(err, errlen, "qube %s has no id range (uid_base)", name);
		return -1;
	}

	snprintf(stage, sizeof(stage), "%s", rt_path(name, "vol"));
	snprintf(run, sizeof(run), "%s", rt_path(name, "run"));
	snprintf(ex, sizeof(ex), "%s", rt_path(name, "exit"));
	unlink(run);
	unlink(ex);
	if (mkdir(stage, 0700) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create %s: %s", stage, strerror(errno));
		return -1;
	}
	if (pipe2(p, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return -1;
	}
	l.name = name;
	l.spec = spec;
	l.stage_dir = stage;
	l.run_path = run;
	l.exit_path = ex;
	l.memory_mib = vm->q.memory;
	l.lim = lim;
	l.ready_wfd = p[1];
	mon = launch_monitor(&l);
	close(p[1]);
	if (mon < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		close(p[0]);
		return -1;
	}
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	vm->rt.monitor_pid = mon;
	vm->rt.init_pid = 0;
	vm->rt.ready_fd = p[0];
	vm->rt.ready_len = 0;
	vm->rt.pidfd = pidfd_open_pid(mon);
	vm->rt.started_at = time(NULL);
	if (vm->rt.pidfd < 0)
		fatal("pidfd_open");
	return 0;
}

static int
ns_signal(struct vm *vm, int sig)
{
	if (vm->rt.init_pid <= 0) {
		errno = ESRCH;
		return -1;
	}
	return kill(vm->rt.init_pid, sig);
}

static int
ns_shutdown(struct vm *vm)
{
	/* A frozen qube cannot act on the request: thaw it first. */
	if (cg_frozen(vm->q.name)) {
		char err[256];
		cg_freeze(vm->q.name, false, err, sizeof(err));
	}
	return ns_signal(vm, SIGTERM);
}

static int
ns_kill(struct vm *vm)
{
	/* SIGKILL reaches even a frozen task; the pid namespace dies with init. */
	int r = ns_signal(vm, SIGKILL);
	char err[256];

	cg_freeze(vm->q.name, false, err, sizeof(err));
	return r;
}

static int
ns_pause(struct vm *vm, char *err, size_t errlen)
{
	return cg_freeze(vm->q.name, true, err, errlen);
}

static int
ns_unpause(struct vm *vm, char *err, size_t errlen)
{
	return cg_freeze(vm->q.name, false, err, errlen);
}

static int
ns_stats(struct vm *vm, struct vm_stats *st)
{
	return cg_stats(vm->q.name, st);
}

static void
collect_exit(struct vm *vm, char *reason, size_t reasonlen)
{
	char rec[256];

	if (read_text_file(rt_path(vm->q.name, "exit"), rec, sizeof(rec)) == 0) {
		rec[strcspn(rec, "\n")] = '\0';
		snprintf(reason, reasonlen, "%s", rec);
	} else if (vm->rt.init_pid > 0 && vm->rt.init_start != 0 &&
	    proc_starttime(vm->rt.init_pid) == vm->rt.init_start) {
		/* Nobody would record this qube's end: do not leave a ghost. */
		kill(vm->rt.init_pid, SIGKILL);
		snprintf(reason, reasonlen, "its monitor died; qube killed");
	} else
		snprintf(reason, reasonlen, "its monitor exited without a record");
	unlink(rt_path(vm->q.name, "run"));
	unlink(rt_path(vm->q.name, "exit"));
	rmdir(rt_path(vm->q.name, "vol"));
	cg_destroy(vm->q.name);
}

static int
ns_adopt(struct vm *vm, bool *paused, char *reason, size_t reasonlen)
{
	char rec[512];
	long long mon, mon_start, init, init_start, started;
	int fd;

	reason[0] = '\0';
	if (read_text_file(rt_path(vm->q.name, "run"), rec, sizeof(rec)) < 0)
		return 0;
	mon = record_value(rec, "monitor_pid");
	mon_start = record_value(rec, "monitor_start");
	init = record_value(rec, "init_pid");
	init_start = record_value(rec, "init_start");
	started = record_value(rec, "started_at");
	/* The start times guard against pids reused since the record was made. */
	if (mon <= 0 || init <= 0 || proc_starttime((pid_t)mon) != (unsigned long long)mon_start ||
	    proc_starttime((pid_t)init) != (unsigned long long)init_start ||
	    (fd = pidfd_open_pid((pid_t)mon)) < 0) {
		collect_exit(vm, reason, reasonlen);
		return 0;
	}
	vm->rt.monitor_pid = (pid_t)mon;
	vm->rt.init_pid = (pid_t)init;
	vm->rt.init_start = (unsigned long long)init_start;
	vm->rt.pidfd = fd;
	vm->rt.ready_fd = -1;
	vm->rt.started_at = started;
	*paused = cg_frozen(vm->q.name);
	return 1;
}

static void
ns_reap(struct vm *vm, char *reason, size_t reasonlen)
{
	collect_exit(vm, reason, reasonlen);
}

const struct backend_ops backend_ns = {
	.name = "ns",
	.weak_isolation = true,
	.configure = ns_configure,
	.init = ns_init,
	.start = ns_start,
	.shutdown = ns_shutdown,
	.kill = ns_kill,
	.pause = ns_pause,
	.unpause = ns_unpause,
	.stats = ns_stats,
	.adopt = ns_adopt,
	.reap = ns_reap,
	.net_attach = ns_net_attach,
	.net_detach = ns_net_detach,
	.uplink_attach = ns_uplink_attach,
	.uplink_detach = ns_uplink_detach,
};
