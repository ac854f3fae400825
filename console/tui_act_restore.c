/* restore: a form for the CLI's `backup restore` from a FILE in dom0 or
 * VM:PATH, all the qubes it holds or those named, a name taken being an
 * error, renamed or skipped as chosen. The CLI does the work (tui_job.c). */
#include "tui.h"

#include <string.h>

#include "cmd.h"

#define QUBES_MAX 64

static const char *const conflicts[] = { "refuse", "rename", "skip" };

static void
restore_submit(struct tui *t, struct tui_form *f)
{
	const char *args[QUBES_MAX + 4], *names[QUBES_MAX];
	const char *conflict = tui_form_get(f, "conflicts");
	char qubes[TUI_FORM_TEXT_MAX + 1], from[TUI_FORM_TEXT_MAX + 1], what[160];
	int n, i, a = 0;

	snprintf(qubes, sizeof(qubes), "%s", tui_form_get(f, "qubes"));
	snprintf(from, sizeof(from), "%s", tui_form_get(f, "from"));
	n = tui_split_words(qubes, names, QUBES_MAX);
	if (from[0] == '\0')
		tui_form_field_error(f, "from", "where from: a FILE in dom0, or VM:PATH");
	else if (n < 0)
		tui_form_field_error(f, "qubes", "too many qubes: leave empty for all");
	else if (tui_form_get(f, "passphrase")[0] == '\0')
		tui_form_field_error(f, "passphrase", "the passphrase is empty");
	if (tui_form_nerrors(f) > 0)
		return;
	if (strcmp(conflict, "rename") == 0)
		args[a++] = "--rename-conflicts";
	else if (strcmp(conflict, "skip") == 0)
		args[a++] = "--skip-existing";
	args[a++] = "--";
	args[a++] = from;
	for (i = 0; i < n; i++)
		args[a++] = names[i];
	args[a] = NULL;
	snprintf(what, sizeof(what), "restore from %s", from);
	tui_backup_job(t, f, "Restore", what, "restore", args);
}

static void
restore_run(struct tui *t, struct tui_qube *sel)
{
	struct tui_form *f = tui_form_new("Restore qubes from a backup", NULL, restore_submit);

	tui_form_note(f, "Only new qubes are made: an existing qube is never");
	tui_form_note(f, "changed. The backup is checked whole before.");
	tui_form_text(f, "from", "From", "", "FILE or VM:PATH");
	tui_form_text(f, "qubes", "Qubes", "", "names; empty: all");
	tui_form_choice(f, "conflicts", "Name taken", conflicts, 3, "rename");
	tui_form_secret(f, "passphrase", "Passphrase");
	tui_push(t, tui_form_view(f));
}

const struct tui_action tui_act_restore = {
	.name = "restore",
	.label = "Restore",
	.key = 'B',
	.keyname = "B",
	.help = "restore qubes from a backup, as new qubes (bulkhead backup restore)",
	.verb = &cmd_backup_entry,
	.run = restore_run,
};
