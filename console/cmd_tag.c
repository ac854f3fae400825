/* tag: a qube's tags, used by the policy's @tag:T (vm.tag). */
#include "cmd.h"

#include <string.h>

static int
cmd_tag_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = { CMD_COMMON_OPTIONS };
	json_object *result, *tags;
	const char *vm, *op;
	int rc = BH_EXIT_OK;

	if (cmd_getopt(ctx, argc, argv, "", longopts) != -1)
		return ctx->exit;
	if (optind + 2 > argc)
		return cmd_usage_error(ctx, optind < argc ? "missing action (add, del or list)" :
		    "missing qube name");
	vm = argv[optind];
	op = argv[optind + 1];
	if (!strcmp(op, "list")) {
		if (optind + 2 != argc)
			return cmd_usage_error(ctx, "list takes no more arguments");
		if ((rc = cmd_call(ctx, "vm.get", vm, NULL, &result)) != BH_EXIT_OK)
			return rc;
		if (json_object_object_get_ex(result, "tags", &tags)) {
			if (ctx->json)
				cmd_print_json(tags);
			else
				for (size_t i = 0; i < json_object_array_length(tags); i++)
					printf("%s\n", json_object_get_string(
					    json_object_array_get_idx(tags, i)));
		}
		json_object_put(result);
		return BH_EXIT_OK;
	}
	if (strcmp(op, "add") && strcmp(op, "del"))
		return cmd_usage_error(ctx, "unknown action '%s' (expected add, del or list)", op);
	if (optind + 3 > argc)
		return cmd_usage_error(ctx, "missing tag");
	for (int i = optind + 2; i < argc; i++) {
		json_object *args = json_object_new_object();
		int r;
		json_object_object_add(args, "op", json_object_new_string(op));
		json_object_object_add(args, "tag", json_object_new_string(argv[i]));
		if ((r = cmd_call(ctx, "vm.tag", vm, args, NULL)) != BH_EXIT_OK)
			rc = r;
	}
	return rc;
}

const struct cmd_entry cmd_tag_entry = {
	.name = "tag",
	.alias = NULL,
	.usage = "VM add|del TAG... | VM list",
	.summary = "add, remove or list a qube's tags",
	.help = "Tags name groups of qubes for the policy (@tag:T). A tag is spelt "
	    "like a qube name; a qube has at most 32.",
	.flags = CMD_MODIFIES,
	.method = "vm.tag",
	.exec = cmd_tag_exec,
};
