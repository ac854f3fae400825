/* help (F1, ?): every key of the console, from the action table, and the
 * keys of the views and forms. In kiosk mode only the keys that work. */
#include "tui.h"

#include <curses.h>
#include <stdio.h>
#include <string.h>

/* "  F2   s           what it does", wrapped under its column. */
static void
key_line(struct tui_pager *p, const char *fkey, const char *keys, const char *what)
{
	char wrapped[6][256], line[512];
	int i, n = tui_wrap(what, COLS - 20 > 20 ? COLS - 20 : 20, wrapped, 6);

	for (i = 0; i < n; i++) {
		snprintf(line, sizeof(line), "  %-4.4s %-11.11s %.255s", i == 0 ? fkey : "",
		    i == 0 ? keys : "", wrapped[i]);
		tui_pager_add(p, line, A_NORMAL);
	}
}

void
tui_help_open(struct tui *t)
{
	const struct tui_action *const *a;
	struct tui_pager *p = tui_pager_new("Help: keys", NULL, NULL);
	char fkey[16], line[256];

	tui_pager_add(p, "Qube table (the letters work on terminals without function keys):",
	    A_BOLD);
	for (a = tui_action_table; *a != NULL; a++) {
		if (!tui_action_allowed(t, *a))
			continue;
		if ((*a)->fkey > 0 && tui_fkey_sendable((*a)->fkey))
			snprintf(fkey, sizeof(fkey), "F%d", (*a)->fkey);
		else
			fkey[0] = '\0';
		key_line(p, fkey, (*a)->keyname, (*a)->help);
	}
	key_line(p, "", "Up, Down", "select a qube; PgUp, PgDn, Home, End move further");
	key_line(p, "", "<, >, I", "sort by the previous or next column; reverse the order");
	key_line(p, "", "Esc", "clear the filter and the message line");
	if (t->opts.kiosk) {
		if (t->opts.quit_key != 0) {
			snprintf(line, sizeof(line), "leave the console (kiosk quit key)");
			key_line(p, "", t->opts.quit_key < 0x20 ?
			    (char[]){ '^', (char)(t->opts.quit_key + '@'), '\0' } :
			    (char[]){ (char)t->opts.quit_key, '\0' }, line);
		}
		tui_pager_add(p, "", A_NORMAL);
		tui_pager_add(p, "Kiosk mode: only starting, stopping and viewing the listed "
		    "qubes.", A_BOLD);
	}
	tui_pager_add(p, "", A_NORMAL);
	tui_pager_add(p, "Forms and questions:", A_BOLD);
	key_line(p, "", "Tab, Down", "next field (Shift-Tab, Up: previous)");
	key_line(p, "", "Left, Right", "change a choice (Space: next; a letter jumps)");
	key_line(p, "", "Enter", "OK: domd's refusal is shown under the field");
	key_line(p, "", "Esc", "cancel; y / n answer a question");
	tui_pager_add(p, "", A_NORMAL);
	tui_pager_add(p, "Log view, help and notes:", A_BOLD);
	key_line(p, "", "Up, Down", "scroll; PgUp, PgDn, Space page; Home, g top");
	key_line(p, "", "End, G", "the end, following new output");
	key_line(p, "", "Esc, q", "back to the table");
	if (!t->opts.kiosk) {
		tui_pager_add(p, "", A_NORMAL);
		tui_pager_add(p, "Ask queue:", A_BOLD);
		key_line(p, "", "a, Enter", "allow the selected request, choosing its target");
		key_line(p, "", "d", "deny it");
		key_line(p, "", "Esc, q", "back to the table");
		tui_pager_add(p, "", A_NORMAL);
		tui_pager_add(p, "USB devices (* attached to the qube, + assigned to it):", A_BOLD);
		key_line(p, "", "a", "attach the selected device to the qube");
		key_line(p, "", "A", "attach it and assign it (its usb property): by port or by "
		    "model");
		key_line(p, "", "d, Delete", "detach it from the qube that has it, or drop the "
		    "assignment (asks first)");
		key_line(p, "", "r", "read the devices again (done every 3 seconds)");
	}
	tui_pager_add(p, "", A_NORMAL);
	tui_pager_add(p, "Ctrl-Z and Ctrl-\\ do nothing; there is no shell escape.", A_NORMAL);
	tui_push(t, tui_pager_view(p));
}

static void
help_run(struct tui *t, struct tui_qube *q)
{
	tui_help_open(t);
}

const struct tui_action tui_act_help = {
	.name = "help",
	.label = "Help",
	.fkey = 1,
	.key = '?',
	.key2 = 'h',
	.keyname = "?, h",
	.help = "this list of keys",
	.flags = TUI_ACT_KIOSK | TUI_ACT_BAR,
	.run = help_run,
};
