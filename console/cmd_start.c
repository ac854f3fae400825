/* start: start halted qubes (vm.start). */
#include "cmd.h"

static int
cmd_start_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	return cmd_exec_each(ctx, argc, argv, ctx->entry->method);
}

const struct cmd_entry cmd_start_entry = {
	.name = "start",
	.alias = NULL,
	.usage = "NAME...",
	.summary = "start halted qubes",
	.help = "Starts each named qube (vm.start) and returns once its init has "
	    "signalled that it is ready, or has failed. A halted netvm of the "
	    "qube is started first. The qubes are started one after the "
	    "other; after an error the others are still tried, and the exit "
	    "status is non-zero if any failed. With --json prints, for each "
	    "name, {\"vm\", \"ok\", \"result\" or \"error\"}.",
	.flags = CMD_MODIFIES,
	.method = "vm.start",
	.exec = cmd_start_exec,
};
