/* prefs: show or set a qube's properties (vm.get, vm.set). */
#include "cmd.h"

#include <string.h>

json_object *
cmd_prefs_set_args(const char *prop, const char *value)
{
	json_object *args = json_object_new_object();

	/* The value goes as a string: domd parses it like a config file value. */
	json_object_object_add(args, "prop", json_object_new_string(prop));
	json_object_object_add(args, "value", json_object_new_string(value));
	return args;
}

static int
show_all(struct cmd_ctx *ctx, json_object *vm)
{
	int width = 0;

	if (ctx->json) {
		cmd_print_json(vm);
		return BH_EXIT_OK;
	}
	json_object_object_foreach(vm, k, v0) {
		if ((int)strlen(k) > width)
			width = (int)strlen(k);
	}
	json_object_object_foreach(vm, key, val) {
		cmd_put_safe(stdout, key);
		printf("%*s", width - (int)strlen(key) + 2, "");
		cmd_put_safe(stdout, *cmd_value_text(val) != '\0' ? cmd_value_text(val) : "-");
		putchar('\n');
	}
	return BH_EXIT_OK;
}

static int
cmd_prefs_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = { CMD_COMMON_OPTIONS };
	json_object *args, *vm, *val;
	const char *name, *prop;
	int rc;

	if (cmd_getopt(ctx, argc, argv, "", longopts) != -1)
		return ctx->exit;
	if ((rc = cmd_check_args(ctx, argc, argv, 1, 3, "qube name")) != BH_EXIT_OK)
		return rc;
	name = argv[optind];
	prop = argc - optind >= 2 ? argv[optind + 1] : NULL;

	if (argc - optind == 3) {
		args = cmd_prefs_set_args(prop, argv[optind + 2]);
		if ((rc = cmd_call(ctx, ctx->entry->method, name, args, &vm)) != BH_EXIT_OK)
			return rc;
		if (ctx->json)
			cmd_print_json(vm);
		json_object_put(vm);
		return BH_EXIT_OK;
	}

	if ((rc = cmd_call(ctx, "vm.get", name, NULL, &vm)) != BH_EXIT_OK)
		return rc;
	if (!json_object_is_type(vm, json_type_object)) {
		cmd_error(ctx, name, "domd sent a vm.get result that is not an object");
		rc = BH_EXIT_FAIL;
	} else if (prop == NULL) {
		rc = show_all(ctx, vm);
	} else if (!json_object_object_get_ex(vm, prop, &val)) {
		cmd_error(ctx, name, "no property '%s'", prop);
		rc = BH_EXIT_FAIL;
	} else if (ctx->json) {
		cmd_print_json(val);
	} else {
		cmd_put_safe(stdout, cmd_value_text(val));
		putchar('\n');
	}
	json_object_put(vm);
	return rc;
}

const struct cmd_entry cmd_prefs_entry = {
	.name = "prefs",
	.alias = NULL,
	.usage = "NAME [PROP [VALUE]]",
	.summary = "show or set a qube's properties",
	.help = "With NAME alone prints every property of the qube as 'name  value' "
	    "lines, an empty value as '-' (vm.get). With PROP prints that value "
	    "alone, an empty one as an empty line. With PROP and VALUE sets the "
	    "property (vm.set); VALUE is sent as a string and domd checks it like "
	    "a value in a qube's config file, e.g. 'prefs work memory 512', "
	    "'prefs work netvm \"\"'. Settable: label, template (only while "
	    "halted), netvm (a running qube is re-linked at once), memory, vcpus, "
	    "virt_mode (pvh or pv; while halted), private_size (MiB; while halted; "
	    "the private image's size, grown at the next start on ns, never shrunk), pids_max (processes at most, ns; "
	    "while halted), autostart, provides_network, provides_usb, template_for_dispvms, "
	    "default_dispvm, uplink (none, host-nat or dev:IFNAME), uplink_address, "
	    "uplink_gateway, uplink_dns, ipv6 (a netvm's: its clients get IPv6, from "
	    "its next start). ip and uid_base (ns: the qube's host ids) "
	    "are given by domd. With --json prints the "
	    "qube object, or the single value as JSON.",
	.flags = CMD_MODIFIES,
	.method = "vm.set", /* vm.get when only showing */
	.exec = cmd_prefs_exec,
};
