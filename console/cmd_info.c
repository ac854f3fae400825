/* info: what domd reports about itself (daemon.info). */
#include "cmd.h"

static int
cmd_info_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = { CMD_COMMON_OPTIONS };
	json_object *info, *weak = NULL;
	int rc;

	if (cmd_getopt(ctx, argc, argv, "", longopts) != -1)
		return ctx->exit;
	if ((rc = cmd_check_args(ctx, argc, argv, 0, 0, "")) != BH_EXIT_OK)
		return rc;
	if ((rc = cmd_call(ctx, "daemon.info", NULL, NULL, &info)) != BH_EXIT_OK)
		return rc;
	if (!json_object_is_type(info, json_type_object)) {
		cmd_error(ctx, NULL, "domd sent a daemon.info result that is not an object");
		json_object_put(info);
		return BH_EXIT_FAIL;
	}
	if (ctx->json) {
		cmd_print_json(info);
		json_object_put(info);
		return BH_EXIT_OK;
	}
	json_object_object_foreach(info, key, val) {
		cmd_put_safe(stdout, key);
		fputs(": ", stdout);
		cmd_put_safe(stdout, cmd_value_text(val));
		putchar('\n');
	}
	json_object_object_get_ex(info, "weak_isolation", &weak);
	if (json_object_get_boolean(weak)) {
		fputs("note: the ", stdout);
		cmd_put_safe(stdout, cmd_member_text(info, "backend"));
		fputs(" backend isolates qubes more weakly than Xen: they share the "
		    "host's kernel.\n", stdout);
	}
	json_object_put(info);
	return BH_EXIT_OK;
}

const struct cmd_entry cmd_info_entry = {
	.name = "info",
	.alias = NULL,
	.usage = "[--json]",
	.summary = "show domd's version, backend and paths",
	.help = "Prints what bulkhead-domd reports about itself (daemon.info) as "
	    "'key: value' lines: version, backend, weak_isolation, pid, state_dir, "
	    "run_dir, config_dir, and the numbers of qubes and of running qubes. "
	    "When the backend isolates weakly (ns: qubes are namespaces sharing the "
	    "host's kernel) a note says so. With --json prints the result object.",
	.flags = 0,
	.exec = cmd_info_exec,
};
