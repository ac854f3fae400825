/* update: the CLI's `update` of the selected template as a job (tui_job.c):
 * its steps and the template's output in the pager as they come, then its
 * table. */
#include "tui.h"

#include <stdio.h>
#include <string.h>

#include "cmd.h"

static void
update_run(struct tui *t, struct tui_qube *q)
{
	const char *argv[] = { "bulkhead", "update", "--progress-lines", "--socket",
		tui_socket_path(t), "--", q->name, NULL };
	char what[96];

	if (strcmp(q->cls, "template") != 0) {
		model_error(&t->m, "update: %s is not a template; update its template, and "
		    "restart it to get the new root", q->name);
		tui_redraw(t);
		return;
	}
	snprintf(what, sizeof(what), "update of %s", q->name);
	tui_job_run_lines(t, "Update", what, argv);
}

const struct tui_action tui_act_update = {
	.name = "update",
	.label = "Update",
	.key = 'U',
	.keyname = "U",
	.help = "update the selected template's packages through the updates proxy "
	    "(bulkhead update)",
	.flags = TUI_ACT_QUBE,
	.verb = &cmd_update_entry,
	.run = update_run,
};
