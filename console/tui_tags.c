/* tags (t): the selected qube's tags, as the CLI's `tag VM list|add|del`
 * reads and changes them: vm.get for the list, vm.tag to add or remove one.
 * a opens a small form (domd checks the name; its refusal is shown under
 * the field), d or Delete removes the selected tag after a y/n question.
 *
 * The list is the view's own, not the model's (whose "a, b" text is for the
 * table): it is read when the view opens, replaced by the qube object each
 * vm.tag returns, and read again once a second while the view is on top, so
 * that a change made elsewhere (a "tags" property event) shows up. A reply
 * that may predate a change made here is dropped (epoch), the next read
 * brings the current list. */
#include "tui.h"

#include <curses.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "xalloc.h"

#define TAGS_MAX 64 /* domd allows 32 */

struct tagsview {
	struct tui_view base;
	char vm[TUI_NAME_MAX];
	char tags[TAGS_MAX][TUI_NAME_MAX];
	int n;
	int sel, top;
	int state;                 /* 0: reading, 1: read, -1: cannot be read */
	char err[256];             /* why not, or the last read failed */
	int fetching;              /* a vm.get in flight */
	unsigned long epoch;       /* bumped by each change sent or applied */
	char del[TUI_NAME_MAX];    /* the tag the open question is about */
};

/* A request's context: the view (and form) it is for, found again by id. */
struct tagreq {
	unsigned long view, form;
	unsigned long epoch;
	int add;                   /* vm.tag add, else del */
	char vm[TUI_NAME_MAX];
	char tag[TUI_NAME_MAX];
};

static const struct tui_view_ops tags_ops;

static struct tagsview *
find_view(struct tui *t, unsigned long id)
{
	struct tui_view *v = tui_view_find(t, id);

	return v != NULL && v->ops == &tags_ops ? (struct tagsview *)v : NULL;
}

static int
rows(void)
{
	return LINES > 5 ? LINES - 4 : 1;
}

static void
select_tag(struct tagsview *tv, const char *name)
{
	int i;

	for (i = 0; i < tv->n; i++)
		if (strcmp(tv->tags[i], name) == 0)
			tv->sel = i;
}

/* The tags of a qube object; keeps the selection on the same tag. */
static void
apply_qube(struct tagsview *tv, json_object *obj)
{
	char keep[TUI_NAME_MAX];
	json_object *tags = NULL;
	size_t i, n;

	snprintf(keep, sizeof(keep), "%s", tv->sel < tv->n ? tv->tags[tv->sel] : "");
	if (!json_object_object_get_ex(obj, "tags", &tags) ||
	    !json_object_is_type(tags, json_type_array)) {
		tv->state = -1;
		tv->n = 0;
		snprintf(tv->err, sizeof(tv->err), "domd does not report tags for %s", tv->vm);
		return;
	}
	n = json_object_array_length(tags);
	tv->n = 0;
	for (i = 0; i < n && tv->n < TAGS_MAX; i++) {
		const char *s = json_object_get_string(json_object_array_get_idx(tags, i));
		tui_safe_copy(tv->tags[tv->n++], sizeof(tv->tags[0]), s != NULL ? s : "");
	}
	tv->state = 1;
	tv->err[0] = '\0';
	if (tv->sel >= tv->n)
		tv->sel = tv->n > 0 ? tv->n - 1 : 0;
	select_tag(tv, keep);
}

static void
fetched(struct tui *t, void *arg, enum client_status st, json_object *result,
    const struct client_error *err)
{
	struct tagreq *r = arg;
	struct tagsview *tv = find_view(t, r->view);

	if (tv == NULL)
		goto out;
	tv->fetching = 0;
	if (r->epoch != tv->epoch)
		goto out; /* a change was sent meanwhile: the next read */
	if (st == CLIENT_OK)
		apply_qube(tv, result);
	else if (st == CLIENT_REFUSED && strcmp(err->code, "no-such-vm") == 0) {
		tv->state = -1;
		tv->n = 0;
		snprintf(tv->err, sizeof(tv->err), "%s no longer exists", tv->vm);
	} else
		tui_safe_copy(tv->err, sizeof(tv->err), err->message);
	tui_redraw(t);
out:
	free(r);
}

