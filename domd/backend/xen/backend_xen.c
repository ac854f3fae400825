/* The xen backend: a qube is a PVH or PV domain created through libxl by a
 * monitor process (xen_monitor.c) that outlives domd and records the
 * domain's end. The domain carries the qube's uuid, which is how a new domd
 * adopts it. Its disks are images in the store (xen_disks.h). What is not
 * done yet is refused with a clear error: networks. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backend.h"
#include "confine.h"
#include "domd.h"
#include "log.h"
#include "monitor_rec.h"
#include "procstat.h"
#include "readfile.h"
#include "store.h"
#include "xen_monitor.h"
#include "xen_util.h"
#include "xalloc.h"


/* domd.conf's xen_kernel, xen_ramdisk (every qube's, for now),
 * xen_console_dir (xenconsoled's --log-dir; "" for none) and
 * xen_block_script (libxl's hotplug script for the qubes' images); the
 * defaults are where the appliance image puts them. */
static struct {
	const char *kernel, *ramdisk, *console_dir, *block_script;
} conf = {
	"/usr/share/bulkhead/guest/vmlinux", "/usr/share/bulkhead/guest/initrd.gz",
	"/var/log/xen/console", "/usr/lib/bulkhead/bulkhead-xen-block",
};

static void
xen_configure(const struct domd_conf *c)
{
	static const char *const keys[] = { "xen_kernel", "xen_ramdisk", "xen_console_dir",
		"xen_block_script" };
	const char **vals[] = { &conf.kernel, &conf.ramdisk, &conf.console_dir,
		&conf.block_script };
	const char *s;

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (conf_string(c, keys[i], &s))
			*vals[i] = xstrdup(s); /* kept as long as domd runs */
}

static int
xen_init(const struct domd_paths *paths, char *err, size_t errlen)
{
	xentoollog_logger *lg;
	libxl_ctx *ctx;

	if (access("/proc/xen/capabilities", R_OK) < 0) {
		snprintf(err, errlen, "the xen backend needs a Xen dom0 (/proc/xen/capabilities "
		    "not readable); use --backend ns");
		return -1;
	}
	if ((ctx = xen_ctx_open(&lg, err, errlen)) == NULL)
		return -1;
	xen_ctx_close(ctx, lg);
	if (access(conf.kernel, R_OK) < 0 || access(conf.ramdisk, R_OK) < 0) {
		snprintf(err, errlen, "guest kernel %s or initramfs %s not readable "
		    "(xen_kernel, xen_ramdisk in domd.conf)", conf.kernel, conf.ramdisk);
		return -1;
	}
	if (access(conf.block_script, X_OK) < 0) {
		snprintf(err, errlen, "disk hotplug script %s not executable (xen_block_script "
		    "in domd.conf)", conf.block_script);
		return -1;
	}
	return xen_disks_check_tools(err, errlen);
}

/* Paths of the qube's images; the strings live in paths[]. The root image
 * is the one domd chose (rootgen.h): a template writes a copy of its own,
 * never the image its qubes read. */
static void
fill_disks(const struct vm *vm, const struct start_spec *spec, struct xen_disks *d,
    char paths[6][4200])
{
	const char *priv_owner = vm->q.cls == QUBE_DISP ? vm->q.template_name : vm->q.name;

	snprintf(paths[0], 4200, "%s", spec->root);
	snprintf(paths[1], 4200, "%s", spec->root_tree);
	snprintf(paths[2], 4200, "%s/" PRIVATE_IMAGE, vm_dir(priv_owner));
	snprintf(paths[3], 4200, "%s", vm_private_dir(priv_owner));
	snprintf(paths[4], 4200, "%s/" VOLATILE_IMAGE, vm_dir(vm->q.name));
	snprintf(paths[5], 4200, "%s", vm_dir(vm->q.name));
	d->root_img = paths[0];
	d->root_tree = paths[1];
	d->root_writable = spec->root_writable;
	d->private_img = paths[2];
	d->private_tree = paths[3];
	d->private_mib = vm->q.private_size;
	d->private_writable = vm->q.cls != QUBE_DISP;
	d->volatile_img = paths[4];
	d->qube_dir = paths[5];
}

