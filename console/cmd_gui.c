/* gui: where a viewer finds a qube's display. The gateway in sys-gui writes
 * each display's URI and ticket to its run dir; this reads them through
 * domd (vm.run of cat in sys-gui), so dom0 never talks SPICE. What sys-gui
 * sends is untrusted and checked here. A display on a Unix socket in
 * sys-gui is named by its path on this host through /proc/PID/root of
 * sys-gui's init (ns backend);
 * a TCP one (make run: the host's loopback) also gets a .vv file for
 * remote-viewer. --desktop does the same for the gateway's desktop, the
 * display of all qubes' windows (its files are named "desktop"). */
#include "cmd.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "atomicfile.h"
#include "qube.h"
#include "run_output.h"
#include "viewer_info.h"
#include "xalloc.h"

#define GUI_QUBE "sys-gui"
#define GUI_DIR "/home/user/gui" /* the gateway's --run-dir in sys-gui */
#define INFO_MAX 512 /* a longer answer is refused */
#define DESKTOP "desktop" /* the gateway's name for its desktop display */

enum { OPT_DESKTOP = 1, OPT_VV, OPT_NO_VV, OPT_GUI_QUBE };

static int
write_vv(struct cmd_ctx *ctx, const char *vm, const char *file, const struct viewer_info *v)
{
	char *text = xasprintf("[virt-viewer]\ntype=spice\nhost=%s\nport=%d\npassword=%s\n"
	    "title=[%s]\ndelete-this-file=0\n", v->host, v->port, v->password, vm);
	char *dir = xstrdup(file), *slash = strrchr(dir, '/');
	const char *name = file;
	int rc = 0;

	if (slash != NULL) {
		*slash = '\0';
		name = slash + 1;
	}
	if (atomic_write_file(slash ? (dir[0] ? dir : "/") : ".", name, text, strlen(text), 0600) < 0) {
		cmd_error(ctx, vm, "cannot write %s", file);
		rc = -1;
	}
	free(text);
	free(dir);
	return rc;
}

static int
gui_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	const char *vv = NULL, *guivm = GUI_QUBE, *vm, *root = NULL;
	bool desktop = false, no_vv = false;
	json_object *info = NULL, *o, *sd;
	struct viewer_info v;
	struct run_output out;
	char cmdline[160], uri[300], title[40], qube_root[40], *vvfile;
	bool parsed;
	int c, rc;
	static const struct option opts[] = {
		{ "desktop", no_argument, NULL, OPT_DESKTOP },
		{ "vv", required_argument, NULL, OPT_VV },
		{ "no-vv", no_argument, NULL, OPT_NO_VV },
		{ "gui-qube", required_argument, NULL, OPT_GUI_QUBE },
		CMD_COMMON_OPTIONS
	};

	while ((c = cmd_getopt(ctx, argc, argv, "", opts)) != -1) {
		switch (c) {
		case CMD_OPT_EXIT: return ctx->exit;
		case OPT_DESKTOP: desktop = true; break;
		case OPT_VV: vv = optarg; break;
		case OPT_NO_VV: no_vv = true; break;
		case OPT_GUI_QUBE: guivm = optarg; break;
		default: return cmd_usage_error(ctx, "unknown option");
		}
	}
	if ((rc = cmd_check_args(ctx, argc, argv, desktop ? 0 : 1, desktop ? 0 : 1,
	    desktop ? "" : "VM")) != BH_EXIT_OK)
		return rc;
	vm = desktop ? DESKTOP : argv[optind];
	if (!qube_name_valid(vm) || !qube_name_valid(guivm))
		return cmd_usage_error(ctx, "invalid qube name");
	if ((rc = cmd_call(ctx, "vm.get", guivm, NULL, &info)) != BH_EXIT_OK)
		return rc;
	/* Only an ns qube's files are reachable from this host. */
	if (json_object_object_get_ex(info, "backend", &sd) &&
	    !strcmp(json_object_get_string(sd), "ns") &&
	    json_object_object_get_ex(info, "pid", &sd)) {
		snprintf(qube_root, sizeof(qube_root), "/proc/%d/root", json_object_get_int(sd));
		root = qube_root;
	}
	snprintf(cmdline, sizeof(cmdline), "cat %s/%s.uri %s/%s.ticket 2>/dev/null", GUI_DIR, vm, GUI_DIR, vm);
	run_output_capture(&out, INFO_MAX);
	rc = cmd_run_in(ctx, guivm, cmdline, json_object_new_object(), -1, &out);
	parsed = rc == BH_EXIT_OK && viewer_info_parse(out.buf, root, &v) == 0;
	run_output_free(&out);
	json_object_put(info);
	if (rc == BH_EXIT_UNREACHABLE)
		return rc;
	if (!parsed) {
		cmd_error(ctx, vm, "%s's gateway has no usable display for it", guivm);
		return BH_EXIT_FAIL;
	}
	snprintf(title, sizeof(title), "[%s]", vm);
	vvfile = v.port && !no_vv ? (vv ? xstrdup(vv) : xasprintf("%s.vv", vm)) : NULL;
	if (vvfile != NULL && write_vv(ctx, vm, vvfile, &v) < 0) {
		free(vvfile);
		return BH_EXIT_FAIL;
	}
	if (v.port)
		snprintf(uri, sizeof(uri), "spice://%s:%d", v.host, v.port);
	else
		snprintf(uri, sizeof(uri), "spice+unix://%s", v.path);
	if (ctx->json) {
		o = json_object_new_object();
		json_object_object_add(o, "vm", json_object_new_string(vm));
		json_object_object_add(o, "uri", json_object_new_string(uri));
		json_object_object_add(o, "unix_path", v.port ? NULL : json_object_new_string(v.path));
		json_object_object_add(o, "host", v.port ? json_object_new_string(v.host) : NULL);
		json_object_object_add(o, "port", v.port ? json_object_new_int(v.port) : NULL);
		json_object_object_add(o, "password", json_object_new_string(v.password));
		json_object_object_add(o, "title", json_object_new_string(title));
		json_object_object_add(o, "vv", vvfile ? json_object_new_string(vvfile) : NULL);
		printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY));
		json_object_put(o);
	} else if (vvfile != NULL)
		printf("%s\nwrote %s: remote-viewer %s\n", uri, vvfile, vvfile);
	else
		/* remote-viewer takes no password in a Unix URI, nor a Unix socket in a .vv: it asks. */
		printf("%s\npassword %s\n", uri, v.password);
	free(vvfile);
	return BH_EXIT_OK;
}

const struct cmd_entry cmd_gui_entry = {
	.name = "gui",
	.usage = "[--vv FILE | --no-vv] [--gui-qube NAME] (VM | --desktop)",
	.summary = "show where a viewer finds VM's display (URI, password, .vv file)",
	.help = "Reads, through domd, the URI and ticket that the SPICE gateway in sys-gui "
	    "(or --gui-qube) wrote for VM's display, and prints the viewer URI. A display on "
	    "a Unix socket (ns backend) is named by its path on this host, with its "
	    "password; a TCP one also gets a .vv file for remote-viewer (FILE, default "
	    "VM.vv, mode 0600) with host, port, password and the title [VM]; --no-vv "
	    "writes none (the console's v key uses it). --desktop "
	    "names the gateway's desktop instead, the one display of all qubes' windows "
	    "(title [desktop], default file desktop.vv), where Ctrl+Shift+C copies the "
	    "focused qube's clipboard and Ctrl+Shift+V pastes it into the focused qube "
	    "(policy: bulkhead.ClipboardPaste).",
	.exec = gui_exec,
};
