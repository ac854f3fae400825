/* backup: a form for the CLI's `backup create` of the qubes named (the
 * selected one at first) to a FILE in dom0 or VM:PATH, the passphrase typed
 * twice and never shown. The CLI does the work (tui_job.c): it reads the
 * passphrase from its stdin, and its progress and outcome fill a pager. */
#include "tui.h"

#include <string.h>

#include "cmd.h"

#define QUBES_MAX 64

static void
backup_submit(struct tui *t, struct tui_form *f)
{
	const char *args[QUBES_MAX + 5], *names[QUBES_MAX];
	char qubes[TUI_FORM_TEXT_MAX + 1], to[TUI_FORM_TEXT_MAX + 1], what[300];
	int n, i, a = 0, all;

	snprintf(qubes, sizeof(qubes), "%s", tui_form_get(f, "qubes"));
	snprintf(to, sizeof(to), "%s", tui_form_get(f, "to"));
	n = tui_split_words(qubes, names, QUBES_MAX);
	if (n <= 0)
		tui_form_field_error(f, "qubes", n == 0 ? "name the qubes to back up, or * for all" :
		    "too many qubes: use * for all");
	else if (to[0] == '\0')
		tui_form_field_error(f, "to", "where to: a new FILE in dom0, or VM:PATH");
	else if (tui_form_get(f, "passphrase")[0] == '\0')
		tui_form_field_error(f, "passphrase", "the passphrase is empty");
	else if (strcmp(tui_form_get(f, "passphrase"), tui_form_get(f, "again")) != 0)
		tui_form_field_error(f, "again", "the passphrases differ");
	if (tui_form_nerrors(f) > 0)
		return;
	all = n == 1 && strcmp(names[0], "*") == 0;
	args[a++] = "--to";
	args[a++] = to;
	args[a++] = all ? "--all" : "--";
	for (i = 0; !all && i < n; i++)
		args[a++] = names[i];
	args[a] = NULL;
	snprintf(what, sizeof(what), "backup of %s to %s",
	    all ? "all qubes" : tui_form_get(f, "qubes"), to);
	tui_backup_job(t, f, "Backup", what, "create", args);
}

static void
backup_run(struct tui *t, struct tui_qube *sel)
{
	struct tui_form *f = tui_form_new("Back up qubes", NULL, backup_submit);

	tui_form_note(f, "Encrypted with a key from the passphrase. Running qubes");
	tui_form_note(f, "are refused: shut them down first.");
	tui_form_text(f, "qubes", "Qubes", sel != NULL ? sel->name : "", "names; * for all");
	tui_form_text(f, "to", "To", "", "FILE or VM:PATH");
	tui_form_secret(f, "passphrase", "Passphrase");
	tui_form_secret(f, "again", "Again");
	tui_push(t, tui_form_view(f));
}

const struct tui_action tui_act_backup = {
	.name = "backup",
	.label = "Backup",
	.key = 'b',
	.keyname = "b",
	.help = "back up qubes, encrypted, to a file in dom0 or in a qube (bulkhead backup create)",
	.verb = &cmd_backup_entry,
	.run = backup_run,
};
