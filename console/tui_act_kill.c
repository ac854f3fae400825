/* kill: the CLI's `kill` (vm.kill), after a yes/no question. */
#include "tui.h"

#include <stdio.h>

#include "cmd.h"

static void
kill_yes(struct tui *t, const char *vm)
{
	tui_request_verb(t, &cmd_kill_entry, vm, NULL, NULL, NULL);
}

static void
kill_run(struct tui *t, struct tui_qube *q)
{
	char question[160];

	snprintf(question, sizeof(question), "Kill %s now? Its processes stop at once, "
	    "without a shutdown.", q->name);
	tui_confirm(t, "Kill", question, q->name, kill_yes);
}

const struct tui_action tui_act_kill = {
	.name = "kill",
	.label = "Kill",
	.fkey = 4,
	.key = 'k',
	.keyname = "k",
	.help = "kill the selected qube at once (asks first)",
	.flags = TUI_ACT_KIOSK | TUI_ACT_QUBE | TUI_ACT_BAR,
	.verb = &cmd_kill_entry,
	.run = kill_run,
};
