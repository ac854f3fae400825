/* kill: stop qubes at once (vm.kill). */
#include "cmd.h"

static int
cmd_kill_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	return cmd_exec_each(ctx, argc, argv, ctx->entry->method);
}

const struct cmd_entry cmd_kill_entry = {
	.name = "kill",
	.alias = NULL,
	.usage = "NAME...",
	.summary = "stop qubes at once",
	.help = "Stops each named qube at once, without asking its init "
	    "(vm.kill). After an error the others are still tried, and the "
	    "exit status is non-zero if any failed. With --json prints, for "
	    "each name, {\"vm\", \"ok\", \"result\" or \"error\"}.",
	.flags = CMD_MODIFIES,
	.method = "vm.kill",
	.exec = cmd_kill_exec,
};
