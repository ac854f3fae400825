/* asks (a): the ask queue. Requests whose policy says `ask` wait here
 * (ask.list, then "ask" / "ask-done" events); new ones are highlighted until
 * selected. a or Enter allows (choosing the target), d denies: ask.answer.
 * Without an ask queue in domd (ask.list: unknown-method) it says so. */
#include "tui.h"

#include <curses.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

struct asksview {
	struct tui_view base;
	int64_t sel_id;
};

static struct tui_ask *
selected(struct tui *t, struct asksview *av, size_t *index)
{
	size_t i;

	if (t->m.nasks == 0)
		return NULL;
	for (i = 0; i < t->m.nasks; i++)
		if (t->m.asks[i].id == av->sel_id)
			break;
	if (i == t->m.nasks)
		i = 0;
	av->sel_id = t->m.asks[i].id;
	if (index != NULL)
		*index = i;
	return &t->m.asks[i];
}

static void
look_at(struct tui *t, struct tui_ask *a)
{
	if (a != NULL && a->is_new) {
		a->is_new = 0;
		model_changed(&t->m);
	}
}

static void
asks_draw(struct tui *t, struct tui_view *v)
{
	struct asksview *av = (struct asksview *)v;
	char line[1600], age[16];
	size_t i, sel = 0, top = 0, rows = LINES > 6 ? (size_t)(LINES - 5) : 1;
	int64_t now = tui_now_ns();
	struct tui_ask *a;
	int y, attr;

	selected(t, av, &sel);
	snprintf(line, sizeof(line), " Ask queue: %zu pending", t->m.nasks);
	tui_put(1, 0, COLS, line, tui_attr(t, TC_HEADER));
	for (y = 2; y < LINES - 2; y++)
		tui_put(y, 0, COLS, "", A_NORMAL);
	if (t->m.asks_available == 0) {
		tui_put(3, 2, COLS - 4, "domd has no ask queue (ask.list is an unknown method):",
		    A_BOLD);
		tui_put(4, 2, COLS - 4, "policy 'ask' answers need a domd with the RPC service.",
		    A_NORMAL);
		return;
	}
	if (t->m.asks_available < 0) {
		tui_put(3, 2, COLS - 4, "(asking domd for the queue)", A_NORMAL);
		return;
	}
	if (t->m.nasks == 0) {
		tui_put(3, 2, COLS - 4, "(no pending requests)", A_NORMAL);
		return;
	}
	if (sel >= rows)
		top = sel - rows + 1;
	for (i = top, y = 2; i < t->m.nasks && y < LINES - 3; i++, y++) {
		a = &t->m.asks[i];
		tui_fmt_uptime(age, sizeof(age), (uint64_t)(a->age_s +
		    (now - a->seen_at_ns) / 1000000000));
		snprintf(line, sizeof(line), "%s #%-4lld %5s  %s%s%s  %s -> %s%s%s%s",
		    a->is_new ? "NEW" : "   ", (long long)a->id, age, a->service,
		    *a->arg ? "+" : "", a->arg, a->source, *a->target ? a->target : "?",
		    *a->default_target ? " (default " : "", a->default_target,
		    *a->default_target ? ")" : "");
		attr = a->is_new ? tui_attr(t, TC_NEW) : (int)A_NORMAL;
		if (i == sel)
			attr |= A_REVERSE;
		tui_put(y, 0, COLS, line, attr);
	}
	/* The selected ask's choices: only these can be allowed. */
	a = &t->m.asks[sel];
	snprintf(line, sizeof(line), " Allowed targets of #%lld: %s", (long long)a->id,
	    *a->targets ? a->targets : "(not listed by domd)");
	tui_put(LINES - 3, 0, COLS, line, A_BOLD);
}

static void
asks_bar(struct tui *t, struct tui_view *v)
{
	tui_bar_begin(t);
	tui_bar_item(t, "a", "Allow");
	tui_bar_item(t, "d", "Deny");
	tui_bar_item(t, "Esc", "Back");
	tui_bar_end(t);
}

static void
asks_tick(struct tui *t, struct tui_view *v)
{
	if (t->m.nasks > 0)
		tui_redraw(t); /* the ages */
}

struct answer {
	unsigned long form;
	int64_t id;
};

static void
answered(struct tui *t, void *arg, enum client_status st, json_object *result,
    const struct client_error *err)
{
	struct answer *an = arg;
	struct tui_form *f = an->form != 0 ? tui_form_find(t, an->form) : NULL;

	if (f != NULL) {
		tui_form_pending(f, -1);
		if (st == CLIENT_OK) {
			if (t->top == tui_form_view(f))
				tui_pop(t);
		} else
			tui_form_field_error(f, "target", err->message);
		tui_redraw(t);
	}
	free(an);
}

static void
answer(struct tui *t, int64_t id, int allow, const char *target, unsigned long form)
{
	json_object *args = json_object_new_object();
	struct answer *an = xcalloc(1, sizeof(*an));
	char what[64];

	an->form = form;
	an->id = id;
	json_object_object_add(args, "id", json_object_new_int64(id));
	json_object_object_add(args, "allow", json_object_new_boolean(allow));
	if (allow && target != NULL && *target != '\0')
		json_object_object_add(args, "target", json_object_new_string(target));
	snprintf(what, sizeof(what), "%s ask #%lld", allow ? "allow" : "deny", (long long)id);
	tui_request(t, what, "ask.answer", NULL, args, answered, an);
}

