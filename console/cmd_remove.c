/* remove: delete a halted qube and its files (vm.remove). */
#include "cmd.h"

static int
cmd_remove_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = { CMD_COMMON_OPTIONS };
	json_object *result;
	int rc;

	if (cmd_getopt(ctx, argc, argv, "", longopts) != -1)
		return ctx->exit;
	if ((rc = cmd_check_args(ctx, argc, argv, 1, 1, "qube name")) != BH_EXIT_OK)
		return rc;
	if ((rc = cmd_call(ctx, ctx->entry->method, argv[optind], NULL, &result)) != BH_EXIT_OK)
		return rc;
	if (ctx->json)
		cmd_print_json(result);
	json_object_put(result);
	return BH_EXIT_OK;
}

const struct cmd_entry cmd_remove_entry = {
	.name = "remove",
	.alias = "rm",
	.usage = "NAME",
	.summary = "delete a halted qube and its files",
	.help = "Deletes the qube NAME and all its files, private data included "
	    "(vm.remove). domd refuses while the qube is not halted, and while "
	    "another qube uses it as its template or netvm. With --json prints the "
	    "result.",
	.flags = CMD_MODIFIES,
	.method = "vm.remove",
	.exec = cmd_remove_exec,
};
