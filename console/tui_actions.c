/* Every console action, in the order the function-key bar and the help
 * list them (as cmd_table[] collects the CLI's commands), and the checks
 * made before one runs. */
#include "tui.h"

#include <curses.h>

const struct tui_action *const tui_action_table[] = {
	&tui_act_help,
	&tui_act_start,
	&tui_act_shutdown,
	&tui_act_kill,
	&tui_act_restart,
	&tui_act_sort,
	&tui_act_create,
	&tui_act_remove,
	&tui_act_props,
	&tui_act_quit,
	&tui_act_pause,
	&tui_act_clone,
	&tui_act_log,
	&tui_act_admin_calls,
	&tui_act_asks,
	&tui_act_tags,
	&tui_act_firewall,
	&tui_act_usb,
	&tui_act_viewer,
	&tui_act_backup,
	&tui_act_restore,
	&tui_act_update,
	&tui_act_filter,
	&tui_act_redraw,
	NULL
};

const struct tui_action *
tui_action_for_key(int key)
{
	const struct tui_action *const *a;

	for (a = tui_action_table; *a != NULL; a++)
		if (key == (*a)->key || ((*a)->key2 != 0 && key == (*a)->key2) ||
		    ((*a)->fkey > 0 && key == KEY_F((*a)->fkey)))
			return *a;
	return NULL;
}

int
tui_action_allowed(struct tui *t, const struct tui_action *a)
{
	return !t->opts.kiosk || (a->flags & TUI_ACT_KIOSK);
}

void
tui_action_run(struct tui *t, const struct tui_action *a, struct tui_qube *q)
{
	if (!tui_action_allowed(t, a)) {
		if (a == &tui_act_quit)
			model_error(&t->m, "kiosk mode: quitting is disabled");
		else
			model_error(&t->m, "%s: not available in kiosk mode", a->name);
		return;
	}
	if ((a->flags & TUI_ACT_QUBE) && q == NULL) {
		model_error(&t->m, "%s: no qube selected", a->name);
		return;
	}
	t->m.error[0] = '\0';
	a->run(t, q);
	t->redraw = 1;
}
