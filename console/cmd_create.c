/* create: a new qube (vm.create). */
#include "cmd.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum { OPT_CLASS = 1, OPT_LABEL, OPT_TEMPLATE, OPT_NETVM, OPT_MEMORY, OPT_VCPUS,
	OPT_AUTOSTART, OPT_PROVIDES_NETWORK };

void
cmd_create_arg(json_object *args, const char *prop, const char *value)
{
	json_object *v = NULL;
	long long n;
	char *end;

	if (strcmp(prop, "memory") == 0 || strcmp(prop, "vcpus") == 0) {
		errno = 0;
		n = strtoll(value, &end, 10);
		if (*value != '\0' && *end == '\0' && errno == 0)
			v = json_object_new_int64(n);
	} else if (strcmp(prop, "autostart") == 0 || strcmp(prop, "provides_network") == 0) {
		if (strcmp(value, "1") == 0 || strcmp(value, "true") == 0 ||
		    strcmp(value, "yes") == 0)
			v = json_object_new_boolean(1);
		else if (strcmp(value, "0") == 0 || strcmp(value, "false") == 0 ||
		    strcmp(value, "no") == 0)
			v = json_object_new_boolean(0);
	}
	if (v == NULL)
		v = json_object_new_string(value);
	json_object_object_add(args, prop, v);
}

static int
cmd_create_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "class", required_argument, NULL, OPT_CLASS },
		{ "label", required_argument, NULL, OPT_LABEL },
		{ "template", required_argument, NULL, OPT_TEMPLATE },
		{ "netvm", required_argument, NULL, OPT_NETVM },
		{ "memory", required_argument, NULL, OPT_MEMORY },
		{ "vcpus", required_argument, NULL, OPT_VCPUS },
		{ "autostart", no_argument, NULL, OPT_AUTOSTART },
		{ "provides-network", no_argument, NULL, OPT_PROVIDES_NETWORK },
		CMD_COMMON_OPTIONS
	};
	json_object *args, *result;
	const char *label = NULL;
	int64_t n;
	int c, rc;

	args = json_object_new_object();
	while ((c = cmd_getopt(ctx, argc, argv, "", longopts)) != -1) {
		rc = BH_EXIT_OK;
		switch (c) {
		case OPT_CLASS:
			cmd_create_arg(args, "class", optarg);
			break;
		case OPT_LABEL:
			label = optarg;
			cmd_create_arg(args, "label", optarg);
			break;
		case OPT_TEMPLATE:
			cmd_create_arg(args, "template", optarg);
			break;
		case OPT_NETVM:
			cmd_create_arg(args, "netvm", optarg);
			break;
		case OPT_MEMORY:
			if ((rc = cmd_parse_int(ctx, "--memory", optarg, &n)) == BH_EXIT_OK)
				cmd_create_arg(args, "memory", optarg);
			break;
		case OPT_VCPUS:
			if ((rc = cmd_parse_int(ctx, "--vcpus", optarg, &n)) == BH_EXIT_OK)
				cmd_create_arg(args, "vcpus", optarg);
			break;
		case OPT_AUTOSTART:
			cmd_create_arg(args, "autostart", "true");
			break;
		case OPT_PROVIDES_NETWORK:
			cmd_create_arg(args, "provides_network", "true");
			break;
		default: /* CMD_OPT_EXIT: help printed, or a usage error */
			json_object_put(args);
			return ctx->exit;
		}
		if (rc != BH_EXIT_OK) {
			json_object_put(args);
			return rc;
		}
	}
	if ((rc = cmd_check_args(ctx, argc, argv, 1, 1, "qube name")) != BH_EXIT_OK ||
	    (label == NULL &&
	    (rc = cmd_usage_error(ctx, "missing --label")) != BH_EXIT_OK)) {
		json_object_put(args);
		return rc;
	}
	if ((rc = cmd_call(ctx, ctx->entry->method, argv[optind], args, &result)) != BH_EXIT_OK)
		return rc;
	if (ctx->json)
		cmd_print_json(result);
	json_object_put(result);
	return BH_EXIT_OK;
}

const struct cmd_entry cmd_create_entry = {
	.name = "create",
	.alias = NULL,
	.usage = "NAME --label LABEL [--class CLASS] [--template TEMPLATE] "
	    "[--netvm NETVM] [--memory MIB] [--vcpus N] [--autostart] "
	    "[--provides-network]",
	.summary = "create a qube",
	.help = "Creates the qube NAME (vm.create). --label is one of red, orange, "
	    "yellow, green, gray, blue, purple, black. --class is template, app "
	    "(the default), standalone or disp; app and disp qubes need --template, "
	    "and a standalone qube created with --template gets a copy of its root. "
	    "--netvm names a qube with provides_network; --memory is in MiB, "
	    "--vcpus a count (both whole numbers). --autostart starts the qube with "
	    "domd; --provides-network lets it serve as another qube's netvm. domd "
	    "checks every value. With --json prints the new qube object.",
	.flags = CMD_MODIFIES,
	.method = "vm.create",
	.exec = cmd_create_exec,
};
