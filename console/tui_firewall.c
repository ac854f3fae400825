/* firewall: the view of a qube's firewall rules, disabled until domd's
 * admin API has methods for them (a later issue); it says so. */
#include "tui.h"

#include <stdio.h>

static void
firewall_run(struct tui *t, struct tui_qube *q)
{
	static const char *const lines[] = {
		"Firewall rules are not available yet: domd's admin API has no method",
		"to read or change a qube's rules. This view will edit them once it has.",
		NULL
	};
	char title[64];

	snprintf(title, sizeof(title), "Firewall rules of %s", q->name);
	tui_note_open(t, title, lines);
}

const struct tui_action tui_act_firewall = {
	.name = "firewall",
	.label = "Firewall",
	.key = 'f',
	.keyname = "f",
	.help = "the selected qube's firewall rules (disabled: not in domd's API yet)",
	.flags = TUI_ACT_QUBE,
	.run = firewall_run,
};
