/* unpause: thaw paused qubes (vm.unpause). */
#include "cmd.h"

static int
cmd_unpause_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	return cmd_exec_each(ctx, argc, argv, ctx->entry->method);
}

const struct cmd_entry cmd_unpause_entry = {
	.name = "unpause",
	.alias = NULL,
	.usage = "NAME...",
	.summary = "thaw paused qubes",
	.help = "Thaws every process of each named paused qube (vm.unpause). "
	    "After an error the others are still tried, and the exit status "
	    "is non-zero if any failed. With --json prints, for each name, "
	    "{\"vm\", \"ok\", \"result\" or \"error\"}.",
	.flags = CMD_MODIFIES,
	.method = "vm.unpause",
	.exec = cmd_unpause_exec,
};
