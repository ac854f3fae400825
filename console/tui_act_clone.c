/* clone: the CLI's `clone` (vm.clone) of the selected, halted qube, with
 * the new name asked in a form. */
#include "tui.h"

#include <stdint.h>
#include <stdio.h>

#include "cmd.h"

static void
cloned(struct tui *t, void *arg, enum client_status st, json_object *result,
    const struct client_error *err)
{
	struct tui_form *f = tui_form_find(t, (unsigned long)(uintptr_t)arg);

	if (f == NULL)
		return;
	tui_form_pending(f, -1);
	if (st == CLIENT_OK) {
		model_info(&t->m, "cloned %s as %s", tui_form_vm(f), tui_form_get(f, "target"));
		if (t->top == tui_form_view(f))
			tui_pop(t);
		return;
	}
	/* "invalid qube name …", "… exists already": about the new name. */
	tui_form_field_error(f, "target", err->message);
	tui_redraw(t);
}

static void
clone_submit(struct tui *t, struct tui_form *f)
{
	tui_form_pending(f, 1);
	tui_form_busy(f, "copying...");
	tui_request_verb(t, &cmd_clone_entry, tui_form_vm(f),
	    cmd_clone_args(tui_form_get(f, "target")), cloned, (void *)(uintptr_t)tui_form_id(f));
}

static void
clone_run(struct tui *t, struct tui_qube *q)
{
	char title[64], name[TUI_NAME_MAX + 8];
	struct tui_form *f;

	snprintf(title, sizeof(title), "Clone %s", q->name);
	snprintf(name, sizeof(name), "%.24s-clone", q->name);
	f = tui_form_new(title, q->name, clone_submit);
	tui_form_note(f, "A copy of the halted qube: properties, private data and, for a "
	    "template or standalone qube, its root.");
	tui_form_text(f, "target", "New name", name, NULL);
	tui_push(t, tui_form_view(f));
}

const struct tui_action tui_act_clone = {
	.name = "clone",
	.label = "Clone",
	.key = 'c',
	.keyname = "c",
	.help = "clone the selected halted qube under a new name",
	.flags = TUI_ACT_QUBE,
	.verb = &cmd_clone_entry,
	.run = clone_run,
};
