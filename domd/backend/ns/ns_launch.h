/* Launching a qube on the ns backend: a monitor process (outliving domd)
 * that owns the qube's init, and the namespace setup before init runs. */
#ifndef BULKHEAD_DOMD_NS_LAUNCH_H
#define BULKHEAD_DOMD_NS_LAUNCH_H

#include <sys/types.h>

#include "backend.h"
#include "ns_cgroup.h"

struct launch {
	const char *name;
	const struct start_spec *spec;
	const char *stage_dir; /* empty dir for the volatile tmpfs */
	const char *run_path;  /* runtime record written by the monitor */
	const char *exit_path; /* exit record written by the monitor */
	long memory_mib;
	struct cg_limits lim;  /* its cgroup, made by the monitor */
	int ready_wfd;         /* launch pipe, write end: the monitor's and the
	                        * launcher's, closed when the guest runs */
	int guest_ready_wfd;   /* the agent's ready pipe, write end (-1: none) */
	int private_mnt;       /* set by the monitor: the private volume's mount */
};

/* Forks the monitor; returns its pid or -1. Never returns in the child. */
pid_t launch_monitor(const struct launch *l);

#endif
