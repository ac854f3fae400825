/* Starting a qube on the xen backend: a monitor process (outliving domd,
 * like the ns backend's) creates the domain through libxl, reports on the
 * launch pipe, and waits for the domain's end to record why. */
#ifndef BULKHEAD_DOMD_XEN_MONITOR_H
#define BULKHEAD_DOMD_XEN_MONITOR_H

#include <stdbool.h>
#include <sys/types.h>

#include "xen_disks.h"

struct xen_launch {
	const char *name;
	const char *uuid;       /* the qube's: the domain gets it, adopt finds it */
	long memory_mib;
	int vcpus;
	bool pvh;               /* PVH, else PV */
	const char *kernel, *ramdisk, *cmdline;
	struct xen_disks disks;
	const char *block_script; /* libxl's hotplug script for them */
	const char *log_path;   /* the monitor's and libxl's messages */
	const char *console_dir; /* xenconsoled's --log-dir, or NULL */
	const char *run_path;   /* runtime record */
	const char *exit_path;  /* why the domain ended */
	const char *ctl_sock;   /* domd's control socket for the qube */
	const char *relay_root; /* the relay's confinement (xen_relay.h) */
	uid_t relay_uid;
	int ready_wfd;          /* launch pipe, write end */
};

/* Forks the monitor; its pid or -1. Never returns in the child. */
pid_t xen_launch_monitor(const struct xen_launch *l);

#endif