static void
fetch(struct tui *t, struct tagsview *tv)
{
	struct tagreq *r;

	if (tv->fetching)
		return;
	r = xcalloc(1, sizeof(*r));
	r->view = tv->base.id;
	r->epoch = tv->epoch;
	tv->fetching = 1;
	tui_query(t, "vm.get", tv->vm, NULL, fetched, r); /* may answer at once */
}

/* ---- changes ---- */

static void
changed(struct tui *t, void *arg, enum client_status st, json_object *result,
    const struct client_error *err)
{
	struct tagreq *r = arg;
	struct tagsview *tv = find_view(t, r->view);
	struct tui_form *f = r->form != 0 ? tui_form_find(t, r->form) : NULL;

	if (f != NULL)
		tui_form_pending(f, -1);
	if (st == CLIENT_OK) {
		if (tv != NULL) {
			apply_qube(tv, result);
			tv->epoch++;
			if (r->add)
				select_tag(tv, r->tag);
			/* The table's copy, through the ordered snapshot path. */
			tui_fetch_qube(t, tv->vm);
		}
		model_info(&t->m, "%s: tag %s %s", r->vm, r->tag, r->add ? "added" : "removed");
		if (f != NULL && t->top == tui_form_view(f))
			tui_pop(t);
	} else if (f != NULL) {
		/* "invalid tag '…' (expected …)", "too many tags (at most 32)" */
		tui_form_field_error(f, "tag", err->message);
	}
	tui_redraw(t);
	free(r);
}

static void
send_tag(struct tui *t, struct tagsview *tv, const char *op, const char *tag,
    unsigned long form)
{
	json_object *args = json_object_new_object();
	struct tagreq *r = xcalloc(1, sizeof(*r));

	r->view = tv->base.id;
	r->form = form;
	r->add = strcmp(op, "add") == 0;
	snprintf(r->vm, sizeof(r->vm), "%s", tv->vm);
	tui_safe_copy(r->tag, sizeof(r->tag), tag);
	json_object_object_add(args, "op", json_object_new_string(op));
	json_object_object_add(args, "tag", json_object_new_string(tag));
	tv->epoch++; /* a read in flight may not see the change */
	tui_request_verb(t, &cmd_tag_entry, tv->vm, args, changed, r);
}

static void
add_submit(struct tui *t, struct tui_form *f)
{
	struct tui_view *under = tui_form_view(f)->below;
	struct tagsview *tv;

	if (under == NULL || under->ops != &tags_ops) {
		tui_form_field_error(f, NULL, "the tags view is gone");
		return;
	}
	tv = (struct tagsview *)under;
	tui_form_pending(f, 1);
	tui_form_busy(f, "adding...");
	send_tag(t, tv, "add", tui_form_get(f, "tag"), tui_form_id(f));
}

static void
add_open(struct tui *t, struct tagsview *tv)
{
	char title[64];
	struct tui_form *f;

	snprintf(title, sizeof(title), "Add a tag to %s", tv->vm);
	f = tui_form_new(title, tv->vm, add_submit);
	tui_form_note(f, "A tag is spelt like a qube name; a qube has at most 32.");
	tui_form_note(f, "domd checks it; a refusal is shown under the field.");
	tui_form_text(f, "tag", "Tag", "", NULL);
	tui_push(t, tui_form_view(f));
}

/* y to the question: the view is on top again (the question is gone). */
static void
del_yes(struct tui *t, const char *vm)
{
	struct tagsview *tv = (struct tagsview *)t->top;

	if (t->top == NULL || t->top->ops != &tags_ops || strcmp(tv->vm, vm) != 0 ||
	    tv->del[0] == '\0')
		return;
	send_tag(t, tv, "del", tv->del, 0);
	tv->del[0] = '\0';
}

static void
del_ask(struct tui *t, struct tagsview *tv)
{
	char question[160];

	snprintf(tv->del, sizeof(tv->del), "%s", tv->tags[tv->sel]);
	snprintf(question, sizeof(question), "Remove the tag %s from %s?", tv->del, tv->vm);
	tui_confirm(t, "Remove tag", question, tv->vm, del_yes);
}

/* ---- the view ---- */

