/* usb: the devices USB qubes offer and where each is attached (vm.run of
 * bulkhead.USBList, i.e. `bulkhead-usbproxy list`, in every running qube
 * with provides_usb, and usb.list), attach and detach (vm.usb). A USB qube's list is untrusted:
 * every line is checked here before it is shown. */
#include "cmd.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qube.h"
#include "run_output.h"
#include "usblist.h"

/* The USB qube's bulkhead.USBList, looked up as services are. */
#define LIST_COMMAND "for d in /rw/config/rpc /etc/bulkhead/rpc; do " \
	"[ -x $d/bulkhead.USBList ] && exec $d/bulkhead.USBList; done; " \
	"echo 'no bulkhead.USBList in this qube' >&2; exit 127"
#define LIST_MAX (256 * 1024) /* a longer list from one USB qube is refused */

enum { OPT_PERSISTENT = 1 };

/* The device lines of usbvm, appended to *devs. */
static int
read_devices(struct cmd_ctx *ctx, const char *usbvm, struct usblist_dev **devs, size_t *ndevs)
{
	struct run_output out;
	char *save = NULL;
	int rc;

	run_output_capture(&out, LIST_MAX);
	rc = cmd_run_in(ctx, usbvm, LIST_COMMAND, json_object_new_object(), -1, &out);
	if (rc != BH_EXIT_OK) {
		run_output_free(&out);
		return rc == BH_EXIT_UNREACHABLE ? rc : BH_EXIT_FAIL;
	}
	for (char *line = strtok_r(out.buf, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		struct usblist_dev d;
		if (usblist_parse_line(usbvm, line, &d) < 0) {
			fprintf(stderr, "bulkhead: usb: %s sent a malformed device line; "
			    "ignored\n", usbvm);
			continue;
		}
		*devs = realloc(*devs, (*ndevs + 1) * sizeof(**devs));
		if (*devs == NULL)
			abort();
		(*devs)[(*ndevs)++] = d;
	}
	run_output_free(&out);
	return BH_EXIT_OK;
}

/* Where d is attached: by its bus id or by its model. */
static const char *
attached_to(json_object *atts, const struct usblist_dev *d)
{
	char byid[QUBE_USB_LEN];

	snprintf(byid, sizeof(byid), "%.*s:%s", (int)(strchr(d->id, ':') - d->id), d->id,
	    d->vidpid);
	for (size_t i = 0; i < json_object_array_length(atts); i++) {
		json_object *a = json_object_array_get_idx(atts, i);
		const char *dev = cmd_member_text(a, "device");
		if (!strcmp(dev, d->id) || !strcmp(dev, byid))
			return cmd_member_text(a, "vm");
	}
	return "";
}

static int
usb_list(struct cmd_ctx *ctx)
{
	json_object *vms = NULL, *atts = NULL, *out = json_object_new_array();
	struct usblist_dev *devs = NULL;
	size_t ndevs = 0;
	int rc;

	if ((rc = cmd_call(ctx, "vm.list", NULL, NULL, &vms)) != BH_EXIT_OK ||
	    (rc = cmd_call(ctx, "usb.list", NULL, NULL, &atts)) != BH_EXIT_OK)
		goto out;
	for (size_t i = 0; i < json_object_array_length(vms); i++) {
		json_object *v = json_object_array_get_idx(vms, i), *pu;
		if (json_object_object_get_ex(v, "provides_usb", &pu) && json_object_get_boolean(pu) &&
		    !strcmp(cmd_member_text(v, "state"), "running") &&
		    (rc = read_devices(ctx, cmd_member_text(v, "name"), &devs, &ndevs)) != BH_EXIT_OK)
			goto out;
	}
	if (!ctx->json)
		printf("%-20s %-9s %-6s %-10s %s\n", "DEVICE", "VID:PID", "SPEED", "ATTACHED",
		    "DESCRIPTION");
	for (size_t i = 0; i < ndevs; i++) {
		const char *to = attached_to(atts, &devs[i]);
		if (ctx->json) {
			json_object *o = json_object_new_object();
			json_object_object_add(o, "device", json_object_new_string(devs[i].id));
			json_object_object_add(o, "vid_pid", json_object_new_string(devs[i].vidpid));
			json_object_object_add(o, "speed", json_object_new_string(devs[i].speed));
			json_object_object_add(o, "description", json_object_new_string(devs[i].desc));
			json_object_object_add(o, "attached_to", json_object_new_string(to));
			json_object_array_add(out, o);
			continue;
		}
		printf("%-20s %-9s %-6s %-10s ", devs[i].id, devs[i].vidpid, devs[i].speed,
		    to[0] ? to : "-");
		cmd_put_safe(stdout, devs[i].desc);
		putchar('\n');
	}
	if (ctx->json)
		cmd_print_json(out);
out:
	json_object_put(out);
	json_object_put(vms);
	json_object_put(atts);
	free(devs);
	return rc;
}

static int
cmd_usb_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "persistent", no_argument, NULL, OPT_PERSISTENT },
		CMD_COMMON_OPTIONS
	};
	json_object *args, *result;
	const char *op;
	int persistent = 0, c, rc;

	while ((c = cmd_getopt(ctx, argc, argv, "", longopts)) != -1) {
		if (c != OPT_PERSISTENT)
			return ctx->exit;
		persistent = 1;
	}
	if (optind >= argc)
		return cmd_usage_error(ctx, "missing action (list, attach or detach)");
	op = argv[optind];
	if (!strcmp(op, "list")) {
		if (optind + 1 != argc || persistent)
			return cmd_usage_error(ctx, "list takes no arguments");
		return usb_list(ctx);
	}
	if (strcmp(op, "attach") && strcmp(op, "detach"))
		return cmd_usage_error(ctx, "unknown action '%s' (expected list, attach or detach)",
		    op);
	if (optind + 3 != argc)
		return cmd_usage_error(ctx, "%s needs VM and DEVICE (e.g. sys-usb:1-1)", op);
	if (persistent && strcmp(op, "attach"))
		return cmd_usage_error(ctx, "--persistent goes with attach");
	args = json_object_new_object();
	json_object_object_add(args, "op", json_object_new_string(op));
	json_object_object_add(args, "device", json_object_new_string(argv[optind + 2]));
	if (persistent)
		json_object_object_add(args, "persistent", json_object_new_boolean(1));
	if ((rc = cmd_call(ctx, "vm.usb", argv[optind + 1], args, &result)) != BH_EXIT_OK)
		return rc;
	if (ctx->json)
		cmd_print_json(result);
	json_object_put(result);
	return BH_EXIT_OK;
}

const struct cmd_entry cmd_usb_entry = {
	.name = "usb",
	.alias = NULL,
	.usage = "list | attach [--persistent] VM DEVICE | detach VM DEVICE",
	.summary = "list USB devices of USB qubes, attach them to qubes",
	.help = "list: every device the running qubes with provides_usb offer (their "
	    "bulkhead-usbproxy list), as USBVM:BUSID with vendor:product, speed in Mbit/s, "
	    "where it is attached and its (sanitised) strings. attach: gives DEVICE "
	    "(USBVM:BUSID, or USBVM:VID:PID for the first of that model) to VM over USB/IP: "
	    "VM's importer calls the USB qube's bulkhead.USB service, which the policy "
	    "denies except for the call an attach allows; the device is detached from "
	    "the USB qube's kernel drivers first. --persistent also assigns it (the "
	    "qube's usb property): attached whenever both qubes run. detach: ends the "
	    "attachment (and an assignment) at once, whatever the qubes do.",
	.flags = CMD_MODIFIES,
	.method = "vm.usb",
	.exec = cmd_usb_exec,
};
