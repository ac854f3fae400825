/* tags: the view of a qube's tags. Editing is disabled until domd's admin
 * API has vm.tags (a later issue); the view says so instead of failing, and
 * lists the tags read-only when the qube object carries "tags". */
#include "tui.h"

#include <stdio.h>

static void
tags_run(struct tui *t, struct tui_qube *q)
{
	char title[64], tags[300];
	const char *lines[] = {
		tags,
		"",
		"Editing tags is not available yet: domd's admin API has no vm.tags method.",
		"This view will add and remove tags once it has.",
		NULL
	};

	if (q->has_tags)
		snprintf(tags, sizeof(tags), "Tags: %s", *q->tags ? q->tags : "(none)");
	else
		snprintf(tags, sizeof(tags), "Tags: (domd does not report them)");
	snprintf(title, sizeof(title), "Tags of %s", q->name);
	tui_note_open(t, title, lines);
}

const struct tui_action tui_act_tags = {
	.name = "tags",
	.label = "Tags",
	.key = 't',
	.keyname = "t",
	.help = "the selected qube's tags (editing disabled: domd has no vm.tags yet)",
	.flags = TUI_ACT_QUBE,
	.run = tags_run,
};
