/* remove: the CLI's `remove` (vm.remove) of the selected qube, once its
 * name has been typed; a different name removes nothing. */
#include "tui.h"

#include <curses.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"

static void
removed(struct tui *t, void *arg, enum client_status st, json_object *result,
    const struct client_error *err)
{
	struct tui_form *f = tui_form_find(t, (unsigned long)(uintptr_t)arg);

	if (f == NULL)
		return;
	tui_form_pending(f, -1);
	if (st == CLIENT_OK) {
		model_info(&t->m, "removed %s", tui_form_vm(f));
		if (t->top == tui_form_view(f))
			tui_pop(t);
		return;
	}
	tui_form_field_error(f, NULL, err->message);
	tui_redraw(t);
}

static void
remove_submit(struct tui *t, struct tui_form *f)
{
	char msg[128];

	if (strcmp(tui_form_get(f, "confirm"), tui_form_vm(f)) != 0) {
		snprintf(msg, sizeof(msg), "the name typed is not '%s': nothing was removed",
		    tui_form_vm(f));
		tui_form_field_error(f, "confirm", msg);
		return;
	}
	tui_form_pending(f, 1);
	tui_form_busy(f, "removing...");
	tui_request_verb(t, &cmd_remove_entry, tui_form_vm(f), NULL, removed,
	    (void *)(uintptr_t)tui_form_id(f));
}

static void
remove_run(struct tui *t, struct tui_qube *q)
{
	char title[64], note[128];
	struct tui_form *f;

	snprintf(title, sizeof(title), "Remove %s", q->name);
	f = tui_form_new(title, q->name, remove_submit);
	snprintf(note, sizeof(note), "This deletes %s and all its files, private data "
	    "included.", q->name);
	tui_form_note(f, note);
	snprintf(note, sizeof(note), "Type its name, %s, to confirm.", q->name);
	tui_form_note(f, note);
	tui_form_text(f, "confirm", "Name", "", NULL);
	tui_push(t, tui_form_view(f));
}

const struct tui_action tui_act_remove = {
	.name = "remove",
	.label = "Remove",
	.fkey = 8,
	.key = 'x',
	.key2 = KEY_DC,
	.keyname = "x, Delete",
	.help = "remove the selected halted qube and its files (type its name to confirm)",
	.flags = TUI_ACT_QUBE | TUI_ACT_BAR,
	.verb = &cmd_remove_entry,
	.run = remove_run,
};