static void
allow_submit(struct tui *t, struct tui_form *f)
{
	int64_t id = strtoll(tui_form_vm(f) + 1, NULL, 10); /* "#N" */

	tui_form_pending(f, 1);
	tui_form_busy(f, "answering...");
	answer(t, id, 1, tui_form_get(f, "target"), tui_form_id(f));
}

/* Every qube but the source: what a domd that does not list an ask's
 * targets leaves to choose (it checks the answer itself). */
static int
all_qubes(struct tui *t, struct tui_ask *a, const char **choices, int n)
{
	for (size_t i = 0; i < t->m.n; i++) {
		const char *name = t->m.q[i]->name;
		if (strcmp(name, a->source) != 0 && strcmp(name, a->target) != 0 &&
		    strcmp(name, a->default_target) != 0)
			choices[n++] = name;
	}
	return n;
}

/* The ask's targets (split in place in buf) but the suggested ones. */
static int
listed(struct tui_ask *a, char *buf, const char **choices, int n)
{
	char *save = NULL;

	for (char *w = strtok_r(buf, " ", &save); w != NULL; w = strtok_r(NULL, " ", &save))
		if (strcmp(w, a->target) != 0 && strcmp(w, a->default_target) != 0)
			choices[n++] = w;
	return n;
}

static void
allow_open(struct tui *t, struct tui_ask *a)
{
	char buf[sizeof(a->targets)];
	const char **choices = xcalloc(t->m.n + sizeof(buf) / 2 + 2, sizeof(*choices));
	char title[64], note[256], idtext[32];
	struct tui_form *f;
	int n = 0;

	/* The suggested targets first, then what the policy allows. */
	if (*a->default_target)
		choices[n++] = a->default_target;
	if (*a->target && strcmp(a->target, a->default_target) != 0)
		choices[n++] = a->target;
	memcpy(buf, a->targets, sizeof(buf));
	n = *buf ? listed(a, buf, choices, n) : all_qubes(t, a, choices, n);
	snprintf(title, sizeof(title), "Allow ask #%lld", (long long)a->id);
	snprintf(idtext, sizeof(idtext), "#%lld", (long long)a->id);
	f = tui_form_new(title, idtext, allow_submit);
	snprintf(note, sizeof(note), "%s%s%s from %s", a->service, *a->arg ? "+" : "", a->arg,
	    a->source);
	tui_form_note(f, note);
	tui_form_note(f, "Choose the target qube (Left/Right), Enter allows.");
	tui_form_choice(f, "target", "Target", choices, n, n > 0 ? choices[0] : "");
	free(choices);
	tui_push(t, tui_form_view(f));
}

static enum tui_result
asks_key(struct tui *t, struct tui_view *v, int ch)
{
	struct asksview *av = (struct asksview *)v;
	struct tui_ask *a;
	size_t i = 0;

	a = selected(t, av, &i);
	switch (ch) {
	case 27:
	case 'q':
		return TUI_CLOSE;
	case KEY_UP:
		if (a != NULL && i > 0) {
			av->sel_id = t->m.asks[i - 1].id;
			look_at(t, &t->m.asks[i - 1]);
		}
		return TUI_REDRAW;
	case KEY_DOWN:
		if (a != NULL && i + 1 < t->m.nasks) {
			av->sel_id = t->m.asks[i + 1].id;
			look_at(t, &t->m.asks[i + 1]);
		}
		return TUI_REDRAW;
	case 'a':
	case 'y':
	case '\r':
	case '\n':
	case KEY_ENTER:
		if (a != NULL) {
			look_at(t, a);
			allow_open(t, a);
		}
		return TUI_REDRAW;
	case 'd':
	case 'n':
		if (a != NULL) {
			look_at(t, a);
			answer(t, a->id, 0, NULL, 0);
		}
		return TUI_REDRAW;
	}
	return TUI_HANDLED;
}

static void
asks_destroy(struct tui_view *v)
{
	free(v);
}

static const struct tui_view_ops asks_ops = {
	.name = "asks",
	.fullscreen = 1,
	.draw = asks_draw,
	.key = asks_key,
	.tick = asks_tick,
	.bar = asks_bar,
	.destroy = asks_destroy,
};

void
tui_asks_open(struct tui *t)
{
	struct asksview *av = xcalloc(1, sizeof(*av));

	av->base.ops = &asks_ops;
	if (t->m.nasks > 0) {
		av->sel_id = t->m.asks[0].id;
		look_at(t, &t->m.asks[0]);
	}
	tui_push(t, &av->base);
}

static void
asks_run(struct tui *t, struct tui_qube *q)
{
	tui_asks_open(t);
}

const struct tui_action tui_act_asks = {
	.name = "asks",
	.label = "Asks",
	.key = 'a',
	.keyname = "a",
	.help = "the ask queue: allow (choosing the target) or deny pending requests",
	.flags = 0,
	.run = asks_run,
};
