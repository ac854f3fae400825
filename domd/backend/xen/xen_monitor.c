#include "xen_monitor.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "monitor_rec.h"
#include "procstat.h"
#include "proctitle.h"
#include "xen_relay.h"
#include "xen_util.h"

static const char *
shutdown_text(int reason)
{
	switch (reason) {
	case LIBXL_SHUTDOWN_REASON_POWEROFF: return "domain powered off";
	case LIBXL_SHUTDOWN_REASON_REBOOT: return "domain rebooted (reboot is a stop here)";
	case LIBXL_SHUTDOWN_REASON_CRASH: return "domain crashed";
	case LIBXL_SHUTDOWN_REASON_WATCHDOG: return "domain stopped by its watchdog";
	case LIBXL_SHUTDOWN_REASON_SUSPEND: return "domain suspended itself (not supported)";
	default: return "domain shut down";
	}
}

/* One image as a phy disk served by blkback, attached by our script. */
static void
add_disk(libxl_domain_config *dc, const struct xen_launch *l, const char *vdev,
    const char *img, bool writable)
{
	libxl_device_disk *d;

	dc->disks = realloc(dc->disks, sizeof(*dc->disks) * (dc->num_disks + 1));
	if (dc->disks == NULL)
		launch_fail(3, "out of memory");
	d = &dc->disks[dc->num_disks++];
	libxl_device_disk_init(d);
	d->pdev_path = strdup(img);
	d->vdev = strdup(vdev);
	d->backend = LIBXL_DISK_BACKEND_PHY;
	d->format = LIBXL_DISK_FORMAT_RAW;
	d->script = strdup(l->block_script);
	d->readwrite = writable;
}

static void
fill_config(libxl_ctx *ctx, const struct xen_launch *l, libxl_domain_config *dc)
{
	libxl_domain_build_info *b = &dc->b_info;
	libxl_domain_type type = l->pvh ? LIBXL_DOMAIN_TYPE_PVH : LIBXL_DOMAIN_TYPE_PV;

	libxl_domain_config_init(dc);
	dc->c_info.type = type;
	dc->c_info.name = strdup(l->name);
	if (libxl_uuid_from_string(&dc->c_info.uuid, l->uuid) != 0)
		launch_fail(3, "qube %s has an invalid uuid '%s'", l->name, l->uuid);
	libxl_domain_build_info_init_type(b, type);
	b->max_memkb = b->target_memkb = (uint64_t)l->memory_mib * 1024;
	b->max_vcpus = l->vcpus;
	if (libxl_cpu_bitmap_alloc(ctx, &b->avail_vcpus, l->vcpus) != 0)
		launch_fail(3, "cannot allocate a vcpu map for %d vcpus", l->vcpus);
	for (int i = 0; i < l->vcpus; i++)
		libxl_bitmap_set(&b->avail_vcpus, i);
	b->kernel = strdup(l->kernel);
	b->ramdisk = strdup(l->ramdisk);
	b->cmdline = strdup(l->cmdline);
	add_disk(dc, l, "xvda", l->disks.root_img, l->disks.root_writable);
	add_disk(dc, l, "xvdb", l->disks.private_img, l->disks.private_writable);
	add_disk(dc, l, "xvdc", l->disks.volatile_img, true);
	/* The monitor decides what an end means: every end destroys. */
	dc->on_poweroff = dc->on_reboot = dc->on_watchdog = dc->on_crash =
	    LIBXL_ACTION_ON_SHUTDOWN_DESTROY;
}

/* Waits for the domain's end; returns why, after destroying what is left. */
static const char *
wait_end(libxl_ctx *ctx, uint32_t domid)
{
	libxl_evgen_domain_death *dw = NULL;
	const char *why = "domain gone";
	libxl_event *ev;

	if (libxl_evenable_domain_death(ctx, domid, 0, &dw) != 0)
		return "cannot watch the domain (libxl); stopped watching";
	for (;;) {
		if (libxl_event_wait(ctx, &ev, LIBXL_EVENTMASK_ALL, NULL, NULL) != 0)
			return "lost libxl events; stopped watching";
		if (ev->domid != domid) {
			libxl_event_free(ctx, ev);
			continue;
		}
		if (ev->type == LIBXL_EVENT_TYPE_DOMAIN_SHUTDOWN) {
			why = shutdown_text(ev->u.domain_shutdown.shutdown_reason);
			libxl_event_free(ctx, ev);
			libxl_domain_destroy(ctx, domid, NULL);
			break;
		}
		if (ev->type == LIBXL_EVENT_TYPE_DOMAIN_DEATH) {
			why = "domain destroyed";
			libxl_event_free(ctx, ev);
			break;
		}
		libxl_event_free(ctx, ev);
	}
	libxl_evdisable_domain_death(ctx, dw);
	return why;
}

