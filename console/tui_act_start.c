/* start: the CLI's `start` (vm.start) for the selected qube. */
#include "tui.h"

#include "cmd.h"

static void
start_run(struct tui *t, struct tui_qube *q)
{
	tui_request_verb(t, &cmd_start_entry, q->name, NULL, NULL, NULL);
}

const struct tui_action tui_act_start = {
	.name = "start",
	.label = "Start",
	.fkey = 2,
	.key = 's',
	.keyname = "s",
	.help = "start the selected qube (its netvm first when halted)",
	.flags = TUI_ACT_KIOSK | TUI_ACT_QUBE | TUI_ACT_BAR,
	.verb = &cmd_start_entry,
	.run = start_run,
};
