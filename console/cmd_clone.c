/* clone: a copy of a halted qube under a new name (vm.clone). */
#include "cmd.h"

json_object *
cmd_clone_args(const char *target)
{
	json_object *args = json_object_new_object();

	json_object_object_add(args, "target", json_object_new_string(target));
	return args;
}

static int
cmd_clone_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = { CMD_COMMON_OPTIONS };
	json_object *args, *result;
	int rc;

	if (cmd_getopt(ctx, argc, argv, "", longopts) != -1)
		return ctx->exit;
	if ((rc = cmd_check_args(ctx, argc, argv, 2, 2,
	    optind < argc ? "target name" : "source qube name")) != BH_EXIT_OK)
		return rc;
	args = cmd_clone_args(argv[optind + 1]);
	if ((rc = cmd_call(ctx, ctx->entry->method, argv[optind], args, &result)) != BH_EXIT_OK)
		return rc;
	if (ctx->json)
		cmd_print_json(result);
	json_object_put(result);
	return BH_EXIT_OK;
}

const struct cmd_entry cmd_clone_entry = {
	.name = "clone",
	.alias = NULL,
	.usage = "SRC DST",
	.summary = "copy a halted qube under a new name",
	.help = "Creates the qube DST as a copy of the halted qube SRC (vm.clone): "
	    "the same properties with a new uuid, a copy of the private volume "
	    "and, for a template or standalone qube, of its root. With --json "
	    "prints the new qube object.",
	.flags = CMD_MODIFIES,
	.method = "vm.clone",
	.exec = cmd_clone_exec,
};
