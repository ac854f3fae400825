/* shutdown: ask qubes' init to stop (vm.shutdown). */
#include "cmd.h"

enum { OPT_WAIT = 1, OPT_TIMEOUT };

json_object *
cmd_shutdown_args(int wait, int64_t timeout)
{
	json_object *args = json_object_new_object();

	json_object_object_add(args, "wait", json_object_new_boolean(wait));
	if (timeout >= 0) /* else domd's default, 30 s */
		json_object_object_add(args, "timeout", json_object_new_int64(timeout));
	return args;
}

static int
cmd_shutdown_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "wait", no_argument, NULL, OPT_WAIT },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		CMD_COMMON_OPTIONS
	};
	json_object *args;
	int64_t timeout = -1;
	int c, rc, wait = 0;

	while ((c = cmd_getopt(ctx, argc, argv, "", longopts)) != -1) {
		switch (c) {
		case OPT_WAIT:
			wait = 1;
			break;
		case OPT_TIMEOUT:
			if ((rc = cmd_parse_timeout(ctx, optarg, &timeout)) != BH_EXIT_OK)
				return rc;
			break;
		default:
			return ctx->exit;
		}
	}
	if ((rc = cmd_check_args(ctx, argc, argv, 1, -1, "qube name")) != BH_EXIT_OK)
		return rc;

	args = cmd_shutdown_args(wait, timeout);
	/* Pipelined, so that waiting for several qubes overlaps. */
	rc = cmd_each_vm(ctx, ctx->entry->method, argv + optind, argc - optind, args, 1);
	json_object_put(args);
	return rc;
}

const struct cmd_entry cmd_shutdown_entry = {
	.name = "shutdown",
	.alias = NULL,
	.usage = "NAME... [--wait] [--timeout SECONDS]",
	.summary = "ask qubes to shut down",
	.help = "Asks the init of each named qube to stop (vm.shutdown); a qube "
	    "that has not halted after --timeout seconds (domd's default: 30) is "
	    "killed. Without --wait returns at once; with --wait returns once "
	    "every qube has halted. All requests are sent before the first reply "
	    "is awaited. After an error the others are still tried, and the exit "
	    "status is non-zero if any failed. With --json prints, for each name, "
	    "{\"vm\", \"ok\", \"result\" or \"error\"}.",
	.flags = CMD_MODIFIES,
	.method = "vm.shutdown",
	.exec = cmd_shutdown_exec,
};
