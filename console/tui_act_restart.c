/* restart: the CLI's `shutdown --wait`, then its `start`; a halted qube is
 * just started. */
#include "tui.h"

#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "xalloc.h"

static void
restart_halted(struct tui *t, void *arg, enum client_status st, json_object *result,
    const struct client_error *err)
{
	char *vm = arg;

	if (st == CLIENT_OK)
		tui_request_verb(t, &cmd_start_entry, vm, NULL, NULL, NULL);
	free(vm);
}

static void
restart_run(struct tui *t, struct tui_qube *q)
{
	if (strcmp(q->state, "halted") == 0) {
		tui_request_verb(t, &cmd_start_entry, q->name, NULL, NULL, NULL);
		return;
	}
	tui_request_verb(t, &cmd_shutdown_entry, q->name, cmd_shutdown_args(1, -1),
	    restart_halted, xstrdup(q->name));
}

const struct tui_action tui_act_restart = {
	.name = "restart",
	.label = "Restart",
	.fkey = 5,
	.key = 'r',
	.keyname = "r",
	.help = "shut the selected qube down, wait until it has halted, start it",
	.flags = TUI_ACT_KIOSK | TUI_ACT_QUBE | TUI_ACT_BAR,
	.verb = &cmd_shutdown_entry,
	.run = restart_run,
};
