/* pause: freeze every process of qubes (vm.pause). */
#include "cmd.h"

static int
cmd_pause_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	return cmd_exec_each(ctx, argc, argv, ctx->entry->method);
}

const struct cmd_entry cmd_pause_entry = {
	.name = "pause",
	.alias = NULL,
	.usage = "NAME...",
	.summary = "freeze every process of qubes",
	.help = "Freezes every process of each named qube (vm.pause); unpause "
	    "thaws them. After an error the others are still tried, and the "
	    "exit status is non-zero if any failed. With --json prints, for "
	    "each name, {\"vm\", \"ok\", \"result\" or \"error\"}.",
	.flags = CMD_MODIFIES,
	.method = "vm.pause",
	.exec = cmd_pause_exec,
};
