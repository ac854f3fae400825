/* restart: shut qubes down and start them again, e.g. the outdated ones
 * after a template changed (Qubes' "restart to update"). */
#include "cmd.h"

#include <stdbool.h>
#include <string.h>

enum { OPT_OUTDATED = 1, OPT_TIMEOUT };

static json_object *
find_qube(json_object *list, const char *name)
{
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		json_object *vm = json_object_array_get_idx(list, i);
		if (strcmp(cmd_member_text(vm, "name"), name) == 0)
			return vm;
	}
	return NULL;
}

/* Running from an older root than its template's, and not a DispVM (which
 * ends with its one use). */
static bool
restartable_outdated(json_object *vm)
{
	return strcmp(cmd_member_text(vm, "outdated"), "true") == 0 &&
	    strcmp(cmd_member_text(vm, "class"), "dispvm") != 0;
}

/* One qube: shut down and waited for unless halted, then started. */
static int
restart_one(struct cmd_ctx *ctx, json_object *vm, int64_t timeout)
{
	const char *name = cmd_member_text(vm, "name");
	int rc;

	if (strcmp(cmd_member_text(vm, "state"), "halted") != 0 &&
	    (rc = cmd_call(ctx, "vm.shutdown", name, cmd_shutdown_args(1, timeout), NULL)) !=
	    BH_EXIT_OK)
		return rc;
	return cmd_call(ctx, "vm.start", name, NULL, NULL);
}

static int
cmd_restart_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "outdated", no_argument, NULL, OPT_OUTDATED },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		CMD_COMMON_OPTIONS
	};
	json_object *list, *vm, *out = NULL, *picked = json_object_new_array();
	int64_t timeout = -1;
	int c, rc, outdated = 0;

	while ((c = cmd_getopt(ctx, argc, argv, "", longopts)) != -1) {
		switch (c) {
		case OPT_OUTDATED:
			outdated = 1;
			break;
		case OPT_TIMEOUT:
			if ((rc = cmd_parse_timeout(ctx, optarg, &timeout)) != BH_EXIT_OK)
				goto done_picked;
			break;
		default:
			rc = ctx->exit;
			goto done_picked;
		}
	}
	if (outdated && optind < argc) {
		rc = cmd_usage_error(ctx, "give qube names or --outdated, not both");
		goto done_picked;
	}
	if (!outdated && (rc = cmd_check_args(ctx, argc, argv, 1, -1, "qube name")) !=
	    BH_EXIT_OK)
		goto done_picked;
	if ((rc = cmd_call(ctx, "vm.list", NULL, NULL, &list)) != BH_EXIT_OK)
		goto done_picked;
	if (!json_object_is_type(list, json_type_array)) {
		cmd_error(ctx, NULL, "domd sent a vm.list result that is not an array");
		rc = BH_EXIT_FAIL;
		goto done;
	}
	if (outdated) {
		for (size_t i = 0; i < json_object_array_length(list); i++)
			if (restartable_outdated(vm = json_object_array_get_idx(list, i)))
				json_object_array_add(picked, json_object_get(vm));
	} else {
		for (int i = optind; i < argc; i++) {
			if ((vm = find_qube(list, argv[i])) == NULL) {
				cmd_error(ctx, argv[i], "no qube named '%s'", argv[i]);
				rc = BH_EXIT_FAIL;
				goto done;
			}
			json_object_array_add(picked, json_object_get(vm));
		}
	}
	if (ctx->json)
		out = json_object_new_array();
	else if (outdated && json_object_array_length(picked) == 0)
		printf("no running qube is outdated\n");
	for (size_t i = 0; i < json_object_array_length(picked); i++) {
		int one = restart_one(ctx, vm = json_object_array_get_idx(picked, i), timeout);
		json_object *o = json_object_new_object();

		if (one > rc)
			rc = one;
		if (out == NULL) {
			if (one == BH_EXIT_OK)
				printf("%s: restarted\n", cmd_member_text(vm, "name"));
			json_object_put(o);
			continue;
		}
		json_object_object_add(o, "vm", json_object_new_string(cmd_member_text(vm, "name")));
		json_object_object_add(o, "ok", json_object_new_boolean(one == BH_EXIT_OK));
		json_object_array_add(out, o);
	}
	if (out != NULL) {
		cmd_print_json(out);
		json_object_put(out);
	}
done:
	json_object_put(list);
done_picked:
	json_object_put(picked);
	return rc;
}

const struct cmd_entry cmd_restart_entry = {
	.name = "restart",
	.alias = NULL,
	.usage = "NAME... | --outdated [--timeout SECONDS]",
	.summary = "shut qubes down and start them again",
	.help = "Shuts each named qube down, waits until it has halted (a qube "
	    "that has not halted after --timeout seconds, domd's default 30, is "
	    "killed) and starts it again; a halted qube is just started. With "
	    "--outdated restarts every running qube whose template has changed "
	    "since it started (`ls` marks them), so that it gets the new root; "
	    "DispVMs are left to end on their own. The qubes are restarted one "
	    "after the other; after an error the others are still tried, and "
	    "the exit status is non-zero if any failed. With --json prints "
	    "[{\"vm\", \"ok\"}].",
	.flags = CMD_MODIFIES,
	.exec = cmd_restart_exec,
};
