/* quit: leave the console. In kiosk mode it is refused (tui_actions.c);
 * only the quit key configured with --quit-key leaves (tui_main.c). */
#include "tui.h"

static void
quit_run(struct tui *t, struct tui_qube *q)
{
	t->quit = 1;
}

const struct tui_action tui_act_quit = {
	.name = "quit",
	.label = "Quit",
	.fkey = 10,
	.key = 'q',
	.key2 = 3, /* Ctrl-C */
	.keyname = "q, Ctrl-C",
	.help = "leave the console (in kiosk mode only the configured quit key does)",
	.flags = TUI_ACT_BAR,
	.run = quit_run,
};
