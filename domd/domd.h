/* domd-wide state and the pieces the modules share. */
#ifndef BULKHEAD_DOMD_H
#define BULKHEAD_DOMD_H

#include <stdbool.h>
#include <stdint.h>

#include "backend.h"
#include "peerlimits.h"
#include "vm.h"
#include "loop.h"

struct domd_paths {
	const char *config_dir;
	const char *state_dir;
	const char *run_dir;
	char qubes_dir[1024];   /* STATE/qubes */
	char rt_dir[1024];      /* RUN/qubes */
	char socket_path[1024]; /* RUN/admin.sock */
	char cgroup_parent[64]; /* name of domd's cgroup subtree */
};

struct domd {
	struct domd_paths paths;
	const struct backend_ops *backend;
	struct vm *vms;
	bool quit;
	int start_timeout;    /* seconds for init to signal ready */
	int ask_timeout;      /* seconds an ask waits for the operator */
	struct domd_limits limits; /* what one peer may hold (peerlimits.h) */
};

extern struct domd domd;

#endif