/* xenconsoled appends the guest's console to DIR/guest-NAME.log: a link
 * there sends it to the qube's own log, next to the monitor's messages. */
static void
link_console(const struct xen_launch *l)
{
	char link[4200], *target;

	if (l->console_dir == NULL || (target = realpath(l->log_path, NULL)) == NULL)
		return;
	snprintf(link, sizeof(link), "%s/guest-%s.log", l->console_dir, l->name);
	unlink(link);
	if (symlink(target, link) < 0)
		fprintf(stderr, "bulkhead-monitor: cannot link %s: %s (the guest's console "
		    "is not in this log)\n", link, strerror(errno));
	free(target);
}

static void __attribute__((noreturn))
monitor(const struct xen_launch *l)
{
	char rec[512], msg[64], err[256];
	xentoollog_logger *lg;
	libxl_domain_config dc;
	libxl_ctx *ctx;
	uint32_t domid = 0;
	sigset_t none;
	int logfd;

	setsid();
	/* domd blocks the signals it reads through signalfd; libxl needs
	 * SIGCHLD for the helpers it may run. */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* Not to be mistaken for domd (pkill bulkhead-domd must spare it). */
	proctitle_set("bulkhead-monitor %s", l->name);
	logfd = open(l->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	if (logfd < 0)
		launch_fail(l->ready_wfd, "open %s: %s", l->log_path, strerror(errno));
	dup2(logfd, 1);
	dup2(logfd, 2);
	if (l->ready_wfd != 3)
		dup2(l->ready_wfd, 3);
	close_range(4, ~0U, 0);

	link_console(l);
	/* What a crashed earlier run left, then this run's disks. */
	xen_disks_clean(l->disks.qube_dir);
	if (xen_disks_prepare(&l->disks, err, sizeof(err)) < 0)
		launch_fail(3, "%s", err);
	if ((ctx = xen_ctx_open(&lg, err, sizeof(err))) == NULL)
		launch_fail(3, "%s", err);
	fill_config(ctx, l, &dc);
	/* Synchronous: the monitor, not domd, waits the seconds it takes. */
	if (libxl_domain_create_new(ctx, &dc, &domid, NULL, NULL) != 0) {
		xen_disks_clean(l->disks.qube_dir);
		launch_fail(3, "libxl could not create the domain (see the qube's log)");
	}
	libxl_domain_config_dispose(&dc);
	snprintf(rec, sizeof(rec), "monitor_pid=%d\nmonitor_start=%llu\ndomid=%u\n"
	    "started_at=%lld\n", (int)getpid(), proc_starttime(getpid()), domid,
	    (long long)time(NULL));
	write_record(l->run_path, rec);
	if (libxl_domain_unpause(ctx, domid, NULL) != 0) {
		libxl_domain_destroy(ctx, domid, NULL);
		launch_fail(3, "libxl could not unpause domain %u", domid);
	}
	fprintf(stderr, "bulkhead-monitor: %s is Xen domain %u\n", l->name, domid);
	/* The domain runs; its agent is ready when it says HELLO to domd
	 * through the relay, as on ns. */
	snprintf(msg, sizeof(msg), "P%d\nR", (int)getpid());
	if (write(3, msg, strlen(msg)) < 0) {
		/* domd went away; the record lets the next one adopt it */
	}
	close(3);
	/* Kept open until the monitor exits: that ends the relay. */
	if (xen_relay_start(&(struct xen_relay_conf){ (int)domid, l->name, l->ctl_sock,
	    l->relay_root, l->relay_uid }) < 0)
		fprintf(stderr, "bulkhead-monitor: cannot start the control relay: %s "
		    "(the agent cannot reach domd)\n", strerror(errno));

	snprintf(rec, sizeof(rec), "%s\n", wait_end(ctx, domid));
	/* The volatile disk, and with it the root's changes, go with the domain. */
	xen_disks_clean(l->disks.qube_dir);
	write_record(l->exit_path, rec);
	xen_ctx_close(ctx, lg);
	_exit(0);
}

pid_t
xen_launch_monitor(const struct xen_launch *l)
{
	pid_t pid = fork();

	if (pid == 0)
		monitor(l);
	return pid;
}
