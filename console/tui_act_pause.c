/* pause: the CLI's `pause` (vm.pause) for a running qube, `unpause`
 * (vm.unpause) for a paused one. */
#include "tui.h"

#include <string.h>

#include "cmd.h"

static void
pause_run(struct tui *t, struct tui_qube *q)
{
	const struct cmd_entry *verb = strcmp(q->state, "paused") == 0 ?
	    &cmd_unpause_entry : &cmd_pause_entry;

	tui_request_verb(t, verb, q->name, NULL, NULL, NULL);
}

const struct tui_action tui_act_pause = {
	.name = "pause",
	.label = "Pause",
	.key = 'p',
	.keyname = "p",
	.help = "pause the selected qube, or unpause it when paused",
	.flags = TUI_ACT_QUBE,
	.verb = &cmd_pause_entry,
	.run = pause_run,
};