static int
xen_start(struct vm *vm, const struct start_spec *spec, char *err, size_t errlen)
{
	struct xen_launch l = { 0 };
	char run[4200], ex[4200], sock[4200], disk_paths[6][4200], relay_root[4200];
	int p[2];
	pid_t mon;

	/* Refused rather than half done: a qube whose network would silently
	 * be missing must not look started. */
	if (vm->q.netvm[0] != '\0' || vm->q.provides_network) {
		snprintf(err, errlen, "qube %s: networks are not supported on the xen backend "
		    "yet (set netvm to \"\" and provides_network to 0)", vm->q.name);
		return -1;
	}
	if (confine_empty_root(domd.paths.run_dir, relay_root, sizeof(relay_root), err, errlen) < 0)
		return -1;
	snprintf(run, sizeof(run), "%s", rt_path(vm->q.name, "run"));
	snprintf(ex, sizeof(ex), "%s", rt_path(vm->q.name, "exit"));
	unlink(run);
	unlink(ex);
	if (pipe2(p, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return -1;
	}
	l.name = vm->q.name;
	l.uuid = vm->q.uuid;
	l.memory_mib = vm->q.memory;
	l.vcpus = vm->q.vcpus;
	l.pvh = vm->q.virt_mode == VIRT_PVH;
	l.kernel = conf.kernel;
	l.ramdisk = conf.ramdisk;
	/* The initramfs mounts the disks and switches to the root image. */
	l.cmdline = "console=hvc0 quiet bulkhead.disks=1";
	fill_disks(vm, spec, &l.disks, disk_paths);
	l.block_script = conf.block_script;
	l.log_path = spec->log_path;
	l.console_dir = conf.console_dir[0] ? conf.console_dir : NULL;
	l.run_path = run;
	l.exit_path = ex;
	snprintf(sock, sizeof(sock), "%s/control.sock", spec->ctl_dir);
	l.ctl_sock = sock;
	l.relay_root = relay_root;
	l.relay_uid = confine_relay_uid(vm->q.uid_base);
	l.ready_wfd = p[1];
	mon = xen_launch_monitor(&l);
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

/* Runs op on the qube's domain, found by uuid; -1 with errno ESRCH when it
 * has none. */
static int
with_domain(struct vm *vm, int (*op)(libxl_ctx *, uint32_t, void *), void *arg)
{
	char err[256];
	xentoollog_logger *lg;
	libxl_ctx *ctx;
	uint32_t domid;
	int r;

	if ((ctx = xen_ctx_open(&lg, err, sizeof(err))) == NULL) {
		log_warnx("%s: %s", vm->q.name, err);
		errno = EIO;
		return -1;
	}
	if (xen_find_domain(ctx, vm->q.uuid, &domid, NULL) < 0) {
		xen_ctx_close(ctx, lg);
		errno = ESRCH;
		return -1;
	}
	r = op(ctx, domid, arg);
	xen_ctx_close(ctx, lg);
	if (r != 0) {
		errno = EIO;
		return -1;
	}
	return 0;
}

static int
op_shutdown(libxl_ctx *ctx, uint32_t domid, void *arg)
{
	/* A paused domain cannot act on the request: unpause it first. */
	libxl_domain_unpause(ctx, domid, NULL);
	return libxl_domain_shutdown(ctx, domid, NULL);
}

static int
op_destroy(libxl_ctx *ctx, uint32_t domid, void *arg)
{
	return libxl_domain_destroy(ctx, domid, NULL);
}

static int
op_pause(libxl_ctx *ctx, uint32_t domid, void *arg)
{
	return libxl_domain_pause(ctx, domid, NULL);
}

static int
op_unpause(libxl_ctx *ctx, uint32_t domid, void *arg)
{
	return libxl_domain_unpause(ctx, domid, NULL);
}

static int
op_stats(libxl_ctx *ctx, uint32_t domid, void *arg)
{
	struct vm_stats *st = arg;
	libxl_dominfo info;

	libxl_dominfo_init(&info);
	if (libxl_domain_info(ctx, &info, domid) != 0)
		return -1;
	st->memory_bytes = info.current_memkb * 1024;
	st->memory_limit_bytes = info.max_memkb * 1024;
	st->cpu_ns = info.cpu_time;
	st->pids = 0; /* inside the guest: not visible from dom0 */
	libxl_dominfo_dispose(&info);
	return 0;
}

static int
xen_shutdown(struct vm *vm)
{
	return with_domain(vm, op_shutdown, NULL);
}

/* Destroying waits for the backends to let go and runs the disks' hotplug
 * scripts, which libxl reaps with a SIGCHLD handler of its own, while domd
 * takes SIGCHLD through a signalfd: a child with no signals blocked does
 * it, off domd's loop. Its pid, or -1. */
static pid_t
destroy_in_child(struct vm *vm)
{
	sigset_t none;
	pid_t pid = fork();

	if (pid != 0)
		return pid;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	_exit(with_domain(vm, op_destroy, NULL) == 0 ? 0 : 1);
}

/* The monitor sees the death and tells domd as for any other end. */
static int
xen_kill(struct vm *vm)
{
	return destroy_in_child(vm) < 0 ? -1 : 0;
}

static int
xen_pause(struct vm *vm, char *err, size_t errlen)
{
	if (with_domain(vm, op_pause, NULL) < 0) {
		snprintf(err, errlen, "cannot pause domain of %s: %s", vm->q.name, strerror(errno));
		return -1;
	}
	return 0;
}

static int
xen_unpause(struct vm *vm, char *err, size_t errlen)
{
	if (with_domain(vm, op_unpause, NULL) < 0) {
		snprintf(err, errlen, "cannot unpause domain of %s: %s", vm->q.name,
		    strerror(errno));
		return -1;
	}
	return 0;
}

static int
xen_stats(struct vm *vm, struct vm_stats *st)
{
	memset(st, 0, sizeof(*st));
	return with_domain(vm, op_stats, st);
}

static void
collect_exit(struct vm *vm, char *reason, size_t reasonlen)
{
	char rec[256];
	int status = -1;
	pid_t pid;

	if (read_text_file(rt_path(vm->q.name, "exit"), rec, sizeof(rec)) == 0) {
		rec[strcspn(rec, "\n")] = '\0';
		snprintf(reason, reasonlen, "%s", rec);
	} else if ((pid = destroy_in_child(vm)) > 0 && waitpid(pid, &status, 0) == pid &&
	    WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		/* Nobody would record this domain's end: do not leave a ghost. */
		snprintf(reason, reasonlen, "its monitor died; domain destroyed");
	} else
		snprintf(reason, reasonlen, "its monitor exited without a record");
	unlink(rt_path(vm->q.name, "run"));
	unlink(rt_path(vm->q.name, "exit"));
	/* A monitor that died leaves the disks behind: they go now. */
	xen_disks_clean(vm_dir(vm->q.name));
}

/* A domain with the qube's uuid and its monitor (checked by start time
 * against pid reuse) are both still there: take them back. */
static int
xen_adopt(struct vm *vm, bool *paused, char *reason, size_t reasonlen)
{
	char rec[512], err[256];
	long long mon, mon_start, started;
	xentoollog_logger *lg;
	libxl_dominfo info;
	libxl_ctx *ctx;
	uint32_t domid;
	int fd, found;

	reason[0] = '\0';
	if (read_text_file(rt_path(vm->q.name, "run"), rec, sizeof(rec)) < 0)
		return 0;
	mon = record_value(rec, "monitor_pid");
	mon_start = record_value(rec, "monitor_start");
	started = record_value(rec, "started_at");
	if ((ctx = xen_ctx_open(&lg, err, sizeof(err))) == NULL) {
		snprintf(reason, reasonlen, "%s", err);
		return 0;
	}
	found = xen_find_domain(ctx, vm->q.uuid, &domid, &info) == 0;
	xen_ctx_close(ctx, lg);
	if (!found || mon <= 0 ||
	    proc_starttime((pid_t)mon) != (unsigned long long)mon_start ||
	    (fd = pidfd_open_pid((pid_t)mon)) < 0) {
		collect_exit(vm, reason, reasonlen);
		return 0;
	}
	vm->rt.monitor_pid = (pid_t)mon;
	vm->rt.init_pid = (pid_t)mon;
	vm->rt.init_start = (unsigned long long)mon_start;
	vm->rt.pidfd = fd;
	vm->rt.ready_fd = -1;
	vm->rt.started_at = started;
	*paused = info.paused;
	return 1;
}

static void
xen_reap(struct vm *vm, char *reason, size_t reasonlen)
{
	collect_exit(vm, reason, reasonlen);
}

const struct backend_ops backend_xen = {
	.name = "xen",
	.weak_isolation = false,
	.root_is_image = true,
	.configure = xen_configure,
	.init = xen_init,
	.start = xen_start,
	.shutdown = xen_shutdown,
	.kill = xen_kill,
	.pause = xen_pause,
	.unpause = xen_unpause,
	.stats = xen_stats,
	.adopt = xen_adopt,
	.reap = xen_reap,
};