static void
tags_draw(struct tui *t, struct tui_view *v)
{
	struct tagsview *tv = (struct tagsview *)v;
	char line[256];
	int y, i, nrows = rows(), err = tui_attr(t, TC_ERROR);

	snprintf(line, sizeof(line), " Tags of %s", tv->vm);
	tui_put(1, 0, COLS, line, tui_attr(t, TC_HEADER));
	if (tv->state == 1) {
		snprintf(line, sizeof(line), "%d tag%s ", tv->n, tv->n == 1 ? "" : "s");
		tui_put(1, COLS - (int)strlen(line), (int)strlen(line), line,
		    tui_attr(t, TC_HEADER));
	}
	for (y = 2; y < LINES - 2; y++)
		tui_put(y, 0, COLS, "", A_NORMAL);
	if (tv->state == 0) {
		tui_put(3, 2, COLS - 4, tv->err[0] ? tv->err : "(asking domd)",
		    tv->err[0] ? err : (int)A_NORMAL);
		return;
	}
	if (tv->state < 0) {
		tui_put(3, 2, COLS - 4, tv->err, err);
		return;
	}
	if (tv->err[0] != '\0') /* the last read failed: the list may be old */
		tui_put(LINES - 3, 2, COLS - 4, tv->err, err);
	if (tv->n == 0) {
		tui_put(3, 2, COLS - 4, "(no tags: a adds one)", A_NORMAL);
		return;
	}
	if (tv->err[0] != '\0')
		nrows--;
	tui_list_scroll(tv->sel, &tv->top, nrows);
	for (i = tv->top, y = 2; i < tv->n && y < 2 + nrows; i++, y++) {
		snprintf(line, sizeof(line), "  %s", tv->tags[i]);
		tui_put(y, 0, COLS, line, i == tv->sel ? tui_attr(t, TC_SELECTED) : (int)A_NORMAL);
	}
}

static void
tags_bar(struct tui *t, struct tui_view *v)
{
	tui_bar_begin(t);
	tui_bar_item(t, "a", "Add");
	tui_bar_item(t, "d", "Remove");
	tui_bar_item(t, "Esc", "Back");
	tui_bar_end(t);
}

static enum tui_result
tags_key(struct tui *t, struct tui_view *v, int ch)
{
	struct tagsview *tv = (struct tagsview *)v;

	if (tui_list_key(ch, &tv->sel, tv->n, rows()))
		return TUI_REDRAW;
	switch (ch) {
	case 27:
	case 'q':
	case KEY_F(10):
		return TUI_CLOSE;
	case 'a':
	case KEY_IC:
		if (tv->state < 0)
			model_error(&t->m, "tags: %s", tv->err);
		else
			add_open(t, tv);
		return TUI_REDRAW;
	case 'd':
	case KEY_DC:
		if (tv->state != 1 || tv->n == 0)
			model_error(&t->m, "tags: %s has no tag to remove", tv->vm);
		else
			del_ask(t, tv);
		return TUI_REDRAW;
	}
	return TUI_HANDLED;
}

static void
tags_tick(struct tui *t, struct tui_view *v)
{
	struct tagsview *tv = (struct tagsview *)v;

	if (tv->state >= 0)
		fetch(t, tv);
}

static void
tags_destroy(struct tui_view *v)
{
	free(v);
}

static const struct tui_view_ops tags_ops = {
	.name = "tags",
	.fullscreen = 1,
	.draw = tags_draw,
	.key = tags_key,
	.tick = tags_tick,
	.bar = tags_bar,
	.destroy = tags_destroy,
};

static void
tags_run(struct tui *t, struct tui_qube *q)
{
	struct tagsview *tv = xcalloc(1, sizeof(*tv));

	tv->base.ops = &tags_ops;
	snprintf(tv->vm, sizeof(tv->vm), "%s", q->name);
	tui_push(t, &tv->base);
	fetch(t, tv);
}

const struct tui_action tui_act_tags = {
	.name = "tags",
	.label = "Tags",
	.key = 't',
	.keyname = "t",
	.help = "the selected qube's tags: a adds one, d or Delete removes the selected",
	.flags = TUI_ACT_QUBE,
	.verb = &cmd_tag_entry,
	.run = tags_run,
};
