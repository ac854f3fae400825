/* Where a qube's output goes when dom0 runs a command in it (vm.run): to
 * our stdout and stderr, through the terminal filter (termfilter.h) when
 * they are terminals; or, for the commands that read what a qube answers,
 * its stdout into a buffer of bounded size. */
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
	int fd[3];                  /* [1] stdout, [2] stderr; fd[1] -1: captured */
	bool filter[3];
	struct termfilter tf[3];
	char *buf;                  /* the captured stdout, NUL-terminated */
	size_t len, max;
	bool overflow;              /* the qube sent more than max */
};

/* Both streams to out_fd and err_fd. */
void run_output_fds(struct run_output *o, int out_fd, int err_fd, enum run_filter filter);
/* stdout into o->buf, at most max bytes (more ends the call); stderr to ours. */
void run_output_capture(struct run_output *o, size_t max);
/* After the call: what the filters still hold. */
void run_output_end(struct run_output *o);
void run_output_free(struct run_output *o);

#endif
