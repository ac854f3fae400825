/* viewer: where a SPICE viewer finds the selected qube's display, on the
 * message line. It runs the CLI's `gui --json --no-vv NAME` on the event
 * loop (tui_proc.c), which reads the gateway's files in sys-gui through
 * domd: the console never connects to a display, and a slow sys-gui never
 * stalls the screen. */
#include "tui.h"

#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "xalloc.h"

#define GUI_OUT_MAX 4096
#define GUI_TIMEOUT 15 /* seconds for `bulkhead gui` */

static const char *
field(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string) ?
	    json_object_get_string(v) : NULL;
}

static void
got_viewer(struct tui *t, void *arg, int status, const char *out, size_t outlen,
    const char *err)
{
	char *vm = arg, why[160];
	json_object *o = status == 0 ? json_tokener_parse(out) : NULL;
	const char *uri = o ? field(o, "uri") : NULL, *pw = o ? field(o, "password") : NULL;

	if (uri != NULL && pw != NULL) {
		model_info(&t->m, "%s: viewer at %s  password %s", vm, uri, pw);
	} else {
		/* The CLI's own one-line error, without its "bulkhead: gui: " prefix. */
		const char *e = strrchr(err, ':');
		tui_safe_copy(why, sizeof(why), e && e[1] ? e + 2 : "bulkhead gui failed");
		why[strcspn(why, "\n")] = '\0';
		model_error(&t->m, "%s: no viewer: %s", vm, why);
	}
	json_object_put(o);
	free(vm);
	tui_redraw(t);
}

static void
viewer_run(struct tui *t, struct tui_qube *q)
{
	const char *argv[] = { "bulkhead", "gui", "--json", "--no-vv", "--socket",
	    tui_socket_path(t), q->name, NULL };

	model_info(&t->m, "%s: asking sys-gui where its display is...", q->name);
	tui_proc_run(t, "/proc/self/exe", argv, GUI_OUT_MAX, GUI_TIMEOUT, got_viewer,
	    xstrdup(q->name));
}

const struct tui_action tui_act_viewer = {
	.name = "viewer",
	.label = "Viewer",
	.key = 'v',
	.keyname = "v",
	.help = "show where a SPICE viewer finds the selected qube's display (bulkhead gui)",
	.flags = TUI_ACT_QUBE | TUI_ACT_KIOSK,
	.verb = &cmd_gui_entry,
	.run = viewer_run,
};
