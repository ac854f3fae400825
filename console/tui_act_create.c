/* create: a form for the CLI's `create` (vm.create, the arguments built by
 * cmd_create_arg as `create --memory …` builds them). domd checks every
 * value; its message is shown under the field it names. */
#include "tui.h"

#include <stdint.h>
#include <string.h>

#include "cmd.h"
#include "xalloc.h"

static const char *const classes[] = { "app", "template", "standalone", "disp" };
static const char *const labels[] = { "red", "orange", "yellow", "green", "gray", "blue",
	"purple", "black" };

static void
created(struct tui *t, void *arg, enum client_status st, json_object *result,
    const struct client_error *err)
{
	struct tui_form *f = tui_form_find(t, (unsigned long)(uintptr_t)arg);

	if (f == NULL)
		return; /* closed meanwhile */
	tui_form_pending(f, -1);
	if (st == CLIENT_OK) {
		model_info(&t->m, "created %s", tui_form_get(f, "name"));
		if (t->top == tui_form_view(f))
			tui_pop(t);
		return;
	}
	tui_form_error(f, err->code, err->message);
	tui_redraw(t);
}

static void
create_submit(struct tui *t, struct tui_form *f)
{
	json_object *args = json_object_new_object();
	const char *name = tui_form_get(f, "name");
	int i;

	for (i = 0; i < tui_form_nfields(f); i++) {
		const char *key = tui_form_key(f, i), *val = tui_form_value(f, i);
		/* An empty field is left to domd's default. */
		if (strcmp(key, "name") != 0 && *val != '\0')
			cmd_create_arg(args, key, val);
	}
	tui_form_pending(f, 1);
	tui_form_busy(f, "creating...");
	tui_request_verb(t, &cmd_create_entry, name, args, created,
	    (void *)(uintptr_t)tui_form_id(f));
}

/* Names of the qubes of a kind, "" first when none is a choice. */
static void
create_run(struct tui *t, struct tui_qube *sel)
{
	const char *tpl[256], *net[256];
	struct tui_form *f = tui_form_new("New qube", NULL, create_submit);
	int ntpl = model_names(&t->m, tpl, 256, 1), nnet = model_names(&t->m, net, 256, 0);

	tui_form_note(f, "domd checks each value; a refusal is shown under its field.");
	tui_form_text(f, "name", "Name", "", NULL);
	tui_form_choice(f, "class", "Class", classes, 4, "app");
	tui_form_choice(f, "label", "Label", labels, 8, "red");
	tui_form_choice(f, "template", "Template", tpl, ntpl, ntpl > 1 ? tpl[1] : "");
	tui_form_choice(f, "netvm", "NetVM", net, nnet, "");
	tui_form_text(f, "memory", "Memory", "", "MiB; empty: default");
	tui_form_text(f, "vcpus", "VCPUs", "", "empty: default");
	tui_push(t, tui_form_view(f));
}

const struct tui_action tui_act_create = {
	.name = "create",
	.label = "New",
	.fkey = 7,
	.key = 'n',
	.keyname = "n",
	.help = "create a qube (a form: name, class, label, template, netvm, memory, vcpus)",
	.flags = TUI_ACT_BAR,
	.verb = &cmd_create_entry,
	.run = create_run,
};
