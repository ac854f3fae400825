/* shutdown: the CLI's `shutdown` (vm.shutdown, without waiting) for the
 * selected qube; its state then changes through events. */
#include "tui.h"

#include "cmd.h"

static void
shutdown_run(struct tui *t, struct tui_qube *q)
{
	tui_request_verb(t, &cmd_shutdown_entry, q->name, cmd_shutdown_args(0, -1), NULL, NULL);
}

const struct tui_action tui_act_shutdown = {
	.name = "shutdown",
	.label = "Shutdown",
	.fkey = 3,
	.key = 'd',
	.keyname = "d",
	.help = "shut the selected qube down (killed after domd's timeout)",
	.flags = TUI_ACT_KIOSK | TUI_ACT_QUBE | TUI_ACT_BAR,
	.verb = &cmd_shutdown_entry,
	.run = shutdown_run,
};
