/* props: the properties editor, one vm.set per changed field as the CLI's
 * `prefs NAME PROP VALUE` sends it (cmd_prefs_set_args). Each refusal is
 * shown under its field; the form closes once every change was accepted. */
#include "tui.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "xalloc.h"

static const char *const labels[] = { "red", "orange", "yellow", "green", "gray", "blue",
	"purple", "black" };
static const char *const bools[] = { "false", "true" };

struct set {
	unsigned long form;
	char prop[32];
};

static void
was_set(struct tui *t, void *arg, enum client_status st, json_object *result,
    const struct client_error *err)
{
	struct set *s = arg;
	struct tui_form *f = tui_form_find(t, s->form);

	if (f != NULL) {
		if (st != CLIENT_OK)
			tui_form_field_error(f, s->prop, err->message);
		else
			tui_form_accepted(f, s->prop);
		/* The last reply says how it went, whatever order they came in. */
		if (tui_form_pending(f, -1) == 0 && tui_form_nerrors(f) == 0) {
			model_info(&t->m, "%s: properties saved", tui_form_vm(f));
			if (t->top == tui_form_view(f))
				tui_pop(t);
		} else if (tui_form_pending(f, 0) == 0)
			model_error(&t->m, "%s: %d change%s refused (shown in the form)",
			    tui_form_vm(f), tui_form_nerrors(f), tui_form_nerrors(f) == 1 ? "" : "s");
		tui_redraw(t);
	}
	free(s);
}

static void
props_submit(struct tui *t, struct tui_form *f)
{
	struct set *s;
	int i, n = 0;

	for (i = 0; i < tui_form_nfields(f); i++) {
		if (!tui_form_changed(f, i))
			continue;
		s = xcalloc(1, sizeof(*s));
		s->form = tui_form_id(f);
		snprintf(s->prop, sizeof(s->prop), "%s", tui_form_key(f, i));
		tui_form_pending(f, 1);
		tui_request_verb(t, &cmd_prefs_entry, tui_form_vm(f),
		    cmd_prefs_set_args(tui_form_key(f, i), tui_form_value(f, i)), was_set, s);
		n++;
	}
	if (n == 0) {
		model_info(&t->m, "%s: nothing changed", tui_form_vm(f));
		tui_pop(t);
		return;
	}
	if (tui_form_pending(f, 0) > 0)
		tui_form_busy(f, "saving...");
}

static void
props_run(struct tui *t, struct tui_qube *q)
{
	const char *tpl[256], *net[256];
	char title[64], note[192], num[32];
	struct tui_form *f;
	int ntpl = model_names(&t->m, tpl, 256, 1), nnet = model_names(&t->m, net, 256, 0);

	snprintf(title, sizeof(title), "Properties of %s", q->name);
	f = tui_form_new(title, q->name, props_submit);
	snprintf(note, sizeof(note), "class %s, %s, uuid %s", q->cls, q->state, q->uuid);
	tui_form_note(f, note);
	if (q->reason[0] != '\0') {
		snprintf(note, sizeof(note), "last stop: %s", q->reason);
		tui_form_note(f, note);
	}
	tui_form_choice(f, "label", "Label", labels, 8, q->label);
	if (strcmp(q->cls, "app") == 0 || strcmp(q->cls, "disp") == 0)
		tui_form_choice(f, "template", "Template", tpl, ntpl, q->template_name);
	tui_form_choice(f, "netvm", "NetVM", net, nnet, q->netvm);
	snprintf(num, sizeof(num), "%lld", (long long)q->memory);
	tui_form_text(f, "memory", "Memory", num, "MiB");
	snprintf(num, sizeof(num), "%lld", (long long)q->vcpus);
	tui_form_text(f, "vcpus", "VCPUs", num, NULL);
	tui_form_choice(f, "autostart", "Autostart", bools, 2, bools[q->autostart != 0]);
	tui_form_choice(f, "provides_network", "Net provider", bools, 2,
	    bools[q->provides_network != 0]);
	tui_push(t, tui_form_view(f));
}

const struct tui_action tui_act_props = {
	.name = "properties",
	.label = "Props",
	.fkey = 9,
	.key = 'e',
	.keyname = "e",
	.help = "edit the selected qube's properties (vm.set for each change)",
	.flags = TUI_ACT_QUBE | TUI_ACT_BAR,
	.verb = &cmd_prefs_entry,
	.run = props_run,
};
