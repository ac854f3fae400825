/* Where a qube's output goes when dom0 runs a command in it (vm.run): to
 * our stdout and stderr, or another descriptor, through the terminal filter
 * (termfilter.h) when they are terminals. */
#ifndef BULKHEAD_RUN_OUTPUT_H
#define BULKHEAD_RUN_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>

#include "rpc_relay.h"
#include "termfilter.h"

enum run_filter {
	RUN_FILTER_AUTO, /* filter what goes to a terminal */
	RUN_FILTER_ON,
	RUN_FILTER_OFF,
};

struct run_output {
	struct rpc_relay_out relay; /* what cmd_run_in() hands the relay */
	int fd[3];                  /* [1] stdout, [2] stderr */
	bool filter[3];
	struct termfilter tf[3];
};

/* Both streams to out_fd and err_fd. */
void run_output_fds(struct run_output *o, int out_fd, int err_fd, enum run_filter filter);
/* After the call: what the filters still hold. */
void run_output_end(struct run_output *o);

#endif
